/**
 * Line and CSV plumbing shared by the text seed formats: numbered lines, RFC 4180 fields within
 * one line, and decoding of secrets into errors that carry the line but never the secret.
 */
import { SeedFileError } from '../errors.js';
import { ProtocolError } from '../errors.js';
import { decodeBase32 } from '../otp/base32.js';
import { decodeHex } from '../otp/hex.js';
import { MAX_SECRET_BYTES, MIN_SECRET_BYTES } from '../otp/otpOptions.js';
import { boundedText, DEFAULT_MAX_SEED_FILE_BYTES } from './_xml.js';

export interface NumberedLine {
  /** 1-based. */
  line: number;
  text: string;
}

/** Non-blank lines with their numbers; `#` comment lines dropped when `comments` is true. */
export function numberedLines(input: string | Uint8Array, options: { maxBytes?: number; comments: boolean }): NumberedLine[] {
  const text = boundedText(input, options.maxBytes ?? DEFAULT_MAX_SEED_FILE_BYTES, 'FORMAT_INVALID');
  const out: NumberedLine[] = [];
  text.split(/\r?\n|\r/).forEach((raw, i) => {
    const trimmed = raw.trim();
    if (trimmed === '' || (options.comments && trimmed.startsWith('#'))) return;
    out.push({ line: i + 1, text: raw });
  });
  return out;
}

/**
 * Splits one CSV record (RFC 4180: `"` quotes, `""` inside quotes) and trims unquoted fields.
 * @throws SeedFileError FORMAT_INVALID on an unterminated quote or text after a closing quote.
 */
export function splitCsvLine({ line, text }: NumberedLine): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (text[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) throw new SeedFileError('FORMAT_INVALID', `unterminated quoted field ${fields.length + 1}`, { line });
        value += text.slice(i, q);
        if (text[q + 1] === '"') {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      while (text[i] === ' ' || text[i] === '\t') i++;
      if (i < text.length && text[i] !== ',') throw new SeedFileError('FORMAT_INVALID', `text after the closing quote of field ${fields.length + 1}`, { line });
      fields.push(value);
    } else {
      const comma = text.indexOf(',', i);
      const end = comma < 0 ? text.length : comma;
      fields.push(text.slice(i, end).trim());
      i = end;
    }
    if (i >= text.length) return fields;
    i++; // the comma
  }
}

/** One CSV field, quoted only when it must be. */
export function csvField(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * Decodes a secret column and checks its length, with the line in any error.
 * @throws SeedFileError FORMAT_INVALID (the message names the column, never the value).
 */
export function decodeSecretField(text: string, encoding: 'base32' | 'hex', column: string, line: number | undefined): Uint8Array {
  let secret: Uint8Array;
  try {
    secret = encoding === 'base32' ? decodeBase32(text, column) : decodeHex(text, column);
  } catch (e) {
    if (e instanceof ProtocolError) throw new SeedFileError('FORMAT_INVALID', e.message, line === undefined ? { cause: e } : { line, cause: e });
    throw e;
  }
  if (secret.length < MIN_SECRET_BYTES || secret.length > MAX_SECRET_BYTES) {
    const n = secret.length;
    secret.fill(0);
    throw new SeedFileError('FORMAT_INVALID', `${column}: ${n}-byte secret, fobkit takes ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} bytes`, lineOption(line));
  }
  return secret;
}

/**
 * An integer column within bounds.
 * @throws SeedFileError FORMAT_INVALID naming the column and the line.
 */
export function integerField(text: string, column: string, min: number, max: number, line: number | undefined): number {
  if (!/^\d{1,15}$/.test(text)) throw new SeedFileError('FORMAT_INVALID', `${column} must be a whole number, got ${JSON.stringify(text.slice(0, 20))}`, lineOption(line));
  const n = Number(text);
  if (n < min || n > max) throw new SeedFileError('FORMAT_INVALID', `${column} ${n} is outside ${min}..${max}`, lineOption(line));
  return n;
}

function lineOption(line: number | undefined): { line?: number } {
  return line === undefined ? {} : { line };
}

/** Zeroes the secrets already decoded when a later line fails, then rethrows. */
export function wipeOnError<T extends { secret: Uint8Array }>(records: T[], fn: () => void): void {
  try {
    fn();
  } catch (e) {
    for (const r of records) r.secret.fill(0);
    throw e;
  }
}
