/**
 * HMAC-SHA-512 for the OTP fast path through @noble/hashes, resuming from a keyed state.
 *
 * Why this module exists: it relies on `_cloneInto(target)` of noble's HMAC instance (declared on
 * noble's `Hash` interface, but underscore-named and so not a promise of the stable API) to copy
 * the precomputed ipad/opad states into one reused instance per code instead of re-keying.
 * That behaviour is checked against node:crypto by the OTP property tests; the exact noble
 * version is pinned in protocol/package.json so an upgrade is a deliberate, tested change.
 * SHA-512 fobs are rare, so this path trades the last bit of speed (noble allocates a few small
 * views per digest) for not hand-writing 64-bit arithmetic.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha512 } from '@noble/hashes/sha2.js';
import type { CounterMac } from './_counterMac.js';

/** HMAC-SHA-512 over 8-byte counters for one key; see {@link CounterMac}. */
export function createSha512CounterMac(key: Uint8Array): CounterMac {
  const keyed = hmac.create(sha512, key);
  const work = keyed.clone();
  const message = new Uint8Array(8);
  const view = new DataView(message.buffer);
  const mac = new Uint8Array(64);
  return {
    truncatedAt(hi: number, lo: number): number {
      keyed._cloneInto(work);
      view.setInt32(0, hi);
      view.setInt32(4, lo);
      work.update(message);
      work.digestInto(mac);
      const offset = mac[63]! & 0x0f;
      return ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!;
    },
    wipe(): void {
      keyed.destroy();
      work.destroy();
      message.fill(0);
      mac.fill(0);
    },
  };
}
