/**
 * The internal contract of the OTP fast path: an HMAC keyed once (RFC 2104 §2, with the ipad and
 * opad blocks compressed ahead of time) that maps an 8-byte big-endian counter straight to the
 * RFC 4226 §5.3 dynamic-truncation value. Counters arrive as two 32-bit halves so that no
 * counter byte array, digest array or view is allocated per code.
 */

export interface CounterMac {
  /** The 31-bit truncated value of HMAC(key, hi || lo); `hi`/`lo` are the counter's 32-bit halves. */
  truncatedAt(hi: number, lo: number): number;
  /** Zeroes every buffer that holds key-derived state. */
  wipe(): void;
}

/** SHA-1/SHA-256 block size; secrets are capped at 64 bytes (otpOptions), so a key never needs hashing first. */
export const HMAC_BLOCK_BYTES = 64;

/** RFC 2104 §2 pad bytes. */
export const IPAD = 0x36;
export const OPAD = 0x5c;

/**
 * Loads `key` zero-padded to `blockBytes` and XORed with `pad` into the first `blockBytes / 4`
 * entries of `w` as big-endian 32-bit words: the first block of the inner (ipad) or outer
 * (opad) hash.
 */
export function loadPaddedKeyBlock(key: Uint8Array, pad: number, w: Int32Array, blockBytes = HMAC_BLOCK_BYTES): void {
  if (key.length > HMAC_BLOCK_BYTES) throw new RangeError(`secret must be at most ${HMAC_BLOCK_BYTES} bytes for the fast path`);
  for (let i = 0; i < blockBytes / 4; i++) {
    let word = 0;
    for (let j = 0; j < 4; j++) {
      const k = 4 * i + j;
      word = (word << 8) | ((k < key.length ? key[k]! : 0) ^ pad);
    }
    w[i] = word;
  }
}

/**
 * RFC 4226 §5.3 dynamic truncation read directly from big-endian digest words: the low nibble
 * of the last digest byte picks 4 bytes, whose top bit is masked off.
 */
export function truncateDigestWords(h: Int32Array, digestWords: number): number {
  const offset = h[digestWords - 1]! & 0x0f;
  const i = offset >> 2;
  const shift = (offset & 3) * 8;
  const value = shift === 0 ? h[i]! : (h[i]! << shift) | (h[i + 1]! >>> (32 - shift));
  return value & 0x7fffffff;
}
