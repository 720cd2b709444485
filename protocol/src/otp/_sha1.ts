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
 * One compression of the 16 words in `w` starting from `from`, writing the chained result to
 * `to` (`from` and `to` may be the same array). The message schedule runs in place over the 16
 * words (FIPS 180-4 §6.1.3's alternate method): one loop with the round function chosen per
 * round measured ~30% faster in V8 than an 80-word schedule or four loops.
 */
function compress(from: Int32Array, w: Int32Array, to: Int32Array): void {
  let a = from[0]!, b = from[1]!, c = from[2]!, d = from[3]!, e = from[4]!;
  for (let i = 0; i < 80; i++) {
    let wi: number;
    if (i < 16) {
      wi = w[i]!;
    } else {
      const x = w[(i + 13) & 15]! ^ w[(i + 8) & 15]! ^ w[(i + 2) & 15]! ^ w[i & 15]!;
      wi = w[i & 15] = (x << 1) | (x >>> 31);
    }
    let f: number, k: number;
    if (i < 20) {
      f = (b & c) | (~b & d);
      k = K0;
    } else if (i < 40) {
      f = b ^ c ^ d;
      k = K1;
    } else if (i < 60) {
      f = (b & c) | (b & d) | (c & d);
      k = K2;
    } else {
      f = b ^ c ^ d;
      k = K3;
    }
    const t = (((a << 5) | (a >>> 27)) + f + e + wi + k) | 0;
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
  const w = new Int32Array(16);
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
