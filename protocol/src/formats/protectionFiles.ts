/**
 * The files `--psk-file` and `--password-file` name: a PSKC pre-shared key (32 hex digits, the
 * way vendors send them, or 16 raw bytes) and a password (the first line). Keys and passwords
 * come from files, never from the command line, where the process list and shell history
 * would show them.
 */
import { SeedFileError } from '../errors.js';

/**
 * @throws SeedFileError FORMAT_INVALID when the file is neither 16 raw bytes nor 32 hex digits
 *   (whitespace, a `0x` prefix and `:`/`-` separators allowed).
 */
export function parsePskFile(bytes: Uint8Array): Uint8Array {
  if (bytes.length === 16 && !/^[0-9a-fA-F]{16}$/.test(Buffer.from(bytes).toString('latin1'))) return Uint8Array.from(bytes);
  const text = Buffer.from(bytes).toString('latin1').trim().replace(/^0x/i, '').replace(/[\s:-]/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(text)) {
    throw new SeedFileError('FORMAT_INVALID', `the pre-shared key file must hold an AES-128 key: 32 hex digits or 16 raw bytes (found ${bytes.length} bytes)`);
  }
  return new Uint8Array(Buffer.from(text, 'hex'));
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
