/**
 * The typed bodies of every version-1 message (SPEC.md "Messages"). Field names are the CBOR map
 * keys on the wire. Times are Unix seconds (fractions allowed). Bounds are in schema.ts.
 */
import type { LifecycleState } from './constants.js';

export type OtpAlgorithmName = 'sha1' | 'sha256' | 'sha512';

/** 0x01 HELLO. The station's fresh nonce starts the session transcript. */
export interface HelloRequest {
  /** Protocol version the station speaks. */
  v: number;
  nonce: Uint8Array;
}
/**
 * HELLO is frozen across versions: every version decodes it, so a peer with another schema can
 * still say SCHEMA_MISMATCH instead of failing to parse. Hence `state` is plain text here.
 */
export interface HelloResponse {
  v: number;
  model: string;
  hw: string;
  fw: string;
  /** Absent while the fob is blank. */
  serial?: string;
  /** A life-cycle state (`blank`, `serialised`, `programmed`, `locked` in version 1). */
  state: string;
  /** Capability strings (see `Capability`); unknown ones are ignored. */
  caps: string[];
  /** The fob's fresh nonce. */
  nonce: Uint8Array;
  /** The fob's static X25519 public key. */
  pub: Uint8Array;
  /** SCHEMA_HASH of the fob's firmware. */
  schema: Uint8Array;
}

/** 0x02 GET_STATUS. */
export type GetStatusRequest = Record<string, never>;
export interface GetStatusResponse {
  /** RTC time. */
  time: number;
  /** False after a power loss until SET_TIME. */
  timeValid: boolean;
  batteryMv: number;
  batteryPct: number;
  batteryLow: boolean;
  /** Estimated remaining battery life in days. */
  lifeDays: number;
  /** Button presses since manufacture. */
  presses: number;
  /** Failed session authentications since manufacture. */
  failedAuth: number;
  state: LifecycleState;
  wipes: number;
}

/** 0x03 BEGIN_SESSION (SPEC.md "Secure session"). */
export interface BeginSessionRequest {
  /** Station ephemeral X25519 public key. */
  eph: Uint8Array;
  /** Root-signed station certificate. */
  cert: Uint8Array;
  /** Ed25519 signature by the station key over the transcript hash. */
  sig: Uint8Array;
  /** Root-signed revocation list, when the station has one. */
  crl?: Uint8Array;
}
/** Sent SECURE: the first fob→station record. */
export interface BeginSessionResponse {
  /** Session id (the first 8 bytes of the transcript hash). */
  sid: Uint8Array;
}

/** 0x04 SET_SERIAL (authenticated). */
export interface SetSerialRequest {
  serial: string;
}
export interface SetSerialResponse {
  serial: string;
  state: LifecycleState;
}

/** 0x05 SET_TIME (authenticated once locked). */
export interface SetTimeRequest {
  time: number;
}
export interface SetTimeResponse {
  /** The RTC time just before it was set (meaningless when the clock was not valid). */
  previous: number;
  time: number;
}

/** 0x06 PROGRAM_SEED (SECURE only, authenticated). */
export interface ProgramSeedRequest {
  /** The OTP secret. Zero it after use. */
  secret: Uint8Array;
  alg: OtpAlgorithmName;
  digits: number;
  period: number;
  t0: number;
}
export interface ProgramSeedResponse {
  state: LifecycleState;
  /** First 8 bytes of SHA-256(secret): lets a retry be recognised as the same seed. */
  check: Uint8Array;
}

/** 0x07 CALCULATE: the code at a station-chosen time; before lock only. */
export interface CalculateRequest {
  time: number;
}
export interface CalculateResponse {
  code: string;
  step: number;
}

/** 0x08 CODE_NOW: what the display shows now. */
export type CodeNowRequest = Record<string, never>;
export interface CodeNowResponse {
  code: string;
  step: number;
  /** Seconds until the code changes. */
  remaining: number;
}

/** 0x09 LOCK (authenticated, irreversible): the fob's serial as confirmation. */
export interface LockRequest {
  serial: string;
}
export interface LockResponse {
  state: LifecycleState;
}

/** 0x0A WIPE (authenticated): erases the seed, keeps the serial, counts the wipe. */
export interface WipeRequest {
  serial: string;
  /** Must be "WIPE". */
  confirm: string;
}
export interface WipeResponse {
  state: LifecycleState;
  wipes: number;
}

/** Body of a frame with flag ERROR (SPEC.md "Error codes"). */
export interface ErrorBody {
  /** A WireErrorCode; keep and show codes this version does not know. */
  code: number;
  /** The code's name (e.g. `BAD_STATE`). */
  name: string;
  /** Human-readable detail; never contains a secret. */
  msg?: string;
  /** For RATE_LIMITED / BUSY: wait at least this long before retrying. */
  retryMs?: number;
}
