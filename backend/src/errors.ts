/**
 * The typed errors of @fobkit/backend. Every error a client can act on carries a stable `code`
 * (a string-literal union, never renamed once released); the HTTP layer maps each code to one
 * status and answers `{ error: { code, message } }`. Messages never carry a secret.
 */

/** Stable codes of {@link BackendError}. Add new codes at the end; never rename or reuse one. */
export type BackendErrorCode =
  | 'UNAUTHORIZED' // no, malformed or unknown API key
  | 'FORBIDDEN' // the key's role may not call this endpoint
  | 'NOT_FOUND' // no such route, token or user
  | 'METHOD_NOT_ALLOWED' // the route exists with another method
  | 'PAYLOAD_TOO_LARGE' // request body over the limit
  | 'UNSUPPORTED_MEDIA_TYPE' // a body that is not application/json
  | 'INVALID_JSON' // a body that does not parse
  | 'INVALID_REQUEST' // a body or parameter that fails the schema (unknown fields included)
  | 'INVALID_SERIAL' // a serial number with a bad format or check digit
  | 'CONFLICT' // the serial is registered with another seed or profile; the user already has a fob
  | 'INVALID_STATE' // the token's life-cycle state does not allow the operation
  | 'SEAL_FAILED' // sealedSecret does not open with the registration key for context seed:<serial>
  | 'UNKNOWN_KID' // a registration key id or KEK id this backend does not have
  | 'SERIALS_EXHAUSTED' // no serial numbers left to reserve
  | 'AUDIT_BROKEN' // the audit chain does not verify
  | 'CONFIG' // bad configuration: database URL, KEK file
  | 'INTERNAL' // a bug
  | 'SERIAL_NOT_RESERVED' // a registration for a serial no station reserved
  | 'INVALID_PUBLIC_KEY' // an X25519 public key of the wrong length or of small order (no shared secret)
  | 'SERIAL_NOT_YOURS' // a station key acting on a serial another station key reserved
  | 'FILE_PERMISSIONS' // a secret file (the KEK) that group or others may read
  | 'INVALID_OPTION' // command line only: a numeric option outside its range (exit 2)
  | 'CONFIRMATION_REQUIRED'; // command line only: a destructive command with no terminal to ask on and no --yes (exit 2)

export const HTTP_STATUS: Readonly<Record<BackendErrorCode, number>> = {
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INVALID_JSON: 400,
  INVALID_REQUEST: 400,
  INVALID_SERIAL: 400,
  CONFLICT: 409,
  INVALID_STATE: 409,
  SEAL_FAILED: 422,
  UNKNOWN_KID: 422,
  SERIALS_EXHAUSTED: 507,
  AUDIT_BROKEN: 500,
  CONFIG: 500,
  INTERNAL: 500,
  SERIAL_NOT_RESERVED: 409,
  INVALID_PUBLIC_KEY: 400,
  SERIAL_NOT_YOURS: 403,
  FILE_PERMISSIONS: 500,
  INVALID_OPTION: 400,
  CONFIRMATION_REQUIRED: 400,
};

export class BackendError extends Error {
  override readonly name: string = 'BackendError';
  readonly code: BackendErrorCode;

  constructor(code: BackendErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  get status(): number {
    return HTTP_STATUS[this.code];
  }
}

/** Narrowing helper for catch blocks: `if (isBackendError(e, 'CONFLICT')) ...`. */
export function isBackendError(e: unknown, code?: BackendErrorCode): e is BackendError {
  return e instanceof BackendError && (code === undefined || e.code === code);
}
