/**
 * The typed errors of @fobkit/protocol. Every error a caller can act on carries a stable `code`
 * (a string-literal union, never renamed once released) and, where it wraps another failure,
 * `cause`. Argument mistakes by a programmer are plain `TypeError`/`RangeError` instead.
 */

/** Stable codes of {@link ProtocolError}. Add new codes at the end; never rename or reuse one. */
export type ProtocolErrorCode =
  | 'INVALID_ENCODING' // base32/hex/serial text that is not what it claims to be
  | 'INVALID_SERIAL' // a serial number with a bad format or check digit
  | 'BAD_FRAME' // a frame that fails COBS, CRC, size or header checks
  | 'BAD_MESSAGE' // a CBOR body that does not match the message schema
  | 'UNKNOWN_MESSAGE' // a message type this side does not know
  | 'SCHEMA_MISMATCH' // the peer speaks another version of the message schema
  | 'SEAL_FAILED' // an envelope that does not open (wrong key, tampered, truncated)
  | 'SESSION_FAILED' // handshake or record-layer failure
  | 'CERT_INVALID' // a station certificate that is malformed, expired, revoked or not signed by the root
  | 'DEVICE_ERROR' // the fob answered with an error response (see `deviceCode`)
  | 'TIMEOUT' // no response within the request timeout
  | 'DISCONNECTED' // the transport closed under us
  | 'CANCELED'; // the caller aborted

export class ProtocolError extends Error {
  override readonly name: string = 'ProtocolError';
  readonly code: ProtocolErrorCode;

  constructor(code: ProtocolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Narrowing helper for catch blocks: `if (isProtocolError(e, 'TIMEOUT')) ...`. */
export function isProtocolError(e: unknown, code?: ProtocolErrorCode): e is ProtocolError {
  return e instanceof ProtocolError && (code === undefined || e.code === code);
}
