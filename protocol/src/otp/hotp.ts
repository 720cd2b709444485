/**
 * HOTP, RFC 4226 §5: HMAC over the 8-byte big-endian counter, dynamic truncation (§5.3), then
 * the low `digits` decimal digits. SHA-256/SHA-512 follow RFC 6238 §1.2's extension.
 *
 * This is the straightforward one-shot path; scanning many counters of one secret should use
 * the precomputed key of `createOtpKey` instead.
 */
import { createHmac } from 'node:crypto';
import {
  assertAlgorithm, assertCounter, assertDigits, assertSecret,
  DEFAULT_ALGORITHM, DEFAULT_DIGITS, type OtpAlgorithm, type OtpDigits,
} from './otpOptions.js';

export interface HotpOptions {
  secret: Uint8Array;
  /** 0 ≤ counter < 2^64; numbers must be safe integers, bigints cover the full range. */
  counter: number | bigint;
  algorithm?: OtpAlgorithm;
  digits?: OtpDigits;
}

/** 10^digits, indexed by digits (6..8). */
export const DIGITS_POWER: readonly number[] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000];

/** The 8-byte big-endian encoding of a counter (RFC 4226 §5.1 "C"). */
export function encodeCounter(counter: number | bigint, out: Uint8Array = new Uint8Array(8)): Uint8Array {
  const view = new DataView(out.buffer, out.byteOffset, 8);
  if (typeof counter === 'bigint') {
    view.setBigUint64(0, counter);
  } else {
    // Division rather than `>>` so counters past 2^31 (and 2^32) keep their high bits.
    view.setUint32(0, Math.floor(counter / 0x1_0000_0000));
    view.setUint32(4, counter >>> 0);
  }
  return out;
}

/** RFC 4226 §5.3 dynamic truncation of an HMAC result to a 31-bit integer. */
export function dynamicTruncate(mac: Uint8Array): number {
  const offset = mac[mac.length - 1]! & 0x0f;
  return (
    ((mac[offset]! & 0x7f) << 24) |
    (mac[offset + 1]! << 16) |
    (mac[offset + 2]! << 8) |
    mac[offset + 3]!
  );
}

/** Left-pads the truncated value to `digits` decimal digits. */
export function formatCode(value: number, digits: OtpDigits): string {
  return String(value % DIGITS_POWER[digits]!).padStart(digits, '0');
}

/**
 * The HOTP value for one counter.
 * @throws RangeError on a secret outside 16..64 bytes, a bad counter, algorithm or digit count.
 */
export function generateHotp(options: HotpOptions): string {
  const { secret, counter, algorithm = DEFAULT_ALGORITHM, digits = DEFAULT_DIGITS } = options;
  assertSecret(secret);
  assertCounter(counter);
  assertAlgorithm(algorithm);
  assertDigits(digits);
  const mac = createHmac(algorithm, secret).update(encodeCounter(counter)).digest();
  return formatCode(dynamicTruncate(mac), digits);
}
