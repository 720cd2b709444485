/**
 * The pair of {@link FrameDecoder}: a Transform from {@link Frame} objects to wire bytes (COBS +
 * 0x00 delimiter). A frame that cannot be encoded (bad header field, body too long) fails the
 * stream with the TypeError/RangeError of encodeFrame.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { encodeFrame, type Frame } from './frame.js';

export interface FrameEncoderOptions {
  /** Send a 0x00 before every frame as well, so a receiver holding garbage resynchronises at once. */
  leadingDelimiter?: boolean;
}

export class FrameEncoder extends Transform {
  readonly #leadingDelimiter: boolean;

  constructor(options: FrameEncoderOptions = {}) {
    super({ writableObjectMode: true });
    this.#leadingDelimiter = options.leadingDelimiter ?? false;
  }

  override _transform(frame: Frame, _encoding: BufferEncoding, callback: TransformCallback): void {
    let bytes: Uint8Array;
    try {
      bytes = encodeFrame(frame, { leadingDelimiter: this.#leadingDelimiter });
    } catch (e) {
      callback(e as Error);
      return;
    }
    callback(null, bytes);
  }

  override _flush(callback: TransformCallback): void {
    callback();
  }
}
