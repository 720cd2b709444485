/**
 * The audit log can be anchored (issue 15.6). The database refuses to empty it (PostgreSQL's
 * TRUNCATE fires no row trigger, so migration 3 adds a statement trigger); and since someone
 * with DDL rights can still drop the triggers and delete the newest entries, leaving a shorter
 * chain that verifies, `audit head` publishes the head and `audit verify --expect-head/--expect-seq`
 * finds it gone. The server logs the head at start (and daily: auditHeadLog.test.ts). Run
 * through the built bin, on SQLite and PostgreSQL.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBackend } from '../backend/src/openBackend.js';
import { createApiKey } from '../backend/src/service/apiKeyStore.js';
import { readAuditHead } from '../backend/src/audit/auditLog.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../backend/src/testing/harness.js';

const CLI = join(import.meta.dirname, '..', 'backend/bin/fobkit-backend.js');
const kinds = await databaseKinds('backend-audit-anchor');

function cli(...args: string[]): { status: number | null; json: Record<string, unknown>; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args, '--json'], { encoding: 'utf8' });
  return { status: r.status, json: r.stdout.trim() ? (JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>) : {}, stderr: r.stderr };
}

/** Plain SQL on the database, as an attacker with database rights would use it. */
async function sql(db: TestDatabase, statements: string[]): Promise<void> {
  if (db.kind === 'sqlite') {
    const d = new Database(db.spec.slice('sqlite:'.length));
    try {
      for (const s of statements) d.exec(s);
    } finally {
      d.close();
    }
    return;
  }
  const c = new pg.Client({ connectionString: db.spec });
  await c.connect();
  try {
    for (const s of statements) await c.query(s);
  } finally {
    await c.end();
  }
}

describe.each(kinds)('anchoring the audit log on %s', (kind) => {
  let db: TestDatabase;
  let kekFile = '';
  const heads: { seq: number; hash: string }[] = [];
  beforeAll(async () => {
    db = await createTestDatabase(kind);
    kekFile = join(db.dir, 'b.kek');
    const b = await openBackend({ db: db.spec, kekFile });
    try {
      for (let i = 0; i < 4; i++) {
        await createApiKey(b.ctx, 'test', 'support', `key ${i}`);
        heads.push(await readAuditHead(b.ctx.db));
      }
    } finally {
      await b.close();
    }
  });
  afterAll(async () => {
    await db?.cleanup();
  });

  it('refuses to empty the audit log, TRUNCATE included', async () => {
    const emptying = kind === 'postgres' ? ['TRUNCATE audit_log', 'DELETE FROM audit_log'] : ['DELETE FROM audit_log'];
    for (const s of emptying) await expect(sql(db, [s]), s).rejects.toThrow(/append-only/);
    expect(cli('audit', 'verify', '--db', db.spec).json).toMatchObject({ ok: true, entries: heads.at(-1)!.seq });
  });

  it('prints the head to publish: { seq, hash, at }', () => {
    const r = cli('audit', 'head', '--db', db.spec);
    expect(r.status).toBe(0);
    expect(r.json).toMatchObject({ event: 'audit-head', seq: heads.at(-1)!.seq, hash: heads.at(-1)!.hash });
    expect(typeof r.json.at).toBe('number');
    const text = spawnSync(process.execPath, [CLI, 'audit', 'head', '--db', db.spec], { encoding: 'utf8' });
    expect(text.stdout).toContain(`seq ${heads.at(-1)!.seq} hash ${heads.at(-1)!.hash} at `);
  });

  it('with the published head, catches the newest entries deleted (which a plain verify cannot)', async () => {
    const last = heads.at(-1)!;
    const older = heads.at(-3)!;
    expect(cli('audit', 'verify', '--db', db.spec, '--expect-head', last.hash, '--expect-seq', String(last.seq)).status).toBe(0);
    const dropTriggers = kind === 'postgres' ? ['DROP TRIGGER audit_log_no_change ON audit_log'] : ['DROP TRIGGER audit_log_no_delete'];
    await sql(db, [...dropTriggers, `DELETE FROM audit_log WHERE seq > ${older.seq}`]);

    const plain = cli('audit', 'verify', '--db', db.spec);
    expect(plain.status).toBe(0);
    expect(plain.json).toMatchObject({ ok: true, entries: older.seq });

    const byHead = cli('audit', 'verify', '--db', db.spec, '--expect-head', last.hash);
    expect(byHead.status).toBe(1);
    expect(byHead.json).toMatchObject({ event: 'audit-broken', ok: false, reason: 'head-missing', entries: older.seq });
    const bySeq = cli('audit', 'verify', '--db', db.spec, '--expect-seq', String(last.seq));
    expect(bySeq.status).toBe(1);
    expect(bySeq.json).toMatchObject({ ok: false, reason: 'truncated', seq: last.seq });
    const both = cli('audit', 'verify', '--db', db.spec, '--expect-head', last.hash, '--expect-seq', String(last.seq));
    expect(both.json).toMatchObject({ ok: false, reason: 'truncated' });
    const text = spawnSync(process.execPath, [CLI, 'audit', 'verify', '--db', db.spec, '--expect-head', last.hash], { encoding: 'utf8' });
    expect(text.stdout).toMatch(/BROKEN: the published head is not in it \(head-missing\)/);

    // A head published before the deletion point is still there; at another seq it is not.
    expect(cli('audit', 'verify', '--db', db.spec, '--expect-head', older.hash, '--expect-seq', String(older.seq)).status).toBe(0);
    expect(cli('audit', 'verify', '--db', db.spec, '--expect-head', older.hash, '--expect-seq', String(older.seq - 1)).json).toMatchObject({ reason: 'head-missing' });
  });

  it.runIf(kind === 'postgres')('still refuses TRUNCATE without the row trigger; emptied anyway, the published head catches it', async () => {
    await expect(sql(db, ['TRUNCATE audit_log'])).rejects.toThrow(/append-only/);
    await sql(db, ['DROP TRIGGER audit_log_no_truncate ON audit_log', 'TRUNCATE audit_log']);
    expect(cli('audit', 'verify', '--db', db.spec).json).toMatchObject({ ok: true, entries: 0 });
    expect(cli('audit', 'verify', '--db', db.spec, '--expect-head', heads[0]!.hash).json).toMatchObject({ ok: false, reason: 'head-missing', entries: 0 });
  });

  it('refuses a malformed anchor as bad input (exit 2)', () => {
    for (const args of [['--expect-head', 'abc'], ['--expect-head', 'A'.repeat(64)], ['--expect-seq', '-1'], ['--expect-seq', '1.5']]) {
      const r = cli('audit', 'verify', '--db', db.spec, ...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.json).toMatchObject({ event: 'error', code: 'INVALID_REQUEST' });
    }
  });

  it('serve logs the head right after it is ready', { timeout: 60_000 }, async () => {
    const child = spawn(process.execPath, [CLI, 'serve', '--db', db.spec, '--kek-file', kekFile, '--listen', '127.0.0.1:0', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const events: Record<string, unknown>[] = [];
    try {
      for await (const line of createInterface({ input: child.stdout! })) {
        events.push(JSON.parse(line) as Record<string, unknown>);
        if (events.at(-1)!.event === 'audit-head') break;
      }
    } finally {
      child.kill('SIGTERM');
    }
    const b = await openBackend({ db: db.spec, kekFile, createKek: false });
    try {
      const head = await readAuditHead(b.ctx.db);
      expect(events.map((e) => e.event)).toEqual(['ready', 'audit-head']);
      expect(events[1]).toMatchObject({ seq: head.seq, hash: head.hash, at: head.at });
    } finally {
      await b.close();
    }
  });
});
