import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isProtocolError } from '../errors.js';
import { decodeHex, encodeHex } from '../otp/hex.js';
import { decodeCobs, encodeCobs, maxCobsEncodedLength } from './cobs.js';
import { loadFrameVectors } from './_vectors.js';

const vectors = loadFrameVectors();

describe('COBS', () => {
  it.each(vectors.cobs.map((c) => [c.note, c] as const))('vector: %s', (_note, c) => {
    expect(encodeHex(encodeCobs(decodeHex(c.decodedHex)))).toBe(c.encodedHex);
    expect(encodeHex(decodeCobs(decodeHex(c.encodedHex)))).toBe(c.decodedHex);
  });

  it('round-trips any bytes; the encoding has no 0x00 and stays within the overhead bound', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1200 }), (data) => {
        const encoded = encodeCobs(data);
        expect(encoded.includes(0)).toBe(false);
        expect(encoded.length).toBeLessThanOrEqual(maxCobsEncodedLength(data.length));
        expect(decodeCobs(encoded)).toEqual(data);
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips zero-heavy and zero-free data (the group boundaries)', () => {
    const bytes = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 255 }));
    fc.assert(
      fc.property(fc.array(bytes, { maxLength: 800 }), (arr) => {
        const data = Uint8Array.from(arr);
        expect(decodeCobs(encodeCobs(data))).toEqual(data);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects a 0x00 inside and a group running past the end', () => {
    expect(() => decodeCobs(Uint8Array.of(0x03, 0x11, 0x00))).toThrow(expect.objectContaining({ code: 'BAD_FRAME', reason: 'cobs' }));
    expect(() => decodeCobs(Uint8Array.of(0x05, 0x11, 0x22))).toThrow(expect.objectContaining({ reason: 'cobs' }));
  });

  it('stops at the output bound before building a larger result', () => {
    const encoded = encodeCobs(new Uint8Array(300).fill(7));
    expect(decodeCobs(encoded, 300)).toHaveLength(300);
    try {
      decodeCobs(encoded, 299);
      expect.unreachable();
    } catch (e) {
      expect(isProtocolError(e, 'BAD_FRAME')).toBe(true);
      expect((e as { reason: string }).reason).toBe('oversize');
    }
  });
});
