/** The wire format (SPEC.md "Framing", "Messages"): constants, COBS, CRC-32, frames, stream codecs, message bodies. */
export * from './constants.js';
export { crc32, CRC32_CHECK_VALUE } from './crc32.js';
export { encodeCobs, decodeCobs, maxCobsEncodedLength } from './cobs.js';
export { encodeFrame, decodeFrame, encodeFrameHeader, packFrame, unpackFrame, type Frame, type FrameHeader } from './frame.js';
export { FrameAccumulator, type FrameAccumulatorOptions, type FrameDecoderStats, type DroppedFrame } from './FrameAccumulator.js';
export { FrameDecoder, type FrameDecoderOptions } from './FrameDecoder.js';
export { FrameEncoder, type FrameEncoderOptions } from './FrameEncoder.js';
export type * from './messages.js';
export {
  SCHEMA_TEXT,
  SCHEMA_HASH,
  MESSAGE_DEFINITIONS,
  ERROR_BODY_SCHEMA,
  MAX_WIRE_TIME,
  MAX_CERT_BYTES,
  MAX_CRL_BYTES,
  type RequestBodies,
  type ResponseBodies,
  type MessageDefinition,
} from './schema.js';
export type { FieldSpec, FieldDef, MessageSchema } from './_schema.js';
export { encodeRequest, decodeRequest, encodeResponse, decodeResponse, encodeErrorBody, decodeErrorBody } from './messageCodec.js';
export { seedCheck, SEED_CHECK_BYTES } from './seedCheck.js';
