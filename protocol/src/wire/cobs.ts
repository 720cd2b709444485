/**
 * Consistent Overhead Byte Stuffing (Cheshire and Baker, IEEE/ACM ToN 7(2), 1999), as used by
 * the framing layer (SPEC.md "Framing", COBS). The encoded form contains no 0x00, so 0x00 can
 * delimit frames. A code byte c (1..255) is followed by c-1 data bytes; a zero follows the group
 * unless c = 255 or the group ends the input. Encoding never emits a trailing empty group.
 */
import { FrameError } from '../errors.js';

/** Upper bound of the encoded length of `n` bytes (without the delimiter). */
export function maxCobsEncodedLength(n: number): number {
  return n + Math.max(1, Math.ceil(n / 254));
}

/** COBS-encodes `data` (no delimiter is appended). */
export function encodeCobs(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(maxCobsEncodedLength(data.length));
  let codeAt = 0;
  let o = 1;
  let code = 1;
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    if (b === 0) {
      out[codeAt] = code;
      codeAt = o++;
      code = 1;
      continue;
    }
    out[o++] = b;
    code++;
    if (code === 0xff) {
      out[codeAt] = code;
      code = 1;
      // A full group that ends the input needs no further (empty) group.
      if (i === data.length - 1) return out.subarray(0, o);
      codeAt = o++;
    }
  }
  out[codeAt] = code;
  return out.subarray(0, o);
}

/**
 * Decodes one COBS-encoded block (no delimiter inside).
 * @param maxDecoded the largest output accepted; a longer result is rejected before it is built.
 * @throws FrameError reason 'cobs' on a 0x00 byte or a group that runs past the end; 'oversize'
 *   when the output would exceed `maxDecoded`.
 */
export function decodeCobs(encoded: Uint8Array, maxDecoded = Number.MAX_SAFE_INTEGER): Uint8Array {
  const out = tryDecodeCobs(encoded, maxDecoded);
  if (out === 'cobs') throw new FrameError('cobs', 'COBS: a 0x00 inside the frame or a group running past its end');
  if (out === 'oversize') throw new FrameError('oversize', `COBS: decoded frame exceeds ${maxDecoded} bytes`);
  return out;
}

/**
 * {@link decodeCobs} without exceptions, for the stream decoder's hot path: garbage on a
 * freshly plugged cable produces a rejection per stray 0x00, and an Error (with its stack) per
 * rejection costs more than the decoding itself.
 */
export function tryDecodeCobs(encoded: Uint8Array, maxDecoded: number): Uint8Array | 'cobs' | 'oversize' {
  // Decoded output is never longer than the input, so this allocation is bounded by the caller's buffer.
  const out = new Uint8Array(Math.min(encoded.length, maxDecoded + 1));
  let o = 0;
  let i = 0;
  while (i < encoded.length) {
    const code = encoded[i]!;
    if (code === 0) return 'cobs';
    const end = i + code;
    if (end > encoded.length) return 'cobs';
    if (o + code - 1 > maxDecoded) return 'oversize';
    for (let j = i + 1; j < end; j++) {
      const b = encoded[j]!;
      if (b === 0) return 'cobs';
      out[o++] = b;
    }
    i = end;
    if (code !== 0xff && i < encoded.length) {
      if (o + 1 > maxDecoded) return 'oversize';
      out[o++] = 0;
    }
  }
  return out.subarray(0, o);
}
