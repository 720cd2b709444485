/**
 * Parameters shared by HOTP (RFC 4226) and TOTP (RFC 6238), with the guards every public entry
 * point runs. Defaults are the fob's: SHA-1, 6 digits, 60 s steps (the field's fobs change code
 * once a minute), T0 = 0.
 */

export type OtpAlgorithm = 'sha1' | 'sha256' | 'sha512';
export type OtpDigits = 6 | 7 | 8;

export const OTP_ALGORITHMS: readonly OtpAlgorithm[] = ['sha1', 'sha256', 'sha512'];
export const DEFAULT_ALGORITHM: OtpAlgorithm = 'sha1';
export const DEFAULT_DIGITS: OtpDigits = 6;
export const DEFAULT_PERIOD = 60;
/** RFC 4226 §4 R6 asks for at least 128 bits; 64 bytes is SHA-512's block-sized key. */
export const MIN_SECRET_BYTES = 16;
export const MAX_SECRET_BYTES = 64;
export const MIN_PERIOD = 1;
export const MAX_PERIOD = 3600;

/** @throws RangeError naming `field` when `secret` is not 16..64 bytes. */
export function assertSecret(secret: Uint8Array, field = 'secret'): void {
  if (!(secret instanceof Uint8Array)) throw new TypeError(`${field} must be a Uint8Array`);
  if (secret.length < MIN_SECRET_BYTES || secret.length > MAX_SECRET_BYTES) {
    throw new RangeError(`${field} must be ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} bytes, got ${secret.length}`);
  }
}

/** @throws RangeError when not sha1, sha256 or sha512. */
export function assertAlgorithm(algorithm: unknown, field = 'algorithm'): asserts algorithm is OtpAlgorithm {
  if (!OTP_ALGORITHMS.includes(algorithm as OtpAlgorithm)) {
    throw new RangeError(`${field} must be one of ${OTP_ALGORITHMS.join(', ')}, got ${String(algorithm)}`);
  }
}

/** @throws RangeError when not 6, 7 or 8. */
export function assertDigits(digits: unknown, field = 'digits'): asserts digits is OtpDigits {
  if (digits !== 6 && digits !== 7 && digits !== 8) throw new RangeError(`${field} must be 6, 7 or 8, got ${String(digits)}`);
}

/** @throws RangeError when not an integer number of seconds in 1..3600. */
export function assertPeriod(period: unknown, field = 'period'): asserts period is number {
  if (typeof period !== 'number' || !Number.isInteger(period) || period < MIN_PERIOD || period > MAX_PERIOD) {
    throw new RangeError(`${field} must be an integer from ${MIN_PERIOD} to ${MAX_PERIOD} seconds, got ${String(period)}`);
  }
}

/** @throws RangeError when not a safe integer ≥ 0 (a bigint must fit in 64 bits). */
export function assertCounter(counter: unknown, field = 'counter'): asserts counter is number | bigint {
  if (typeof counter === 'bigint') {
    if (counter < 0n || counter > 0xffff_ffff_ffff_ffffn) throw new RangeError(`${field} must fit in 64 unsigned bits`);
    return;
  }
  if (typeof counter !== 'number' || !Number.isSafeInteger(counter) || counter < 0) {
    throw new RangeError(`${field} must be a non-negative safe integer or bigint, got ${String(counter)}`);
  }
}
