/**
 * The typed errors of @fobkit/firmware-sim. `SimError.code` is stable (a string-literal union);
 * argument mistakes are plain `TypeError`/`RangeError`.
 */

export type SimErrorCode =
  | 'POWER_CUT' // an injected power cut stopped the fob in the middle of a flash operation
  | 'FLASH_IO' // the state file could not be read or written
  | 'FLASH_FULL' // a record does not fit its slot
  | 'PTY_FAILED' // socat could not create a pseudo-terminal pair
  | 'PORT_FAILED' // a serial port, TCP listener or control endpoint could not be opened
  | 'NOT_RUNNING' // the fob is powered off (after a power cut) or the simulator is closed
  | 'UNKNOWN_FOB' // a control request named a fob that does not exist
  | 'INVALID_OPTION'; // fobkit-sim: a numeric option outside its range (exit 2)

export class SimError extends Error {
  override readonly name: string = 'SimError';
  readonly code: SimErrorCode;

  constructor(code: SimErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Narrowing helper for catch blocks. */
export function isSimError(e: unknown, code?: SimErrorCode): e is SimError {
  return e instanceof SimError && (code === undefined || e.code === code);
}
