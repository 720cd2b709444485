/**
 * The PROGRAM_SEED `check` (SPEC.md "0x06 PROGRAM_SEED"): the first 8 bytes of SHA-256(secret).
 * The fob answers it so that a station recognises its own retried request and can prove the fob
 * holds exactly the seed it sent; fob, station and test doubles all compute it here.
 */
import { sha256 } from '@noble/hashes/sha2.js';

/** Length of the check (SPEC.md "0x06 PROGRAM_SEED", response field `check`). */
export const SEED_CHECK_BYTES = 8;

/**
 * First {@link SEED_CHECK_BYTES} bytes of SHA-256(secret); the rest of the digest is zeroed.
 * @throws TypeError when `secret` is not a Uint8Array.
 */
export function seedCheck(secret: Uint8Array): Uint8Array {
  if (!(secret instanceof Uint8Array)) throw new TypeError('secret must be a Uint8Array');
  const digest = sha256(secret);
  const check = digest.slice(0, SEED_CHECK_BYTES);
  digest.fill(0);
  return check;
}
