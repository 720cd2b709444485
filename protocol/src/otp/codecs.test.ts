/** Base32 (RFC 4648 §6) and hex codecs: round trips, RFC examples, leniency where people are, strictness elsewhere. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isProtocolError } from '../errors.js';
import { decodeBase32, decodeHex, encodeBase32, encodeHex } from './index.js';

const ascii = (s: string) => new TextEncoder().encode(s);

function expectInvalid(fn: () => unknown, message: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(isProtocolError(thrown, 'INVALID_ENCODING'), String(thrown)).toBe(true);
  expect((thrown as Error).message).toMatch(message);
}

describe('base32', () => {
  // RFC 4648 §10 test vectors.
  const rfc: [string, string][] = [['', ''], ['f', 'MY======'], ['fo', 'MZXQ===='], ['foo', 'MZXW6==='], ['foob', 'MZXW6YQ='], ['fooba', 'MZXW6YTB'], ['foobar', 'MZXW6YTBOI======']];
  it.each(rfc)('RFC 4648 §10: %j ↔ %s', (plain, encoded) => {
    expect(encodeBase32(ascii(plain), { pad: true })).toBe(encoded);
    expect(encodeBase32(ascii(plain))).toBe(encoded.replace(/=/g, ''));
    expect(decodeBase32(encoded)).toEqual(ascii(plain));
    expect(decodeBase32(encoded.replace(/=/g, ''))).toEqual(ascii(plain));
  });

  it('round-trips any bytes, padded or not, in either case, with spaces and dashes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.boolean(), (bytes, pad) => {
        const text = encodeBase32(bytes, { pad });
        expect(decodeBase32(text)).toEqual(bytes);
        expect(decodeBase32(text.toLowerCase())).toEqual(bytes);
        const grouped = text.replace(/(.{4})/g, '$1 ').replace(/(.{10})/g, '$1-');
        expect(decodeBase32(grouped)).toEqual(bytes);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects characters outside the alphabet, by position, without echoing the secret', () => {
    expectInvalid(() => decodeBase32('JBSWY3DP1HPK3PXP'), /position 9 \(base32 has no 0, 1, 8 or 9\)$/);
    expectInvalid(() => decodeBase32('JBSWY3DP_HPK3PXP'), /invalid base32 character at position 9$/);
    expectInvalid(() => decodeBase32('JBSWY3DPÉHPK3PXP'), /position 9/);
    expectInvalid(() => decodeBase32('MZ=XW6==='), /invalid base32 character at position 3/);
    for (const bad of ['0', '1', '8', '9', '+', '/', '.', '_']) expectInvalid(() => decodeBase32(`MZXW${bad}YTB`), /position 5/);
  });

  it('rejects lengths no encoder produces and wrong padding', () => {
    expectInvalid(() => decodeBase32('MZXW6YTBO'), /truncated base32 \(9 characters\)/);
    expectInvalid(() => decodeBase32('M'), /truncated/);
    expectInvalid(() => decodeBase32('MZX'), /truncated/);
    expectInvalid(() => decodeBase32('MY====='), /wrong base32 padding/);
    expectInvalid(() => decodeBase32('MZXW6YQ=='), /wrong base32 padding/);
    expectInvalid(() => decodeBase32('MZXW6YTB========'), /wrong base32 padding/);
  });

  it('names the field in its errors and guards the type', () => {
    expectInvalid(() => decodeBase32('AB!C', 'secret'), /^secret: /);
    expect(() => decodeBase32(42 as unknown as string, 'secret')).toThrow(new TypeError('secret must be a string'));
  });
});

describe('hex', () => {
  it('round-trips any bytes; lower-case out, either case and spaces in', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const text = encodeHex(bytes);
        expect(text).toMatch(/^[0-9a-f]*$/);
        expect(text).toHaveLength(bytes.length * 2);
        expect(decodeHex(text)).toEqual(bytes);
        expect(decodeHex(text.toUpperCase())).toEqual(bytes);
        expect(decodeHex(text.replace(/(..)/g, '$1 '))).toEqual(bytes);
      }),
      { numRuns: 300 },
    );
    expect(encodeHex(ascii('12345678901234567890'))).toBe('3132333435363738393031323334353637383930');
  });

  it('rejects odd lengths and non-hex characters, by position only', () => {
    expectInvalid(() => decodeHex('313'), /^hex: odd number of hex digits \(3\)$/);
    expectInvalid(() => decodeHex('31g2'), /^hex: invalid hex character at position 3$/);
    expectInvalid(() => decodeHex('0x3132'), /position 2/);
    expectInvalid(() => decodeHex('31-32', 'secret'), /^secret: invalid hex character at position 3$/);
    expect(() => decodeHex(null as unknown as string)).toThrow(TypeError);
  });
});
