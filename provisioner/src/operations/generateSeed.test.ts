import { describe, expect, it } from 'vitest';
import { hkdfSync, randomBytes } from 'node:crypto';
import { deriveSeed, generateSeed, SEED_BYTES } from './generateSeed.js';

describe('generateSeed', () => {
  it('random seeds have the hash length of their algorithm and differ', () => {
    for (const algorithm of ['sha1', 'sha256', 'sha512'] as const) {
      const a = generateSeed({ mode: 'random', algorithm, serial: 'FK00000013' });
      const b = generateSeed({ mode: 'random', algorithm, serial: 'FK00000013' });
      expect(a.length).toBe(SEED_BYTES[algorithm]);
      expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
    }
    expect(SEED_BYTES).toEqual({ sha1: 20, sha256: 32, sha512: 64 });
  });

  it('derived seeds are HKDF-SHA-256 of the batch key with the serial, reproducible and distinct per serial', () => {
    const batchKey = new Uint8Array(randomBytes(32));
    const a = generateSeed({ mode: 'derived', algorithm: 'sha1', serial: 'FK00000013', batchKey });
    expect(Buffer.from(deriveSeed({ batchKey, serial: 'FK00000013', algorithm: 'sha1' })).equals(Buffer.from(a))).toBe(true);
    const reference = Buffer.from(hkdfSync('sha256', batchKey, 'fobkit/seed/v1', 'seed:FK00000013:sha1', 20));
    expect(Buffer.from(a).equals(reference)).toBe(true);
    const other = deriveSeed({ batchKey, serial: 'FK00000021', algorithm: 'sha1' });
    expect(Buffer.from(other).equals(Buffer.from(a))).toBe(false);
    expect(deriveSeed({ batchKey, serial: 'FK00000013', algorithm: 'sha512' }).length).toBe(64);
  });

  it('refuses derived mode without a 32-byte batch key', () => {
    expect(() => generateSeed({ mode: 'derived', algorithm: 'sha1', serial: 'FK00000013' })).toThrow(RangeError);
    expect(() => deriveSeed({ batchKey: new Uint8Array(16), serial: 'FK00000013', algorithm: 'sha1' })).toThrow(/32 bytes/);
  });
});
