/**
 * The files `--psk-file` and `--password-file` name: a PSKC pre-shared AES-128, -192 or -256 key
 * (32, 48 or 64 hex digits, the way vendors send them, or 16, 24 or 32 raw bytes) and a password
 * (the first line). Keys and passwords
 * come from files, never from the command line, where the process list and shell history
 * would show them.
 */
import { SeedFileError } from '../errors.js';

const AES_KEY_BYTES = [16, 24, 32];

/**
 * @throws SeedFileError FORMAT_INVALID when the file is neither 16, 24 or 32 raw bytes nor 32, 48
 *   or 64 hex digits (whitespace, a `0x` prefix and `:`/`-` separators allowed). A file that
 *   reads as hex is hex: 32 hex digits are an AES-128 key, not 32 raw bytes.
 */
export function parsePskFile(bytes: Uint8Array): Uint8Array {
  const latin1 = Buffer.from(bytes).toString('latin1');
  const text = latin1.trim().replace(/^0x/i, '').replace(/[\s:-]/g, '');
  if (/^[0-9a-fA-F]+$/.test(text) && AES_KEY_BYTES.includes(text.length / 2)) return new Uint8Array(Buffer.from(text, 'hex'));
  if (AES_KEY_BYTES.includes(bytes.length) && !/^[0-9a-fA-F]+$/.test(latin1)) return Uint8Array.from(bytes);
  throw new SeedFileError('FORMAT_INVALID', `the pre-shared key file must hold an AES-128, -192 or -256 key: 32, 48 or 64 hex digits, or 16, 24 or 32 raw bytes (found ${bytes.length} bytes)`);
}

/**
 * The password is the first line, without its line end; nothing else is trimmed.
 * @throws SeedFileError FORMAT_INVALID on an empty password.
 */
export function parsePasswordFile(bytes: Uint8Array): string {
  const text = new TextDecoder('utf-8').decode(bytes);
  const first = text.split(/\r?\n/)[0] ?? '';
  if (first === '') throw new SeedFileError('FORMAT_INVALID', 'the password file is empty (the password is its first line)');
  return first;
}
