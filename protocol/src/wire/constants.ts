/**
 * Wire constants of the fobkit protocol, version 1: frame layout, flags, message numbers, wire
 * error codes and life-cycle states. Each carries the protocol/SPEC.md section it comes from.
 * Numbers here are part of the contract with fob firmware: never renumber, never reuse.
 */

/** Frame byte 0 (SPEC.md "Framing"). A receiver answers any other value with UNSUPPORTED. */
export const PROTOCOL_VERSION = 1;

/** `version | flags | type | requestId u16 BE` (SPEC.md "Framing"). Also the AEAD associated data. */
export const FRAME_HEADER_BYTES = 5;
/** CRC-32 trailer, big-endian (SPEC.md "Framing"). */
export const FRAME_CRC_BYTES = 4;
/** Header + CRC with an empty body (SPEC.md "Framing"). */
export const MIN_FRAME_BYTES = FRAME_HEADER_BYTES + FRAME_CRC_BYTES;
/** Largest decoded frame, header and CRC included (SPEC.md "Framing", sizes). Both ends enforce it. */
export const MAX_FRAME_BYTES = 1024;
/** Largest body of a frame: 1015 bytes. */
export const MAX_BODY_BYTES = MAX_FRAME_BYTES - MIN_FRAME_BYTES;
/**
 * Largest COBS-encoded frame without its delimiter: COBS adds one byte per started run of 254
 * bytes, so 1024 + ceil(1024 / 254) = 1029. A receiver never needs to hold more than this.
 */
export const MAX_ENCODED_FRAME_BYTES = MAX_FRAME_BYTES + Math.ceil(MAX_FRAME_BYTES / 254);
/** Frame delimiter on the wire (SPEC.md "Framing", COBS). */
export const FRAME_DELIMITER = 0x00;
/** `counter u64 BE` + AES-GCM tag in front of / behind a SECURE body (SPEC.md "Secure session"). */
export const RECORD_OVERHEAD_BYTES = 8 + 16;
/** Largest CBOR body that still fits a SECURE frame: 991 bytes. */
export const MAX_SECURE_PLAINTEXT_BYTES = MAX_BODY_BYTES - RECORD_OVERHEAD_BYTES;

/** Frame byte 1 (SPEC.md "Framing", flags). Bits 3..7 are reserved: sent as 0, ignored on receipt. */
export const FrameFlags = {
  /** The frame answers a request; it echoes the request's type and requestId. */
  RESPONSE: 0x01,
  /** The body is a session record (SPEC.md "Secure session"), not a CBOR map. */
  SECURE: 0x02,
  /** The (plaintext) body is an error body (SPEC.md "Messages", error body). */
  ERROR: 0x04,
} as const;
/** Flag bits that version 1 defines. */
export const KNOWN_FLAGS = FrameFlags.RESPONSE | FrameFlags.SECURE | FrameFlags.ERROR;

/** Frame byte 2 (SPEC.md "Messages", message table). Numbers are never reused. */
export const MessageType = {
  HELLO: 0x01,
  GET_STATUS: 0x02,
  BEGIN_SESSION: 0x03,
  SET_SERIAL: 0x04,
  SET_TIME: 0x05,
  PROGRAM_SEED: 0x06,
  CALCULATE: 0x07,
  CODE_NOW: 0x08,
  LOCK: 0x09,
  WIPE: 0x0a,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];
export type MessageName = keyof typeof MessageType;

const messageNames = new Map<number, MessageName>(
  Object.entries(MessageType).map(([name, type]) => [type, name as MessageName]),
);

/** The name of a message type, or undefined for a number version 1 does not define. */
export function messageName(type: number): MessageName | undefined {
  return messageNames.get(type);
}

export function isMessageType(type: number): type is MessageType {
  return messageNames.has(type);
}

/** `code` of an error body (SPEC.md "Error codes"). Never renumbered; new codes go at the end. */
export const WireErrorCode = {
  BAD_FRAME: 1,
  UNSUPPORTED: 2,
  BAD_STATE: 3,
  LOCKED: 4,
  AUTH_REQUIRED: 5,
  AUTH_FAILED: 6,
  RATE_LIMITED: 7,
  BUSY: 8,
  FLASH_FAILURE: 9,
  INVALID_ARGUMENT: 10,
  SCHEMA_MISMATCH: 11,
  CLOCK_INVALID: 12,
  REPLAYED: 13,
  /** A locked fob refused a SET_TIME that moves its clock further than drift explains (SPEC.md "Clock guard"); only WIPE lifts it. */
  TIME_JUMP: 14,
} as const;
export type WireErrorCode = (typeof WireErrorCode)[keyof typeof WireErrorCode];
export type WireErrorName = keyof typeof WireErrorCode;

const wireErrorNames = new Map<number, WireErrorName>(
  Object.entries(WireErrorCode).map(([name, code]) => [code, name as WireErrorName]),
);

/** The name of a wire error code; undefined for a code this version does not know (keep the peer's `name`). */
export function wireErrorName(code: number): WireErrorName | undefined {
  return wireErrorNames.get(code);
}

/** Life-cycle states in order (SPEC.md "Life-cycle states and the state machine"). */
export const LIFECYCLE_STATES = ['blank', 'serialised', 'programmed', 'locked'] as const;
export type LifecycleState = (typeof LIFECYCLE_STATES)[number];

export function isLifecycleState(value: unknown): value is LifecycleState {
  return typeof value === 'string' && (LIFECYCLE_STATES as readonly string[]).includes(value);
}

/**
 * Capability strings a version-1 fob reports in HELLO `caps` (SPEC.md "Messages", HELLO).
 * A station ignores strings it does not know.
 */
export const Capability = {
  /** Secure session v1: X25519 + HKDF-SHA-256 + AES-256-GCM records, Ed25519 station certificates. */
  SESSION_V1: 'session/v1',
  SHA1: 'alg/sha1',
  SHA256: 'alg/sha256',
  SHA512: 'alg/sha512',
  /** 7- and 8-digit codes as well as 6. */
  DIGITS_8: 'digits/8',
  /** The fob has a battery-backed RTC that GET_STATUS reports. */
  RTC: 'rtc',
  WIPE: 'wipe',
} as const;

/**
 * The clock guard of a locked fob (SPEC.md "Clock guard"). With a running clock, SET_TIME may
 * move it at most CLOCK_SET_MARGIN_SECONDS + CLOCK_DRIFT_ALLOWANCE_PPM × (seconds the oscillator
 * has counted since the reference) away from the uncorrected clock; with a lost clock, only into
 * [floor − margin, floor + LOST_CLOCK_MAX_GAP_SECONDS].
 */
export const CLOCK_DRIFT_ALLOWANCE_PPM = 50;
/** Station clocks disagree by seconds (NTP) and a set takes a round trip: two minutes covers both. */
export const CLOCK_SET_MARGIN_SECONDS = 120;
/** How long a locked fob's battery may have been flat (after the last time it wrote down) and its clock still be set without a WIPE. */
export const LOST_CLOCK_MAX_GAP_SECONDS = 30 * 86_400;
/** A locked fob with a running clock writes its time floor to flash at most this often (on a button press). */
export const TIME_FLOOR_PERSIST_SECONDS = 86_400;

/** Confirmation word WIPE requires (SPEC.md "Messages", WIPE). */
export const WIPE_CONFIRMATION = 'WIPE';
