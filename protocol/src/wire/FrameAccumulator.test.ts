import fc from 'fast-check';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { concatBytes as concat } from '../session/_bytes.js';
import { encodeCobs } from './cobs.js';
import { MAX_BODY_BYTES, MAX_ENCODED_FRAME_BYTES } from './constants.js';
import { crc32 } from './crc32.js';
import { FrameAccumulator, type DroppedFrame } from './FrameAccumulator.js';
import { FrameDecoder } from './FrameDecoder.js';
import { FrameEncoder } from './FrameEncoder.js';
import { encodeFrame, packFrame, type Frame } from './frame.js';

const frame = (requestId: number, body = Uint8Array.of(0xa0)): Frame => ({ version: 1, flags: 0, type: 2, requestId, body });
/** Splits bytes at the given cut points. */
const chunk = (bytes: Uint8Array, cuts: number[]) => {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let last = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(last, p));
    last = p;
  }
  return out;
};

describe('FrameAccumulator', () => {
  it('delivers the same frames however the stream is chunked', () => {
    const frameArb = fc.record({ version: fc.constant(1), flags: fc.integer({ min: 0, max: 7 }), type: fc.integer({ min: 1, max: 10 }), requestId: fc.integer({ min: 0, max: 0xffff }), body: fc.uint8Array({ maxLength: 300 }) });
    fc.assert(
      fc.property(fc.array(frameArb, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 30 }), (frames, cuts) => {
        const acc = new FrameAccumulator();
        const out = chunk(concat(...frames.map((f) => encodeFrame(f))), cuts).flatMap((c) => acc.push(c));
        expect(out).toEqual(frames);
        expect(acc.stats.frames).toBe(frames.length);
        expect(acc.stats.droppedBytes).toBe(0);
        expect(acc.bufferedBytes).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('resynchronises at the next delimiter after garbage, counting what it dropped', () => {
    const drops: DroppedFrame[] = [];
    const acc = new FrameAccumulator({ onDrop: (d) => drops.push(d) });
    // Plug-in noise without a delimiter runs into the first frame: that frame is lost, the next survives.
    const noise = Uint8Array.of(0x13, 0x37, 0xfe);
    const out = acc.push(concat(noise, encodeFrame(frame(1)), encodeFrame(frame(2))));
    expect(out.map((f) => f.requestId)).toEqual([2]);
    expect(drops).toHaveLength(1);
    expect(acc.stats.droppedBytes).toBe(noise.length + encodeFrame(frame(1)).length - 1);
    // A leading delimiter (the sender's flush) saves the frame.
    const acc2 = new FrameAccumulator();
    expect(acc2.push(concat(noise, encodeFrame(frame(3), { leadingDelimiter: true }))).map((f) => f.requestId)).toEqual([3]);
    expect(acc2.stats.droppedBytes).toBe(3);
  });

  it('drops a frame with a bad CRC, counts it, and decodes the next one', () => {
    const packed = packFrame(frame(1, Uint8Array.of(0xa1, 0x61, 0x78, 0x01)));
    packed[6]! ^= 0x40; // one bit of the body
    const bad = concat(encodeCobs(packed), Uint8Array.of(0));
    const acc = new FrameAccumulator();
    expect(acc.push(concat(bad, encodeFrame(frame(2)))).map((f) => f.requestId)).toEqual([2]);
    expect(acc.stats).toMatchObject({ frames: 1, badCrc: 1, droppedBytes: bad.length - 1 });
  });

  it('never holds more than one maximal encoded frame, whatever it is fed', () => {
    const acc = new FrameAccumulator();
    let max = 0;
    // 1 MiB without a delimiter, in uneven chunks.
    const garbage = new Uint8Array(1 << 20).map((_, i) => (i * 131) % 255 + 1);
    for (let i = 0; i < garbage.length; ) {
      const n = 1 + ((i * 7) % 3001);
      acc.push(garbage.subarray(i, i + n));
      max = Math.max(max, acc.bufferedBytes);
      i += n;
    }
    expect(max).toBeLessThanOrEqual(MAX_ENCODED_FRAME_BYTES);
    expect(acc.maxEncodedBytes).toBe(MAX_ENCODED_FRAME_BYTES);
    expect(acc.stats.oversize).toBe(1);
    expect(acc.stats.droppedBytes).toBe(garbage.length);
    // The next delimiter ends the discard; a good frame right after it is decoded.
    expect(acc.push(concat(Uint8Array.of(0), encodeFrame(frame(7)))).map((f) => f.requestId)).toEqual([7]);
  });

  it('accepts the largest frame and rejects one byte more', () => {
    const largest = frame(1, new Uint8Array(MAX_BODY_BYTES).fill(0x55));
    const acc = new FrameAccumulator();
    expect(acc.push(encodeFrame(largest))).toHaveLength(1);
    const tooBig = new Uint8Array(MAX_BODY_BYTES + 10).fill(0x55);
    tooBig.set([1, 0, 2, 0, 1]);
    new DataView(tooBig.buffer).setUint32(tooBig.length - 4, crc32(tooBig.subarray(0, -4)));
    expect(acc.push(concat(encodeCobs(tooBig), Uint8Array.of(0)))).toHaveLength(0);
    expect(acc.stats.oversize).toBe(1);
  });

  it('reports a foreign protocol version with its header so the receiver can answer UNSUPPORTED', () => {
    const drops: DroppedFrame[] = [];
    const acc = new FrameAccumulator({ onDrop: (d) => drops.push(d) });
    const v2 = packFrame({ version: 1, flags: 0, type: 5, requestId: 77, body: Uint8Array.of(0xa0) });
    v2[0] = 2;
    new DataView(v2.buffer).setUint32(v2.length - 4, crc32(v2.subarray(0, -4)));
    expect(acc.push(concat(encodeCobs(v2), Uint8Array.of(0)))).toHaveLength(0);
    expect(acc.stats.badVersion).toBe(1);
    expect(drops[0]).toMatchObject({ reason: 'version', error: { header: { version: 2, type: 5, requestId: 77 } } });
  });

  it('counts bytes left without a delimiter at the end as incomplete', () => {
    const acc = new FrameAccumulator();
    const wire = encodeFrame(frame(1));
    expect(acc.push(wire.subarray(0, -1))).toHaveLength(0);
    acc.end();
    expect(acc.stats).toMatchObject({ frames: 0, incomplete: 1, droppedBytes: wire.length - 1 });
    expect(acc.bufferedBytes).toBe(0);
  });

  it('honours a smaller maxFrameBytes and validates it', () => {
    const acc = new FrameAccumulator({ maxFrameBytes: 64 });
    expect(acc.push(encodeFrame(frame(1, new Uint8Array(55))))).toHaveLength(1);
    expect(acc.push(encodeFrame(frame(2, new Uint8Array(56))))).toHaveLength(0);
    expect(acc.stats.oversize).toBe(1);
    expect(() => new FrameAccumulator({ maxFrameBytes: 2000 })).toThrow(RangeError);
    expect(() => new FrameAccumulator({ maxFrameBytes: 8 })).toThrow(RangeError);
  });
});

describe('FrameDecoder / FrameEncoder streams', () => {
  it('encoder output is the frames back to back; the decoder finds them among noise, in any chunking', async () => {
    const frames = [frame(1), frame(2, new Uint8Array(900).fill(3)), frame(3)];
    const encoded: Uint8Array[] = [];
    await pipeline(Readable.from(frames), new FrameEncoder({ leadingDelimiter: true }), async (source: AsyncIterable<Buffer>) => {
      for await (const b of source) encoded.push(Uint8Array.from(b));
    });
    expect(concat(...encoded)).toEqual(concat(...frames.map((f) => encodeFrame(f, { leadingDelimiter: true }))));

    // Noise before each frame (ended by the frame's leading 0x00) and a partial frame at the end.
    const noise = Uint8Array.of(0x77, 0x66);
    const all = concat(...frames.flatMap((f) => [noise, encodeFrame(f, { leadingDelimiter: true })]), Uint8Array.of(0x42, 0x43));
    const decoder = new FrameDecoder();
    const drops: DroppedFrame[] = [];
    decoder.on('drop', (d: DroppedFrame) => drops.push(d));
    const got: Frame[] = [];
    await pipeline(Readable.from(chunk(all, [5, 17, 300, 301, 999])), decoder, async (source: AsyncIterable<Frame>) => {
      for await (const f of source) got.push(f);
    });
    expect(got).toEqual(frames);
    expect(decoder.stats).toMatchObject({ frames: 3, badCobs: 3, incomplete: 1, droppedBytes: 3 * noise.length + 2 });
    expect(drops.map((d) => d.reason)).toEqual(['cobs', 'cobs', 'cobs', 'incomplete']);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('the encoder fails the stream on a frame it cannot encode', async () => {
    const encoder = new FrameEncoder();
    await expect(pipeline(Readable.from([frame(1), { ...frame(2), requestId: -1 }]), encoder, async (source: AsyncIterable<Buffer>) => {
      for await (const _ of source) void _;
    })).rejects.toThrow(RangeError);
  });
});
