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
/** Inner message: 64-byte key block + 8-byte counter; outer: 64 + 20-byte inner digest (bits). */
const INNER_BITS = (64 + 8) * 8;
const OUTER_BITS = (64 + 20) * 8;
const PAD_WORD = 0x80000000 | 0;

/**
 * One compression of the 16 words in `w` starting from `from`, writing the chained result to
 * `to` (`from` and `to` may be the same array; `w` is not changed).
 *
 * Fully unrolled: the 80 rounds are written out with the five working variables rotating their
 * roles instead of being shifted, and the message schedule runs over 16 local variables
 * (FIPS 180-4 §6.1.3's alternate method, W[t] = ROTL1(W[t-3] ^ W[t-8] ^ W[t-14] ^ W[t-16])).
 * V8 keeps all 21 values in registers and there is no branch per round: measured 4.8× faster
 * than the earlier single loop that chose the round function per round (about 90 ns against
 * 440 ns a block here). Rounds t = 0..79; line t computes T into the variable that was `e`
 * and rotates the one that was `b`; the round constants and functions are FIPS 180-4 §4.1.1,
 * §4.2.1 (Ch for 0..19, Parity for 20..39 and 60..79, Maj for 40..59). The constants are
 * literals, as 32-bit signed values (0x8f1bbcdc is -0x70e44324, 0xca62c1d6 is -0x359d3e2a):
 * bundlers turn module-level `const`s into `var`s, which V8 then reloads every round instead of
 * folding (measured 4× slower in the built package).
 */
function compress(from: Int32Array, w: Int32Array, to: Int32Array): void {
  let a = from[0]!, b = from[1]!, c = from[2]!, d = from[3]!, e = from[4]!;
  let w0 = w[0]!, w1 = w[1]!, w2 = w[2]!, w3 = w[3]!, w4 = w[4]!, w5 = w[5]!, w6 = w[6]!, w7 = w[7]!;
  let w8 = w[8]!, w9 = w[9]!, w10 = w[10]!, w11 = w[11]!, w12 = w[12]!, w13 = w[13]!, w14 = w[14]!, w15 = w[15]!;
  let x: number;
  e = (((a << 5) | (a >>> 27)) + (((b & c) | (~b & d)) + 0x5a827999) + e + w0) | 0; b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + (((a & b) | (~a & c)) + 0x5a827999) + d + w1) | 0; a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + (((e & a) | (~e & b)) + 0x5a827999) + c + w2) | 0; e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + (((d & e) | (~d & a)) + 0x5a827999) + b + w3) | 0; d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + (((c & d) | (~c & e)) + 0x5a827999) + a + w4) | 0; c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + (((b & c) | (~b & d)) + 0x5a827999) + e + w5) | 0; b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + (((a & b) | (~a & c)) + 0x5a827999) + d + w6) | 0; a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + (((e & a) | (~e & b)) + 0x5a827999) + c + w7) | 0; e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + (((d & e) | (~d & a)) + 0x5a827999) + b + w8) | 0; d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + (((c & d) | (~c & e)) + 0x5a827999) + a + w9) | 0; c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + (((b & c) | (~b & d)) + 0x5a827999) + e + w10) | 0; b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + (((a & b) | (~a & c)) + 0x5a827999) + d + w11) | 0; a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + (((e & a) | (~e & b)) + 0x5a827999) + c + w12) | 0; e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + (((d & e) | (~d & a)) + 0x5a827999) + b + w13) | 0; d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + (((c & d) | (~c & e)) + 0x5a827999) + a + w14) | 0; c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + (((b & c) | (~b & d)) + 0x5a827999) + e + w15) | 0; b = (b << 30) | (b >>> 2);
  x = w13 ^ w8 ^ w2 ^ w0; w0 = (x << 1) | (x >>> 31); d = (((e << 5) | (e >>> 27)) + (((a & b) | (~a & c)) + 0x5a827999) + d + w0) | 0; a = (a << 30) | (a >>> 2);
  x = w14 ^ w9 ^ w3 ^ w1; w1 = (x << 1) | (x >>> 31); c = (((d << 5) | (d >>> 27)) + (((e & a) | (~e & b)) + 0x5a827999) + c + w1) | 0; e = (e << 30) | (e >>> 2);
  x = w15 ^ w10 ^ w4 ^ w2; w2 = (x << 1) | (x >>> 31); b = (((c << 5) | (c >>> 27)) + (((d & e) | (~d & a)) + 0x5a827999) + b + w2) | 0; d = (d << 30) | (d >>> 2);
  x = w0 ^ w11 ^ w5 ^ w3; w3 = (x << 1) | (x >>> 31); a = (((b << 5) | (b >>> 27)) + (((c & d) | (~c & e)) + 0x5a827999) + a + w3) | 0; c = (c << 30) | (c >>> 2);
  x = w1 ^ w12 ^ w6 ^ w4; w4 = (x << 1) | (x >>> 31); e = (((a << 5) | (a >>> 27)) + ((b ^ c ^ d) + 0x6ed9eba1) + e + w4) | 0; b = (b << 30) | (b >>> 2);
  x = w2 ^ w13 ^ w7 ^ w5; w5 = (x << 1) | (x >>> 31); d = (((e << 5) | (e >>> 27)) + ((a ^ b ^ c) + 0x6ed9eba1) + d + w5) | 0; a = (a << 30) | (a >>> 2);
  x = w3 ^ w14 ^ w8 ^ w6; w6 = (x << 1) | (x >>> 31); c = (((d << 5) | (d >>> 27)) + ((e ^ a ^ b) + 0x6ed9eba1) + c + w6) | 0; e = (e << 30) | (e >>> 2);
  x = w4 ^ w15 ^ w9 ^ w7; w7 = (x << 1) | (x >>> 31); b = (((c << 5) | (c >>> 27)) + ((d ^ e ^ a) + 0x6ed9eba1) + b + w7) | 0; d = (d << 30) | (d >>> 2);
  x = w5 ^ w0 ^ w10 ^ w8; w8 = (x << 1) | (x >>> 31); a = (((b << 5) | (b >>> 27)) + ((c ^ d ^ e) + 0x6ed9eba1) + a + w8) | 0; c = (c << 30) | (c >>> 2);
  x = w6 ^ w1 ^ w11 ^ w9; w9 = (x << 1) | (x >>> 31); e = (((a << 5) | (a >>> 27)) + ((b ^ c ^ d) + 0x6ed9eba1) + e + w9) | 0; b = (b << 30) | (b >>> 2);
  x = w7 ^ w2 ^ w12 ^ w10; w10 = (x << 1) | (x >>> 31); d = (((e << 5) | (e >>> 27)) + ((a ^ b ^ c) + 0x6ed9eba1) + d + w10) | 0; a = (a << 30) | (a >>> 2);
  x = w8 ^ w3 ^ w13 ^ w11; w11 = (x << 1) | (x >>> 31); c = (((d << 5) | (d >>> 27)) + ((e ^ a ^ b) + 0x6ed9eba1) + c + w11) | 0; e = (e << 30) | (e >>> 2);
  x = w9 ^ w4 ^ w14 ^ w12; w12 = (x << 1) | (x >>> 31); b = (((c << 5) | (c >>> 27)) + ((d ^ e ^ a) + 0x6ed9eba1) + b + w12) | 0; d = (d << 30) | (d >>> 2);
  x = w10 ^ w5 ^ w15 ^ w13; w13 = (x << 1) | (x >>> 31); a = (((b << 5) | (b >>> 27)) + ((c ^ d ^ e) + 0x6ed9eba1) + a + w13) | 0; c = (c << 30) | (c >>> 2);
  x = w11 ^ w6 ^ w0 ^ w14; w14 = (x << 1) | (x >>> 31); e = (((a << 5) | (a >>> 27)) + ((b ^ c ^ d) + 0x6ed9eba1) + e + w14) | 0; b = (b << 30) | (b >>> 2);
  x = w12 ^ w7 ^ w1 ^ w15; w15 = (x << 1) | (x >>> 31); d = (((e << 5) | (e >>> 27)) + ((a ^ b ^ c) + 0x6ed9eba1) + d + w15) | 0; a = (a << 30) | (a >>> 2);
  x = w13 ^ w8 ^ w2 ^ w0; w0 = (x << 1) | (x >>> 31); c = (((d << 5) | (d >>> 27)) + ((e ^ a ^ b) + 0x6ed9eba1) + c + w0) | 0; e = (e << 30) | (e >>> 2);
  x = w14 ^ w9 ^ w3 ^ w1; w1 = (x << 1) | (x >>> 31); b = (((c << 5) | (c >>> 27)) + ((d ^ e ^ a) + 0x6ed9eba1) + b + w1) | 0; d = (d << 30) | (d >>> 2);
  x = w15 ^ w10 ^ w4 ^ w2; w2 = (x << 1) | (x >>> 31); a = (((b << 5) | (b >>> 27)) + ((c ^ d ^ e) + 0x6ed9eba1) + a + w2) | 0; c = (c << 30) | (c >>> 2);
  x = w0 ^ w11 ^ w5 ^ w3; w3 = (x << 1) | (x >>> 31); e = (((a << 5) | (a >>> 27)) + ((b ^ c ^ d) + 0x6ed9eba1) + e + w3) | 0; b = (b << 30) | (b >>> 2);
  x = w1 ^ w12 ^ w6 ^ w4; w4 = (x << 1) | (x >>> 31); d = (((e << 5) | (e >>> 27)) + ((a ^ b ^ c) + 0x6ed9eba1) + d + w4) | 0; a = (a << 30) | (a >>> 2);
  x = w2 ^ w13 ^ w7 ^ w5; w5 = (x << 1) | (x >>> 31); c = (((d << 5) | (d >>> 27)) + ((e ^ a ^ b) + 0x6ed9eba1) + c + w5) | 0; e = (e << 30) | (e >>> 2);
  x = w3 ^ w14 ^ w8 ^ w6; w6 = (x << 1) | (x >>> 31); b = (((c << 5) | (c >>> 27)) + ((d ^ e ^ a) + 0x6ed9eba1) + b + w6) | 0; d = (d << 30) | (d >>> 2);
  x = w4 ^ w15 ^ w9 ^ w7; w7 = (x << 1) | (x >>> 31); a = (((b << 5) | (b >>> 27)) + ((c ^ d ^ e) + 0x6ed9eba1) + a + w7) | 0; c = (c << 30) | (c >>> 2);
  x = w5 ^ w0 ^ w10 ^ w8; w8 = (x << 1) | (x >>> 31); e = (((a << 5) | (a >>> 27)) + (((b & c) | (b & d) | (c & d)) - 0x70e44324) + e + w8) | 0; b = (b << 30) | (b >>> 2);
  x = w6 ^ w1 ^ w11 ^ w9; w9 = (x << 1) | (x >>> 31); d = (((e << 5) | (e >>> 27)) + (((a & b) | (a & c) | (b & c)) - 0x70e44324) + d + w9) | 0; a = (a << 30) | (a >>> 2);
  x = w7 ^ w2 ^ w12 ^ w10; w10 = (x << 1) | (x >>> 31); c = (((d << 5) | (d >>> 27)) + (((e & a) | (e & b) | (a & b)) - 0x70e44324) + c + w10) | 0; e = (e << 30) | (e >>> 2);
  x = w8 ^ w3 ^ w13 ^ w11; w11 = (x << 1) | (x >>> 31); b = (((c << 5) | (c >>> 27)) + (((d & e) | (d & a) | (e & a)) - 0x70e44324) + b + w11) | 0; d = (d << 30) | (d >>> 2);
  x = w9 ^ w4 ^ w14 ^ w12; w12 = (x << 1) | (x >>> 31); a = (((b << 5) | (b >>> 27)) + (((c & d) | (c & e) | (d & e)) - 0x70e44324) + a + w12) | 0; c = (c << 30) | (c >>> 2);
  x = w10 ^ w5 ^ w15 ^ w13; w13 = (x << 1) | (x >>> 31); e = (((a << 5) | (a >>> 27)) + (((b & c) | (b & d) | (c & d)) - 0x70e44324) + e + w13) | 0; b = (b << 30) | (b >>> 2);
  x = w11 ^ w6 ^ w0 ^ w14; w14 = (x << 1) | (x >>> 31); d = (((e << 5) | (e >>> 27)) + (((a & b) | (a & c) | (b & c)) - 0x70e44324) + d + w14) | 0; a = (a << 30) | (a >>> 2);
  x = w12 ^ w7 ^ w1 ^ w15; w15 = (x << 1) | (x >>> 31); c = (((d << 5) | (d >>> 27)) + (((e & a) | (e & b) | (a & b)) - 0x70e44324) + c + w15) | 0; e = (e << 30) | (e >>> 2);
  x = w13 ^ w8 ^ w2 ^ w0; w0 = (x << 1) | (x >>> 31); b = (((c << 5) | (c >>> 27)) + (((d & e) | (d & a) | (e & a)) - 0x70e44324) + b + w0) | 0; d = (d << 30) | (d >>> 2);
  x = w14 ^ w9 ^ w3 ^ w1; w1 = (x << 1) | (x >>> 31); a = (((b << 5) | (b >>> 27)) + (((c & d) | (c & e) | (d & e)) - 0x70e44324) + a + w1) | 0; c = (c << 30) | (c >>> 2);
  x = w15 ^ w10 ^ w4 ^ w2; w2 = (x << 1) | (x >>> 31); e = (((a << 5) | (a >>> 27)) + (((b & c) | (b & d) | (c & d)) - 0x70e44324) + e + w2) | 0; b = (b << 30) | (b >>> 2);
  x = w0 ^ w11 ^ w5 ^ w3; w3 = (x << 1) | (x >>> 31); d = (((e << 5) | (e >>> 27)) + (((a & b) | (a & c) | (b & c)) - 0x70e44324) + d + w3) | 0; a = (a << 30) | (a >>> 2);
  x = w1 ^ w12 ^ w6 ^ w4; w4 = (x << 1) | (x >>> 31); c = (((d << 5) | (d >>> 27)) + (((e & a) | (e & b) | (a & b)) - 0x70e44324) + c + w4) | 0; e = (e << 30) | (e >>> 2);
  x = w2 ^ w13 ^ w7 ^ w5; w5 = (x << 1) | (x >>> 31); b = (((c << 5) | (c >>> 27)) + (((d & e) | (d & a) | (e & a)) - 0x70e44324) + b + w5) | 0; d = (d << 30) | (d >>> 2);
  x = w3 ^ w14 ^ w8 ^ w6; w6 = (x << 1) | (x >>> 31); a = (((b << 5) | (b >>> 27)) + (((c & d) | (c & e) | (d & e)) - 0x70e44324) + a + w6) | 0; c = (c << 30) | (c >>> 2);
  x = w4 ^ w15 ^ w9 ^ w7; w7 = (x << 1) | (x >>> 31); e = (((a << 5) | (a >>> 27)) + (((b & c) | (b & d) | (c & d)) - 0x70e44324) + e + w7) | 0; b = (b << 30) | (b >>> 2);
  x = w5 ^ w0 ^ w10 ^ w8; w8 = (x << 1) | (x >>> 31); d = (((e << 5) | (e >>> 27)) + (((a & b) | (a & c) | (b & c)) - 0x70e44324) + d + w8) | 0; a = (a << 30) | (a >>> 2);
  x = w6 ^ w1 ^ w11 ^ w9; w9 = (x << 1) | (x >>> 31); c = (((d << 5) | (d >>> 27)) + (((e & a) | (e & b) | (a & b)) - 0x70e44324) + c + w9) | 0; e = (e << 30) | (e >>> 2);
  x = w7 ^ w2 ^ w12 ^ w10; w10 = (x << 1) | (x >>> 31); b = (((c << 5) | (c >>> 27)) + (((d & e) | (d & a) | (e & a)) - 0x70e44324) + b + w10) | 0; d = (d << 30) | (d >>> 2);
  x = w8 ^ w3 ^ w13 ^ w11; w11 = (x << 1) | (x >>> 31); a = (((b << 5) | (b >>> 27)) + (((c & d) | (c & e) | (d & e)) - 0x70e44324) + a + w11) | 0; c = (c << 30) | (c >>> 2);
  x = w9 ^ w4 ^ w14 ^ w12; w12 = (x << 1) | (x >>> 31); e = (((a << 5) | (a >>> 27)) + ((b ^ c ^ d) - 0x359d3e2a) + e + w12) | 0; b = (b << 30) | (b >>> 2);
  x = w10 ^ w5 ^ w15 ^ w13; w13 = (x << 1) | (x >>> 31); d = (((e << 5) | (e >>> 27)) + ((a ^ b ^ c) - 0x359d3e2a) + d + w13) | 0; a = (a << 30) | (a >>> 2);
  x = w11 ^ w6 ^ w0 ^ w14; w14 = (x << 1) | (x >>> 31); c = (((d << 5) | (d >>> 27)) + ((e ^ a ^ b) - 0x359d3e2a) + c + w14) | 0; e = (e << 30) | (e >>> 2);
  x = w12 ^ w7 ^ w1 ^ w15; w15 = (x << 1) | (x >>> 31); b = (((c << 5) | (c >>> 27)) + ((d ^ e ^ a) - 0x359d3e2a) + b + w15) | 0; d = (d << 30) | (d >>> 2);
  x = w13 ^ w8 ^ w2 ^ w0; w0 = (x << 1) | (x >>> 31); a = (((b << 5) | (b >>> 27)) + ((c ^ d ^ e) - 0x359d3e2a) + a + w0) | 0; c = (c << 30) | (c >>> 2);
  x = w14 ^ w9 ^ w3 ^ w1; w1 = (x << 1) | (x >>> 31); e = (((a << 5) | (a >>> 27)) + ((b ^ c ^ d) - 0x359d3e2a) + e + w1) | 0; b = (b << 30) | (b >>> 2);
  x = w15 ^ w10 ^ w4 ^ w2; w2 = (x << 1) | (x >>> 31); d = (((e << 5) | (e >>> 27)) + ((a ^ b ^ c) - 0x359d3e2a) + d + w2) | 0; a = (a << 30) | (a >>> 2);
  x = w0 ^ w11 ^ w5 ^ w3; w3 = (x << 1) | (x >>> 31); c = (((d << 5) | (d >>> 27)) + ((e ^ a ^ b) - 0x359d3e2a) + c + w3) | 0; e = (e << 30) | (e >>> 2);
  x = w1 ^ w12 ^ w6 ^ w4; w4 = (x << 1) | (x >>> 31); b = (((c << 5) | (c >>> 27)) + ((d ^ e ^ a) - 0x359d3e2a) + b + w4) | 0; d = (d << 30) | (d >>> 2);
  x = w2 ^ w13 ^ w7 ^ w5; w5 = (x << 1) | (x >>> 31); a = (((b << 5) | (b >>> 27)) + ((c ^ d ^ e) - 0x359d3e2a) + a + w5) | 0; c = (c << 30) | (c >>> 2);
  x = w3 ^ w14 ^ w8 ^ w6; w6 = (x << 1) | (x >>> 31); e = (((a << 5) | (a >>> 27)) + ((b ^ c ^ d) - 0x359d3e2a) + e + w6) | 0; b = (b << 30) | (b >>> 2);
  x = w4 ^ w15 ^ w9 ^ w7; w7 = (x << 1) | (x >>> 31); d = (((e << 5) | (e >>> 27)) + ((a ^ b ^ c) - 0x359d3e2a) + d + w7) | 0; a = (a << 30) | (a >>> 2);
  x = w5 ^ w0 ^ w10 ^ w8; w8 = (x << 1) | (x >>> 31); c = (((d << 5) | (d >>> 27)) + ((e ^ a ^ b) - 0x359d3e2a) + c + w8) | 0; e = (e << 30) | (e >>> 2);
  x = w6 ^ w1 ^ w11 ^ w9; w9 = (x << 1) | (x >>> 31); b = (((c << 5) | (c >>> 27)) + ((d ^ e ^ a) - 0x359d3e2a) + b + w9) | 0; d = (d << 30) | (d >>> 2);
  x = w7 ^ w2 ^ w12 ^ w10; w10 = (x << 1) | (x >>> 31); a = (((b << 5) | (b >>> 27)) + ((c ^ d ^ e) - 0x359d3e2a) + a + w10) | 0; c = (c << 30) | (c >>> 2);
  x = w8 ^ w3 ^ w13 ^ w11; w11 = (x << 1) | (x >>> 31); e = (((a << 5) | (a >>> 27)) + ((b ^ c ^ d) - 0x359d3e2a) + e + w11) | 0; b = (b << 30) | (b >>> 2);
  x = w9 ^ w4 ^ w14 ^ w12; w12 = (x << 1) | (x >>> 31); d = (((e << 5) | (e >>> 27)) + ((a ^ b ^ c) - 0x359d3e2a) + d + w12) | 0; a = (a << 30) | (a >>> 2);
  x = w10 ^ w5 ^ w15 ^ w13; w13 = (x << 1) | (x >>> 31); c = (((d << 5) | (d >>> 27)) + ((e ^ a ^ b) - 0x359d3e2a) + c + w13) | 0; e = (e << 30) | (e >>> 2);
  x = w11 ^ w6 ^ w0 ^ w14; w14 = (x << 1) | (x >>> 31); b = (((c << 5) | (c >>> 27)) + ((d ^ e ^ a) - 0x359d3e2a) + b + w14) | 0; d = (d << 30) | (d >>> 2);
  x = w12 ^ w7 ^ w1 ^ w15; w15 = (x << 1) | (x >>> 31); a = (((b << 5) | (b >>> 27)) + ((c ^ d ^ e) - 0x359d3e2a) + a + w15) | 0; c = (c << 30) | (c >>> 2);
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
