/**
 * The cryptography of PSKC protection, RFC 6030 §6: AES-CBC with the IV prepended to the
 * ciphertext (XML Encryption's CipherValue layout), PKCS #7 padding, AES key wrap (RFC 3394, and
 * RFC 5649 with padding, which python-pskc uses for keys that are not whole 8-byte blocks, such
 * as 20-byte SHA-1 seeds, under the same kw-aes URIs; read only), HMAC over IV||ciphertext (§6.1.1) and PBKDF2 (§6.2, PKCS #5 v2.0).
 */
import { createCipheriv, createDecipheriv, createHmac, pbkdf2Sync } from 'node:crypto';
import { constantTimeEqual } from '../otp/constantTimeEqual.js';
import { SeedFileError } from '../errors.js';
import { ENCRYPTION_ALGORITHMS, MAC_ALGORITHMS, type EncryptionAlgorithm, type MacHash } from './pskcConstants.js';

const AES_BLOCK = 16;

/** `iv || AES-CBC(key, iv, pkcs7(plaintext))`, the CipherValue of §6.1. */
export function encryptCbc(key: Uint8Array, plaintext: Uint8Array, iv: Uint8Array): Uint8Array {
  if (iv.length !== AES_BLOCK) throw new RangeError(`iv must be ${AES_BLOCK} bytes, got ${iv.length}`);
  const cipher = createCipheriv(`aes-${key.length * 8}-cbc`, key, iv);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const out = new Uint8Array(AES_BLOCK + body.length);
  out.set(iv, 0);
  out.set(body, AES_BLOCK);
  body.fill(0);
  return out;
}

/**
 * Decrypts a CipherValue with the algorithm named by its EncryptionMethod URI.
 * @throws SeedFileError PSKC_DECRYPT_FAILED on an unsupported algorithm, a key of the wrong
 *   length, a ciphertext of impossible length or bad padding (typically a wrong key).
 */
export function decryptValue(algorithmUri: string, key: Uint8Array, cipherValue: Uint8Array, what: string, line: number): Uint8Array {
  const alg: EncryptionAlgorithm | undefined = ENCRYPTION_ALGORITHMS[algorithmUri];
  if (!alg) throw new SeedFileError('PSKC_DECRYPT_FAILED', `${what}: unsupported encryption algorithm ${algorithmUri}`, { line });
  if (key.length !== alg.keyBytes) {
    throw new SeedFileError('PSKC_DECRYPT_FAILED', `${what}: ${algorithmUri} needs a ${alg.keyBytes}-byte key, the key given has ${key.length} bytes`, { line });
  }
  try {
    if (alg.mode === 'cbc') {
      if (cipherValue.length < 2 * AES_BLOCK || cipherValue.length % AES_BLOCK !== 0) {
        throw new SeedFileError('PSKC_DECRYPT_FAILED', `${what}: ciphertext of ${cipherValue.length} bytes is not IV + whole AES blocks (truncated?)`, { line });
      }
      const decipher = createDecipheriv(`aes-${alg.keyBytes * 8}-cbc`, key, cipherValue.subarray(0, AES_BLOCK));
      return concatWiping(decipher.update(cipherValue.subarray(AES_BLOCK)), decipher.final());
    }
    if (cipherValue.length < 16 || cipherValue.length % 8 !== 0) {
      throw new SeedFileError('PSKC_DECRYPT_FAILED', `${what}: wrapped key of ${cipherValue.length} bytes is not a whole number of 8-byte blocks (truncated?)`, { line });
    }
    return unwrapKey(key, cipherValue);
  } catch (e) {
    if (e instanceof SeedFileError) throw e;
    throw new SeedFileError('PSKC_DECRYPT_FAILED', `${what}: decryption failed (wrong pre-shared key or password?)`, { cause: e, line });
  }
}

/** RFC 3394 §2.2.3.1 default initial value. */
const KW_IV = Buffer.from('A6A6A6A6A6A6A6A6', 'hex');
/** RFC 5649 §3 alternative initial value (its high half; the low half is the length). */
const KWP_AIV = Buffer.from('A65959A6', 'hex');

/**
 * AES key unwrap: RFC 3394, else RFC 5649 (padded). The two initial values differ, so each
 * integrity check (64 bits) refuses the other's output: a wrapped key opens under at most one.
 * @throws Error (OpenSSL's) when neither opens it: a wrong key or a damaged value.
 */
export function unwrapKey(kek: Uint8Array, wrapped: Uint8Array): Uint8Array {
  const bits = kek.length * 8;
  if (wrapped.length >= 24) {
    try {
      const d = createDecipheriv(`id-aes${bits}-wrap`, kek, KW_IV);
      return concatWiping(d.update(wrapped), d.final());
    } catch {
      // not RFC 3394 under this key: try the padded form
    }
  }
  const d = createDecipheriv(`id-aes${bits}-wrap-pad`, kek, KWP_AIV);
  return concatWiping(d.update(wrapped), d.final());
}

/** AES key wrap with padding (RFC 5649), for tests and tools that need to write what vendors write. */
export function wrapKeyPadded(kek: Uint8Array, key: Uint8Array): Uint8Array {
  const c = createCipheriv(`id-aes${kek.length * 8}-wrap-pad`, kek, KWP_AIV);
  return concatWiping(c.update(key), c.final());
}

function concatWiping(a: Buffer, b: Buffer): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  a.fill(0);
  b.fill(0);
  return out;
}

/** HMAC with the hash named by a MACMethod URI; `undefined` for an unknown URI. */
export function macHashOf(algorithmUri: string): MacHash | undefined {
  return MAC_ALGORITHMS[algorithmUri];
}

export function computeMac(hash: MacHash, key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac(hash, key).update(data).digest());
}

export function macMatches(hash: MacHash, key: Uint8Array, data: Uint8Array, mac: Uint8Array): boolean {
  const expected = computeMac(hash, key, data);
  const ok = expected.length === mac.length && constantTimeEqual(expected, mac);
  expected.fill(0);
  return ok;
}

/** PBKDF2 (RFC 8018 §5.2; RFC 6030 §6.2 uses the PKCS #5 v2.0 parameters). */
export function derivePbkdf2(password: string, salt: Uint8Array, iterations: number, keyLength: number, prf: MacHash): Uint8Array {
  return new Uint8Array(pbkdf2Sync(Buffer.from(password.normalize('NFC'), 'utf8'), salt, iterations, keyLength, prf));
}

/**
 * Strict base64 (RFC 4648 §4) as XML carries it: whitespace between characters allowed,
 * padding required, nothing else. Node's own decoder silently drops a truncated tail, so a
 * cut-off CipherValue would otherwise decode to something shorter instead of failing.
 * @throws SeedFileError PSKC_INVALID naming `what`.
 */
export function decodeBase64Strict(text: string, what: string, line: number): Uint8Array {
  const clean = text.replace(/\s+/g, '');
  if (clean.length === 0) throw new SeedFileError('PSKC_INVALID', `${what}: empty base64 value`, { line });
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) throw new SeedFileError('PSKC_INVALID', `${what}: not base64 (character outside the base64 alphabet)`, { line });
  if (clean.length % 4 !== 0) throw new SeedFileError('PSKC_INVALID', `${what}: truncated base64 (${clean.length} characters, not a multiple of 4)`, { line });
  return new Uint8Array(Buffer.from(clean, 'base64'));
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64');
}
