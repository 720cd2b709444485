/**
 * X25519 (RFC 7748 §5) and Ed25519 (RFC 8032 §5.1) on raw 32/64-byte keys, through node:crypto
 * (OpenSSL). Why not @noble/curves, which the rest of the package uses: on the 2-core development
 * machine OpenSSL is 5–13× faster per operation, key import included (X25519 shared secret
 * ~0.15 ms against 1–2 ms, Ed25519 verify ~0.2 ms against ~1.5 ms), and each provisioned fob
 * costs the station four X25519 operations (handshake and seal) and a signature, and the fob two
 * or more verifications and an X25519: most of the CPU above `bench:provision`'s floor.
 * @noble/curves stays the independent reference in `_curve25519.test.ts` (same keys, shared
 * secrets and signatures byte for byte).
 *
 * Raw keys go in as JWK (`d`/`x`, base64url): importing PKCS#8/SPKI DER runs OpenSSL's generic
 * decoder and costs ~0.5 ms, JWK takes the raw-key path (~0.05 ms). The base64url string of a
 * private key cannot be zeroed; it is as unreachable after the call as @noble's bigint
 * intermediates are.
 */
import { createPrivateKey, createPublicKey, diffieHellman, sign, verify, type KeyObject } from 'node:crypto';

const KEY_BYTES = 32;
const SIGNATURE_BYTES = 64;
/** 2^255 − 19, RFC 7748 §4.1. */
const P = (1n << 255n) - 19n;
/** The order of the prime-order subgroup, RFC 8032 §5.1. */
const L = (1n << 252n) + 27742317777372353535851937790883648493n;
/** y of the order-8 points (the others are y = 0, 1, p − 1 and p − Y8). */
const Y8 = 2707385501144840649318225287225658788936804267575313519463743609750303402022n;
/** y-coordinates of the eight points of small order (RFC 8032 strict verifiers refuse them as A). */
const SMALL_ORDER_Y = new Set([0n, 1n, P - 1n, Y8, P - Y8]);

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

function littleEndian(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

function privateKeyObject(curve: 'X25519' | 'Ed25519', privateKey: Uint8Array): KeyObject {
  if (!(privateKey instanceof Uint8Array) || privateKey.length !== KEY_BYTES) throw new RangeError(`${curve} private key must be 32 bytes`);
  // `x` is required by the JWK shape but ignored on import: OpenSSL derives the public key from `d`.
  return createPrivateKey({ key: { kty: 'OKP', crv: curve, d: b64(privateKey), x: '' }, format: 'jwk' });
}

function publicKeyObject(curve: 'X25519' | 'Ed25519', publicKey: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: curve, x: b64(publicKey) }, format: 'jwk' });
}

function rawPublicKey(key: KeyObject): Uint8Array {
  const { x } = key.export({ format: 'jwk' });
  return new Uint8Array(Buffer.from(x!, 'base64url'));
}

/** X25519(k, 9). @throws RangeError when the private key is not 32 bytes. */
export function x25519PublicKey(privateKey: Uint8Array): Uint8Array {
  return rawPublicKey(createPublicKey(privateKeyObject('X25519', privateKey)));
}

/**
 * X25519(k, u), or undefined when the result is all zero (u of small order, RFC 7748 §6.1),
 * which OpenSSL refuses to return.
 * @throws RangeError when the private key is not 32 bytes.
 */
export function x25519SharedSecretOrUndefined(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array | undefined {
  const priv = privateKeyObject('X25519', privateKey);
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== KEY_BYTES) return undefined;
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey: priv, publicKey: publicKeyObject('X25519', publicKey) });
  } catch {
    return undefined;
  }
  let any = 0;
  for (const b of shared) any |= b;
  const out = new Uint8Array(shared);
  shared.fill(0);
  return any === 0 ? undefined : out;
}

/** The Ed25519 public key of a 32-byte seed. @throws RangeError when not 32 bytes. */
export function ed25519PublicKey(privateKey: Uint8Array): Uint8Array {
  return rawPublicKey(createPublicKey(privateKeyObject('Ed25519', privateKey)));
}

/** Pure Ed25519 (deterministic, RFC 8032 §5.1.6). @throws RangeError when the seed is not 32 bytes. */
export function ed25519Sign(message: Uint8Array, privateKey: Uint8Array): Uint8Array {
  return new Uint8Array(sign(null, message, privateKeyObject('Ed25519', privateKey)));
}

/** Canonical (y < p, RFC 8032 §5.1.3) and not one of the eight points of small order. */
function isStrictPublicKey(publicKey: Uint8Array): boolean {
  const y = littleEndian(publicKey) & ((1n << 255n) - 1n);
  return y < P && !SMALL_ORDER_Y.has(y);
}

/**
 * Strict Ed25519 verification as SPEC.md §Secure session, "Primitives" asks: canonical S < L,
 * canonical A of large order, and OpenSSL's cofactorless equation (encode([S]B − [k]A) == R,
 * so a non-canonical R never verifies). Never throws: wrong sizes and undecodable points are
 * simply invalid.
 */
export function ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES) return false;
  if (!(message instanceof Uint8Array)) return false;
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== KEY_BYTES) return false;
  if (littleEndian(signature.subarray(32)) >= L) return false;
  if (!isStrictPublicKey(publicKey)) return false;
  try {
    return verify(null, message, publicKeyObject('Ed25519', publicKey), signature);
  } catch {
    return false;
  }
}
