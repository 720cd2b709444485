/**
 * The wire fuzzer behind `npm run fuzz:protocol` (bench/fuzz-protocol.ts) and the short run in
 * fuzz.test.ts. Random and mutated inputs (golden frames with bit flips, truncation, splices,
 * insertions; garbage; overlong runs; bodies mutated under a valid CRC; random CBOR; random
 * headers) go through a long-lived FrameAccumulator in random chunks, through decodeFrame, and
 * every frame through the message decoders. Invariants checked on every input:
 * - nothing but a typed ProtocolError escapes (BAD_FRAME from framing; BAD_MESSAGE or
 *   UNKNOWN_MESSAGE from message decoders);
 * - the accumulator never buffers more than one maximal encoded frame;
 * - whatever a decoder accepts, the matching encoder accepts and round-trips.
 * Deterministic for a given seed, so a failure reproduces from the printed seed and index.
 */
import { isDeepStrictEqual } from 'node:util';
import { Encoder } from 'cbor-x';
import { ProtocolError } from '../errors.js';
import { decodeHex, encodeHex } from '../otp/hex.js';
import { encodeCobs } from './cobs.js';
import { FrameFlags, MAX_BODY_BYTES, MAX_ENCODED_FRAME_BYTES } from './constants.js';
import { crc32 } from './crc32.js';
import { FrameAccumulator, type FrameDecoderStats } from './FrameAccumulator.js';
import { decodeFrame, encodeFrame, packFrame, unpackFrame, type Frame } from './frame.js';
import { decodeErrorBody, decodeRequest, decodeResponse, encodeErrorBody, encodeRequest, encodeResponse } from './messageCodec.js';
import { ERROR_BODY_SCHEMA, MESSAGE_DEFINITIONS } from './schema.js';
import { concatBytes } from '../session/_bytes.js';
import { buildFrameVectors } from './_vectors.js';

export const STRATEGIES = ['bitflip', 'byteset', 'truncate', 'splice', 'insert', 'garbage', 'overlong', 'body', 'cbor', 'header'] as const;
export type Strategy = (typeof STRATEGIES)[number];

export interface WireFuzzOptions {
  inputs: number;
  seed?: number;
  /** Called every `progressEvery` inputs. */
  onProgress?: (done: number) => void;
  progressEvery?: number;
}

export interface WireFuzzReport {
  seed: number;
  inputs: number;
  bytes: number;
  byStrategy: Record<Strategy, number>;
  stream: FrameDecoderStats;
  /** decodeFrame on each whole input. */
  decodeFrame: { ok: number; rejected: Record<string, number> };
  messages: { ok: number; rejected: Record<string, number>; secureSkipped: number };
  maxBufferedBytes: number;
  /** Slowest single input, in milliseconds (a hang guard, not a performance figure). */
  slowestInputMs: number;
}

/** An invariant broke: carries what is needed to reproduce it. */
export class FuzzFailure extends Error {
  override readonly name = 'FuzzFailure';
  constructor(message: string, readonly detail: { seed: number; index: number; strategy: Strategy; inputHex: string }, options?: { cause?: unknown }) {
    super(`${message} (seed ${detail.seed}, input #${detail.index}, strategy ${detail.strategy}, input ${detail.inputHex.slice(0, 400)})`, options);
  }
}

/** mulberry32: small, fast, good enough to drive a fuzzer reproducibly. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: <T>(xs: readonly T[]): T => xs[int(xs.length)]! };
}
type Rng = ReturnType<typeof prng>;

/** Every key of every schema: random maps mostly use real keys so that the validators are reached. */
const FIELD_NAMES: readonly string[] = [
  ...new Set([...MESSAGE_DEFINITIONS.values()].flatMap((d) => [...Object.keys(d.request), ...Object.keys(d.response)]).concat(Object.keys(ERROR_BODY_SCHEMA))),
];

const cbor = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false, variableMapSize: true });

function randomBytes(rng: Rng, n: number, zeroChance: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.next() < zeroChance ? 0 : 1 + rng.int(255);
  return out;
}

function randomValue(rng: Rng, depth: number): unknown {
  switch (rng.int(depth > 2 ? 9 : 12)) {
    case 0: return rng.int(300);
    case 1: return rng.pick([0, 1, 23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 53, -1, -(2 ** 31), 1.5, -0, NaN, Infinity, 1e300]);
    case 2: return rng.next() * 2 ** 33 - 2 ** 31;
    case 3: return String.fromCharCode(...Array.from({ length: rng.int(40) }, () => rng.int(0x80)));
    case 4: return rng.pick(['blank', 'serialised', 'programmed', 'locked', 'sha1', 'sha256', 'WIPE', 'FK00000013', '123456', 'é€😀', '']);
    case 5: return randomBytes(rng, rng.pick([0, 8, 15, 16, 17, 32, 64, 65, 300]), 0.3);
    case 6: return rng.next() < 0.5;
    case 7: return null;
    case 8: return BigInt(rng.int(1000)) * 10n ** 15n;
    case 9: return Array.from({ length: rng.int(20) }, () => randomValue(rng, depth + 1));
    case 10: return randomObject(rng, depth + 1);
    default: return new Map([[rng.int(5), randomValue(rng, depth + 1)]]);
  }
}

function randomObject(rng: Rng, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const n = rng.int(12);
  for (let i = 0; i < n; i++) out[rng.next() < 0.85 ? rng.pick(FIELD_NAMES) : `k${rng.int(50)}`] = randomValue(rng, depth);
  return out;
}

/** Mutations of a byte string (used on wire frames and on bodies). */
function mutate(rng: Rng, input: Uint8Array, kind: 'bitflip' | 'byteset' | 'truncate' | 'insert'): Uint8Array {
  const out = Uint8Array.from(input);
  if (out.length === 0) return randomBytes(rng, 1 + rng.int(8), 0.2);
  switch (kind) {
    case 'bitflip':
      for (let k = 1 + rng.int(4); k > 0; k--) out[rng.int(out.length)]! ^= 1 << rng.int(8);
      return out;
    case 'byteset':
      for (let k = 1 + rng.int(4); k > 0; k--) out[rng.int(out.length)] = rng.pick([0, 1, 0xff, 0x7f, 0x80, 0xa0, 0xbf, 0x1b, 0x5b, rng.int(256)]);
      return out;
    case 'truncate': {
      const start = rng.next() < 0.5 ? 0 : rng.int(out.length);
      return out.slice(start, start + rng.int(out.length - start + 1));
    }
    case 'insert': {
      const at = rng.int(out.length + 1);
      return concatBytes(out.subarray(0, at), randomBytes(rng, 1 + rng.int(16), 0.1), out.subarray(at));
    }
  }
}

interface Corpus {
  wire: Uint8Array[];
  frames: Frame[];
}

function buildCorpus(): Corpus {
  const v = buildFrameVectors();
  const all = [...v.messages, ...v.errors].flatMap((m) => [m.request, m.response]);
  return { wire: all.map((f) => decodeHex(f.wireHex)), frames: all.map((f) => unpackFrame(decodeHex(f.frameHex))) };
}

function makeInput(rng: Rng, corpus: Corpus, strategy: Strategy): Uint8Array {
  switch (strategy) {
    case 'bitflip':
    case 'byteset':
    case 'truncate':
    case 'insert':
      return mutate(rng, rng.pick(corpus.wire), strategy);
    case 'splice': {
      const parts: Uint8Array[] = [];
      for (let k = 2 + rng.int(2); k > 0; k--) {
        const w = rng.pick(corpus.wire);
        const a = rng.int(w.length);
        parts.push(w.subarray(a, a + 1 + rng.int(w.length - a)));
      }
      return concatBytes(...parts);
    }
    case 'garbage':
      return randomBytes(rng, rng.int(2500), rng.pick([0, 0.002, 0.02, 0.2]));
    case 'overlong':
      return concatBytes(randomBytes(rng, MAX_ENCODED_FRAME_BYTES - 4 + rng.int(3000), 0), Uint8Array.of(0), rng.pick(corpus.wire));
    case 'body': {
      const f = rng.pick(corpus.frames);
      const kind = rng.pick(['bitflip', 'byteset', 'truncate', 'insert'] as const);
      return encodeFrame({ ...f, flags: f.flags & ~FrameFlags.SECURE, body: mutate(rng, f.body, kind).subarray(0, MAX_BODY_BYTES) });
    }
    case 'cbor': {
      const body = Uint8Array.from(cbor.encode(rng.next() < 0.9 ? randomObject(rng, 0) : randomValue(rng, 0))).subarray(0, MAX_BODY_BYTES);
      return encodeFrame({ version: 1, flags: rng.pick([0, FrameFlags.RESPONSE, FrameFlags.RESPONSE | FrameFlags.ERROR]), type: 1 + rng.int(rng.next() < 0.9 ? 10 : 255), requestId: rng.int(65536), body });
    }
    case 'header': {
      // Any header over a golden body, with a valid CRC, so that header checks are what decide.
      const f = rng.pick(corpus.frames);
      const packed = packFrame({ ...f, flags: rng.int(256), type: rng.int(256), requestId: rng.int(65536) });
      if (rng.next() < 0.3) {
        packed[0] = rng.int(256);
        new DataView(packed.buffer).setUint32(packed.length - 4, crc32(packed.subarray(0, packed.length - 4)));
      }
      return concatBytes(encodeCobs(packed), Uint8Array.of(0));
    }
  }
}

type Check = (what: string, f: () => void) => void;

/** Runs every message decoder that applies to a frame and checks the accept ⇒ re-encode invariant. */
function decodeMessages(frame: Frame, report: WireFuzzReport, check: Check): void {
  if (frame.flags & FrameFlags.SECURE) {
    report.messages.secureSkipped++;
    return;
  }
  const attempt = (what: string, decode: () => unknown, reencode: (value: never) => Uint8Array, redecode: (bytes: Uint8Array) => unknown) => {
    check(what, () => {
      let value: unknown;
      try {
        value = decode();
      } catch (e) {
        if (e instanceof ProtocolError && (e.code === 'BAD_MESSAGE' || e.code === 'UNKNOWN_MESSAGE')) {
          report.messages.rejected[e.code] = (report.messages.rejected[e.code] ?? 0) + 1;
          return;
        }
        throw e;
      }
      report.messages.ok++;
      const again = redecode(reencode(value as never));
      if (!isDeepStrictEqual(again, value)) throw new Error(`${what}: accepted value does not round-trip`);
    });
  };
  const t = frame.type;
  if (frame.flags & FrameFlags.ERROR) {
    attempt('decodeErrorBody', () => decodeErrorBody(frame.body), (v) => encodeErrorBody(v), decodeErrorBody);
  } else if (frame.flags & FrameFlags.RESPONSE) {
    attempt('decodeResponse', () => decodeResponse(t, frame.body), (v) => encodeResponse(t as never, v), (b) => decodeResponse(t, b));
  } else {
    attempt('decodeRequest', () => decodeRequest(t, frame.body), (v) => encodeRequest(t as never, v), (b) => decodeRequest(t, b));
  }
}

/** Runs the fuzzer. @throws FuzzFailure when an invariant breaks. */
export function runWireFuzz(options: WireFuzzOptions): WireFuzzReport {
  const seed = options.seed ?? 1;
  const rng = prng(seed);
  const corpus = buildCorpus();
  const stream = new FrameAccumulator();
  const report: WireFuzzReport = {
    seed,
    inputs: 0,
    bytes: 0,
    byStrategy: Object.fromEntries(STRATEGIES.map((s) => [s, 0])) as Record<Strategy, number>,
    stream: stream.stats,
    decodeFrame: { ok: 0, rejected: {} },
    messages: { ok: 0, rejected: {}, secureSkipped: 0 },
    maxBufferedBytes: 0,
    slowestInputMs: 0,
  };
  const every = options.progressEvery ?? 100_000;
  for (let index = 0; index < options.inputs; index++) {
    const strategy = STRATEGIES[rng.int(STRATEGIES.length)]!;
    const input = makeInput(rng, corpus, strategy);
    const started = performance.now();
    const check: Check = (what, f) => {
      try {
        f();
      } catch (e) {
        if (e instanceof FuzzFailure) throw e;
        throw new FuzzFailure(`${what}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`, { seed, index, strategy, inputHex: encodeHex(input) }, { cause: e });
      }
    };

    // 1. The whole input as one frame.
    check('decodeFrame', () => {
      try {
        const frame = decodeFrame(input);
        report.decodeFrame.ok++;
        decodeMessages(frame, report, check);
      } catch (e) {
        if (e instanceof FuzzFailure) throw e;
        if (!(e instanceof ProtocolError) || e.code !== 'BAD_FRAME') throw e;
        const reason = (e as { reason?: string }).reason ?? '?';
        report.decodeFrame.rejected[reason] = (report.decodeFrame.rejected[reason] ?? 0) + 1;
      }
    });

    // 2. The input through the long-lived stream decoder, in random chunks.
    check('FrameAccumulator', () => {
      for (let at = 0; at < input.length; ) {
        const n = 1 + rng.int(rng.next() < 0.5 ? 64 : input.length);
        for (const frame of stream.push(input.subarray(at, at + n))) {
          const again = decodeFrame(encodeFrame(frame));
          if (!isDeepStrictEqual({ ...again, body: Array.from(again.body) }, { ...frame, body: Array.from(frame.body) })) throw new Error('a decoded frame does not round-trip');
          decodeMessages(frame, report, check);
        }
        if (stream.bufferedBytes > MAX_ENCODED_FRAME_BYTES) throw new Error(`buffer grew to ${stream.bufferedBytes} bytes`);
        report.maxBufferedBytes = Math.max(report.maxBufferedBytes, stream.bufferedBytes);
        at += n;
      }
      if (rng.next() < 0.5) stream.push(Uint8Array.of(0)); // sometimes let state carry into the next input
    });

    const elapsed = performance.now() - started;
    if (elapsed > report.slowestInputMs) report.slowestInputMs = elapsed;
    report.inputs++;
    report.bytes += input.length;
    report.byStrategy[strategy]++;
    if (options.onProgress && (index + 1) % every === 0) options.onProgress(index + 1);
  }
  stream.end();
  return report;
}
