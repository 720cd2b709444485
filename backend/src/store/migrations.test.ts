/**
 * The migration runner (each version once, also when merged out of order) and migration 6 (the
 * step ledger) on a database that already holds used fobs: their whole history counts as used
 * (used_floor = last_step), so no resync can ever bring back a step a fob had accepted before the
 * ledger existed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteDb } from './sqliteDb.js';
import { migrate, SCHEMA_VERSION } from './migrations.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('migrate', () => {
  it('applies every migration once, then none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fobkit-migrate-'));
    dirs.push(dir);
    const db = await openSqliteDb(join(dir, 'b.db'));
    try {
      const first = await migrate(db);
      expect(first[0]).toBe(1);
      expect(first[first.length - 1]).toBe(SCHEMA_VERSION);
      expect(await migrate(db)).toEqual([]);
      await db.run("INSERT INTO operators (name, role, password_hash, created_at, updated_at) VALUES ('a', 'support', 'x', 0, 0)");
    } finally {
      await db.close();
    }
  });

  it('applies a missing lower version even when a higher one is recorded (branches merged out of order)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fobkit-migrate-'));
    dirs.push(dir);
    const db = await openSqliteDb(join(dir, 'b.db'));
    try {
      await db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)');
      await db.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'from another branch', 0)");
      const applied = await migrate(db);
      expect(applied).toContain(1);
      expect(applied).toContain(5);
      expect(await db.get("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'console_sessions'")).toBeDefined();
    } finally {
      await db.close();
    }
  });
});

describe('migration 6: token step ledger', () => {
  it('counts the history of existing fobs as used', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fobkit-migrate-'));
    dirs.push(dir);
    const db = await openSqliteDb(join(dir, 'b.db'));
    try {
      await migrate(db);
      // Back to before 6, with a fob that had accepted step 1234.
      await db.exec('ALTER TABLE tokens DROP COLUMN used_steps');
      await db.exec('ALTER TABLE tokens DROP COLUMN used_floor');
      await db.exec('DELETE FROM schema_migrations WHERE version = 6');
      await db.run(`INSERT INTO tokens (serial, source, seed_enc, kek_id, algorithm, digits, period, t0, provisioned_at, clock_offset, state, last_step,
        anchor_time, anchor_offset, anchor_err, rate_lo, rate_hi, created_at, updated_at) VALUES ('FK00000013', 'station', x'00', 'k', 'sha1', 6, 60, 0, 0, 0, 'assigned', 1234, 0, 0, 2, 0, 0, 0, 0)`);
      expect(await migrate(db)).toEqual([6]);
      expect(await db.get('SELECT last_step, used_steps, used_floor FROM tokens')).toEqual({ last_step: 1234, used_steps: '', used_floor: 1234 });
    } finally {
      await db.close();
    }
  });
});
