/** @fobkit/provisioner: the factory station and the support/QA tool. */
export const PROVISIONER_VERSION = '0.1.0';
