/**
 * The PSKC (RFC 6030) data model fobkit reads and writes: one KeyPackage per fob, one Key per
 * package (§4: DeviceInfo, CryptoModuleInfo, Key with AlgorithmParameters, Data and Policy).
 */
import type { OtpAlgorithm, OtpDigits } from '../otp/otpOptions.js';
import type { OtpType } from './seedRecord.js';

/** §5 Policy, the parts that apply to a button fob (no PIN). */
export interface PskcPolicy {
  /** xs:dateTime, e.g. `2026-01-01T00:00:00Z`. */
  startDate?: string;
  expiryDate?: string;
  /** §5: OTP, CR, Encrypt, Integrity, Verify, Unlock, Decrypt, KeyWrap, Unwrap, Derive, Generate. */
  keyUsage?: string[];
  numberOfTransactions?: number;
}

export interface PskcKeyPackage {
  /** Key/@Id, unique in the container. Written as the serial when not given. */
  keyId?: string;
  /** DeviceInfo/SerialNo. */
  serial: string;
  manufacturer?: string;
  model?: string;
  /** DeviceInfo/IssueNo: how many times this device has been issued. */
  issueNo?: string;
  /** DeviceInfo/StartDate, xs:dateTime. */
  startDate?: string;
  expiryDate?: string;
  /** CryptoModuleInfo/Id. */
  cryptoModuleId?: string;
  type: OtpType;
  /** AlgorithmParameters/Suite (HMAC-SHA1 when absent). */
  algorithm: OtpAlgorithm;
  /** AlgorithmParameters/ResponseFormat/@Length; @Encoding is DECIMAL. */
  digits: OtpDigits;
  secret: Uint8Array;
  /** Data/TimeInterval, seconds (TOTP). */
  period: number;
  /**
   * Data/Time. RFC 6030 leaves its meaning to the algorithm profile; fobkit writes 0 (T0 = the
   * Unix epoch) and refuses to invent a meaning for anything else.
   */
  time?: number;
  /** Data/Counter (HOTP). */
  counter?: number;
  /** Data/TimeDrift: the device clock's drift in whole time steps (negative: slow). */
  timeDrift?: number;
  issuer?: string;
  friendlyName?: string;
  /** Key/UserId. */
  user?: string;
  policy?: PskcPolicy;
  /** RFC 6238 T0 of a record handed to `writePskc`: only 0 can be written (see `time`). */
  t0?: number;
}

/** How a PSKC document protects its secrets (§6). */
export type PskcProtection =
  | { kind: 'psk'; key: Uint8Array; keyName?: string }
  | { kind: 'password'; password: string; iterations?: number; keyName?: string; salt?: Uint8Array };

/** One ValueMAC that did not verify, reported by `readPskc` with `macCheck: 'soft'`. */
export interface PskcMacFailure {
  keyId: string | undefined;
  serial: string | undefined;
  /** The Data child whose MAC failed: Secret, Counter, Time, TimeInterval or TimeDrift. */
  field: string;
  reason: 'mismatch' | 'missing';
  line: number;
}

/** A key package that was read but cannot be used as a fob seed, and why. */
export interface PskcSkippedPackage {
  /** 1-based position of the KeyPackage in the document. */
  index: number;
  keyId: string | undefined;
  serial: string | undefined;
  reason: string;
  line: number;
}

export interface ReadPskcResult {
  /** Container/@Id when present. */
  id: string | undefined;
  protection: 'plaintext' | 'psk' | 'password';
  /** Usable key packages, in document order. Zero their secrets when done. */
  keys: PskcKeyPackage[];
  skipped: PskcSkippedPackage[];
  /** Always empty unless `macCheck: 'soft'` (strict checking throws on the first failure). */
  macFailures: PskcMacFailure[];
  /** Things accepted that a reader should hear about (e.g. an empty MACMethod nothing needed). */
  warnings: string[];
}
