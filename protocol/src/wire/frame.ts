/**
 * Frames (SPEC.md "Framing"): `version u8 | flags u8 | type u8 | requestId u16 BE | body |
 * crc32 u32 BE`, CRC-32 over everything before it, at most MAX_FRAME_BYTES decoded, then
 * COBS-encoded and terminated by 0x00 on the wire.
 */
import { FrameError } from '../errors.js';
import { decodeCobs, encodeCobs } from './cobs.js';
import {
  FRAME_CRC_BYTES,
  FRAME_DELIMITER,
  FRAME_HEADER_BYTES,
  MAX_BODY_BYTES,
  MAX_ENCODED_FRAME_BYTES,
  MAX_FRAME_BYTES,
  MIN_FRAME_BYTES,
  PROTOCOL_VERSION,
} from './constants.js';
import { crc32 } from './crc32.js';

/** One decoded frame. `body` is a CBOR map, an error body (flag ERROR) or a session record (flag SECURE). */
export interface Frame {
  version: number;
  flags: number;
  type: number;
  requestId: number;
  body: Uint8Array;
}

export type FrameHeader = Omit<Frame, 'body'>;

function checkByte(value: unknown, field: string, max = 0xff): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new TypeError(`${field} must be an integer`);
  if (value < 0 || value > max) throw new RangeError(`${field} must be 0..${max}, got ${value}`);
}

/**
 * The 5 header bytes of a frame: the associated data of a SECURE record (SPEC.md "Secure session").
 * @throws TypeError/RangeError when a header field is not an integer in range.
 */
export function encodeFrameHeader(header: FrameHeader): Uint8Array {
  checkByte(header.version, 'version');
  checkByte(header.flags, 'flags');
  checkByte(header.type, 'type');
  checkByte(header.requestId, 'requestId', 0xffff);
  return Uint8Array.of(header.version, header.flags, header.type, header.requestId >>> 8, header.requestId & 0xff);
}

/**
 * The decoded (pre-COBS) bytes of a frame: header, body, CRC-32.
 * @throws TypeError/RangeError on a bad header field, a body that is not a Uint8Array or longer than MAX_BODY_BYTES.
 */
export function packFrame(frame: Frame): Uint8Array {
  const header = encodeFrameHeader(frame);
  if (!(frame.body instanceof Uint8Array)) throw new TypeError('body must be a Uint8Array');
  if (frame.body.length > MAX_BODY_BYTES) throw new RangeError(`body is ${frame.body.length} bytes; at most ${MAX_BODY_BYTES} fit a frame`);
  const out = new Uint8Array(FRAME_HEADER_BYTES + frame.body.length + FRAME_CRC_BYTES);
  out.set(header, 0);
  out.set(frame.body, FRAME_HEADER_BYTES);
  const crcAt = out.length - FRAME_CRC_BYTES;
  new DataView(out.buffer).setUint32(crcAt, crc32(out.subarray(0, crcAt)), false);
  return out;
}

/**
 * Parses decoded (pre-COBS) frame bytes. The body is a view into `bytes`.
 * @throws FrameError 'short', 'oversize', 'crc' or 'version' (the last with the header attached).
 */
export function unpackFrame(bytes: Uint8Array): Frame {
  const result = tryUnpackFrame(bytes);
  if ('body' in result) return result;
  throw frameErrorOf(result, bytes.length);
}

/** Why {@link tryUnpackFrame} rejected bytes; the header is there for a 'version' rejection. */
export type FrameRejection =
  | { reason: 'short' | 'oversize' }
  | { reason: 'crc'; expected: number; actual: number }
  | { reason: 'version'; header: FrameHeader };

/** {@link unpackFrame} without exceptions (the stream decoder's hot path). */
export function tryUnpackFrame(bytes: Uint8Array): Frame | FrameRejection {
  if (bytes.length < MIN_FRAME_BYTES) return { reason: 'short' };
  if (bytes.length > MAX_FRAME_BYTES) return { reason: 'oversize' };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const crcAt = bytes.length - FRAME_CRC_BYTES;
  const expected = view.getUint32(crcAt, false);
  const actual = crc32(bytes.subarray(0, crcAt));
  if (expected !== actual) return { reason: 'crc', expected, actual };
  const header = { version: bytes[0]!, flags: bytes[1]!, type: bytes[2]!, requestId: view.getUint16(3, false) };
  if (header.version !== PROTOCOL_VERSION) return { reason: 'version', header };
  return { ...header, body: bytes.subarray(FRAME_HEADER_BYTES, crcAt) };
}

/** The FrameError for a rejection of `length` decoded bytes. */
export function frameErrorOf(rejection: FrameRejection, length: number): FrameError {
  switch (rejection.reason) {
    case 'short':
      return new FrameError('short', `frame of ${length} bytes is shorter than ${MIN_FRAME_BYTES}`);
    case 'oversize':
      return new FrameError('oversize', `frame of ${length} bytes exceeds ${MAX_FRAME_BYTES}`);
    case 'crc':
      return new FrameError('crc', `frame CRC-32 mismatch (expected ${hex32(rejection.expected)}, computed ${hex32(rejection.actual)})`);
    case 'version':
      return new FrameError('version', `frame version ${rejection.header.version} is not supported (this side speaks ${PROTOCOL_VERSION})`, { header: rejection.header });
  }
}

/**
 * Encodes a frame for the wire: COBS of {@link packFrame} followed by the 0x00 delimiter.
 * @param options.leadingDelimiter also send a 0x00 first, which ends any garbage the receiver holds.
 * @throws TypeError/RangeError as {@link packFrame}.
 */
export function encodeFrame(frame: Frame, options: { leadingDelimiter?: boolean } = {}): Uint8Array {
  const encoded = encodeCobs(packFrame(frame));
  const lead = options.leadingDelimiter ? 1 : 0;
  const out = new Uint8Array(lead + encoded.length + 1);
  out.set(encoded, lead);
  out[out.length - 1] = FRAME_DELIMITER;
  return out;
}

/**
 * Decodes exactly one wire frame: COBS bytes, optionally surrounded by 0x00 delimiters (one or
 * more leading, at most one trailing). Use {@link FrameAccumulator} for a byte stream.
 * @throws FrameError with reason 'cobs', 'oversize', 'short', 'crc' or 'version'.
 */
export function decodeFrame(wire: Uint8Array): Frame {
  let start = 0;
  let end = wire.length;
  while (start < end && wire[start] === FRAME_DELIMITER) start++;
  if (end > start && wire[end - 1] === FRAME_DELIMITER) end--;
  if (end - start > MAX_ENCODED_FRAME_BYTES) throw new FrameError('oversize', `encoded frame of ${end - start} bytes exceeds ${MAX_ENCODED_FRAME_BYTES}`);
  return unpackFrame(decodeCobs(wire.subarray(start, end), MAX_FRAME_BYTES));
}

function hex32(n: number): string {
  return '0x' + n.toString(16).padStart(8, '0');
}
