/**
 * The one record every seed-file format reads and writes: a fob's serial, its secret and OTP
 * parameters, plus what some formats carry (the user, the maker). PSKC's richer key package
 * (`PskcKeyPackage`) has the same field names, so a package is usable where a record is.
 */
import {
  assertAlgorithm, assertDigits, assertPeriod, assertSecret,
  type OtpAlgorithm, type OtpDigits,
} from '../otp/otpOptions.js';

export type OtpType = 'totp' | 'hotp';

export interface SeedRecord {
  /** The serial as printed on the fob: fobkit's `FK…` form or a vendor's own, kept verbatim. */
  serial: string;
  /** 16..64 bytes. Callers zero it when done. */
  secret: Uint8Array;
  type: OtpType;
  algorithm: OtpAlgorithm;
  digits: OtpDigits;
  /** TOTP time step in seconds (RFC 6238 X). Ignored for HOTP. */
  period: number;
  /** RFC 6238 T0, Unix seconds. Most formats can only say 0. */
  t0?: number;
  /** HOTP moving factor. */
  counter?: number;
  /** The user the fob is assigned to (Entra UPN, pam_oath user name, otpauth account). */
  user?: string;
  manufacturer?: string;
  model?: string;
}

/**
 * Guards a record at a writer's boundary; `where` names it in messages (`record 3 (FK00000013)`).
 * @throws TypeError/RangeError on a missing serial, a bad secret, algorithm, digits or period.
 */
export function assertSeedRecord(record: SeedRecord, where: string): void {
  if (typeof record !== 'object' || record === null) throw new TypeError(`${where} must be an object`);
  if (typeof record.serial !== 'string' || record.serial.trim() === '') throw new TypeError(`${where}: serial must be a non-empty string`);
  if (/[\r\n]/.test(record.serial)) throw new RangeError(`${where}: serial must not contain a line break`);
  if (record.type !== 'totp' && record.type !== 'hotp') throw new RangeError(`${where}: type must be 'totp' or 'hotp', got ${String(record.type)}`);
  assertSecret(record.secret, `${where}: secret`);
  assertAlgorithm(record.algorithm, `${where}: algorithm`);
  assertDigits(record.digits, `${where}: digits`);
  if (record.type === 'totp') assertPeriod(record.period, `${where}: period`);
  if (record.counter !== undefined && (!Number.isSafeInteger(record.counter) || record.counter < 0)) {
    throw new RangeError(`${where}: counter must be a non-negative safe integer`);
  }
  if (record.t0 !== undefined && (!Number.isSafeInteger(record.t0) || record.t0 < 0)) throw new RangeError(`${where}: t0 must be a non-negative integer`);
}

/** `record 3 (FK00000013)`: how writers name a record in an error without naming its secret. */
export function describeRecord(index: number, record: { serial?: unknown }): string {
  return typeof record?.serial === 'string' ? `record ${index + 1} (${record.serial})` : `record ${index + 1}`;
}
