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
/** Two uses: a factor is admitted on its second. */
const admit = (cache: OtpKeyCache, s: OtpKeySource): OtpKey => {
  cache.use(s, () => undefined);
  return cache.use(s, (k) => k);
};

describe('createOtpKeyCache', () => {
  it('admits a factor on its second use and answers later uses from memory, with the right codes', () => {
    const cache = createOtpKeyCache({ maxEntries: 10 });
    const a = source('token-seed:A', seedA);
    expect(cache.use(a, (k) => k.codeAt(7))).toBe(codeOf(seedA, 7));
    expect(cache.size).toBe(0);
    expect(cache.use(a, (k) => k.codeAt(8))).toBe(codeOf(seedA, 8));
    expect(cache.size).toBe(1);
    expect(cache.use(a, (k) => k.codeAt(9))).toBe(codeOf(seedA, 9));
    expect(a.opened).toHaveLength(2);
    // Every opened seed is zeroed at once: only keyed states are kept.
    expect(a.opened.every((s) => s.every((b) => b === 0))).toBe(true);
  });

  it('misses when the row changed (new ciphertext, KEK id or digits) and disposes the stale key', () => {
    const cache = createOtpKeyCache({ maxEntries: 10 });
    const stale = admit(cache, source('token-seed:A', seedA));
    // Re-registered with another seed: same id, new ciphertext.
    const reseeded = source('token-seed:A', seedB, Buffer.from('blob-new'));
    expect(cache.use(reseeded, (k) => k.codeAt(7))).toBe(codeOf(seedB, 7));
    expect(reseeded.opened).toHaveLength(1);
    expect(() => stale.codeAt(7)).toThrow(/dispose/);
    cache.use(reseeded, () => undefined);
    expect(reseeded.opened).toHaveLength(1);
    // Rotated KEK: the same bytes under another id are still a miss.
    const rotated = { ...source('token-seed:A', seedB, Buffer.from('blob-new')), kid: 'kek-2' };
    cache.use(rotated, () => undefined);
    expect(rotated.opened).toHaveLength(1);
    const longer = { ...source('token-seed:A', seedB, Buffer.from('blob-new')), kid: 'kek-2', digits: 8 as const };
    expect(cache.use(longer, (k) => k.digits)).toBe(8);
    expect(longer.opened).toHaveLength(1);
    expect(cache.size).toBe(1);
  });

  it('evicts the least recently used factor beyond maxEntries and zeroes its key', () => {
    const cache = createOtpKeyCache({ maxEntries: 2 });
    const [a, b, c] = [source('a', seedA), source('b', seedB), source('c', seedA)];
    admit(cache, a);
    const keyOfB = admit(cache, b);
    cache.use(a, () => undefined); // a is now the most recent
    admit(cache, c); // evicts b
    expect(cache.size).toBe(2);
    expect(() => keyOfB.codeAt(1)).toThrow(/dispose/);
    cache.use(a, () => undefined);
    expect(a.opened).toHaveLength(2);
  });

  it('a sweep over more factors than it holds admits none of them and keeps the factors in use', () => {
    const cache = createOtpKeyCache({ maxEntries: 4 });
    const a = source('a', seedA);
    admit(cache, a);
    const sweep = Array.from({ length: 100 }, (_, i) => source(`s${i}`, seedB));
    for (let round = 0; round < 2; round++) for (const s of sweep) cache.use(s, () => undefined);
    expect(cache.size).toBe(1);
    expect(sweep.every((s) => s.opened.length === 2)).toBe(true);
    cache.use(a, () => undefined);
    expect(a.opened).toHaveLength(2);
  });

  it('with maxEntries 0 opens per use and disposes the key when the use returns', () => {
    const cache = createOtpKeyCache({ maxEntries: 0 });
    const a = source('a', seedA);
    let used: OtpKey | undefined;
    for (let i = 0; i < 3; i++) expect(cache.use(a, (k) => ((used = k), k.codeAt(3)))).toBe(codeOf(seedA, 3));
    expect(() => used!.codeAt(3)).toThrow(/dispose/);
    expect(a.opened).toHaveLength(3);
    expect(cache.size).toBe(0);
  });

  it('forget and clear dispose what they drop', () => {
    const cache = createOtpKeyCache();
    const keyA = admit(cache, source('a', seedA));
    const keyB = admit(cache, source('b', seedB));
    cache.forget('a');
    expect(() => keyA.codeAt(1)).toThrow(/dispose/);
    expect(keyB.codeAt(1)).toBe(codeOf(seedB, 1));
    cache.clear();
    expect(() => keyB.codeAt(1)).toThrow(/dispose/);
    expect(cache.size).toBe(0);
  });

  it('refuses a size that is not a non-negative integer', () => {
    expect(() => createOtpKeyCache({ maxEntries: -1 })).toThrow(RangeError);
    expect(() => createOtpKeyCache({ maxEntries: 1.5 })).toThrow(RangeError);
  });
});
