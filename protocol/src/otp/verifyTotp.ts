/**
 * TOTP verification over a bounded window of steps around an expected offset (RFC 6238 §5.2),
 * returning why a code failed. The backend keeps each fob's clock drift as an offset in steps,
 * so the window is centred on `currentStep + expectedOffset` rather than on the server's step:
 * a fob that drifted stays valid without widening the window for everyone.
 */
import { createOtpKey, type OtpKey } from './createOtpKey.js';
import { totpStep } from './totp.js';
import { DEFAULT_PERIOD, type OtpAlgorithm, type OtpDigits } from './otpOptions.js';

/** The largest window either side; the support search of a day at 1 s steps still fits. */
export const MAX_VERIFY_WINDOW = 100_000;

export interface VerifyTotpOptions {
  /** The secret, or a key from `createOtpKey` reused across calls. */
  secret: Uint8Array | OtpKey;
  code: string;
  time: number;
  period?: number;
  t0?: number;
  algorithm?: OtpAlgorithm;
  digits?: OtpDigits;
  /** Steps accepted either side of the expected step. Default 1. */
  window?: number;
  /** Where the fob's clock is believed to be, in steps relative to `time`. Default 0. */
  expectedOffset?: number;
}

export type VerifyTotpResult =
  | { ok: true; /** the matching step */ step: number; /** matching step minus the step at `time` */ delta: number }
  | { ok: false; reason: 'malformed' | 'mismatch' };

/**
 * Checks `code` against steps `expected - window .. expected + window`, nearest first, so the
 * most plausible step wins when two steps share a code. Every candidate is compared in
 * constant time and the scan does not stop early on a match.
 * @throws RangeError on bad parameters (secret length, period, window beyond the bound).
 */
export function verifyTotp(options: VerifyTotpOptions): VerifyTotpResult {
  const { code, time, period = DEFAULT_PERIOD, t0 = 0, window = 1, expectedOffset = 0 } = options;
  if (!Number.isSafeInteger(window) || window < 0 || window > MAX_VERIFY_WINDOW) {
    throw new RangeError(`window must be an integer from 0 to ${MAX_VERIFY_WINDOW}, got ${String(window)}`);
  }
  if (!Number.isSafeInteger(expectedOffset)) throw new RangeError(`expectedOffset must be an integer number of steps, got ${String(expectedOffset)}`);
  const owned = options.secret instanceof Uint8Array;
  const key = owned
    ? createOtpKey({ secret: options.secret as Uint8Array, algorithm: options.algorithm, digits: options.digits })
    : (options.secret as OtpKey);
  try {
    const now = totpStep({ time, period, t0 });
    if (typeof code !== 'string' || code.length !== key.digits || !/^[0-9]+$/.test(code)) return { ok: false, reason: 'malformed' };
    // Compared as integers (below 10^8 with at most 8 digits): one XOR per candidate, no string
    // formatting in the loop.
    const want = Number(code);
    let found: number | undefined;
    for (let i = 0; i <= 2 * window; i++) {
      // 0, -1, +1, -2, +2, ...: nearest first.
      const d = i === 0 ? 0 : i % 2 === 1 ? -((i + 1) >> 1) : i >> 1;
      // Sum the small offsets first: `now + expectedOffset` alone may pass 2^53 and round.
      const step = now + (expectedOffset + d);
      // Steps before T0 or past the safe-integer range have no code; a window reaching there just stops short.
      if (step < 0 || step > Number.MAX_SAFE_INTEGER) continue;
      const match = (key.valueAt(step) ^ want) === 0;
      if (match && found === undefined) found = step;
    }
    return found === undefined ? { ok: false, reason: 'mismatch' } : { ok: true, step: found, delta: found - now };
  } finally {
    if (owned) key.dispose();
  }
}
