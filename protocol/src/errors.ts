/**
 * The typed errors of @fobkit/protocol. Every error a caller can act on carries a stable `code`
 * (a string-literal union, never renamed once released) and, where it wraps another failure,
 * `cause`. Argument mistakes by a programmer are plain `TypeError`/`RangeError` instead.
 *
 * The whole tree is here: ProtocolError ← FrameError, MessageError, SeedFileError, SessionError,
 * DeviceError, TransportError. Each is also exported from the subpath that throws it
 * (`/client`: DeviceError, TransportError; `/session`: SessionError).
 */
import { describeSessionFailure, type SessionFailureReason } from './session/sessionFailure.js';
import { messageName, wireErrorName } from './wire/constants.js';
import type { ErrorBody } from './wire/messages.js';

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
  | 'CANCELED' // the caller aborted
  | 'PSKC_INVALID' // a PSKC (RFC 6030) document that is malformed, hostile (DOCTYPE/entities), oversized or not PSKC
  | 'PSKC_MAC_FAILED' // a PSKC ValueMAC that does not verify (tampered file, wrong key or password)
  | 'PSKC_DECRYPT_FAILED' // an encrypted PSKC value that cannot be decrypted (no or wrong key, bad padding)
  | 'FORMAT_INVALID'; // a seed file (CSV, pam_oath usersfile, otpauth URI) that is malformed or cannot carry the data

export class ProtocolError extends Error {
  override readonly name: string = 'ProtocolError';
  readonly code: ProtocolErrorCode;

  constructor(code: ProtocolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Why the framing layer rejected bytes (see {@link FrameError}). */
export type FrameErrorReason =
  | 'short' // fewer than 9 decoded bytes
  | 'oversize' // more than MAX_FRAME_BYTES decoded (or the encoded run too long to be one)
  | 'cobs' // not valid COBS (a code byte past the end, or a 0x00 inside)
  | 'crc' // CRC-32 trailer does not match
  | 'version'; // a protocol version this side does not speak (`header` is still readable)

/** A frame that fails COBS, CRC, size or version checks: always code 'BAD_FRAME'. */
export class FrameError extends ProtocolError {
  override readonly name: string = 'FrameError';
  readonly reason: FrameErrorReason;
  /** The header bytes when they could be read (a 'version' rejection), so the receiver can answer. */
  readonly header: { version: number; flags: number; type: number; requestId: number } | undefined;

  constructor(reason: FrameErrorReason, message: string, options?: { cause?: unknown; header?: FrameError['header'] }) {
    super('BAD_FRAME', message, options);
    this.reason = reason;
    this.header = options?.header;
  }
}

/**
 * A message body that does not match its schema ('BAD_MESSAGE', `path` names the field, e.g.
 * `PROGRAM_SEED request.digits`) or a message type this side does not know ('UNKNOWN_MESSAGE').
 */
export class MessageError extends ProtocolError {
  override readonly name: string = 'MessageError';
  readonly path: string;

  constructor(code: 'BAD_MESSAGE' | 'UNKNOWN_MESSAGE', path: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.path = path;
  }
}

/** Narrowing helper for catch blocks: `if (isProtocolError(e, 'TIMEOUT')) ...`. */
export function isProtocolError(e: unknown, code?: ProtocolErrorCode): e is ProtocolError {
  return e instanceof ProtocolError && (code === undefined || e.code === code);
}

/**
 * A seed file (PSKC, CSV, pam_oath usersfile, otpauth URI) that cannot be read or written:
 * 'PSKC_INVALID', 'PSKC_MAC_FAILED', 'PSKC_DECRYPT_FAILED' or 'FORMAT_INVALID'. `line` is the
 * 1-based line of the input where the problem is, when known. Messages never contain a secret.
 */
export class SeedFileError extends ProtocolError {
  override readonly name: string = 'SeedFileError';
  readonly line: number | undefined;

  constructor(
    code: 'PSKC_INVALID' | 'PSKC_MAC_FAILED' | 'PSKC_DECRYPT_FAILED' | 'FORMAT_INVALID',
    message: string,
    options?: { cause?: unknown; line?: number },
  ) {
    super(code, options?.line === undefined ? message : `line ${options.line}: ${message}`, options);
    this.line = options?.line;
  }
}

const CERT_REASONS: ReadonlySet<SessionFailureReason> = new Set(['cert-malformed', 'cert-bad-signature', 'cert-revoked', 'cert-not-yet-valid', 'cert-expired']);

/**
 * A secure session could not be opened or kept (SPEC.md §Secure session, "Errors"): code
 * CERT_INVALID for certificate reasons, else SESSION_FAILED.
 */
export class SessionError extends ProtocolError {
  override readonly name: string = 'SessionError';
  readonly reason: SessionFailureReason;
  /** When the fob said so: its wire error code and name. */
  readonly deviceCode: number | undefined;
  readonly deviceName: string | undefined;

  constructor(reason: SessionFailureReason, message?: string, options?: { cause?: unknown; deviceCode?: number; deviceName?: string }) {
    super(CERT_REASONS.has(reason) ? 'CERT_INVALID' : 'SESSION_FAILED', message ?? describeSessionFailure(reason), options);
    this.reason = reason;
    this.deviceCode = options?.deviceCode;
    this.deviceName = options?.deviceName;
  }
}

/** A fob's error response (SPEC.md "Error codes") as an exception the station can act on: code DEVICE_ERROR. */
export class DeviceError extends ProtocolError {
  override readonly name: string = 'DeviceError';
  /** The wire error code (`WireErrorCode`); codes this version does not know are kept as sent. */
  readonly deviceCode: number;
  /** The wire error name, e.g. `BAD_STATE`. */
  readonly deviceName: string;
  /** For RATE_LIMITED / BUSY: how long the fob asks to wait. */
  readonly retryMs: number | undefined;
  /** The fob's own text (never a secret), if any. */
  readonly deviceMessage: string | undefined;
  /** The message type of the refused request. */
  readonly requestType: number;

  constructor(requestType: number, body: ErrorBody, options?: { cause?: unknown }) {
    const name = wireErrorName(body.code) ?? body.name;
    const command = messageName(requestType) ?? `message 0x${requestType.toString(16)}`;
    super('DEVICE_ERROR', `the fob refused ${command}: ${name} (${body.code})${body.msg ? `: ${body.msg}` : ''}`, options);
    this.deviceCode = body.code;
    this.deviceName = name;
    this.retryMs = body.retryMs;
    this.deviceMessage = body.msg;
    this.requestType = requestType;
  }
}

/** A transport failure (code DISCONNECTED or CANCELED). Test the flags, not the message. */
export class TransportError extends ProtocolError {
  override readonly name: string = 'TransportError';
  /** The peer went away (cable pulled, port closed, process ended). */
  readonly disconnected: boolean;
  /** This side gave up (abort signal, close() while waiting). */
  readonly canceled: boolean;

  constructor(kind: 'disconnected' | 'canceled', message: string, options?: { cause?: unknown }) {
    super(kind === 'disconnected' ? 'DISCONNECTED' : 'CANCELED', message, options);
    this.disconnected = kind === 'disconnected';
    this.canceled = kind === 'canceled';
  }
}
