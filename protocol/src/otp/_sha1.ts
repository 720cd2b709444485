/**
 * SHA-1 (FIPS 180-4 §6.1) compression, used only as HMAC-SHA-1 (RFC 2104) for HOTP/TOTP with
 * the inner and outer key blocks compressed once per key.
 *
 * Why hand-written: an HOTP code over one key is exactly two compressions once the ipad/opad
 * states are known (the 8-byte counter and the 20-byte inner digest each fit one padded block),
 * but neither node:crypto nor @noble/hashes' public API lets a caller resume from a saved state
 * without object or buffer churn per code. Support scans a day of steps per check and the
 * backend a window per login, and SHA-1 is the fobs' default, so this path was measured
 * (`npm run bench:otp`) at several times `createHmac` per code. Correctness is pinned by the
 * RFC 4226/6238 vectors, property tests against node:crypto and the oathtool cross-check.
 */
import { IPAD, loadPaddedKeyBlock, OPAD, truncateDigestWords, type CounterMac } from './_counterMac.js';

/** FIPS 180-4 §5.3.1 initial hash value. */
const IV = Int32Array.of(0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476, 0xc3d2e1f0 | 0);
/** FIPS 180-4 §4.2.1 round constants. */
const K0 = 0x5a827999;
const K1 = 0x6ed9eba1;
const K2 = 0x8f1bbcdc | 0;
const K3 = 0xca62c1d6 | 0;
/** Inner message: 64-byte key block + 8-byte counter; outer: 64 + 20-byte inner digest (bits). */
const INNER_BITS = (64 + 8) * 8;
const OUTER_BITS = (64 + 20) * 8;
const PAD_WORD = 0x80000000 | 0;

/**
 * One compression of the 16 words in `w` (its schedule extended in place to 80 words) starting from `from`,
 * writing the chained result to `to` (`from` and `to` may be the same array).
 */
function compress(from: Int32Array, w: Int32Array, to: Int32Array): void {
  let a = from[0]!, b = from[1]!, c = from[2]!, d = from[3]!, e = from[4]!;
  let i = 0;
  for (; i < 16; i++) {
    const t = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + w[i]! + K0) | 0;
    e = d; d = c; c = (b << 30) | (b >>> 2); b = a; a = t;
  }
  for (; i < 20; i++) {
    const x = w[i - 3]! ^ w[i - 8]! ^ w[i - 14]! ^ w[i - 16]!;
    const wi = (w[i] = (x << 1) | (x >>> 31));
    const t = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + wi + K0) | 0;
    e = d; d = c; c = (b << 30) | (b >>> 2); b = a; a = t;
  }
  for (; i < 40; i++) {
    const x = w[i - 3]! ^ w[i - 8]! ^ w[i - 14]! ^ w[i - 16]!;
    const wi = (w[i] = (x << 1) | (x >>> 31));
    const t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + wi + K1) | 0;
    e = d; d = c; c = (b << 30) | (b >>> 2); b = a; a = t;
  }
  for (; i < 60; i++) {
    const x = w[i - 3]! ^ w[i - 8]! ^ w[i - 14]! ^ w[i - 16]!;
    const wi = (w[i] = (x << 1) | (x >>> 31));
    const t = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + wi + K2) | 0;
    e = d; d = c; c = (b << 30) | (b >>> 2); b = a; a = t;
  }
  for (; i < 80; i++) {
    const x = w[i - 3]! ^ w[i - 8]! ^ w[i - 14]! ^ w[i - 16]!;
    const wi = (w[i] = (x << 1) | (x >>> 31));
    const t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + wi + K3) | 0;
    e = d; d = c; c = (b << 30) | (b >>> 2); b = a; a = t;
  }
  to[0] = (from[0]! + a) | 0;
  to[1] = (from[1]! + b) | 0;
  to[2] = (from[2]! + c) | 0;
  to[3] = (from[3]! + d) | 0;
  to[4] = (from[4]! + e) | 0;
}

/** HMAC-SHA-1 over 8-byte counters for one key (≤ 64 bytes); see {@link CounterMac}. */
export function createSha1CounterMac(key: Uint8Array): CounterMac {
  const w = new Int32Array(80);
  const inner = new Int32Array(5);
  const outer = new Int32Array(5);
  const h = new Int32Array(5);
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
      w[0] = h[0]!; w[1] = h[1]!; w[2] = h[2]!; w[3] = h[3]!; w[4] = h[4]!; w[5] = PAD_WORD;
      for (let i = 6; i < 15; i++) w[i] = 0;
      w[15] = OUTER_BITS;
      compress(outer, w, h);
      return truncateDigestWords(h, 5);
    },
    wipe(): void {
      w.fill(0);
      inner.fill(0);
      outer.fill(0);
      h.fill(0);
    },
  };
}
