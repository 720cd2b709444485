import { describe, expect, it } from 'vitest';
import { createOtpKey, type OtpKey } from '@fobkit/protocol/otp';
import { createOtpKeyCache, type OtpKeyCache, type OtpKeySource } from './otpKeyCache.js';

const seedA = new Uint8Array(20).fill(1);
const seedB = new Uint8Array(20).fill(2);

/** A source whose `open` hands out a fresh copy of `seed` and remembers every copy it gave. */
function source(id: string, seed: Uint8Array, blob = Buffer.from(`blob-${id}`)): OtpKeySource & { opened: Uint8Array[] } {
  const opened: Uint8Array[] = [];
  return { id, kid: 'kek-1', blob, algorithm: 'sha1', digits: 6, opened, open: () => { const s = Uint8Array.from(seed); opened.push(s); return s; } };
}

const codeOf = (seed: Uint8Array, step: number) => createOtpKey({ secret: seed }).codeAt(step);
const zeroed = (s: Uint8Array) => s.every((b) => b === 0);
/** Two uses: enough to be admitted whether or not the cache is full. */
const admit = (cache: OtpKeyCache, s: OtpKeySource): void => {
  cache.use(s, () => undefined);
  cache.use(s, () => undefined);
};

describe('createOtpKeyCache', () => {
  it('opens a factor once while it has room and answers later uses from memory, with the right codes', () => {
    const cache = createOtpKeyCache({ maxEntries: 10 });
    const a = source('token-seed:A', seedA);
    expect(cache.use(a, (k) => k.codeAt(7))).toBe(codeOf(seedA, 7));
    expect(cache.size).toBe(1);
    expect(cache.use(a, (k) => k.codeAt(8))).toBe(codeOf(seedA, 8));
    expect(a.opened).toHaveLength(1);
    // Every key handed out is for one use only.
    let used: OtpKey | undefined;
    cache.use(a, (k) => (used = k));
    expect(() => used!.codeAt(1)).toThrow(/dispose/);
    // The held seed is zeroed when the cache lets go of it.
    expect(zeroed(a.opened[0]!)).toBe(false);
    cache.clear();
    expect(zeroed(a.opened[0]!)).toBe(true);
  });

  it('once full, admits a factor only on its second use', () => {
    const cache = createOtpKeyCache({ maxEntries: 1 });
    const a = source('a', seedA);
    cache.use(a, () => undefined);
    const b = source('b', seedB);
    cache.use(b, () => undefined);
    expect(zeroed(b.opened[0]!)).toBe(true); // used once and zeroed: not kept
    expect(cache.size).toBe(1);
    cache.use(b, () => undefined); // second use: admitted, evicting a
    cache.use(b, () => undefined);
    expect(b.opened).toHaveLength(2);
    expect(zeroed(a.opened[0]!)).toBe(true);
    expect(cache.size).toBe(1);
  });

  it('misses when the row changed (new ciphertext, KEK id or digits) and zeroes the stale seed', () => {
    const cache = createOtpKeyCache({ maxEntries: 10 });
    const first = source('token-seed:A', seedA);
    admit(cache, first);
    // Re-registered with another seed: same id, new ciphertext.
    const reseeded = source('token-seed:A', seedB, Buffer.from('blob-new'));
    expect(cache.use(reseeded, (k) => k.codeAt(7))).toBe(codeOf(seedB, 7));
    expect(reseeded.opened).toHaveLength(1);
    expect(zeroed(first.opened[0]!)).toBe(true);
    cache.use(reseeded, () => undefined);
    expect(reseeded.opened).toHaveLength(1);
    // Rotated KEK: the same bytes under another id are still a miss.
    const rotated = { ...source('token-seed:A', seedB, Buffer.from('blob-new')), kid: 'kek-2' };
    cache.use(rotated, () => undefined);
    expect(rotated.opened).toHaveLength(1);
    const longer = { ...source('token-seed:A', seedB, Buffer.from('blob-new')), kid: 'kek-2', digits: 8 as const };
    expect(cache.use(longer, (k) => k.codeAt(7))).toBe(createOtpKey({ secret: seedB, digits: 8 }).codeAt(7));
    expect(longer.opened).toHaveLength(1);
    expect(cache.size).toBe(1);
  });

  it('evicts, clock-wise, a factor not used since the hand last passed, and zeroes its seed', () => {
    const cache = createOtpKeyCache({ maxEntries: 2 });
    const [a, b, c, d] = [source('a', seedA), source('b', seedB), source('c', seedA), source('d', seedB)];
    admit(cache, a);
    admit(cache, b);
    // Both were used since they came in: the hand gives each a second chance, then takes a.
    admit(cache, c);
    expect(zeroed(a.opened[0]!)).toBe(true);
    // c is used again, b is not: b goes next.
    cache.use(c, () => undefined);
    admit(cache, d);
    expect(zeroed(b.opened[0]!)).toBe(true);
    expect(cache.size).toBe(2);
    cache.use(c, () => undefined);
    expect(c.opened).toHaveLength(2); // once before it was admitted, once to admit it
    expect(zeroed(c.opened[1]!)).toBe(false);
  });

  it('a sweep over more factors than it holds fills the room it has and then pushes nobody out', () => {
    const cache = createOtpKeyCache({ maxEntries: 4 });
    const a = source('a', seedA);
    admit(cache, a);
    const sweep = Array.from({ length: 100 }, (_, i) => source(`s${i}`, seedB));
    for (let round = 0; round < 2; round++) for (const s of sweep) cache.use(s, () => undefined);
    expect(cache.size).toBe(4);
    // The first three took the free room and were answered from memory the second time round;
    // every later one was opened both times and never kept.
    expect(sweep.slice(0, 3).every((s) => s.opened.length === 1)).toBe(true);
    expect(sweep.slice(3).every((s) => s.opened.length === 2 && s.opened.every(zeroed))).toBe(true);
    cache.use(a, () => undefined);
    expect(a.opened).toHaveLength(1);
  });

  it('with maxEntries 0 opens per use and zeroes the seed and the key when the use returns', () => {
    const cache = createOtpKeyCache({ maxEntries: 0 });
    const a = source('a', seedA);
    let used: OtpKey | undefined;
    for (let i = 0; i < 3; i++) expect(cache.use(a, (k) => ((used = k), k.codeAt(3)))).toBe(codeOf(seedA, 3));
    expect(() => used!.codeAt(3)).toThrow(/dispose/);
    expect(a.opened).toHaveLength(3);
    expect(a.opened.every(zeroed)).toBe(true);
    expect(cache.size).toBe(0);
  });

  it('forget and clear zero what they drop', () => {
    const cache = createOtpKeyCache();
    const [a, b] = [source('a', seedA), source('b', seedB)];
    admit(cache, a);
    admit(cache, b);
    cache.forget('a');
    expect(zeroed(a.opened[0]!)).toBe(true);
    expect(cache.use(b, (k) => k.codeAt(1))).toBe(codeOf(seedB, 1));
    cache.clear();
    expect(zeroed(b.opened[0]!)).toBe(true);
    expect(cache.size).toBe(0);
  });

  it('refuses a size that is not a non-negative integer', () => {
    expect(() => createOtpKeyCache({ maxEntries: -1 })).toThrow(RangeError);
    expect(() => createOtpKeyCache({ maxEntries: 1.5 })).toThrow(RangeError);
  });
});
