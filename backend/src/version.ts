/** The package version, reported by the CLI and the OpenAPI document. */
export const BACKEND_VERSION = '0.1.0';
