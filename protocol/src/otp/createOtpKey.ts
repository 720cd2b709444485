/**
 * A reusable OTP key: validates the parameters once and computes codes for many counters of
 * one secret. Support scans a day of steps per check and the backend a window per login, so
 * this is the hot path. `dispose()` zeroes the key material it holds.
 *
 * NOTE: the first implementation keys node:crypto per code; the precomputed-state fast path
 * replaces the internals without changing this interface.
 */
import { createHmac } from 'node:crypto';
import { dynamicTruncate, DIGITS_POWER, encodeCounter } from './hotp.js';
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
  /** Zeroes the key copy; later calls throw. */
  dispose(): void;
}

/** @throws RangeError on a secret outside 16..64 bytes, an unknown algorithm or digit count. */
export function createOtpKey(options: OtpKeyOptions): OtpKey {
  const { algorithm = DEFAULT_ALGORITHM, digits = DEFAULT_DIGITS } = options;
  assertSecret(options.secret);
  assertAlgorithm(algorithm);
  assertDigits(digits);
  const secret = Uint8Array.from(options.secret);
  const counterBytes = new Uint8Array(8);
  const modulus = DIGITS_POWER[digits]!;
  let disposed = false;
  const valueAt = (counter: number): number => {
    if (disposed) throw new Error('OtpKey used after dispose()');
    if (!Number.isSafeInteger(counter) || counter < 0) throw new RangeError(`counter must be a non-negative safe integer, got ${counter}`);
    encodeCounter(counter, counterBytes);
    return dynamicTruncate(createHmac(algorithm, secret).update(counterBytes).digest()) % modulus;
  };
  return {
    algorithm,
    digits,
    valueAt,
    codeAt: (counter) => String(valueAt(counter)).padStart(digits, '0'),
    dispose: () => {
      secret.fill(0);
      counterBytes.fill(0);
      disposed = true;
    },
  };
}
