import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameError } from '../errors.js';
import { decodeHex, encodeHex } from '../otp/hex.js';
import { encodeCobs } from './cobs.js';
import { FrameFlags, MAX_BODY_BYTES, MAX_ENCODED_FRAME_BYTES, MAX_FRAME_BYTES, PROTOCOL_VERSION } from './constants.js';
import { crc32, CRC32_CHECK_VALUE } from './crc32.js';
import { decodeFrame, encodeFrame, encodeFrameHeader, packFrame, unpackFrame, type Frame } from './frame.js';
import { loadFrameVectors } from './_vectors.js';

/** Bitwise reference CRC-32 (reflected 0xEDB88320), independent of node:zlib. */
function referenceCrc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** Frame bytes with a correct CRC, built by hand so that invalid headers and sizes can be made. */
function rawFrame(header: number[], body: Uint8Array): Uint8Array {
  const out = new Uint8Array(header.length + body.length + 4);
  out.set(header);
  out.set(body, header.length);
  new DataView(out.buffer).setUint32(out.length - 4, referenceCrc32(out.subarray(0, out.length - 4)));
  return out;
}

const frameArb: fc.Arbitrary<Frame> = fc.record({
  version: fc.constant(PROTOCOL_VERSION),
  flags: fc.integer({ min: 0, max: 255 }),
  type: fc.integer({ min: 0, max: 255 }),
  requestId: fc.integer({ min: 0, max: 0xffff }),
  body: fc.uint8Array({ maxLength: MAX_BODY_BYTES }),
});

describe('CRC-32', () => {
  it('has the catalogue check value and the vector file agrees', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(CRC32_CHECK_VALUE);
    const v = loadFrameVectors().crc32;
    expect(crc32(decodeHex(v.input)).toString(16)).toBe(v.check);
  });
  it('matches a bitwise reference implementation', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), (data) => {
      expect(crc32(data)).toBe(referenceCrc32(data));
    }), { numRuns: 300 });
  });
});

describe('frames', () => {
  it('round-trip through the wire form for any header and body up to the maximum', () => {
    fc.assert(
      fc.property(frameArb, (frame) => {
        const wire = encodeFrame(frame);
        expect(wire[wire.length - 1]).toBe(0);
        expect(wire.subarray(0, -1).includes(0)).toBe(false);
        expect(wire.length - 1).toBeLessThanOrEqual(MAX_ENCODED_FRAME_BYTES);
        expect(decodeFrame(wire)).toEqual(frame);
      }),
      { numRuns: 300 },
    );
  });

  it('lay out header, body and a big-endian CRC over both', () => {
    const bytes = packFrame({ version: 1, flags: FrameFlags.RESPONSE | FrameFlags.ERROR, type: 0x0a, requestId: 0x1234, body: Uint8Array.of(0xa0) });
    expect(encodeHex(bytes.subarray(0, 6))).toBe('01050a1234a0');
    expect(new DataView(bytes.buffer).getUint32(6)).toBe(referenceCrc32(bytes.subarray(0, 6)));
    expect(encodeHex(encodeFrameHeader({ version: 1, flags: 2, type: 6, requestId: 0xbeef }))).toBe('010206beef');
  });

  it('decodeFrame accepts leading delimiters and an optional trailing one', () => {
    const frame = { version: 1, flags: 0, type: 2, requestId: 9, body: Uint8Array.of(0xa0) };
    const wire = encodeFrame(frame, { leadingDelimiter: true });
    expect(wire[0]).toBe(0);
    expect(decodeFrame(wire)).toEqual(frame);
    expect(decodeFrame(wire.subarray(1, -1))).toEqual(frame);
  });

  const reasonOf = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(FrameError);
      expect((e as FrameError).code).toBe('BAD_FRAME');
      return (e as FrameError).reason;
    }
    return 'accepted';
  };

  it('reject short, corrupted, oversized, badly stuffed and foreign-version frames with a reason', () => {
    const good = packFrame({ version: 1, flags: 0, type: 1, requestId: 1, body: Uint8Array.of(0xa0) });
    expect(reasonOf(() => unpackFrame(good.subarray(0, 8)))).toBe('short');
    const flipped = Uint8Array.from(good);
    flipped[5]! ^= 0x01;
    expect(reasonOf(() => unpackFrame(flipped))).toBe('crc');
    expect(reasonOf(() => decodeFrame(encodeCobs(rawFrame([1, 0, 1, 0, 1], new Uint8Array(MAX_FRAME_BYTES - 8)))))).toBe('oversize');
    expect(reasonOf(() => decodeFrame(encodeCobs(rawFrame([1, 0, 1, 0, 1], new Uint8Array(MAX_FRAME_BYTES - 9)))))).toBe('accepted');
    expect(reasonOf(() => decodeFrame(Uint8Array.of(0x09, 1, 2, 3)))).toBe('cobs');
    expect(reasonOf(() => decodeFrame(new Uint8Array(MAX_ENCODED_FRAME_BYTES + 1).fill(1)))).toBe('oversize');
    try {
      unpackFrame(rawFrame([2, 0, 0x07, 0x12, 0x34], Uint8Array.of(0xa0)));
      expect.unreachable();
    } catch (e) {
      expect((e as FrameError).reason).toBe('version');
      expect((e as FrameError).header).toEqual({ version: 2, flags: 0, type: 7, requestId: 0x1234 });
    }
  });

  it('refuse to encode what cannot be a frame', () => {
    const base = { version: 1, flags: 0, type: 1, requestId: 1, body: new Uint8Array(0) };
    expect(() => encodeFrame({ ...base, body: new Uint8Array(MAX_BODY_BYTES + 1) })).toThrow(RangeError);
    expect(() => encodeFrame({ ...base, requestId: 0x10000 })).toThrow(RangeError);
    expect(() => encodeFrame({ ...base, type: 1.5 })).toThrow(TypeError);
    expect(() => encodeFrame({ ...base, body: [1, 2] as unknown as Uint8Array })).toThrow(TypeError);
  });
});
