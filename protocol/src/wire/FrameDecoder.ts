/**
 * The streaming frame decoder: a Transform from wire bytes to decoded {@link Frame} objects, in
 * the style of the serialport parsers (bounded, defined _flush). See {@link FrameAccumulator}
 * for the resynchronisation rules. Emits 'drop' with a {@link DroppedFrame} for every dropped
 * frame attempt (see FrameAccumulator); never errors on bad input.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { FrameAccumulator, type FrameDecoderStats } from './FrameAccumulator.js';

export interface FrameDecoderOptions {
  /** Largest decoded frame accepted (default and maximum MAX_FRAME_BYTES). */
  maxFrameBytes?: number;
}

export class FrameDecoder extends Transform {
  readonly #accumulator: FrameAccumulator;

  /** @throws RangeError when `maxFrameBytes` is out of range. */
  constructor(options: FrameDecoderOptions = {}) {
    super({ readableObjectMode: true });
    this.#accumulator = new FrameAccumulator({
      ...(options.maxFrameBytes !== undefined ? { maxFrameBytes: options.maxFrameBytes } : {}),
      onDrop: (drop) => this.emit('drop', drop),
    });
  }

  /** Counters of decoded and dropped input (live object). */
  get stats(): Readonly<FrameDecoderStats> {
    return this.#accumulator.stats;
  }

  /** Bytes of an unfinished frame held now; never above the largest encoded frame. */
  get bufferedBytes(): number {
    return this.#accumulator.bufferedBytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    for (const frame of this.#accumulator.push(chunk)) this.push(frame);
    callback();
  }

  /** A partial frame at end of stream is dropped ('incomplete'), never delivered. */
  override _flush(callback: TransformCallback): void {
    this.#accumulator.end();
    callback();
  }
}
