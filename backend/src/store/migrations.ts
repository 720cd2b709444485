/**
 * Versioned schema migrations, run on every start (and by every CLI command that opens the
 * database). Each migration runs in its own transaction under a lock, so two backend processes
 * starting at once against one PostgreSQL apply it exactly once. Never edit a released
 * migration: add a new one at the end.
 */
import type { Db, Dialect } from './db.js';

interface Migration {
  version: number;
  name: string;
  statements: (d: Dialect) => string[];
}

const T = (d: Dialect) => ({ blob: d === 'sqlite' ? 'BLOB' : 'BYTEA', real: d === 'sqlite' ? 'REAL' : 'DOUBLE PRECISION' });

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    statements: (d) => {
      const { blob, real } = T(d);
      const common = [
        `CREATE TABLE api_keys (id TEXT PRIMARY KEY, role TEXT NOT NULL, hash ${blob} NOT NULL, label TEXT,
          created_at ${real} NOT NULL, revoked_at ${real})`,
        `CREATE TABLE registration_keys (kid TEXT PRIMARY KEY, public_key ${blob} NOT NULL, private_enc ${blob} NOT NULL,
          kek_id TEXT NOT NULL, active INTEGER NOT NULL, created_at ${real} NOT NULL)`,
        `CREATE TABLE counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL)`,
        `INSERT INTO counters (name, value) VALUES ('serial', 0)`,
        `CREATE TABLE serial_blocks (first_seq BIGINT PRIMARY KEY, count INTEGER NOT NULL, key_id TEXT NOT NULL, created_at ${real} NOT NULL)`,
        `CREATE TABLE tokens (
          serial TEXT PRIMARY KEY, model TEXT, batch TEXT, source TEXT NOT NULL,
          seed_enc ${blob} NOT NULL, kek_id TEXT NOT NULL,
          algorithm TEXT NOT NULL, digits INTEGER NOT NULL, period INTEGER NOT NULL, t0 ${real} NOT NULL,
          provisioned_at ${real} NOT NULL, clock_offset ${real} NOT NULL,
          state TEXT NOT NULL, enabled INTEGER NOT NULL DEFAULT 1, user_id TEXT,
          last_step BIGINT NOT NULL DEFAULT -1, last_used ${real},
          anchor_time ${real} NOT NULL, anchor_offset ${real} NOT NULL, anchor_err ${real} NOT NULL, rate_lo ${real} NOT NULL, rate_hi ${real} NOT NULL,
          fail_count INTEGER NOT NULL DEFAULT 0, fail_last ${real}, locked_until ${real},
          created_at ${real} NOT NULL, updated_at ${real} NOT NULL)`,
        `CREATE UNIQUE INDEX tokens_assigned_user ON tokens (user_id) WHERE state = 'assigned'`,
        `CREATE TABLE users (user_id TEXT PRIMARY KEY, fail_count INTEGER NOT NULL DEFAULT 0, fail_last ${real},
          locked_until ${real}, created_at ${real} NOT NULL)`,
        `CREATE TABLE app_factors (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, seed_enc ${blob} NOT NULL, kek_id TEXT NOT NULL,
          algorithm TEXT NOT NULL, digits INTEGER NOT NULL, period INTEGER NOT NULL, last_step BIGINT NOT NULL DEFAULT -1,
          label TEXT, created_at ${real} NOT NULL, revoked_at ${real})`,
        `CREATE UNIQUE INDEX app_factors_active_user ON app_factors (user_id) WHERE revoked_at IS NULL`,
        `CREATE TABLE audit_log (seq BIGINT PRIMARY KEY, at ${real} NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
          subject TEXT, detail TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)`,
        `CREATE INDEX audit_log_subject ON audit_log (subject, seq)`,
      ];
      // Append-only: the database itself refuses to change or delete an audit entry. (Someone
      // with DDL rights can drop the trigger; `audit verify` then still finds the broken chain.)
      const appendOnly = d === 'sqlite'
        ? [
            `CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`,
            `CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`,
          ]
        : [
            `CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$`,
            `CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()`,
          ];
      return [...common, ...appendOnly];
    },
  },
  {
    version: 2,
    name: 'auth log; pending app enrolments',
    statements: (d) => {
      const { real } = T(d);
      const id = d === 'sqlite' ? 'id INTEGER PRIMARY KEY' : 'id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY';
      return [
        // One row per validation (audit/authLog.ts); never the code.
        `CREATE TABLE auth_log (${id}, at ${real} NOT NULL, user_id TEXT NOT NULL, factor TEXT NOT NULL, serial TEXT,
          result TEXT NOT NULL, reason TEXT, source TEXT)`,
        `CREATE INDEX auth_log_user ON auth_log (user_id, at)`,
        `CREATE INDEX auth_log_serial ON auth_log (serial, at) WHERE serial IS NOT NULL`,
        `CREATE INDEX auth_log_at ON auth_log (at)`,
        // An app enrolment is pending (pending_until set) until its first code validates; only
        // then is the previous app revoked. One active and one pending app per user at most.
        `ALTER TABLE app_factors ADD COLUMN pending_until ${real}`,
        `DROP INDEX app_factors_active_user`,
        `CREATE UNIQUE INDEX app_factors_active_user ON app_factors (user_id) WHERE revoked_at IS NULL AND pending_until IS NULL`,
        `CREATE UNIQUE INDEX app_factors_pending_user ON app_factors (user_id) WHERE revoked_at IS NULL AND pending_until IS NOT NULL`,
        `CREATE INDEX app_factors_revoked_user ON app_factors (user_id, revoked_at) WHERE revoked_at IS NOT NULL`,
      ];
    },
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Applies every migration newer than the database; returns the versions applied. */
export async function migrate(db: Db, now: () => number = () => Date.now() / 1000): Promise<number[]> {
  const real = T(db.dialect).real;
  await db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at ${real} NOT NULL)`);
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    const done = await db.transaction(async (tx) => {
      if (db.dialect === 'postgres') await tx.get('SELECT pg_advisory_xact_lock(7466001)');
      const row = await tx.get<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
      if ((row?.v ?? 0) >= m.version) return false;
      for (const s of m.statements(db.dialect)) await tx.run(s);
      await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, now()]);
      return true;
    });
    if (done) applied.push(m.version);
  }
  return applied;
}
