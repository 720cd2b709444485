/**
 * Property tests: the OTP core against a straightforward node:crypto reference (RFC 4226 §5
 * written out longhand with BigInt counters), over random secrets of every allowed length, every
 * algorithm and digit count, and counters across the whole safe-integer range, with extra weight
 * on the 2^31 / 2^32 boundaries where signed shifts go wrong.
 */
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createOtpKey, generateHotp, generateTotp, verifyTotp, type OtpAlgorithm, type OtpDigits } from './index.js';

function referenceHotp(secret: Uint8Array, counter: number, algorithm: OtpAlgorithm, digits: number): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm, secret).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

const secretArb = fc.integer({ min: 16, max: 64 }).chain((n) => fc.uint8Array({ minLength: n, maxLength: n }));
const algorithmArb = fc.constantFrom<OtpAlgorithm>('sha1', 'sha256', 'sha512');
const digitsArb = fc.constantFrom<OtpDigits>(6, 7, 8);
const boundary = (b: number) => fc.integer({ min: -3, max: 3 }).map((d) => b + d);
const counterArb = fc.oneof(
  fc.integer({ min: 0, max: 1_000_000 }),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  boundary(2 ** 31), boundary(2 ** 32), boundary(2 ** 48),
  fc.integer({ min: Number.MAX_SAFE_INTEGER - 1000, max: Number.MAX_SAFE_INTEGER }),
);

describe('OTP core vs a node:crypto reference', () => {
  it('generateHotp and createOtpKey agree with the reference for any secret, algorithm, digits and counter', () => {
    fc.assert(
      fc.property(secretArb, algorithmArb, digitsArb, counterArb, (secret, algorithm, digits, counter) => {
        const expected = referenceHotp(secret, counter, algorithm, digits);
        expect(generateHotp({ secret, counter, algorithm, digits })).toBe(expected);
        const key = createOtpKey({ secret, algorithm, digits });
        expect(key.codeAt(counter)).toBe(expected);
        expect(key.valueAt(counter)).toBe(Number(expected));
        key.dispose();
      }),
      { numRuns: 1500 },
    );
  });

  it('one key reused across many counters matches fresh keys (no state leaks between codes)', () => {
    fc.assert(
      fc.property(secretArb, algorithmArb, digitsArb, fc.array(counterArb, { minLength: 2, maxLength: 30 }), (secret, algorithm, digits, counters) => {
        const key = createOtpKey({ secret, algorithm, digits });
        for (const c of counters) expect(key.codeAt(c)).toBe(referenceHotp(secret, c, algorithm, digits));
        key.dispose();
      }),
      { numRuns: 200 },
    );
  });

  it('the key does not depend on the caller keeping its secret buffer intact', () => {
    const secret = new Uint8Array(20).fill(7);
    const key = createOtpKey({ secret });
    const before = key.codeAt(12345);
    secret.fill(0);
    expect(key.codeAt(12345)).toBe(before);
    expect(before).toBe(referenceHotp(new Uint8Array(20).fill(7), 12345, 'sha1', 6));
  });

  it('verifyTotp at the last safe step: the window stops short of 2^53 instead of throwing', () => {
    const secret = new Uint8Array(32).fill(9);
    const last = Number.MAX_SAFE_INTEGER;
    const code = referenceHotp(secret, last, 'sha256', 8);
    expect(verifyTotp({ secret, code, time: last, period: 1, algorithm: 'sha256', digits: 8, window: 3 })).toEqual({ ok: true, step: last, delta: 0 });
    const before = referenceHotp(secret, last - 2, 'sha256', 8);
    const options = { secret, code: before, time: last, period: 1, algorithm: 'sha256', digits: 8, window: 3 } as const;
    expect(verifyTotp({ ...options, expectedOffset: -2 })).toEqual({ ok: true, step: last - 2, delta: -2 });
    // Centred past 2^53 the window is last-1..last+5: the code of last-2 is outside it.
    expect(verifyTotp({ ...options, expectedOffset: 2 })).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('generateTotp is HOTP of floor((time - t0) / period) for any time up to year 2200', () => {
    fc.assert(
      fc.property(secretArb, algorithmArb, digitsArb, fc.integer({ min: 1, max: 3600 }), fc.integer({ min: 0, max: 1_000_000_000 }), fc.double({ min: 0, max: 7_258_118_400, noNaN: true }),
        (secret, algorithm, digits, period, t0, offset) => {
          const time = t0 + offset;
          const step = Math.floor((time - t0) / period);
          expect(generateTotp({ secret, time, period, t0, algorithm, digits })).toBe(referenceHotp(secret, step, algorithm, digits));
        }),
      { numRuns: 500 },
    );
  });

  it('verifyTotp accepts a code generated d steps away iff |d - offset| ≤ window, and reports step and delta', () => {
    fc.assert(
      fc.property(secretArb, algorithmArb, digitsArb, fc.integer({ min: 1, max: 3600 }), fc.integer({ min: 0, max: 7_258_118_400 }),
        fc.integer({ min: -6, max: 6 }), fc.integer({ min: -3, max: 3 }), fc.integer({ min: 0, max: 3 }),
        (secret, algorithm, digits, period, time, d, expectedOffset, window) => {
          const now = Math.floor(time / period);
          fc.pre(now + d >= 0);
          const code = referenceHotp(secret, now + d, algorithm, digits);
          const result = verifyTotp({ secret, code, time, period, algorithm, digits, window, expectedOffset });
          if (Math.abs(d - expectedOffset) <= window) {
            expect(result.ok).toBe(true);
            if (result.ok) {
              // Another step in the window may share the code (1 in 10^digits); it is never farther from the centre.
              expect(referenceHotp(secret, result.step, algorithm, digits)).toBe(code);
              expect(result.delta).toBe(result.step - now);
              expect(Math.abs(result.delta - expectedOffset)).toBeLessThanOrEqual(Math.abs(d - expectedOffset));
            }
          } else if (result.ok) {
            // Only a genuine collision with an in-window step may be accepted.
            expect(referenceHotp(secret, result.step, algorithm, digits)).toBe(code);
            expect(Math.abs(result.delta - expectedOffset)).toBeLessThanOrEqual(window);
          } else {
            expect(result).toEqual({ ok: false, reason: 'mismatch' });
          }
        }),
      { numRuns: 500 },
    );
  });
});
