/**
 * A bounded memo of "open this stored seed and key its HMAC": for one factor's row, the keyed
 * OTP state its (KEK id, ciphertext) opens to. Validation is the hot path, and opening the seed
 * (an AES-GCM context per call) plus keying the HMAC cost more than the rest of the OTP check.
 *
 * Correctness never depends on it. The row is read on every request and an entry is used only
 * when the row's KEK id, ciphertext, algorithm and digits match it byte for byte, so a
 * re-registered fob, a re-enrolled app or a rotated KEK simply misses; everything else about a
 * factor (state, assignment, replay, throttling) comes from the row as before. It is a pure
 * memo of a function of the row and the keyring, and so it is also safe with several backend
 * processes on one database.
 *
 * What holding it means: the keyed states are as good as the seeds for computing codes. They
 * live only in this process's memory, which already holds the KEK that opens every seed in the
 * database for the process's whole life, so the cache adds no new place a seed can be read
 * from; it is never written anywhere. Entries are zeroed when evicted and when the backend
 * closes. `maxEntries: 0` turns it off (every validation opens and zeroes its seed).
 *
 * A factor is admitted on its second use within a while (see `seenOnce`), so factors used once
 * neither cost an entry nor push out the ones in daily use.
 */
import { createOtpKey, type OtpAlgorithm, type OtpDigits, type OtpKey } from '@fobkit/protocol/otp';

/**
 * The factors of a typical day's logins at a large site; each entry costs about 2.5 KiB of heap
 * (50 MiB in all). Sized with `fobkit-backend serve --key-cache N`.
 */
export const DEFAULT_OTP_KEY_CACHE_ENTRIES = 20_000;

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
   * Runs `fn` with the key for `source`. The key belongs to the cache: `fn` must not keep or
   * dispose it. With the cache off, it is created for this call and disposed after it.
   */
  use<T>(source: OtpKeySource, fn: (key: OtpKey) => T): T;
  /** Drops one factor's entry (after its seed was replaced or deleted). */
  forget(id: string): void;
  /** Zeroes and drops every entry. */
  clear(): void;
}

interface Entry {
  kid: string;
  blob: Buffer;
  key: OtpKey;
}

function keyOf(source: OtpKeySource): OtpKey {
  const seed = source.open();
  try {
    return createOtpKey({ secret: seed, algorithm: source.algorithm, digits: source.digits });
  } finally {
    seed.fill(0);
  }
}

/**
 * Drops the oldest entries of an insertion-ordered Map once it holds more than `max`, a
 * sixteenth at a time. In batches because a Map keeps the slots of deleted entries until it next
 * rehashes and iteration walks over them: evicting one entry per insert through
 * `keys().next()` would walk every hole left by the evictions before it.
 */
function trimOldest<V>(map: Map<string, V>, max: number, onDrop: (key: string, value: V) => void): void {
  if (map.size <= max) return;
  let n = map.size - max + (max >> 4);
  for (const [k, v] of map) {
    if (n-- <= 0) break;
    map.delete(k);
    onDrop(k, v);
  }
}

function matches(e: Entry, s: OtpKeySource): boolean {
  return e.kid === s.kid && e.key.algorithm === s.algorithm && e.key.digits === s.digits && e.blob.equals(s.blob);
}

export function createOtpKeyCache(options: { maxEntries?: number } = {}): OtpKeyCache {
  const maxEntries = options.maxEntries ?? DEFAULT_OTP_KEY_CACHE_ENTRIES;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 0) throw new RangeError(`maxEntries must be a non-negative integer, got ${String(maxEntries)}`);
  // A Map iterates in insertion order: re-inserting on a hit makes the first entry the least
  // recently used one.
  const entries = new Map<string, Entry>();
  // Factors seen once lately (ids only, no key material). A factor is admitted on its second use
  // while still listed here: a sweep over more factors than the cache holds (a nightly check of
  // every fob, or simply more users than entries) then costs what no cache costs, instead of
  // building and zeroing an entry per request and pushing out the factors that do come back.
  const seenOnce = new Map<string, true>();
  const drop = (id: string): void => {
    const e = entries.get(id);
    if (!e) return;
    entries.delete(id);
    e.key.dispose();
  };
  const once = <T>(source: OtpKeySource, fn: (key: OtpKey) => T): T => {
    const key = keyOf(source);
    try {
      return fn(key);
    } finally {
      key.dispose();
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
        entries.delete(id);
        entries.set(id, e);
        return fn(e.key);
      }
      if (e) {
        // The row changed (re-registered, re-wrapped): the factor is known to be in use.
        drop(id);
      } else if (!seenOnce.delete(id)) {
        seenOnce.set(id, true);
        trimOldest(seenOnce, maxEntries, () => undefined);
        return once(source, fn);
      }
      e = { kid: source.kid, blob: Buffer.from(source.blob), key: keyOf(source) };
      entries.set(id, e);
      trimOldest(entries, maxEntries, (_, old) => old.key.dispose());
      return fn(e.key);
    },
    forget(id) {
      seenOnce.delete(id);
      drop(id);
    },
    clear() {
      for (const e of entries.values()) e.key.dispose();
      entries.clear();
      seenOnce.clear();
    },
  };
}
