/**
 * SHA-512 (FIPS 180-4 §6.4) compression, used only as HMAC-SHA-512 (RFC 2104) for HOTP/TOTP
 * (RFC 6238 §1.2) with the inner and outer key blocks compressed once per key.
 *
 * Why hand-written: JavaScript has no 64-bit integer arithmetic short of BigInt, so each 64-bit
 * word is a (high, low) pair of 32-bit halves, stored interleaved so the state array reads as the
 * big-endian digest. @noble/hashes does the same internally, but resuming its HMAC from a saved
 * state allocates views and clones per digest and measured no faster than `createHmac` per code;
 * this path costs two block compressions and allocates nothing (`npm run bench:otp`).
 * The constants below are FIPS 180-4's, re-derived exactly (integer roots of the primes) when
 * this file was written; the RFC 6238 vectors, the property tests against node:crypto and the
 * oathtool cross-check pin the whole.
 */
import { IPAD, loadPaddedKeyBlock, OPAD, truncateDigestWords, type CounterMac } from './_counterMac.js';

/** FIPS 180-4 §5.3.5 initial hash value, as (high, low) 32-bit halves. */
const IV = Int32Array.from([
  0x6a09e667, 0xf3bcc908, 0xbb67ae85, 0x84caa73b, 0x3c6ef372, 0xfe94f82b, 0xa54ff53a, 0x5f1d36f1,
  0x510e527f, 0xade682d1, 0x9b05688c, 0x2b3e6c1f, 0x1f83d9ab, 0xfb41bd6b, 0x5be0cd19, 0x137e2179
]);
/** FIPS 180-4 §4.2.3 round constants, as (high, low) 32-bit halves. */
const K = Int32Array.from([
  0x428a2f98, 0xd728ae22, 0x71374491, 0x23ef65cd, 0xb5c0fbcf, 0xec4d3b2f, 0xe9b5dba5, 0x8189dbbc,
  0x3956c25b, 0xf348b538, 0x59f111f1, 0xb605d019, 0x923f82a4, 0xaf194f9b, 0xab1c5ed5, 0xda6d8118,
  0xd807aa98, 0xa3030242, 0x12835b01, 0x45706fbe, 0x243185be, 0x4ee4b28c, 0x550c7dc3, 0xd5ffb4e2,
  0x72be5d74, 0xf27b896f, 0x80deb1fe, 0x3b1696b1, 0x9bdc06a7, 0x25c71235, 0xc19bf174, 0xcf692694,
  0xe49b69c1, 0x9ef14ad2, 0xefbe4786, 0x384f25e3, 0x0fc19dc6, 0x8b8cd5b5, 0x240ca1cc, 0x77ac9c65,
  0x2de92c6f, 0x592b0275, 0x4a7484aa, 0x6ea6e483, 0x5cb0a9dc, 0xbd41fbd4, 0x76f988da, 0x831153b5,
  0x983e5152, 0xee66dfab, 0xa831c66d, 0x2db43210, 0xb00327c8, 0x98fb213f, 0xbf597fc7, 0xbeef0ee4,
  0xc6e00bf3, 0x3da88fc2, 0xd5a79147, 0x930aa725, 0x06ca6351, 0xe003826f, 0x14292967, 0x0a0e6e70,
  0x27b70a85, 0x46d22ffc, 0x2e1b2138, 0x5c26c926, 0x4d2c6dfc, 0x5ac42aed, 0x53380d13, 0x9d95b3df,
  0x650a7354, 0x8baf63de, 0x766a0abb, 0x3c77b2a8, 0x81c2c92e, 0x47edaee6, 0x92722c85, 0x1482353b,
  0xa2bfe8a1, 0x4cf10364, 0xa81a664b, 0xbc423001, 0xc24b8b70, 0xd0f89791, 0xc76c51a3, 0x0654be30,
  0xd192e819, 0xd6ef5218, 0xd6990624, 0x5565a910, 0xf40e3585, 0x5771202a, 0x106aa070, 0x32bbd1b8,
  0x19a4c116, 0xb8d2d0c8, 0x1e376c08, 0x5141ab53, 0x2748774c, 0xdf8eeb99, 0x34b0bcb5, 0xe19b48a8,
  0x391c0cb3, 0xc5c95a63, 0x4ed8aa4a, 0xe3418acb, 0x5b9cca4f, 0x7763e373, 0x682e6ff3, 0xd6b2b8a3,
  0x748f82ee, 0x5defb2fc, 0x78a5636f, 0x43172f60, 0x84c87814, 0xa1f0ab72, 0x8cc70208, 0x1a6439ec,
  0x90befffa, 0x23631e28, 0xa4506ceb, 0xde82bde9, 0xbef9a3f7, 0xb2c67915, 0xc67178f2, 0xe372532b,
  0xca273ece, 0xea26619c, 0xd186b8c7, 0x21c0c207, 0xeada7dd6, 0xcde0eb1e, 0xf57d4f7f, 0xee6ed178,
  0x06f067aa, 0x72176fba, 0x0a637dc5, 0xa2c898a6, 0x113f9804, 0xbef90dae, 0x1b710b35, 0x131c471b,
  0x28db77f5, 0x23047d84, 0x32caab7b, 0x40c72493, 0x3c9ebe0a, 0x15c9bebc, 0x431d67c4, 0x9c100d4c,
  0x4cc5d4be, 0xcb3e42b6, 0x597f299c, 0xfc657e2a, 0x5fcb6fab, 0x3ad6faec, 0x6c44198c, 0x4a475817
]);
const BLOCK_BYTES = 128;
/** Inner message: 128-byte key block + 8-byte counter; outer: 128 + 64-byte inner digest (bits). */
const INNER_BITS = (128 + 8) * 8;
const OUTER_BITS = (128 + 64) * 8;
const PAD_WORD = 0x80000000 | 0;
const TWO_POW_32 = 0x1_0000_0000;

/**
 * One compression of the 16 64-bit words in `w` (32 halves, extended in place to 80 words)
 * starting from `from`, writing the chained result to `to` (both 16 halves).
 */
function compress(from: Int32Array, w: Int32Array, to: Int32Array): void {
  for (let t = 32; t < 160; t += 2) {
    // σ0 = ROTR1 ^ ROTR8 ^ SHR7 of W[t-15]; σ1 = ROTR19 ^ ROTR61 ^ SHR6 of W[t-2] (§4.1.3).
    const xh = w[t - 30]!, xl = w[t - 29]!;
    const s0h = ((xh >>> 1) | (xl << 31)) ^ ((xh >>> 8) | (xl << 24)) ^ (xh >>> 7);
    const s0l = ((xl >>> 1) | (xh << 31)) ^ ((xl >>> 8) | (xh << 24)) ^ ((xl >>> 7) | (xh << 25));
    const yh = w[t - 4]!, yl = w[t - 3]!;
    const s1h = ((yh >>> 19) | (yl << 13)) ^ ((yl >>> 29) | (yh << 3)) ^ (yh >>> 6);
    const s1l = ((yl >>> 19) | (yh << 13)) ^ ((yh >>> 29) | (yl << 3)) ^ ((yl >>> 6) | (yh << 26));
    const lo = (s1l >>> 0) + (w[t - 13]! >>> 0) + (s0l >>> 0) + (w[t - 31]! >>> 0);
    w[t] = (s1h + w[t - 14]! + s0h + w[t - 32]! + ((lo / TWO_POW_32) | 0)) | 0;
    w[t + 1] = lo | 0;
  }
  let ah = from[0]!, al = from[1]!, bh = from[2]!, bl = from[3]!, ch = from[4]!, cl = from[5]!, dh = from[6]!, dl = from[7]!;
  let eh = from[8]!, el = from[9]!, fh = from[10]!, fl = from[11]!, gh = from[12]!, gl = from[13]!, hh = from[14]!, hl = from[15]!;
  for (let t = 0; t < 160; t += 2) {
    // Σ1 = ROTR14 ^ ROTR18 ^ ROTR41 of e; Σ0 = ROTR28 ^ ROTR34 ^ ROTR39 of a (§4.1.3).
    const S1h = ((eh >>> 14) | (el << 18)) ^ ((eh >>> 18) | (el << 14)) ^ ((el >>> 9) | (eh << 23));
    const S1l = ((el >>> 14) | (eh << 18)) ^ ((el >>> 18) | (eh << 14)) ^ ((eh >>> 9) | (el << 23));
    const chh = (eh & fh) ^ (~eh & gh);
    const chl = (el & fl) ^ (~el & gl);
    const t1lo = (hl >>> 0) + (S1l >>> 0) + (chl >>> 0) + (K[t + 1]! >>> 0) + (w[t + 1]! >>> 0);
    const t1h = (hh + S1h + chh + K[t]! + w[t]! + ((t1lo / TWO_POW_32) | 0)) | 0;
    const t1l = t1lo | 0;
    const S0h = ((ah >>> 28) | (al << 4)) ^ ((al >>> 2) | (ah << 30)) ^ ((al >>> 7) | (ah << 25));
    const S0l = ((al >>> 28) | (ah << 4)) ^ ((ah >>> 2) | (al << 30)) ^ ((ah >>> 7) | (al << 25));
    const mjh = (ah & bh) ^ (ah & ch) ^ (bh & ch);
    const mjl = (al & bl) ^ (al & cl) ^ (bl & cl);
    const t2lo = (S0l >>> 0) + (mjl >>> 0);
    const t2h = (S0h + mjh + ((t2lo / TWO_POW_32) | 0)) | 0;
    const t2l = t2lo | 0;
    hh = gh; hl = gl; gh = fh; gl = fl; fh = eh; fl = el;
    const elo = (dl >>> 0) + (t1l >>> 0);
    eh = (dh + t1h + ((elo / TWO_POW_32) | 0)) | 0;
    el = elo | 0;
    dh = ch; dl = cl; ch = bh; cl = bl; bh = ah; bl = al;
    const alo = (t1l >>> 0) + (t2l >>> 0);
    ah = (t1h + t2h + ((alo / TWO_POW_32) | 0)) | 0;
    al = alo | 0;
  }
  add64(from, to, 0, ah, al);
  add64(from, to, 2, bh, bl);
  add64(from, to, 4, ch, cl);
  add64(from, to, 6, dh, dl);
  add64(from, to, 8, eh, el);
  add64(from, to, 10, fh, fl);
  add64(from, to, 12, gh, gl);
  add64(from, to, 14, hh, hl);
}

/** to[i..i+1] = from[i..i+1] + (h, l) mod 2^64. */
function add64(from: Int32Array, to: Int32Array, i: number, h: number, l: number): void {
  const lo = (from[i + 1]! >>> 0) + (l >>> 0);
  to[i] = (from[i]! + h + ((lo / TWO_POW_32) | 0)) | 0;
  to[i + 1] = lo | 0;
}

/** HMAC-SHA-512 over 8-byte counters for one key (≤ 64 bytes here); see {@link CounterMac}. */
export function createSha512CounterMac(key: Uint8Array): CounterMac {
  const w = new Int32Array(160);
  const inner = new Int32Array(16);
  const outer = new Int32Array(16);
  const h = new Int32Array(16);
  loadPaddedKeyBlock(key, IPAD, w, BLOCK_BYTES);
  compress(IV, w, inner);
  loadPaddedKeyBlock(key, OPAD, w, BLOCK_BYTES);
  compress(IV, w, outer);
  w.fill(0);
  return {
    truncatedAt(hi: number, lo: number): number {
      w[0] = hi; w[1] = lo; w[2] = PAD_WORD;
      for (let i = 3; i < 31; i++) w[i] = 0;
      w[31] = INNER_BITS;
      compress(inner, w, h);
      for (let i = 0; i < 16; i++) w[i] = h[i]!;
      w[16] = PAD_WORD;
      for (let i = 17; i < 31; i++) w[i] = 0;
      w[31] = OUTER_BITS;
      compress(outer, w, h);
      return truncateDigestWords(h, 16);
    },
    wipe(): void {
      w.fill(0);
      inner.fill(0);
      outer.fill(0);
      h.fill(0);
    },
  };
}
