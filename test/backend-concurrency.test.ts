/**
 * Replay under concurrency: many requests with one valid code at the same moment give exactly
 * one success, within one process (SQLite) and across two backend processes sharing one
 * database (two `fobkit-backend serve` on PostgreSQL, and on one SQLite file).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { generateTotp } from '@fobkit/protocol/otp';
import { createTestDatabase, databaseKinds, registerFob, startTestBackend, type TestDatabase } from '../backend/src/testing/harness.js';
import { openBackend } from '../backend/src/openBackend.js';
import { createApiKey } from '../backend/src/service/apiKeyStore.js';
import { assignToken, importToken } from '../backend/src/service/tokens.js';

const kinds = await databaseKinds('backend-concurrency');
const ROOT = join(import.meta.dirname, '..');
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
});

/** Starts `fobkit-backend serve` from the sources and waits for its JSON ready line. */
async function serve(db: string, kekFile: string): Promise<string> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', join(ROOT, 'backend/src/cli/main.ts'), 'serve', '--db', db, '--kek-file', kekFile, '--listen', '127.0.0.1:0', '--json'], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    const ev = JSON.parse(line) as { event: string; url?: string };
    if (ev.event === 'ready') return ev.url!;
  }
  throw new Error(`backend exited before ready: ${stderr}`);
}

async function fire(urls: string[], key: string, user: string, code: string, n: number): Promise<{ ok: boolean; reason?: string }[]> {
  return Promise.all(Array.from({ length: n }, async (_, i) => {
    const res = await fetch(`${urls[i % urls.length]}/v1/validate`, {
      method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ user, code }),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { ok: boolean; reason?: string };
  }));
}

it('gives exactly one success for 40 concurrent requests with one code in one process (SQLite)', async () => {
  const db = await createTestDatabase('sqlite');
  const t = await startTestBackend({ db });
  try {
    const fob = await registerFob(t, { user: 'racer' });
    const code = generateTotp({ secret: fob.seed, time: t.clock() });
    const results = await fire([t.url], t.keys.validator, 'racer', code, 40);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok).every((r) => r.reason === 'replayed')).toBe(true);
  } finally {
    await t.close();
    await db.cleanup();
  }
});

const twoProcessKinds: ('sqlite' | 'postgres')[] = kinds.includes('postgres') ? ['postgres', 'sqlite'] : ['sqlite'];

describe.each(twoProcessKinds)('two backend processes sharing one %s database', (kind) => {
  let db: TestDatabase;
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    await db?.cleanup();
  });

  it('gives exactly one success per code across both processes', { timeout: 60_000 }, async () => {
    db = await createTestDatabase(kind);
    const kekFile = join(db.dir, 'shared.kek');
    const seeds = Array.from({ length: 5 }, () => new Uint8Array(randomBytes(20)));
    const b = await openBackend({ db: db.spec, kekFile });
    const key = (await createApiKey(b.ctx, 'test', 'validator')).token;
    for (let i = 0; i < seeds.length; i++) {
      await importToken(b.ctx, 'test', { serial: `VENDOR-${i}`, secret: seeds[i]!, algorithm: 'sha1', digits: 6, period: 60, t0: 0 });
      await assignToken(b.ctx, 'test', `VENDOR-${i}`, `racer${i}`);
    }
    await b.close();
    const urls = await Promise.all([serve(db.spec, kekFile), serve(db.spec, kekFile)]);
    // Five rounds, each 30 concurrent requests with one code spread over both processes.
    for (let i = 0; i < seeds.length; i++) {
      const code = generateTotp({ secret: seeds[i]!, time: Date.now() / 1000 });
      const results = await fire(urls, key, `racer${i}`, code, 30);
      expect(results.filter((r) => r.ok), `round ${i}`).toHaveLength(1);
      expect(results.filter((r) => !r.ok).map((r) => r.reason)).toEqual(Array(29).fill('replayed'));
    }
  });
});
