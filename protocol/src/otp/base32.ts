/**
 * Base32 (RFC 4648 §6), the encoding authenticator secrets travel in. Decoding is lenient where
 * people are (case, spaces, dashes, optional `=` padding) and strict about everything else.
 */
import { ProtocolError } from '../errors.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const LOOKUP = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) {
  LOOKUP[ALPHABET.charCodeAt(i)] = i;
  LOOKUP[ALPHABET.toLowerCase().charCodeAt(i)] = i;
}

/** '=' count that completes a quantum, by characters in the last one (-1: no valid encoding). */
const PADDING_FOR_REMAINDER = [0, -1, 6, -1, 4, 3, -1, 1];
/** Digits people type for letters; named in the error because they are the usual typo. */
const CONFUSABLE = new Set(['0', '1', '8', '9']);

/** Encodes without padding unless `pad` is true. */
export function encodeBase32(bytes: Uint8Array, options: { pad?: boolean } = {}): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  if (options.pad) while (out.length % 8 !== 0) out += '=';
  return out;
}

/**
 * Decodes base32 text.
 * @throws ProtocolError INVALID_ENCODING giving the position of the first bad character (never
 *   the character: the text is usually a secret), misplaced or miscounted `=` padding, or a
 *   length no encoder produces.
 */
export function decodeBase32(text: string, field = 'base32'): Uint8Array {
  if (typeof text !== 'string') throw new TypeError(`${field} must be a string`);
  const cleaned = text.replace(/[\s-]/g, '');
  const body = cleaned.replace(/=+$/, '');
  const padding = cleaned.length - body.length;
  const out = new Uint8Array(Math.floor((body.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    const v = c < 128 ? LOOKUP[c]! : -1;
    if (v < 0) throw new ProtocolError('INVALID_ENCODING', `${field}: invalid base32 character at position ${i + 1}${CONFUSABLE.has(body[i]!) ? ' (base32 has no 0, 1, 8 or 9)' : ''}`);
    buffer = ((buffer << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out[o++] = (buffer >>> (bits - 8)) & 0xff;
      bits -= 8;
    }
  }
  // RFC 4648 §6: padding, when present, completes the last 8-character quantum exactly.
  if (padding > 0 && (cleaned.length % 8 !== 0 || padding !== PADDING_FOR_REMAINDER[body.length % 8])) {
    throw new ProtocolError('INVALID_ENCODING', `${field}: wrong base32 padding (${padding} '=' after ${body.length} characters)`);
  }
  // 1, 3 and 6 leftover characters cannot come from whole bytes (RFC 4648 §6 quanta).
  if ([1, 3, 6].includes(body.length % 8)) throw new ProtocolError('INVALID_ENCODING', `${field}: truncated base32 (${body.length} characters)`);
  return out;
}
