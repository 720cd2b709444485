/**
 * `POST /v1/exports` on both databases (SQLite and PostgreSQL): admin only, paged by serial,
 * revoked fobs left out, every seed sealed to the caller's one-off key (and to nothing else),
 * audited per fob; and the import planner against the same database (already imported,
 * conflicting seed under an existing serial).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSealKeyPair, openSealed } from '@fobkit/protocol/session';
import { encodeHex } from '@fobkit/protocol/otp';
import { parseSeedFile, writeOathCsv } from '@fobkit/protocol/formats';
import { createTestDatabase, databaseKinds, registerFob, startTestBackend, type RegisteredFob, type TestBackend, type TestDatabase } from '../backend/src/testing/harness.js';
import { applySeedImport, planSeedImport } from '../backend/src/interop/planSeedImport.js';

interface Page {
  tokens: Array<{ serial: string; user: string | null; period: number; driftSteps: number; sealedSecret: string }>;
  next: string | null;
  skippedRevoked: string[];
}

const kinds = await databaseKinds('formats-backend-export-api');

describe.each(kinds)('POST /v1/exports and import planning on %s', (kind) => {
  let db: TestDatabase;
  let t: TestBackend;
  let fobs: RegisteredFob[];
  beforeAll(async () => {
    db = await createTestDatabase(kind);
    t = await startTestBackend({ db });
    fobs = [];
    for (let i = 0; i < 5; i++) fobs.push(await registerFob(t, i === 0 ? { user: 'alice@example.com', clockOffset: -61 } : {}));
    expect((await t.call('support', 'POST', `/v1/tokens/${fobs[3]!.serial}/revoke`, { reason: 'lost' })).status).toBe(200);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await db?.cleanup();
  });

  it('pages a batch, leaves revoked fobs out, and seals every seed to the caller only', async () => {
    const { privateKey, publicKey } = generateSealKeyPair();
    const seen = new Map<string, string>();
    const revoked: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const r = await t.call<Page>('admin', 'POST', '/v1/exports', { batch: 'B1', format: 'pskc', recipientPublicKey: Buffer.from(publicKey).toString('base64url'), limit: 2, ...(after ? { after } : {}) });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      pages++;
      revoked.push(...r.body.skippedRevoked);
      for (const tok of r.body.tokens) {
        const envelope = new Uint8Array(Buffer.from(tok.sealedSecret, 'base64url'));
        seen.set(tok.serial, encodeHex(openSealed({ recipientPrivateKey: privateKey, envelope, context: `export:${tok.serial}` })));
        // Bound to its purpose: the same envelope does not open as a registration seed.
        expect(() => openSealed({ recipientPrivateKey: privateKey, envelope, context: `seed:${tok.serial}` })).toThrow();
        if (tok.serial === fobs[0]!.serial) expect(tok).toMatchObject({ user: 'alice@example.com', period: 60, driftSteps: -1 });
      }
      after = r.body.next ?? undefined;
    } while (after);
    expect(pages).toBe(3);
    expect(revoked).toEqual([fobs[3]!.serial]);
    expect([...seen.keys()].sort()).toEqual(fobs.filter((_, i) => i !== 3).map((f) => f.serial).sort());
    for (const f of fobs.filter((_, i) => i !== 3)) expect(seen.get(f.serial)).toBe(encodeHex(f.seed));
    const audit = await t.call<{ entries: Array<{ action: string; detail: { batch: string } }> }>('admin', 'GET', `/v1/audit?subject=${fobs[1]!.serial}`);
    expect(audit.body.entries.filter((e) => e.action === 'token.export')).toHaveLength(1);
  });

  it('is for admin keys only, and checks its body', async () => {
    const body = { batch: 'B1', format: 'pskc', recipientPublicKey: Buffer.alloc(32, 9).toString('base64url') };
    for (const role of ['support', 'station', 'validator'] as const) expect((await t.call(role, 'POST', '/v1/exports', body)).status).toBe(403);
    expect((await t.call(null, 'POST', '/v1/exports', body)).status).toBe(401);
    expect((await t.call('admin', 'POST', '/v1/exports', { ...body, format: 'xml' })).status).toBe(400);
    expect((await t.call('admin', 'POST', '/v1/exports', { ...body, recipientPublicKey: 'AAAA' })).status).toBe(400);
    expect((await t.call('admin', 'POST', '/v1/exports', { ...body, batch: 'NONE' })).status).toBe(404);
  });

  it('import planning: a re-import is "already imported", another seed under a known serial a duplicate', async () => {
    const vendorSeed = new Uint8Array(randomBytes(20));
    const csv = writeOathCsv([
      { serial: 'ACME-1', secret: vendorSeed, type: 'totp', algorithm: 'sha1', digits: 6, period: 60 },
      { serial: fobs[1]!.serial, secret: fobs[1]!.seed, type: 'totp', algorithm: 'sha1', digits: 6, period: 60 },
      { serial: fobs[2]!.serial, secret: new Uint8Array(randomBytes(20)), type: 'totp', algorithm: 'sha1', digits: 6, period: 60 },
    ]);
    const ctx = t.running.backend.ctx;
    const plan = await planSeedImport(ctx, parseSeedFile(csv));
    expect(plan.entries.map((e) => [e.serial, e.status, e.problems.map((p) => p.kind)])).toEqual([
      ['ACME-1', 'new', []], [fobs[1]!.serial, 'already-imported', []], [fobs[2]!.serial, 'problem', ['duplicate-serial']],
    ]);
    await expect(applySeedImport(ctx, 'test', plan)).rejects.toThrow(/nothing was imported/);
    const outcomes = await applySeedImport(ctx, 'test', plan, { batch: 'ACME', skipProblems: true });
    expect(outcomes).toEqual([{ serial: 'ACME-1', result: 'imported' }, { serial: fobs[1]!.serial, result: 'unchanged' }]);
    const view = await t.call<{ source: string; state: string }>('support', 'GET', '/v1/tokens/ACME-1');
    expect(view.body).toMatchObject({ source: 'import', state: 'available' });
  });
});
