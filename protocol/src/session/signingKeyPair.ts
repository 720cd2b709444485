/** Ed25519 key pairs (RFC 8032) for the factory root and for stations. */
import { randomBytes as nobleRandomBytes } from '@noble/hashes/utils.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { assertBytes, toHex } from './_bytes.js';
import { ed25519PublicKey } from './_curve25519.js';

export interface SigningKeyPair {
  /** The 32-byte Ed25519 seed. Zero it when done. */
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

/** A fresh Ed25519 key pair: the factory root, or a station's key. */
export function generateSigningKeyPair(randomBytes: (n: number) => Uint8Array = nobleRandomBytes): SigningKeyPair {
  const privateKey = randomBytes(32);
  assertBytes(privateKey, 'randomBytes(32)', 32);
  return { privateKey, publicKey: ed25519PublicKey(privateKey) };
}

/** The public key of an Ed25519 private key (seed). @throws RangeError when not 32 bytes. */
export function signingPublicKey(privateKey: Uint8Array): Uint8Array {
  assertBytes(privateKey, 'privateKey', 32);
  return ed25519PublicKey(privateKey);
}

/** A short, printable name for a public key: the first 8 bytes of SHA-256(key), hex. */
export function keyFingerprint(publicKey: Uint8Array): string {
  assertBytes(publicKey, 'publicKey');
  return toHex(sha256(publicKey).subarray(0, 8));
}
