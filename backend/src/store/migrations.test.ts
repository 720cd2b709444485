/**
 * Migration 2 (the step ledger) on a database that already holds used fobs: their whole history
 * counts as used (used_floor = last_step), so no resync can ever bring back a step a fob had
 * accepted before the ledger existed.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteDb } from './sqliteDb.js';
import { migrate } from './migrations.js';

describe('migration 2: token step ledger', () => {
  it('counts the history of existing fobs as used', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fobkit-migrate-'));
    const db = openSqliteDb(join(dir, 'b.db'));
    try {
      await migrate(db);
      // Back to schema 1, with a fob that had accepted step 1234.
      await db.exec('ALTER TABLE tokens DROP COLUMN used_steps');
      await db.exec('ALTER TABLE tokens DROP COLUMN used_floor');
      await db.exec('DELETE FROM schema_migrations WHERE version = 2');
      await db.run(`INSERT INTO tokens (serial, source, seed_enc, kek_id, algorithm, digits, period, t0, provisioned_at, clock_offset, state, last_step,
        anchor_time, anchor_offset, anchor_err, rate_lo, rate_hi, created_at, updated_at) VALUES ('FK00000013', 'station', x'00', 'k', 'sha1', 6, 60, 0, 0, 0, 'assigned', 1234, 0, 0, 2, 0, 0, 0, 0)`);
      expect(await migrate(db)).toEqual([2]);
      expect(await db.get('SELECT last_step, used_steps, used_floor FROM tokens')).toEqual({ last_step: 1234, used_steps: '', used_floor: 1234 });
    } finally {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
