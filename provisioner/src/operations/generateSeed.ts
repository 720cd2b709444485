/**
 * Seed generation for one fob.
 *
 * - `random` (default): fresh bytes from the CSPRNG, as long as the HMAC's output (RFC 4226 §4
 *   R6 asks for ≥ 128 bits; RFC 6238 §5.1 recommends the hash length): 20 bytes for SHA-1, 32
 *   for SHA-256, 64 for SHA-512. Nothing but the fob and the backend ever holds it.
 * - `derived`: HKDF-SHA-256 (RFC 5869) from a 32-byte batch key, with the serial in `info`, so
 *   every fob's seed differs and whoever holds the batch key can re-derive any seed of the batch
 *   (see the README, "Seed modes", for what that trades away).
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import type { OtpAlgorithm } from '@fobkit/protocol/otp';
import type { SeedMode } from '../config/stationConfig.js';

export const SEED_BYTES: Readonly<Record<OtpAlgorithm, number>> = { sha1: 20, sha256: 32, sha512: 64 };
export const BATCH_KEY_BYTES = 32;
const DERIVE_SALT = new TextEncoder().encode('fobkit/seed/v1');

export interface GenerateSeedOptions {
  mode: SeedMode;
  algorithm: OtpAlgorithm;
  serial: string;
  /** Required in `derived` mode. */
  batchKey?: Uint8Array;
  randomBytes?: (n: number) => Uint8Array;
}

/**
 * Returns a new seed; the caller zeroes it when done.
 * @throws RangeError when `derived` is asked without a 32-byte batch key.
 */
export function generateSeed(options: GenerateSeedOptions): Uint8Array {
  const { mode, algorithm, serial, batchKey, randomBytes = (n: number) => new Uint8Array(nodeRandomBytes(n)) } = options;
  const length = SEED_BYTES[algorithm];
  if (!length) throw new RangeError(`unknown algorithm ${String(algorithm)}`);
  if (mode === 'random') {
    const seed = randomBytes(length);
    if (seed.length !== length) throw new RangeError(`randomBytes returned ${seed.length} bytes, wanted ${length}`);
    return seed;
  }
  if (mode !== 'derived') throw new RangeError(`unknown seed mode ${String(mode)}`);
  return deriveSeed({ batchKey: batchKey!, serial, algorithm });
}

/**
 * The `derived` seed of `serial`: HKDF-SHA-256(ikm = batch key, salt = "fobkit/seed/v1",
 * info = "seed:" || serial || ":" || algorithm, L = seed length of the algorithm).
 * @throws RangeError when the batch key is not 32 bytes.
 */
export function deriveSeed(options: { batchKey: Uint8Array; serial: string; algorithm: OtpAlgorithm }): Uint8Array {
  const { batchKey, serial, algorithm } = options;
  if (!(batchKey instanceof Uint8Array) || batchKey.length !== BATCH_KEY_BYTES) throw new RangeError(`batchKey must be ${BATCH_KEY_BYTES} bytes`);
  if (typeof serial !== 'string' || serial.length === 0) throw new TypeError('serial is required');
  return hkdf(sha256, batchKey, DERIVE_SALT, new TextEncoder().encode(`seed:${serial}:${algorithm}`), SEED_BYTES[algorithm]);
}
