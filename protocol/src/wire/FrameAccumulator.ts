/**
 * Turns a byte stream into frames without streams (SPEC.md "Framing", receiving). Used by the
 * FrameDecoder Transform, the simulator's control loop and the in-memory transport.
 *
 * Resynchronisation: every 0x00 ends a frame attempt. Garbage, a bad CRC, bad COBS or a run too
 * long to be a frame drop the bytes up to the next 0x00 and decoding resumes after it. The buffer
 * never holds more than the largest encoded frame (1029 bytes), whatever it is fed: a run longer
 * than that is counted once as `oversize` and skipped without being stored.
 */
import { FrameError, type FrameErrorReason } from '../errors.js';
import { tryDecodeCobs } from './cobs.js';
import { FRAME_DELIMITER, MAX_FRAME_BYTES, MIN_FRAME_BYTES } from './constants.js';
import { frameErrorOf, tryUnpackFrame, type Frame, type FrameRejection } from './frame.js';

/** What a decoder counted since it was created. */
export interface FrameDecoderStats {
  /** Frames decoded and delivered. */
  frames: number;
  /** Every byte pushed, delimiters included. */
  bytesIn: number;
  /** Non-delimiter bytes that did not become a frame. */
  droppedBytes: number;
  badCobs: number;
  badCrc: number;
  /** Runs longer than the largest encoded frame, or decoding to more than the maximum frame. */
  oversize: number;
  /** Runs decoding to fewer than 9 bytes. */
  short: number;
  /** Frames with a good CRC but a protocol version this side does not speak. */
  badVersion: number;
  /** Bytes without a closing delimiter when the stream ended (counted once per end). */
  incomplete: number;
}

/** One dropped frame attempt, reported to `onDrop`. */
export interface DroppedFrame {
  reason: FrameErrorReason | 'incomplete';
  /** Encoded bytes discarded (without delimiters). */
  bytes: number;
  /** The decoding error; for 'version' its `header` lets a receiver answer UNSUPPORTED. */
  error?: FrameError;
}

export interface FrameAccumulatorOptions {
  /** Largest decoded frame accepted, MIN_FRAME_BYTES..MAX_FRAME_BYTES (default MAX_FRAME_BYTES). */
  maxFrameBytes?: number;
  /** Called synchronously for every dropped frame attempt. */
  onDrop?: (drop: DroppedFrame) => void;
}

const statKey: Record<FrameErrorReason, keyof FrameDecoderStats> = {
  cobs: 'badCobs',
  crc: 'badCrc',
  oversize: 'oversize',
  short: 'short',
  version: 'badVersion',
};

export class FrameAccumulator {
  readonly stats: FrameDecoderStats = { frames: 0, bytesIn: 0, droppedBytes: 0, badCobs: 0, badCrc: 0, oversize: 0, short: 0, badVersion: 0, incomplete: 0 };
  /** Largest decoded frame accepted. */
  readonly maxFrameBytes: number;
  /** Largest encoded run held: the bound of {@link bufferedBytes}. */
  readonly maxEncodedBytes: number;
  readonly #buffer: Uint8Array;
  readonly #onDrop: ((drop: DroppedFrame) => void) | undefined;
  #length = 0;
  #discarding = false;

  /** @throws RangeError when `maxFrameBytes` is out of range. */
  constructor(options: FrameAccumulatorOptions = {}) {
    const max = options.maxFrameBytes ?? MAX_FRAME_BYTES;
    if (!Number.isInteger(max) || max < MIN_FRAME_BYTES || max > MAX_FRAME_BYTES) {
      throw new RangeError(`maxFrameBytes must be an integer ${MIN_FRAME_BYTES}..${MAX_FRAME_BYTES}, got ${max}`);
    }
    this.maxFrameBytes = max;
    this.maxEncodedBytes = max + Math.ceil(max / 254);
    this.#buffer = new Uint8Array(this.maxEncodedBytes);
    this.#onDrop = options.onDrop;
  }

  /** Bytes of an unfinished frame held now; never above {@link maxEncodedBytes}. */
  get bufferedBytes(): number {
    return this.#length;
  }

  /**
   * Feeds bytes; returns the frames they complete, in order. Never throws on bad input (drops
   * are counted in {@link stats} and reported to `onDrop`).
   * @throws TypeError when `chunk` is not a Uint8Array.
   */
  push(chunk: Uint8Array): Frame[] {
    if (!(chunk instanceof Uint8Array)) throw new TypeError('chunk must be a Uint8Array');
    this.stats.bytesIn += chunk.length;
    const frames: Frame[] = [];
    let i = 0;
    while (i < chunk.length) {
      const delimiterAt = chunk.indexOf(FRAME_DELIMITER, i);
      const segmentEnd = delimiterAt === -1 ? chunk.length : delimiterAt;
      const segment = chunk.subarray(i, segmentEnd);
      if (this.#discarding) {
        this.stats.droppedBytes += segment.length;
      } else if (this.#length + segment.length > this.maxEncodedBytes) {
        // Too long to be a frame whatever follows: stop storing until the next delimiter.
        const bytes = this.#length + segment.length;
        this.#length = 0;
        this.#discarding = true;
        this.#drop({ reason: 'oversize' }, bytes, () => new FrameError('oversize', `run of more than ${this.maxEncodedBytes} bytes without a delimiter`));
      } else if (delimiterAt !== -1 && this.#length === 0) {
        if (segment.length > 0) this.#decode(segment, frames);
      } else {
        this.#buffer.set(segment, this.#length);
        this.#length += segment.length;
      }
      if (delimiterAt === -1) break;
      if (this.#discarding) {
        this.#discarding = false;
      } else if (this.#length > 0) {
        const held = this.#buffer.subarray(0, this.#length);
        this.#length = 0;
        this.#decode(held, frames);
      }
      i = delimiterAt + 1;
    }
    return frames;
  }

  /** Ends the stream: bytes without a closing delimiter are dropped as 'incomplete'. */
  end(): void {
    const bytes = this.#length;
    const wasDiscarding = this.#discarding;
    this.#length = 0;
    this.#discarding = false;
    if (bytes > 0 && !wasDiscarding) {
      this.stats.incomplete++;
      this.stats.droppedBytes += bytes;
      this.#onDrop?.({ reason: 'incomplete', bytes });
    }
  }

  /** Forgets any partial frame (for example after the port was reopened); stats are kept. */
  reset(): void {
    this.#length = 0;
    this.#discarding = false;
  }

  #decode(encoded: Uint8Array, frames: Frame[]): void {
    // No exceptions on this path: noise on a fresh cable is many rejections per second.
    const decoded = tryDecodeCobs(encoded, this.maxFrameBytes); // a copy: frames never alias the reused buffer
    if (typeof decoded === 'string') {
      this.#drop({ reason: decoded }, encoded.length, () => new FrameError(decoded, decoded === 'cobs' ? 'COBS: a 0x00 inside the frame or a group running past its end' : `decoded frame exceeds ${this.maxFrameBytes} bytes`));
      return;
    }
    const result = tryUnpackFrame(decoded);
    if ('body' in result) {
      frames.push(result);
      this.stats.frames++;
      return;
    }
    this.#drop(result, encoded.length, () => frameErrorOf(result, decoded.length));
  }

  #drop(rejection: FrameRejection | { reason: 'cobs' }, bytes: number, error: () => FrameError): void {
    this.stats[statKey[rejection.reason]]++;
    this.stats.droppedBytes += bytes;
    if (this.#onDrop) this.#onDrop({ reason: rejection.reason, bytes, error: error() });
  }
}
