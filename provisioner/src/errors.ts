/**
 * The typed errors of the provisioning station. Every failure a caller (the CLI, a test, a
 * supervising script) can act on carries a stable `code` and, where it wraps another failure,
 * `cause`. Codes are never renamed once released. Argument mistakes are `TypeError`/`RangeError`.
 *
 * Messages never carry a seed, a key or an API key: they are printed to the operator and logged.
 */

/** Stable codes of {@link StationError}. Add new codes at the end. */
export type StationErrorCode =
  | 'CONFIG_INVALID' // the station configuration is missing a value or holds a bad one
  | 'JOURNAL_FAILED' // the journal file cannot be opened or written
  | 'BACKEND_UNREACHABLE' // network error, timeout or 5xx: worth retrying later
  | 'BACKEND_REJECTED' // 4xx other than the cases below: retrying will not help
  | 'BACKEND_UNAUTHORIZED' // 401/403: the API key is wrong or lacks the station role
  | 'BACKEND_CONFLICT' // 409: the backend holds a different seed for this serial
  | 'BACKEND_BAD_RESPONSE' // a 2xx whose body is not what the contract says
  | 'REGISTRATION_KEY_MISMATCH' // the backend's registration key is not the pinned one
  | 'NO_SERIALS' // no serial can be reserved (backend unreachable and the local pool is empty)
  | 'NO_PORTS' // no port to provision was given or found
  | 'PORT_BUSY' // another process holds the serial port (its pid and command when known)
  | 'PORT_UNAVAILABLE' // the serial port does not exist or cannot be opened
  | 'JOURNAL_BUSY' // another station process holds the journal
  | 'BACKEND_WRONG_ROLE' // the API key is valid but not a station key
  | 'NOT_FOBKIT_BACKEND'; // the URL answers, but not as a fobkit backend (GET /v1/openapi.json does not name one)

export class StationError extends Error {
  override readonly name: string = 'StationError';
  readonly code: StationErrorCode;

  constructor(code: StationErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** A backend HTTP failure, with the status (0 when no response arrived) and the backend's code. */
export class BackendError extends StationError {
  override readonly name = 'BackendError';
  constructor(
    code: StationErrorCode,
    message: string,
    readonly status: number,
    readonly backendCode?: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }

  /** True when the same request may succeed later (network, timeout, 5xx, 429). */
  get retryable(): boolean {
    return this.code === 'BACKEND_UNREACHABLE';
  }
}

/** What {@link findLockHolder} could learn about the process holding a lock. */
export interface LockHolder {
  pid: number;
  /** A few words of its command line (program and subcommand, never an option's value). */
  command?: string;
}

/** A port or journal another process holds: PORT_BUSY or JOURNAL_BUSY, naming the holder when known. */
export class BusyError extends StationError {
  override readonly name = 'BusyError';
  constructor(
    code: 'PORT_BUSY' | 'JOURNAL_BUSY',
    message: string,
    readonly path: string,
    readonly holder?: LockHolder,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** Narrowing helper for catch blocks. */
export function isStationError(e: unknown, code?: StationErrorCode): e is StationError {
  return e instanceof StationError && (code === undefined || e.code === code);
}
