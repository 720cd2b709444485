/**
 * A reusable OTP key: validates the parameters once and computes codes for many counters of
 * one secret. Support scans a day of steps per check and the backend a window per login, so
 * this is the hot path: the HMAC's ipad/opad blocks (RFC 2104 §2) are compressed once here and
 * each code costs two block compressions with no allocation (`valueAt`). `dispose()` zeroes the
 * key state it holds.
 */
import type { CounterMac } from './_counterMac.js';
import { createSha1CounterMac } from './_sha1.js';
import { createSha256CounterMac } from './_sha256.js';
import { createSha512CounterMac } from './_sha512.js';
import { DIGITS_POWER } from './hotp.js';
import {
  assertAlgorithm, assertDigits, assertSecret,
  DEFAULT_ALGORITHM, DEFAULT_DIGITS, type OtpAlgorithm, type OtpDigits,
} from './otpOptions.js';

export interface OtpKeyOptions {
  secret: Uint8Array;
  algorithm?: OtpAlgorithm;
  digits?: OtpDigits;
}

export interface OtpKey {
  readonly algorithm: OtpAlgorithm;
  readonly digits: OtpDigits;
  /** The code for `counter` as an integer below 10^digits (compare numbers, or format it). */
  valueAt(counter: number): number;
  /** The code for `counter` as a zero-padded string. */
  codeAt(counter: number): string;
  /** Zeroes the key state; later calls throw. Calling it twice is harmless. */
  dispose(): void;
}

/** 2^32: splits a safe-integer counter into the two big-endian halves of RFC 4226 §5.1's C. */
const TWO_POW_32 = 0x1_0000_0000;

const MAC_FACTORIES: Record<OtpAlgorithm, (key: Uint8Array) => CounterMac> = {
  sha1: createSha1CounterMac,
  sha256: createSha256CounterMac,
  sha512: createSha512CounterMac,
};

/**
 * Keys the HMAC once for `secret` (which is not retained: only the derived states are).
 * @throws RangeError on a secret outside 16..64 bytes, an unknown algorithm or digit count.
 * @throws TypeError when the secret is not a Uint8Array.
 */
export function createOtpKey(options: OtpKeyOptions): OtpKey {
  const { algorithm = DEFAULT_ALGORITHM, digits = DEFAULT_DIGITS } = options;
  assertSecret(options.secret);
  assertAlgorithm(algorithm);
  assertDigits(digits);
  const mac = MAC_FACTORIES[algorithm](options.secret);
  const modulus = DIGITS_POWER[digits]!;
  let disposed = false;
  const valueAt = (counter: number): number => {
    if (disposed) throw new Error('OtpKey used after dispose()');
    if (!Number.isSafeInteger(counter) || counter < 0) throw new RangeError(`counter must be a non-negative safe integer, got ${String(counter)}`);
    // Division, not `>>`: a shift would truncate to 32 signed bits and lose counters past 2^31.
    // `>>> 0` is ToUint32, i.e. counter mod 2^32, exact for every safe integer.
    const hi = Math.floor(counter / TWO_POW_32) | 0;
    const lo = counter >>> 0 | 0;
    return mac.truncatedAt(hi, lo) % modulus;
  };
  return {
    algorithm,
    digits,
    valueAt,
    codeAt: (counter) => String(valueAt(counter)).padStart(digits, '0'),
    dispose: () => {
      if (disposed) return;
      disposed = true;
      mac.wipe();
    },
  };
}
