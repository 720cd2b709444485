/** Hex codec for secrets and wire dumps: lower-case out, either case in, nothing else accepted. */
import { ProtocolError } from '../errors.js';

export function encodeHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += (b < 16 ? '0' : '') + b.toString(16);
  return out;
}

/**
 * @throws ProtocolError INVALID_ENCODING on an odd length or a non-hex character (by position
 *   only: the text is usually a secret). Spaces are tolerated so that dumps can be pasted.
 */
export function decodeHex(text: string, field = 'hex'): Uint8Array {
  if (typeof text !== 'string') throw new TypeError(`${field} must be a string`);
  const clean = text.replace(/\s/g, '');
  const bad = clean.search(/[^0-9a-fA-F]/);
  if (bad >= 0) throw new ProtocolError('INVALID_ENCODING', `${field}: invalid hex character at position ${bad + 1}`);
  if (clean.length % 2 !== 0) throw new ProtocolError('INVALID_ENCODING', `${field}: odd number of hex digits (${clean.length})`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}
