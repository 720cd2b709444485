import { describe, expect, it } from 'vitest';
import { generateHotp, generateTotp, verifyTotp, decodeHex } from '../index.js';

const ascii = (s: string) => new TextEncoder().encode(s);

describe('RFC 4226 Appendix D (smoke; the data-file suite covers all vectors)', () => {
  it('counter 0 and 9', () => {
    const secret = ascii('12345678901234567890');
    expect(generateHotp({ secret, counter: 0 })).toBe('755224');
    expect(generateHotp({ secret, counter: 9 })).toBe('520489');
  });
  it('RFC 6238 time 59, 8 digits, 30 s', () => {
    expect(generateTotp({ secret: decodeHex('3132333435363738393031323334353637383930'), time: 59, digits: 8, period: 30 })).toBe('94287082');
  });
  it('verify finds the step and delta', () => {
    const secret = ascii('12345678901234567890');
    const code = generateTotp({ secret, time: 1_000_000 + 60 });
    expect(verifyTotp({ secret, code, time: 1_000_000 })).toEqual({ ok: true, step: Math.floor(1_000_060 / 60), delta: 1 });
    expect(verifyTotp({ secret, code: '12345', time: 1_000_000 })).toEqual({ ok: false, reason: 'malformed' });
  });
});
