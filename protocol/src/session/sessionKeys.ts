/**
 * The key schedule of the secure session (SPEC.md §Secure session, "Key schedule").
 *   th  = SHA-256("fobkit/session/v1" || 0x00 || lp(HELLO request body) || lp(HELLO response body)
 *                 || eph (32) || lp(certificate))      lp(x) = u16 BE length || x
 *   okm = HKDF-SHA-256(ikm = X25519(eph, fob static), salt = th, info = "fobkit/session/v1 keys", L = 64)
 *   station→fob key = okm[0..32), fob→station key = okm[32..64), sid = th[0..8)
 * The HELLO bodies carry both nonces and the fob's static public key, so the keys are bound to
 * this exchange with this fob; the length prefixes keep two different transcripts from hashing
 * the same bytes.
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { assertBytes, concatBytes, lengthPrefixed, utf8 } from './_bytes.js';
import { x25519SharedSecretOrUndefined } from './_curve25519.js';

export const SESSION_LABEL = 'fobkit/session/v1';
const KEYS_INFO = utf8('fobkit/session/v1 keys');
export const SESSION_ID_BYTES = 8;

export interface TranscriptParts {
  /** The HELLO request body exactly as sent (the CBOR bytes of the frame body). */
  helloRequestBody: Uint8Array;
  /** The HELLO response body exactly as received. */
  helloResponseBody: Uint8Array;
  /** The station's ephemeral X25519 public key. */
  eph: Uint8Array;
  /** The station certificate as sent in BEGIN_SESSION. */
  certificate: Uint8Array;
}

/** th, the hash the station signs and the salt of the key derivation. */
export function computeTranscriptHash(parts: TranscriptParts): Uint8Array {
  assertBytes(parts.helloRequestBody, 'helloRequestBody');
  assertBytes(parts.helloResponseBody, 'helloResponseBody');
  assertBytes(parts.eph, 'eph', 32);
  assertBytes(parts.certificate, 'certificate');
  return sha256(
    concatBytes(utf8(SESSION_LABEL), new Uint8Array([0]), lengthPrefixed(parts.helloRequestBody), lengthPrefixed(parts.helloResponseBody), parts.eph, lengthPrefixed(parts.certificate)),
  );
}

export interface SessionKeys {
  stationToFob: Uint8Array;
  fobToStation: Uint8Array;
  sid: Uint8Array;
}

/**
 * Derives the two record keys from an X25519 shared secret and th. The caller zeroes the keys
 * (SecureChannel copies them).
 */
export function deriveSessionKeys(sharedSecret: Uint8Array, transcriptHash: Uint8Array): SessionKeys {
  assertBytes(sharedSecret, 'sharedSecret', 32);
  assertBytes(transcriptHash, 'transcriptHash', 32);
  const okm = hkdf(sha256, sharedSecret, transcriptHash, KEYS_INFO, 64);
  const keys = { stationToFob: okm.slice(0, 32), fobToStation: okm.slice(32, 64), sid: transcriptHash.slice(0, SESSION_ID_BYTES) };
  okm.fill(0);
  return keys;
}

/** X25519 (RFC 7748) that returns undefined instead of throwing on a low-order point. */
export function x25519SharedSecret(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array | undefined {
  try {
    return x25519SharedSecretOrUndefined(privateKey, publicKey);
  } catch {
    return undefined;
  }
}
