/** @fobkit/backend: the reference validation service. */
export const BACKEND_VERSION = '0.1.0';
