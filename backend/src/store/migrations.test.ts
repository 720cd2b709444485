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
