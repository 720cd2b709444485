/**
 * AES-256-GCM (NIST SP 800-38D, 96-bit nonce, 128-bit tag) through node:crypto (OpenSSL).
 * Why not @noble/ciphers: its `gcm(key, nonce, aad)` expands the key and builds the GHASH
 * tables on every call, and every record has a fresh nonce, so each record pays that set-up;
 * in `bench:provision` profiles that was ~2 ms of CPU per fob on each end (the station's and the
 * fob's records), the largest share of the simulated fob's CPU once the curves moved to OpenSSL.
 * OpenSSL with AES-NI seals a short record in a few microseconds. @noble/ciphers stays the
 * reference in `_aesGcm.test.ts`.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';

const TAG_BYTES = 16;

function view(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** ciphertext ‖ tag. @throws RangeError when the key is not 32 bytes or the nonce not 12. */
export function aesGcmSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  if (key.length !== 32) throw new RangeError('AES-256-GCM key must be 32 bytes');
  if (nonce.length !== 12) throw new RangeError('AES-GCM nonce must be 12 bytes');
  const cipher = createCipheriv('aes-256-gcm', view(key), view(nonce), { authTagLength: TAG_BYTES });
  cipher.setAAD(view(aad));
  const head = cipher.update(view(plaintext));
  const tail = cipher.final();
  const out = new Uint8Array(head.length + tail.length + TAG_BYTES);
  out.set(head, 0);
  out.set(tail, head.length);
  out.set(cipher.getAuthTag(), head.length + tail.length);
  return out;
}

/**
 * The plaintext of ciphertext ‖ tag, or undefined when it does not authenticate (or is shorter
 * than a tag). @throws RangeError when the key is not 32 bytes or the nonce not 12.
 */
export function aesGcmOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | undefined {
  if (key.length !== 32) throw new RangeError('AES-256-GCM key must be 32 bytes');
  if (nonce.length !== 12) throw new RangeError('AES-GCM nonce must be 12 bytes');
  if (sealed.length < TAG_BYTES) return undefined;
  const decipher = createDecipheriv('aes-256-gcm', view(key), view(nonce), { authTagLength: TAG_BYTES });
  decipher.setAAD(view(aad));
  decipher.setAuthTag(view(sealed.subarray(sealed.length - TAG_BYTES)));
  const head = decipher.update(view(sealed.subarray(0, sealed.length - TAG_BYTES)));
  let tail: Buffer;
  try {
    tail = decipher.final();
  } catch {
    head.fill(0);
    return undefined;
  }
  const out = new Uint8Array(head.length + tail.length);
  out.set(head, 0);
  out.set(tail, head.length);
  head.fill(0);
  return out;
}
