/**
 * AES-256-GCM through node:crypto (`_aesGcm.ts`) against @noble/ciphers as the reference:
 * the same ciphertext and tag byte for byte, and every change to key, nonce, AAD, ciphertext or
 * tag refused by both (undefined here, never a throw).
 */
import { gcm } from '@noble/ciphers/aes.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aesGcmOpen, aesGcmSeal } from './_aesGcm.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

function nobleOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | undefined {
  try {
    return gcm(key, nonce, aad).decrypt(sealed);
  } catch {
    return undefined;
  }
}

describe('AES-256-GCM through node:crypto agrees with @noble/ciphers', () => {
  it('the GCM spec test cases 13 and 14 (zero key and nonce)', () => {
    const zero = (n: number): Uint8Array => new Uint8Array(n);
    expect(hex(aesGcmSeal(zero(32), zero(12), zero(0), zero(0)))).toBe('530f8afbc74536b9a963b4f1c4cb738b');
    expect(hex(aesGcmSeal(zero(32), zero(12), zero(0), zero(16)))).toBe('cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919');
  });

  it('seal: byte for byte; open: the plaintext back', () => {
    fc.assert(
      fc.property(bytes(32), bytes(12), fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 1100 }), (key, nonce, aad, plaintext) => {
        const sealed = aesGcmSeal(key, nonce, aad, plaintext);
        expect(hex(sealed)).toBe(hex(gcm(key, nonce, aad).encrypt(plaintext)));
        expect(hex(aesGcmOpen(key, nonce, aad, sealed)!)).toBe(hex(plaintext));
      }),
      { numRuns: 300 },
    );
  });

  it('any changed byte of key, nonce, AAD, ciphertext or tag: both refuse', () => {
    fc.assert(
      fc.property(
        bytes(32), bytes(12), fc.uint8Array({ minLength: 1, maxLength: 20 }), fc.uint8Array({ maxLength: 200 }),
        fc.constantFrom('key', 'nonce', 'aad', 'sealed'), fc.nat(), fc.integer({ min: 1, max: 255 }),
        (key, nonce, aad, plaintext, what, at, xor) => {
          const sealed = aesGcmSeal(key, nonce, aad, plaintext);
          const target = { key, nonce, aad, sealed }[what];
          target[at % target.length]! ^= xor;
          expect(nobleOpen(key, nonce, aad, sealed)).toBeUndefined();
          expect(aesGcmOpen(key, nonce, aad, sealed)).toBeUndefined();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('shorter than a tag, or a truncated tag: refused, never a throw', () => {
    const key = new Uint8Array(32).fill(3);
    const nonce = new Uint8Array(12).fill(4);
    const sealed = aesGcmSeal(key, nonce, new Uint8Array(0), Uint8Array.of(1, 2, 3));
    for (let n = 0; n < sealed.length; n++) expect(aesGcmOpen(key, nonce, new Uint8Array(0), sealed.subarray(0, n))).toBeUndefined();
  });

  it('wrong key or nonce sizes are RangeErrors', () => {
    expect(() => aesGcmSeal(new Uint8Array(16), new Uint8Array(12), new Uint8Array(0), new Uint8Array(1))).toThrow(RangeError);
    expect(() => aesGcmOpen(new Uint8Array(32), new Uint8Array(16), new Uint8Array(0), new Uint8Array(20))).toThrow(RangeError);
  });
});
