/**
 * SHA-256 (FIPS 180-4 §6.2) compression, used only as HMAC-SHA-256 (RFC 2104) for HOTP/TOTP
 * (RFC 6238 §1.2) with the inner and outer key blocks compressed once per key.
 *
 * Why hand-written rather than @noble/hashes' HMAC with a cloned state: resuming a noble hash
 * from a saved state still allocates views and state tuples on every digest, and the per-code
 * cost here is exactly two compressions of one padded block each. Keeping it to a plain
 * Int32Array schedule makes a code allocation-free and well above `createHmac` per code
 * (`npm run bench:otp`). Correctness is pinned by the RFC 6238 vectors, property tests against
 * node:crypto and the oathtool cross-check.
 */
import { IPAD, loadPaddedKeyBlock, OPAD, truncateDigestWords, type CounterMac } from './_counterMac.js';

/** FIPS 180-4 §5.3.3 initial hash value. */
const IV = Int32Array.of(
  0x6a09e667, 0xbb67ae85 | 0, 0x3c6ef372, 0xa54ff53a | 0, 0x510e527f, 0x9b05688c | 0, 0x1f83d9ab, 0x5be0cd19,
);
/** FIPS 180-4 §4.2.2 round constants. */
const K = Int32Array.of(
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
);
/** Inner message: 64-byte key block + 8-byte counter; outer: 64 + 32-byte inner digest (bits). */
const INNER_BITS = (64 + 8) * 8;
const OUTER_BITS = (64 + 32) * 8;
const PAD_WORD = 0x80000000 | 0;

/**
 * One compression of the 16 words in `w` (extended in place to 64) starting from `from`,
 * writing the chained result to `to` (`from` and `to` may be the same array).
 */
function compress(from: Int32Array, w: Int32Array, to: Int32Array): void {
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15]!;
    const y = w[i - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[i] = (s1 + w[i - 7]! + s0 + w[i - 16]!) | 0;
  }
  let a = from[0]!, b = from[1]!, c = from[2]!, d = from[3]!;
  let e = from[4]!, f = from[5]!, g = from[6]!, h = from[7]!;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i]! + w[i]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g; g = f; f = e; e = (d + t1) | 0;
    d = c; c = b; b = a; a = (t1 + t2) | 0;
  }
  to[0] = (from[0]! + a) | 0;
  to[1] = (from[1]! + b) | 0;
  to[2] = (from[2]! + c) | 0;
  to[3] = (from[3]! + d) | 0;
  to[4] = (from[4]! + e) | 0;
  to[5] = (from[5]! + f) | 0;
  to[6] = (from[6]! + g) | 0;
  to[7] = (from[7]! + h) | 0;
}

/** HMAC-SHA-256 over 8-byte counters for one key (≤ 64 bytes); see {@link CounterMac}. */
export function createSha256CounterMac(key: Uint8Array): CounterMac {
  const w = new Int32Array(64);
  const inner = new Int32Array(8);
  const outer = new Int32Array(8);
  const h = new Int32Array(8);
  loadPaddedKeyBlock(key, IPAD, w);
  compress(IV, w, inner);
  loadPaddedKeyBlock(key, OPAD, w);
  compress(IV, w, outer);
  w.fill(0);
  return {
    truncatedAt(hi: number, lo: number): number {
      w[0] = hi; w[1] = lo; w[2] = PAD_WORD;
      for (let i = 3; i < 15; i++) w[i] = 0;
      w[15] = INNER_BITS;
      compress(inner, w, h);
      for (let i = 0; i < 8; i++) w[i] = h[i]!;
      w[8] = PAD_WORD;
      for (let i = 9; i < 15; i++) w[i] = 0;
      w[15] = OUTER_BITS;
      compress(outer, w, h);
      return truncateDigestWords(h, 8);
    },
    wipe(): void {
      w.fill(0);
      inner.fill(0);
      outer.fill(0);
      h.fill(0);
    },
  };
}
