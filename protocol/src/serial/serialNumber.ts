/**
 * fobkit serial numbers, as printed on the back of each fob: `FK` + 7-digit sequence number +
 * one Damm check digit, e.g. `FK00000013`. The Damm algorithm (H. M. Damm, 2004) catches every
 * single-digit error and every adjacent transposition, the two mistakes people make when they
 * read a serial over the phone to support, so a mistyped serial is rejected before anything is
 * sent. Input tolerates case, spaces and dashes (`fk-0000001-3`).
 */
import { ProtocolError } from '../errors.js';

export const SERIAL_PREFIX = 'FK';
export const SERIAL_DIGITS = 7;
export const MAX_SERIAL_SEQUENCE = 9_999_999;

// Damm's totally anti-symmetric quasigroup of order 10.
const DAMM: readonly (readonly number[])[] = [
  [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
  [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
  [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
  [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
  [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
  [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
  [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
  [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
  [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
  [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

/** The Damm check digit of a string of decimal digits. */
export function dammCheckDigit(digits: string): number {
  let interim = 0;
  for (const ch of digits) interim = DAMM[interim]![ch.charCodeAt(0) - 48]!;
  return interim;
}

/**
 * The serial for sequence number `sequence` (1..9,999,999).
 * @throws RangeError when out of range.
 */
export function formatSerial(sequence: number): string {
  if (!Number.isInteger(sequence) || sequence < 1 || sequence > MAX_SERIAL_SEQUENCE) {
    throw new RangeError(`serial sequence must be an integer from 1 to ${MAX_SERIAL_SEQUENCE}, got ${String(sequence)}`);
  }
  const body = String(sequence).padStart(SERIAL_DIGITS, '0');
  return `${SERIAL_PREFIX}${body}${dammCheckDigit(body)}`;
}

export type ParseSerialResult =
  | { ok: true; serial: string; sequence: number }
  | { ok: false; reason: 'format' | 'check-digit'; message: string };

/** Parses user input into the canonical serial, saying why it is not one. */
export function parseSerial(input: string): ParseSerialResult {
  const text = typeof input === 'string' ? input.replace(/[\s-]/g, '').toUpperCase() : '';
  const m = /^FK(\d{7})(\d)$/.exec(text);
  if (!m) return { ok: false, reason: 'format', message: `'${String(input)}' is not a fobkit serial number (FK followed by 8 digits, e.g. FK00000013)` };
  const body = m[1]!;
  if (dammCheckDigit(body) !== Number(m[2])) {
    return { ok: false, reason: 'check-digit', message: `serial '${String(input)}' has a wrong check digit: probably mistyped, read it again from the back of the fob` };
  }
  const sequence = Number(body);
  if (sequence < 1) return { ok: false, reason: 'format', message: `serial '${String(input)}' has sequence 0, which is never issued` };
  return { ok: true, serial: text, sequence };
}

/**
 * The canonical form of a serial given by a user.
 * @throws ProtocolError INVALID_SERIAL with the reason in the message.
 */
export function normalizeSerial(input: string): string {
  const r = parseSerial(input);
  if (!r.ok) throw new ProtocolError('INVALID_SERIAL', r.message);
  return r.serial;
}

/** True when `input` is a well-formed serial with a correct check digit. */
export function isValidSerial(input: string): boolean {
  return parseSerial(input).ok;
}
