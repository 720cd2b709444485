/**
 * Seeds at rest: after registering fobs, enrolling apps, validating and rotating the KEK, no
 * seed appears in the database in any encoding (raw, hex, base32, base64, base64url): not in
 * the SQLite file, its WAL or shared memory, nor in any row of any PostgreSQL table or in
 * `pg_dump` output. API key secrets are not stored either. Validation goes on working across the
 * rotation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { decodeBase32, encodeBase32, generateTotp } from '@fobkit/protocol/otp';
import { createTestDatabase, databaseKinds, registerFob, startTestBackend, type TestBackend } from '../backend/src/testing/harness.js';
import { rotateKek } from '../backend/src/service/rotateKek.js';
import { parseApiKey } from '../backend/src/crypto/apiKeys.js';
import { join } from 'node:path';

const kinds = await databaseKinds('backend-secrets');

function encodings(seed: Uint8Array): { name: string; needle: Buffer }[] {
  const b = Buffer.from(seed);
  const texts = {
    hex: b.toString('hex'),
    HEX: b.toString('hex').toUpperCase(),
    base32: encodeBase32(seed),
    base32nopad: encodeBase32(seed).replace(/=+$/, ''),
    base32lower: encodeBase32(seed).replace(/=+$/, '').toLowerCase(),
    base64: b.toString('base64'),
    base64url: b.toString('base64url'),
  };
  return [{ name: 'raw', needle: b }, ...Object.entries(texts).map(([name, s]) => ({ name, needle: Buffer.from(s, 'utf8') }))];
}

function findIn(haystack: Buffer, secrets: Uint8Array[]): string[] {
  const found: string[] = [];
  secrets.forEach((s, i) => {
    for (const e of encodings(s)) if (haystack.includes(e.needle)) found.push(`secret ${i} as ${e.name}`);
  });
  return found;
}

describe.each(kinds)('no seed at rest on %s', (kind) => {
  let t: TestBackend;
  const secrets: Uint8Array[] = [];
  const apiSecrets: Uint8Array[] = [];
  beforeAll(async () => {
    t = await startTestBackend({ db: await createTestDatabase(kind) });
    for (let i = 0; i < 5; i++) {
      const f = await registerFob(t, { user: `s${i}` });
      secrets.push(f.seed);
      expect((await t.call('validator', 'POST', '/v1/validate', { user: `s${i}`, code: generateTotp({ secret: f.seed, time: t.clock() }) })).body).toMatchObject({ ok: true });
      const app = await t.call<{ otpauthUri: string }>('admin', 'POST', `/v1/users/s${i}/app`);
      secrets.push(decodeBase32(new URL(app.body.otpauthUri).searchParams.get('secret')!));
    }
    await rotateKek(t.running.backend.ctx, join(t.db.dir, 'backend.kek'), 'test');
    // parsed, not split on '_': a base64url secret may itself contain '_' (and one starting with it would be an empty needle)
    for (const k of Object.values(t.keys)) apiSecrets.push(new TextEncoder().encode(parseApiKey(k)!.secret));
  });
  afterAll(async () => {
    await t?.close();
    await t?.db.cleanup();
  });

  it('finds no seed and no API key secret in the stored data', async () => {
    // The searcher works: it finds what is there.
    expect(findIn(Buffer.concat([Buffer.from('x'), Buffer.from(encodeBase32(secrets[0]!))]), secrets)).toContain('secret 0 as base32');
    let haystack: Buffer;
    if (kind === 'sqlite') {
      const path = t.db.spec.slice('sqlite:'.length);
      haystack = Buffer.concat([path, `${path}-wal`, `${path}-shm`].filter(existsSync).map((p) => readFileSync(p)));
      expect(haystack.length).toBeGreaterThan(10_000);
    } else {
      const c = new pg.Client({ connectionString: t.db.spec });
      await c.connect();
      const tables = (await c.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")).rows.map((r) => r.table_name);
      expect(tables).toEqual(expect.arrayContaining(['tokens', 'app_factors', 'registration_keys', 'audit_log', 'api_keys']));
      const parts: string[] = [];
      for (const tbl of tables) parts.push(...(await c.query<{ row: string }>(`SELECT t::text AS row FROM "${tbl}" t`)).rows.map((r) => r.row));
      await c.end();
      haystack = Buffer.from(parts.join('\n'), 'utf8');
      // bytea renders as \x<hex>: decode every hex run too, so raw bytes are searched as well.
      const hexRuns = [...haystack.toString('utf8').matchAll(/\\x([0-9a-f]+)/g)].map((m) => Buffer.from(m[1]!, 'hex'));
      haystack = Buffer.concat([haystack, ...hexRuns]);
      let dump = '';
      try {
        dump = execFileSync('pg_dump', ['--data-only', t.db.spec], { encoding: 'utf8', maxBuffer: 64 << 20 });
      } catch {
        dump = ''; // pg_dump of another major version may refuse; the SQL rows above are the check
      }
      haystack = Buffer.concat([haystack, Buffer.from(dump, 'utf8')]);
    }
    expect(findIn(haystack, secrets)).toEqual([]);
    expect(findIn(haystack, apiSecrets)).toEqual([]);
  });

  it('keeps validating after the KEK rotation (the in-memory key cache misses on re-wrapped seeds)', async () => {
    const validate = async (user: string, code: string) => (await t.call('validator', 'POST', '/v1/validate', { user, code })).body;
    for (let i = 0; i < 5; i++) {
      const [fobSeed, appSeed] = [secrets[2 * i]!, secrets[2 * i + 1]!];
      // The next step: this one was used before the rotation.
      expect(await validate(`s${i}`, generateTotp({ secret: fobSeed, time: t.clock() + 60 }))).toMatchObject({ ok: true, factor: 'hardware' });
      expect(await validate(`s${i}`, generateTotp({ secret: appSeed, time: t.clock(), period: 30 }))).toEqual({ ok: true, factor: 'app' });
    }
  });
});
