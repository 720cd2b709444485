/**
 * The node:crypto Curve25519 path (`_curve25519.ts`) against @noble/curves as the independent
 * reference: public keys, shared secrets and signatures byte for byte, and verification results
 * on valid, mutated and hostile inputs (non-canonical encodings, points of small order, S ≥ L,
 * wrong sizes). One deliberate difference, which SPEC.md §Secure session "Primitives" decides:
 * the spec's Ed25519 is cofactorless, noble's strict mode checks the cofactored equation, so a
 * signature whose R carries a small-order component verifies under noble and not here.
 */
import { sha512 } from '@noble/hashes/sha2.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isProtocolError } from '../errors.js';
import { ed25519PublicKey, ed25519Sign, ed25519Verify, x25519PublicKey, x25519SharedSecretOrUndefined } from './_curve25519.js';
import { x25519SharedSecret } from './sessionKeys.js';
import { openSealed, sealToRecipient } from './sealToRecipient.js';

const P = (1n << 255n) - 19n;
const L = (1n << 252n) + 27742317777372353535851937790883648493n;
const Point = ed25519.Point;

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const fromHex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
const le = (n: bigint, len = 32): Uint8Array => {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++, n >>= 8n) out[i] = Number(n & 0xffn);
  return out;
};
const fromLe = (b: Uint8Array): bigint => b.reduceRight((n, byte) => (n << 8n) | BigInt(byte), 0n);
const modP = (n: bigint): bigint => ((n % P) + P) % P;
const powP = (b: bigint, e: bigint): bigint => {
  let r = 1n;
  for (b = modP(b); e > 0n; e >>= 1n, b = (b * b) % P) if (e & 1n) r = (r * b) % P;
  return r;
};

/** noble's verdict, strict (RFC 8032 decoding, no ZIP-215), with a throw counted as "invalid". */
function nobleVerify(sig: Uint8Array, msg: Uint8Array, pub: Uint8Array): boolean {
  try {
    return ed25519.verify(sig, msg, pub, { zip215: false });
  } catch {
    return false;
  }
}

function nobleShared(priv: Uint8Array, pub: Uint8Array): Uint8Array | undefined {
  try {
    return x25519.getSharedSecret(priv, pub);
  } catch {
    return undefined;
  }
}

/** The eight points of small order, as [L]·P for points P until all are seen. */
const SMALL_ORDER_POINTS: InstanceType<typeof Point>[] = (() => {
  const seen = new Map<string, InstanceType<typeof Point>>();
  for (let i = 0; seen.size < 8 && i < 10_000; i++) {
    const bytes = le(BigInt(i) * 7919n + 2n);
    let p;
    try {
      p = Point.fromBytes(bytes);
    } catch {
      continue;
    }
    const t = p.multiplyUnsafe(L - 1n).add(p);
    seen.set(t.toHex(), t);
  }
  return [...seen.values()];
})();

/** Every encoding of the small-order points: canonical, with the sign bit flipped, and y + p where that fits. */
const SMALL_ORDER_ENCODINGS: Uint8Array[] = SMALL_ORDER_POINTS.flatMap((t) => {
  const enc = t.toBytes();
  const y = fromLe(enc) & ((1n << 255n) - 1n);
  const sign = enc[31]! & 0x80;
  const out = [enc, Uint8Array.from(enc, (b, i) => (i === 31 ? b ^ 0x80 : b))];
  if (y + P < 1n << 255n) {
    const big = le(y + P);
    big[31]! |= sign;
    out.push(big);
  }
  return out;
});

/** X25519 u-coordinates of small order (RFC 7748 §6.1 refuses their all-zero results): u = (1+y)/(1−y), plus u + p and the top bit. */
const SMALL_ORDER_U: Uint8Array[] = (() => {
  const us = new Set<bigint>([0n]);
  for (const t of SMALL_ORDER_POINTS) {
    const y = fromLe(t.toBytes()) & ((1n << 255n) - 1n);
    if (y === 1n) continue; // the neutral element has no affine u (it is u = 0 for the ladder)
    us.add(modP((1n + y) * powP(1n - y, P - 2n)));
  }
  const out: Uint8Array[] = [];
  for (const u of us) {
    out.push(le(u), Uint8Array.from(le(u), (b, i) => (i === 31 ? b | 0x80 : b)));
    if (u + P < 1n << 255n) out.push(le(u + P));
  }
  return out;
})();

const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const message = fc.uint8Array({ maxLength: 300 });

describe('X25519 through node:crypto agrees with @noble/curves', () => {
  it('RFC 7748 §6.1: the Alice/Bob example', () => {
    const alice = fromHex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
    const bob = fromHex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
    expect(hex(x25519PublicKey(alice))).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    expect(hex(x25519PublicKey(bob))).toBe('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    expect(hex(x25519SharedSecretOrUndefined(alice, x25519PublicKey(bob))!)).toBe('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');
  });

  it('public keys, byte for byte, for any 32-byte private key (clamping included)', () => {
    fc.assert(
      fc.property(key32, (priv) => {
        expect(hex(x25519PublicKey(priv))).toBe(hex(x25519.getPublicKey(priv)));
      }),
      { numRuns: 200 },
    );
  });

  it('shared secrets for any u, including the top bit set and non-canonical u ≥ p', () => {
    const u = fc.oneof(key32, fc.bigInt({ min: P, max: (1n << 255n) - 1n }).map((n) => le(n)));
    fc.assert(
      fc.property(key32, u, (priv, pub) => {
        const ours = x25519SharedSecretOrUndefined(priv, pub);
        const theirs = nobleShared(priv, pub);
        expect(ours && hex(ours)).toBe(theirs && hex(theirs));
      }),
      { numRuns: 200 },
    );
  });

  it('a u of small order gives no shared secret (undefined, never a throw), as noble refuses it', () => {
    expect(SMALL_ORDER_U.length).toBeGreaterThanOrEqual(10);
    fc.assert(
      fc.property(key32, fc.constantFrom(...SMALL_ORDER_U), (priv, pub) => {
        expect(nobleShared(priv, pub)).toBeUndefined();
        expect(x25519SharedSecretOrUndefined(priv, pub)).toBeUndefined();
        expect(x25519SharedSecret(priv, pub)).toBeUndefined();
      }),
      { numRuns: 100 },
    );
  });

  it('wrong sizes: a public key is refused, a private key is a RangeError', () => {
    const priv = new Uint8Array(32).fill(7);
    expect(x25519SharedSecretOrUndefined(priv, new Uint8Array(31))).toBeUndefined();
    expect(x25519SharedSecret(priv, new Uint8Array(33))).toBeUndefined();
    expect(() => x25519PublicKey(new Uint8Array(31))).toThrow(RangeError);
    expect(x25519SharedSecret(new Uint8Array(31), x25519PublicKey(priv))).toBeUndefined();
  });

  it('sealed envelopes: a small-order recipient is a RangeError, a small-order ephemeral key SEAL_FAILED', () => {
    const recipient = new Uint8Array(32).fill(9);
    for (const u of SMALL_ORDER_U) {
      expect(() => sealToRecipient({ recipientPublicKey: u, plaintext: new Uint8Array(20), context: 'seed:x' })).toThrow(RangeError);
      const envelope = sealToRecipient({ recipientPublicKey: x25519PublicKey(recipient), plaintext: new Uint8Array(20), context: 'seed:x' });
      envelope.set(u, 1);
      let error: unknown;
      try {
        openSealed({ recipientPrivateKey: recipient, envelope, context: 'seed:x' });
      } catch (e) {
        error = e;
      }
      expect(isProtocolError(error) && error.code).toBe('SEAL_FAILED');
    }
  });
});

describe('Ed25519 through node:crypto agrees with @noble/curves', () => {
  it('public keys and signatures, byte for byte', () => {
    fc.assert(
      fc.property(key32, message, (seed, msg) => {
        expect(hex(ed25519PublicKey(seed))).toBe(hex(ed25519.getPublicKey(seed)));
        const sig = ed25519Sign(msg, seed);
        expect(hex(sig)).toBe(hex(ed25519.sign(msg, seed)));
        expect(ed25519Verify(sig, msg, ed25519PublicKey(seed))).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('any change to signature, message or key: both refuse', () => {
    fc.assert(
      fc.property(key32, message, fc.nat(), fc.integer({ min: 1, max: 255 }), fc.constantFrom('sig', 'msg', 'pub'), (seed, msg, at, xor, what) => {
        const sig = ed25519.sign(msg, seed);
        const pub = ed25519.getPublicKey(seed);
        let m = msg;
        if (what === 'sig') sig[at % 64]! ^= xor;
        if (what === 'pub') pub[at % 32]! ^= xor;
        if (what === 'msg') m = msg.length ? Uint8Array.from(msg, (b, i) => (i === at % msg.length ? b ^ xor : b)) : Uint8Array.of(xor);
        expect(ed25519Verify(sig, m, pub)).toBe(nobleVerify(sig, m, pub));
        expect(ed25519Verify(sig, m, pub)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('random bytes as signature and key: the same verdict (and never a throw)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), message, key32, (sig, msg, pub) => {
        expect(ed25519Verify(sig, msg, pub)).toBe(nobleVerify(sig, msg, pub));
      }),
      { numRuns: 200 },
    );
  });

  it('S ≥ L (a malleated copy of a valid signature): both refuse', () => {
    fc.assert(
      fc.property(key32, message, fc.bigInt({ min: 1n, max: 15n }), (seed, msg, times) => {
        const sig = ed25519.sign(msg, seed);
        const s = fromLe(sig.subarray(32)) + times * L;
        fc.pre(s < 1n << 256n);
        sig.set(le(s), 32);
        const pub = ed25519.getPublicKey(seed);
        expect(nobleVerify(sig, msg, pub)).toBe(false);
        expect(ed25519Verify(sig, msg, pub)).toBe(false);
      }),
      { numRuns: 50 },
    );
  });

  it('a public key of small order, in any encoding: both refuse, even the signature (R = A, S = 0) that a cofactorless check alone would accept', () => {
    expect(SMALL_ORDER_POINTS).toHaveLength(8);
    const identity = Point.ZERO.toBytes();
    const forged = new Uint8Array(64);
    forged.set(identity, 0);
    expect(ed25519Verify(forged, Uint8Array.of(1, 2, 3), identity)).toBe(false);
    expect(nobleVerify(forged, Uint8Array.of(1, 2, 3), identity)).toBe(false);
    fc.assert(
      fc.property(fc.constantFrom(...SMALL_ORDER_ENCODINGS), fc.uint8Array({ minLength: 64, maxLength: 64 }), message, (pub, sig, msg) => {
        expect(nobleVerify(sig, msg, pub)).toBe(false);
        expect(ed25519Verify(sig, msg, pub)).toBe(false);
        sig.set(pub, 0);
        sig.fill(0, 32);
        expect(nobleVerify(sig, msg, pub)).toBe(false);
        expect(ed25519Verify(sig, msg, pub)).toBe(false);
      }),
      { numRuns: 100 },
    );
  });

  it('non-canonical encodings of A (y ≥ p) or of R: both refuse', () => {
    fc.assert(
      fc.property(key32, message, fc.bigInt({ min: 0n, max: 18n }), fc.boolean(), (seed, msg, y, sign) => {
        const enc = le(P + y);
        if (sign) enc[31]! |= 0x80;
        const sig = ed25519.sign(msg, seed);
        expect(ed25519Verify(sig, msg, enc)).toBe(nobleVerify(sig, msg, enc));
        expect(ed25519Verify(sig, msg, enc)).toBe(false);
        const pub = ed25519.getPublicKey(seed);
        const badR = Uint8Array.from(sig);
        badR.set(enc, 0);
        expect(ed25519Verify(badR, msg, pub)).toBe(nobleVerify(badR, msg, pub));
        expect(ed25519Verify(badR, msg, pub)).toBe(false);
      }),
      { numRuns: 60 },
    );
  });

  it('wrong sizes or types: false, never a throw', () => {
    const seed = new Uint8Array(32).fill(1);
    const sig = ed25519Sign(Uint8Array.of(1), seed);
    const pub = ed25519PublicKey(seed);
    expect(ed25519Verify(sig.subarray(0, 63), Uint8Array.of(1), pub)).toBe(false);
    expect(ed25519Verify(sig, Uint8Array.of(1), pub.subarray(0, 31))).toBe(false);
    expect(ed25519Verify(undefined as unknown as Uint8Array, Uint8Array.of(1), pub)).toBe(false);
    expect(ed25519Verify(sig, 'x' as unknown as Uint8Array, pub)).toBe(false);
    expect(() => ed25519Sign(Uint8Array.of(1), new Uint8Array(31))).toThrow(RangeError);
    expect(() => ed25519PublicKey(new Uint8Array(33))).toThrow(RangeError);
  });

  it('SPEC.md: cofactorless — a signature whose R has a small-order component is refused (noble, cofactored, accepts it)', () => {
    const torsion = SMALL_ORDER_POINTS.find((t) => !t.multiplyUnsafe(4n).is0())!; // order 8
    fc.assert(
      fc.property(key32, message, fc.bigInt({ min: 1n, max: L - 1n }), (seed, msg, r) => {
        const { scalar, pointBytes } = ed25519.utils.getExtendedPublicKey(seed);
        const R = Point.BASE.multiply(r).add(torsion).toBytes();
        const k = fromLe(sha512(new Uint8Array([...R, ...pointBytes, ...msg]))) % L;
        const sig = new Uint8Array(64);
        sig.set(R, 0);
        sig.set(le((r + k * scalar) % L), 32);
        expect(nobleVerify(sig, msg, pointBytes)).toBe(true);
        expect(ed25519Verify(sig, msg, pointBytes)).toBe(false);
      }),
      { numRuns: 20 },
    );
  });
});
