/**
 * A bounded memo of "open this stored seed": for one factor's row, the seed its (KEK id,
 * ciphertext) opens to. Validation is the hot path, and opening a seed (an AES-GCM context per
 * call) costs more than the rest of the OTP check; keying the HMAC from a held seed is cheap
 * and is done per use, so an entry is about 0.6 KiB rather than a keyed state's 2.5.
 *
 * Correctness never depends on it. The row is read on every request and an entry is used only
 * when the row's KEK id, ciphertext, algorithm and digits match it byte for byte, so a
 * re-registered fob, a re-enrolled app or a rotated KEK simply misses; everything else about a
 * factor (state, assignment, replay, throttling) comes from the row as before. It is a pure
 * memo of a function of the row and the keyring, and so it is also safe with several backend
 * processes on one database.
 *
 * What holding it means: the seeds live only in this process's memory, which already holds the
 * KEK that opens every seed in the database for the process's whole life, so the cache adds no
 * new place a seed can be read from; this code writes it nowhere (like the KEK, it can reach
 * swap or a core dump: turn those off on a validation server where that matters). A seed is
 * zeroed when its entry is evicted or forgotten (unbind, revoke, a replaced app) and when the
 * backend closes.
 * `maxEntries: 0` turns it off (every validation opens and zeroes its seed).
 *
 * While it has room every factor is admitted; once full, a factor is admitted on its second use
 * within a while (see `seenOnce`), so factors used once neither cost an entry nor push out the
 * ones in daily use.
 */
import { createOtpKey, type OtpAlgorithm, type OtpDigits, type OtpKey } from '@fobkit/protocol/otp';

/**
 * Every factor of a large site; each entry costs about 0.6 KiB of heap (about 60 MiB in all).
 * Sized with `fobkit-backend serve --key-cache N`.
 */
export const DEFAULT_OTP_KEY_CACHE_ENTRIES = 100_000;

export interface OtpKeySource {
  /** What the ciphertext is bound to (its AAD), e.g. `token-seed:FK00000013`: one entry per factor. */
  id: string;
  kid: string;
  blob: Uint8Array;
  algorithm: OtpAlgorithm;
  digits: OtpDigits;
  /** Opens the seed; called on a miss. The cache zeroes what it returns. */
  open: () => Uint8Array;
}

export interface OtpKeyCache {
  readonly maxEntries: number;
  readonly size: number;
  /**
   * Runs `fn` with a key for `source`, created for this call and disposed after it: `fn` must
   * not keep it.
   */
  use<T>(source: OtpKeySource, fn: (key: OtpKey) => T): T;
  /** Drops one factor's entry (after its seed was replaced or deleted). */
  forget(id: string): void;
  /** Zeroes and drops every entry. */
  clear(): void;
}

interface Entry {
  id: string;
  /** Where the entry sits on the clock. */
  slot: number;
  /** Set by a hit, cleared as the clock hand passes: CLOCK's approximation of LRU. */
  used: boolean;
  kid: string;
  blob: Buffer;
  algorithm: OtpAlgorithm;
  digits: OtpDigits;
  seed: Uint8Array;
}

/** Keys the HMAC for one use and disposes it after `fn`; the caller zeroes `seed` when it is done with it. */
function withKey<T>(seed: Uint8Array, algorithm: OtpAlgorithm, digits: OtpDigits, fn: (key: OtpKey) => T): T {
  const key = createOtpKey({ secret: seed, algorithm, digits });
  try {
    return fn(key);
  } finally {
    key.dispose();
  }
}

/**
 * Drops the oldest keys of an insertion-ordered Map once it holds more than `max`, a
 * sixteenth at a time. In batches because a Map keeps the slots of deleted entries until it next
 * rehashes and iteration walks over them: evicting one entry per insert through
 * `keys().next()` would walk every hole left by the evictions before it.
 */
function trimOldest(map: Map<string, unknown>, max: number): void {
  if (map.size <= max) return;
  let n = map.size - max + (max >> 4);
  for (const k of map.keys()) {
    if (n-- <= 0) break;
    map.delete(k);
  }
}

function matches(e: Entry, s: OtpKeySource): boolean {
  return e.kid === s.kid && e.algorithm === s.algorithm && e.digits === s.digits && e.blob.equals(s.blob);
}

export function createOtpKeyCache(options: { maxEntries?: number } = {}): OtpKeyCache {
  const maxEntries = options.maxEntries ?? DEFAULT_OTP_KEY_CACHE_ENTRIES;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 0) throw new RangeError(`maxEntries must be a non-negative integer, got ${String(maxEntries)}`);
  const entries = new Map<string, Entry>();
  // Eviction is CLOCK (second chance) over a ring of slots rather than an exact LRU: a hit only
  // sets a flag. An LRU on a Map re-inserts the entry on every hit, and at 100,000 entries the
  // Map's rehashing of the holes that leaves cost more than opening the seed would have.
  const ring: (Entry | undefined)[] = [];
  const freeSlots: number[] = [];
  let hand = 0;
  // Factors seen once lately (ids only, no key material). While the cache has room every factor
  // is admitted; once it is full, only on its second use while still listed here. A sweep over
  // more factors than the cache holds (a nightly check of every fob, or simply more users than
  // entries) then costs what no cache costs, instead of building and zeroing an entry per
  // request and pushing out the factors that do come back.
  const seenOnce = new Map<string, true>();
  const remove = (e: Entry): void => {
    entries.delete(e.id);
    ring[e.slot] = undefined;
    freeSlots.push(e.slot);
    e.seed.fill(0);
  };
  const drop = (id: string): void => {
    const e = entries.get(id);
    if (e) remove(e);
  };
  /** A slot for a new entry: a free one, a new one while the ring grows, else the clock's victim. */
  const takeSlot = (): number => {
    const free = freeSlots.pop();
    if (free !== undefined) return free;
    if (ring.length < maxEntries) return ring.push(undefined) - 1;
    for (;;) {
      const e = ring[hand]!;
      hand = (hand + 1) % ring.length;
      if (e.used) {
        e.used = false;
        continue;
      }
      remove(e);
      return freeSlots.pop()!;
    }
  };
  const once = <T>(source: OtpKeySource, fn: (key: OtpKey) => T): T => {
    const seed = source.open();
    try {
      return withKey(seed, source.algorithm, source.digits, fn);
    } finally {
      seed.fill(0);
    }
  };
  return {
    maxEntries,
    get size() {
      return entries.size;
    },
    use(source, fn) {
      if (maxEntries === 0) return once(source, fn);
      const id = source.id;
      let e = entries.get(id);
      if (e && matches(e, source)) {
        e.used = true;
        return withKey(e.seed, e.algorithm, e.digits, fn);
      }
      if (e) {
        // The row changed (re-registered, re-wrapped): the factor is known to be in use.
        remove(e);
      } else if (!seenOnce.delete(id) && entries.size >= maxEntries) {
        seenOnce.set(id, true);
        trimOldest(seenOnce, maxEntries);
        return once(source, fn);
      }
      // The opened seed itself becomes the entry: no second copy to zero. Opened before a slot
      // is taken, so a seed that does not open evicts nobody.
      const seed = source.open();
      const slot = takeSlot();
      e = { id, slot, used: false, kid: source.kid, blob: Buffer.from(source.blob), algorithm: source.algorithm, digits: source.digits, seed };
      ring[slot] = e;
      entries.set(id, e);
      return withKey(e.seed, e.algorithm, e.digits, fn);
    },
    forget(id) {
      seenOnce.delete(id);
      drop(id);
    },
    clear() {
      for (const e of entries.values()) e.seed.fill(0);
      entries.clear();
      ring.length = 0;
      freeSlots.length = 0;
      hand = 0;
      seenOnce.clear();
    },
  };
}
