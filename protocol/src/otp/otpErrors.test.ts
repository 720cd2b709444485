/** Argument guards of the OTP core: each mistake is a RangeError/TypeError that names the field. */
import { describe, expect, it } from 'vitest';
import { createOtpKey, generateHotp, generateTotp, MAX_VERIFY_WINDOW, totpStep, verifyTotp, type OtpKey } from './index.js';

const secret = new Uint8Array(20).fill(1);

describe('OTP argument errors', () => {
  it.each([0, 15, 65, 100])('a %i-byte secret is a RangeError naming "secret"', (n) => {
    const bad = new Uint8Array(n);
    const message = `secret must be 16 to 64 bytes, got ${n}`;
    expect(() => generateHotp({ secret: bad, counter: 0 })).toThrow(new RangeError(message));
    expect(() => createOtpKey({ secret: bad })).toThrow(new RangeError(message));
    expect(() => generateTotp({ secret: bad, time: 0 })).toThrow(new RangeError(message));
    expect(() => verifyTotp({ secret: bad, code: '123456', time: 0 })).toThrow(new RangeError(message));
  });

  it('16 and 64 bytes are the inclusive bounds', () => {
    expect(generateHotp({ secret: new Uint8Array(16), counter: 0 })).toMatch(/^\d{6}$/);
    expect(createOtpKey({ secret: new Uint8Array(64), algorithm: 'sha512' }).codeAt(0)).toMatch(/^\d{6}$/);
  });

  it('a secret that is not bytes is a TypeError', () => {
    expect(() => createOtpKey({ secret: 'abc' as unknown as Uint8Array })).toThrow(new TypeError('secret must be a Uint8Array'));
  });

  it('digits, algorithm, period, counter and time are each named', () => {
    expect(() => generateHotp({ secret, counter: 0, digits: 9 as never })).toThrow(/^digits must be 6, 7 or 8, got 9$/);
    expect(() => createOtpKey({ secret, digits: 5 as never })).toThrow(RangeError);
    expect(() => generateHotp({ secret, counter: 0, algorithm: 'md5' as never })).toThrow(/^algorithm must be one of sha1, sha256, sha512, got md5$/);
    expect(() => generateTotp({ secret, time: 0, period: 0 })).toThrow(/^period must be an integer from 1 to 3600 seconds, got 0$/);
    expect(() => totpStep({ time: 0, period: 3601 })).toThrow(/^period/);
    expect(() => totpStep({ time: 0, period: 1.5 })).toThrow(/^period/);
    expect(() => generateHotp({ secret, counter: -1 })).toThrow(/^counter must be/);
    expect(() => generateHotp({ secret, counter: 2 ** 53 })).toThrow(/^counter must be/);
    expect(() => generateHotp({ secret, counter: 1.5 })).toThrow(/^counter must be/);
    expect(() => generateHotp({ secret, counter: 2n ** 64n })).toThrow(/^counter must fit in 64 unsigned bits$/);
    expect(() => totpStep({ time: Number.NaN })).toThrow(/^time must be a finite number/);
    expect(() => totpStep({ time: 10, t0: 20 })).toThrow(/^time \(10\) must not be before t0 \(20\)$/);
    expect(() => totpStep({ time: 0, t0: Number.POSITIVE_INFINITY })).toThrow(/^t0 must be/);
  });

  it('the largest counters are accepted: bigint up to 2^64-1, numbers up to 2^53-1', () => {
    expect(generateHotp({ secret, counter: 2n ** 64n - 1n })).toMatch(/^\d{6}$/);
    const key = createOtpKey({ secret });
    expect(key.codeAt(Number.MAX_SAFE_INTEGER)).toBe(generateHotp({ secret, counter: Number.MAX_SAFE_INTEGER }));
    expect(() => key.valueAt(Number.MAX_SAFE_INTEGER + 1)).toThrow(/^counter must be a non-negative safe integer/);
    expect(() => key.valueAt(-1)).toThrow(RangeError);
  });

  it('verifyTotp bounds its window and offset and reports malformed codes', () => {
    expect(() => verifyTotp({ secret, code: '123456', time: 0, window: MAX_VERIFY_WINDOW + 1 })).toThrow(/^window must be an integer from 0 to/);
    expect(() => verifyTotp({ secret, code: '123456', time: 0, window: -1 })).toThrow(/^window/);
    expect(() => verifyTotp({ secret, code: '123456', time: 0, expectedOffset: 0.5 })).toThrow(/^expectedOffset/);
    for (const code of ['12345', '1234567', '12345a', ' 123456', '１２３４５６']) {
      expect(verifyTotp({ secret, code, time: 1_000_000 })).toEqual({ ok: false, reason: 'malformed' });
    }
  });

  it('a disposed key zeroes its state and refuses further use', () => {
    const key: OtpKey = createOtpKey({ secret });
    expect(key.codeAt(1)).toBe(generateHotp({ secret, counter: 1 }));
    key.dispose();
    key.dispose();
    expect(() => key.codeAt(1)).toThrow('OtpKey used after dispose()');
    expect(() => verifyTotp({ secret: key, code: '123456', time: 0 })).toThrow(/after dispose/);
  });

  it('error messages never contain the secret', () => {
    const secretHex = Buffer.from(secret).toString('hex');
    for (const fn of [() => generateHotp({ secret, counter: -1 }), () => createOtpKey({ secret, digits: 9 as never })]) {
      expect(fn).toThrow();
      try { fn(); } catch (e) { expect((e as Error).message).not.toContain(secretHex); }
    }
  });
});
