/** Every RFC 4226 Appendix D and RFC 6238 Appendix B vector, through every public code path. */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createOtpKey, dynamicTruncate, encodeCounter, encodeHex, generateHotp, generateTotp, totpStep, verifyTotp } from './index.js';
import { loadRfcVectors } from './vectors/rfcVectors.js';

const { hotp, totp } = loadRfcVectors();

describe('RFC 4226 Appendix D', () => {
  it('names its source', () => expect(hotp.source).toMatch(/RFC 4226/));
  it.each(hotp.vectors)('counter $counter: HMAC, truncation and HOTP value', (v) => {
    const mac = createHmac('sha1', hotp.secret).update(encodeCounter(v.counter)).digest();
    expect(encodeHex(mac)).toBe(v.hmac);
    expect(dynamicTruncate(mac)).toBe(v.truncated);
    expect(generateHotp({ secret: hotp.secret, counter: v.counter, digits: hotp.digits })).toBe(v.hotp);
    expect(generateHotp({ secret: hotp.secret, counter: BigInt(v.counter) })).toBe(v.hotp);
  });
  it('createOtpKey gives the same codes, reusing one key for all counters', () => {
    const key = createOtpKey({ secret: hotp.secret, algorithm: hotp.algorithm, digits: hotp.digits });
    for (const v of hotp.vectors) {
      expect(key.codeAt(v.counter)).toBe(v.hotp);
      expect(key.valueAt(v.counter)).toBe(Number(v.hotp));
    }
    key.dispose();
  });
});

describe('RFC 6238 Appendix B', () => {
  it('names its source and covers all three hashes with their own seed lengths', () => {
    expect(totp.source).toMatch(/RFC 6238/);
    expect([totp.seeds.sha1.length, totp.seeds.sha256.length, totp.seeds.sha512.length]).toEqual([20, 32, 64]);
    expect(new Set(totp.vectors.map((v) => v.algorithm))).toEqual(new Set(['sha1', 'sha256', 'sha512']));
    expect(totp.vectors).toHaveLength(18);
  });
  it.each(totp.vectors)('$utc $algorithm → $totp', (v) => {
    const { period, t0, digits } = totp;
    const secret = totp.seeds[v.algorithm];
    expect(new Date(v.time * 1000).toISOString().replace('T', ' ').slice(0, 19)).toBe(v.utc);
    const step = totpStep({ time: v.time, period, t0 });
    expect(step.toString(16).toUpperCase().padStart(16, '0')).toBe(v.step);
    expect(generateTotp({ secret, time: v.time, period, t0, digits, algorithm: v.algorithm })).toBe(v.totp);
    const key = createOtpKey({ secret, algorithm: v.algorithm, digits });
    expect(key.codeAt(step)).toBe(v.totp);
    expect(verifyTotp({ secret: key, code: v.totp, time: v.time, period, t0, window: 0 })).toEqual({ ok: true, step, delta: 0 });
    // One period later the same code is the previous step's: accepted with delta -1 in a window of 1.
    expect(verifyTotp({ secret, code: v.totp, time: v.time + period, period, t0, algorithm: v.algorithm, digits })).toEqual({ ok: true, step, delta: -1 });
    key.dispose();
  });
});
