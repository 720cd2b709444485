/**
 * The message schema of protocol version 1 (SPEC.md "Messages"): one declarative entry per
 * message type, which drives validation, encoding, the SPEC tables and SCHEMA_HASH, the 8 bytes
 * HELLO carries so that a station and a fob built from different schemas notice (SPEC.md
 * "Versioning"). Changing any field, bound or number here changes the hash.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { LIFECYCLE_STATES, MessageType, PROTOCOL_VERSION, WIPE_CONFIRMATION, type MessageName } from './constants.js';
import type * as M from './messages.js';
import { MAX_SECRET_BYTES, MIN_SECRET_BYTES } from '../otp/otpOptions.js';
import { bool, bytes, describeSchema, num, oneOf, text, textArray, uint, type MessageSchema, type SchemaOf } from './_schema.js';

/** Largest Unix time on the wire: times fit an unsigned 32-bit integer (year 2106). */
export const MAX_WIRE_TIME = 0xffff_ffff;
const U32 = 0xffff_ffff;
const TIME = num(0, MAX_WIRE_TIME);
const STATE = oneOf(LIFECYCLE_STATES);
const SERIAL = text(1, 32, 'serial');
/** Certificate and revocation list bounds match @fobkit/protocol/session. */
export const MAX_CERT_BYTES = 256;
export const MAX_CRL_BYTES = 512;

/** Request bodies by message type. */
export interface RequestBodies {
  [MessageType.HELLO]: M.HelloRequest;
  [MessageType.GET_STATUS]: M.GetStatusRequest;
  [MessageType.BEGIN_SESSION]: M.BeginSessionRequest;
  [MessageType.SET_SERIAL]: M.SetSerialRequest;
  [MessageType.SET_TIME]: M.SetTimeRequest;
  [MessageType.PROGRAM_SEED]: M.ProgramSeedRequest;
  [MessageType.CALCULATE]: M.CalculateRequest;
  [MessageType.CODE_NOW]: M.CodeNowRequest;
  [MessageType.LOCK]: M.LockRequest;
  [MessageType.WIPE]: M.WipeRequest;
}

/** Response bodies by message type. */
export interface ResponseBodies {
  [MessageType.HELLO]: M.HelloResponse;
  [MessageType.GET_STATUS]: M.GetStatusResponse;
  [MessageType.BEGIN_SESSION]: M.BeginSessionResponse;
  [MessageType.SET_SERIAL]: M.SetSerialResponse;
  [MessageType.SET_TIME]: M.SetTimeResponse;
  [MessageType.PROGRAM_SEED]: M.ProgramSeedResponse;
  [MessageType.CALCULATE]: M.CalculateResponse;
  [MessageType.CODE_NOW]: M.CodeNowResponse;
  [MessageType.LOCK]: M.LockResponse;
  [MessageType.WIPE]: M.WipeResponse;
}

export interface MessageDefinition {
  type: MessageType;
  name: MessageName;
  request: MessageSchema;
  response: MessageSchema;
}

type Table = { [T in MessageType]: { request: SchemaOf<RequestBodies[T]>; response: SchemaOf<ResponseBodies[T]> } };

const table: Table = {
  [MessageType.HELLO]: {
    request: { v: { spec: uint(0, 255) }, nonce: { spec: bytes(16) } },
    response: {
      v: { spec: uint(0, 255) },
      model: { spec: text(1, 32) },
      hw: { spec: text(1, 16) },
      fw: { spec: text(1, 32) },
      serial: { spec: SERIAL, optional: true },
      state: { spec: text(1, 16) },
      caps: { spec: textArray(16, 24) },
      nonce: { spec: bytes(16) },
      pub: { spec: bytes(32) },
      schema: { spec: bytes(8) },
    },
  },
  [MessageType.GET_STATUS]: {
    request: {},
    response: {
      time: { spec: TIME },
      timeValid: { spec: bool },
      batteryMv: { spec: uint(0, 10_000) },
      batteryPct: { spec: uint(0, 100) },
      batteryLow: { spec: bool },
      lifeDays: { spec: uint(0, 65_535) },
      presses: { spec: uint(0, U32) },
      failedAuth: { spec: uint(0, U32) },
      state: { spec: STATE },
      wipes: { spec: uint(0, 65_535) },
    },
  },
  [MessageType.BEGIN_SESSION]: {
    request: {
      eph: { spec: bytes(32) },
      cert: { spec: bytes(1, MAX_CERT_BYTES) },
      sig: { spec: bytes(64) },
      crl: { spec: bytes(1, MAX_CRL_BYTES), optional: true },
    },
    response: { sid: { spec: bytes(8) } },
  },
  [MessageType.SET_SERIAL]: {
    request: { serial: { spec: SERIAL } },
    response: { serial: { spec: SERIAL }, state: { spec: STATE } },
  },
  [MessageType.SET_TIME]: {
    request: { time: { spec: TIME } },
    response: { previous: { spec: TIME }, time: { spec: TIME } },
  },
  [MessageType.PROGRAM_SEED]: {
    request: {
      secret: { spec: bytes(MIN_SECRET_BYTES, MAX_SECRET_BYTES) },
      alg: { spec: oneOf(['sha1', 'sha256', 'sha512']) },
      digits: { spec: uint(6, 8) },
      period: { spec: uint(1, 3_600) },
      t0: { spec: uint(0, U32) },
    },
    response: { state: { spec: STATE }, check: { spec: bytes(8) } },
  },
  [MessageType.CALCULATE]: {
    request: { time: { spec: TIME } },
    response: { code: { spec: text(6, 8, 'digits') }, step: { spec: uint(0, U32) } },
  },
  [MessageType.CODE_NOW]: {
    request: {},
    response: { code: { spec: text(6, 8, 'digits') }, step: { spec: uint(0, U32) }, remaining: { spec: num(0, 3_600) } },
  },
  [MessageType.LOCK]: {
    request: { serial: { spec: SERIAL } },
    response: { state: { spec: STATE } },
  },
  [MessageType.WIPE]: {
    request: { serial: { spec: SERIAL }, confirm: { spec: oneOf([WIPE_CONFIRMATION]) } },
    response: { state: { spec: STATE }, wipes: { spec: uint(0, 65_535) } },
  },
};

/** Body of a frame with flag ERROR. */
export const ERROR_BODY_SCHEMA: MessageSchema = {
  code: { spec: uint(0, 65_535) },
  name: { spec: text(1, 32) },
  msg: { spec: text(0, 200, 'utf8'), optional: true },
  retryMs: { spec: uint(0, U32), optional: true },
} satisfies SchemaOf<M.ErrorBody>;

/** Every version-1 message, by type number. */
export const MESSAGE_DEFINITIONS: ReadonlyMap<MessageType, MessageDefinition> = new Map(
  (Object.entries(MessageType) as [MessageName, MessageType][]).map(([name, type]) => {
    const entry = table[type] as { request: MessageSchema; response: MessageSchema };
    return [type, { type, name, request: entry.request, response: entry.response }];
  }),
);

/**
 * The canonical schema text (SPEC.md "Appendix: canonical schema text"): one line per message
 * direction, fields in canonical key order, LF line ends. SCHEMA_HASH is computed over its UTF-8.
 */
export const SCHEMA_TEXT: string = [
  `fobkit-schema v${PROTOCOL_VERSION}`,
  ...[...MESSAGE_DEFINITIONS.values()].flatMap((d) => {
    const hex = '0x' + d.type.toString(16).padStart(2, '0');
    return [`${hex} ${d.name} request ${describeSchema(d.request)}`, `${hex} ${d.name} response ${describeSchema(d.response)}`];
  }),
  `error ${describeSchema(ERROR_BODY_SCHEMA)}`,
  '',
].join('\n');

/** First 8 bytes of SHA-256(SCHEMA_TEXT): HELLO's `schema` (SPEC.md "Versioning"). */
export const SCHEMA_HASH: Uint8Array = sha256(new TextEncoder().encode(SCHEMA_TEXT)).slice(0, 8);
