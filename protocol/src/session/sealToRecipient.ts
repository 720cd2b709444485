/**
 * Sealed envelopes: encrypt a secret to a recipient's X25519 public key so that only the holder
 * of the private key can open it (an ECIES construction in the style of RFC 9180's base mode).
 * The station seals each seed to the backend's registration key, so seeds arrive sealed even
 * over plain HTTP and sit sealed in the station's journal.
 *
 * Envelope (all fixed-size fields, no length prefixes):
 *   version (1 byte, 0x01) | ephemeral public key (32) | nonce (12) | AES-256-GCM ciphertext + tag (16)
 * Key: HKDF-SHA-256(ikm = X25519(eph, recipient), salt = eph_pub || recipient_pub,
 *                   info = "fobkit/seal/v1" || 0x00 || context), 32 bytes.
 * The associated data is the caller's `context`, so an envelope made for one purpose
 * (e.g. "seed:FK00000013") does not open for another.
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes as nobleRandomBytes } from '@noble/hashes/utils.js';
import { ProtocolError } from '../errors.js';
import { aesGcmOpen, aesGcmSeal } from './_aesGcm.js';
import { x25519PublicKey, x25519SharedSecretOrUndefined } from './_curve25519.js';

export const SEAL_VERSION = 0x01;
const HEADER_BYTES = 1 + 32 + 12;
const TAG_BYTES = 16;
const INFO_LABEL = new TextEncoder().encode('fobkit/seal/v1');

export interface SealOptions {
  recipientPublicKey: Uint8Array;
  plaintext: Uint8Array;
  /** Binds the envelope to a purpose; the same context must be given to open it. */
  context: string;
  /** Injected for deterministic tests; defaults to the CSPRNG. */
  randomBytes?: (n: number) => Uint8Array;
}

export interface OpenOptions {
  recipientPrivateKey: Uint8Array;
  /**
   * The recipient's public key, when the caller keeps it (a backend stores its registration
   * key's): saves deriving it, a quarter of the cost of opening. A wrong one makes the envelope
   * fail to open (it is bound into the key derivation), never open wrongly.
   */
  recipientPublicKey?: Uint8Array;
  envelope: Uint8Array;
  context: string;
}

function deriveKey(shared: Uint8Array, ephPub: Uint8Array, recipientPub: Uint8Array, context: string): Uint8Array {
  const ctx = new TextEncoder().encode(context);
  const info = new Uint8Array(INFO_LABEL.length + 1 + ctx.length);
  info.set(INFO_LABEL, 0);
  info.set(ctx, INFO_LABEL.length + 1);
  const salt = new Uint8Array(64);
  salt.set(ephPub, 0);
  salt.set(recipientPub, 32);
  return hkdf(sha256, shared, salt, info, 32);
}

/**
 * Seals `plaintext` to `recipientPublicKey`.
 * @throws RangeError when the public key is not 32 bytes or is a point of small order.
 */
export function sealToRecipient(options: SealOptions): Uint8Array {
  const { recipientPublicKey, plaintext, context, randomBytes = nobleRandomBytes } = options;
  if (!(recipientPublicKey instanceof Uint8Array) || recipientPublicKey.length !== 32) throw new RangeError('recipientPublicKey must be 32 bytes (X25519)');
  const ephPriv = randomBytes(32);
  const ephPub = x25519PublicKey(ephPriv);
  const shared = x25519SharedSecretOrUndefined(ephPriv, recipientPublicKey);
  if (!shared) {
    ephPriv.fill(0);
    throw new RangeError('recipientPublicKey is a point of small order (no shared secret)');
  }
  const key = deriveKey(shared, ephPub, recipientPublicKey, context);
  const nonce = randomBytes(12);
  const ct = aesGcmSeal(key, nonce, new TextEncoder().encode(context), plaintext);
  ephPriv.fill(0);
  shared.fill(0);
  key.fill(0);
  const out = new Uint8Array(HEADER_BYTES + ct.length);
  out[0] = SEAL_VERSION;
  out.set(ephPub, 1);
  out.set(nonce, 33);
  out.set(ct, HEADER_BYTES);
  return out;
}

/**
 * Opens an envelope made by {@link sealToRecipient}. The caller owns the returned plaintext
 * and should zero it when done.
 * @throws ProtocolError SEAL_FAILED when the envelope is malformed, tampered with, made for
 *   another key or another context.
 */
export function openSealed(options: OpenOptions): Uint8Array {
  const { recipientPrivateKey, envelope, context } = options;
  if (!(envelope instanceof Uint8Array) || envelope.length < HEADER_BYTES + TAG_BYTES) throw new ProtocolError('SEAL_FAILED', 'sealed envelope is truncated');
  if (envelope[0] !== SEAL_VERSION) throw new ProtocolError('SEAL_FAILED', `sealed envelope version ${envelope[0]} is not supported`);
  const ephPub = envelope.subarray(1, 33);
  const nonce = envelope.subarray(33, HEADER_BYTES);
  const recipientPub = options.recipientPublicKey ?? x25519PublicKey(recipientPrivateKey);
  const shared = x25519SharedSecretOrUndefined(recipientPrivateKey, ephPub);
  if (!shared) throw new ProtocolError('SEAL_FAILED', 'sealed envelope carries an invalid ephemeral key');
  const key = deriveKey(shared, ephPub, recipientPub, context);
  const plaintext = aesGcmOpen(key, nonce, new TextEncoder().encode(context), envelope.subarray(HEADER_BYTES));
  shared.fill(0);
  key.fill(0);
  if (!plaintext) throw new ProtocolError('SEAL_FAILED', 'sealed envelope does not open: wrong key, wrong context or tampered');
  return plaintext;
}

/** A fresh X25519 key pair, e.g. the backend's registration key. */
export function generateSealKeyPair(randomBytes: (n: number) => Uint8Array = nobleRandomBytes): { privateKey: Uint8Array; publicKey: Uint8Array } {
  const privateKey = randomBytes(32);
  return { privateKey, publicKey: x25519PublicKey(privateKey) };
}
