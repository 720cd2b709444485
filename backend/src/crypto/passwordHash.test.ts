import { describe, expect, it } from 'vitest';
import { scryptSync } from 'node:crypto';
import { hashPassword, verifyPassword } from './passwordHash.js';

// A cheap cost keeps the suite quick; the format carries the cost, so verify reads it back.
const cheap = { log2N: 10, r: 8, p: 1 };

describe('passwordHash', () => {
  it('verifies the right password and refuses a wrong one', async () => {
    const h = await hashPassword('correct horse battery', { cost: cheap });
    expect(h).toMatch(/^scrypt\$10\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    await expect(verifyPassword('correct horse battery', h)).resolves.toBe(true);
    await expect(verifyPassword('correct horse batterY', h)).resolves.toBe(false);
    await expect(verifyPassword('', h)).resolves.toBe(false);
  });

  it('is scrypt (RFC 7914) over the NFC form with the stored salt, a new salt each time', async () => {
    const h = await hashPassword('pa\u0073\u0301sword-long', { cost: cheap });
    const [, , , , salt, key] = h.split('$');
    expect(scryptSync('pa\u015bsword-long', Buffer.from(salt!, 'base64url'), 32, { N: 1024, r: 8, p: 1 }).toString('base64url')).toBe(key);
    await expect(verifyPassword('pa\u015bsword-long', h)).resolves.toBe(true);
    expect(await hashPassword('pa\u0073\u0301sword-long', { cost: cheap })).not.toBe(h);
  });

  it('refuses passwords out of bounds and stored values it cannot read', async () => {
    await expect(hashPassword('short')).rejects.toThrow(RangeError);
    await expect(hashPassword('x'.repeat(257))).rejects.toThrow(RangeError);
    await expect(verifyPassword('correct horse battery', 'plaintext')).resolves.toBe(false);
    await expect(verifyPassword('correct horse battery', 'scrypt$30$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).resolves.toBe(false);
    // No operator: still false (and one derivation spent, so the time does not tell).
    await expect(verifyPassword('correct horse battery', undefined)).resolves.toBe(false);
  });
});
