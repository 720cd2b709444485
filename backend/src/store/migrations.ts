/**
 * Versioned schema migrations, run on every start (and by every CLI command that opens the
 * database). Each migration runs in its own transaction under a lock, so two backend processes
 * starting at once against one PostgreSQL apply it exactly once; the `schema_migrations` table
 * itself is created under that lock too (PostgreSQL's CREATE TABLE IF NOT EXISTS is not safe
 * against a concurrent one: the loser fails on a duplicate key in the catalogue). A migration is
 * applied when its own version is not recorded, so versions only need to increase, not to be
 * contiguous. Never edit a released migration: add a new one at the end.
 */
import type { Db, DbExecutor, Dialect } from './db.js';

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
  {
    version: 3,
    name: 'audit log refuses TRUNCATE',
    // PostgreSQL's TRUNCATE fires no row triggers, so migration 1's trigger let it empty the log.
    // A statement trigger refuses it (it reuses migration 1's function, which only raises).
    // SQLite has no TRUNCATE: its DELETE without WHERE still fires the row trigger.
    statements: (d) => (d === 'postgres'
      ? [`CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()`]
      : []),
  },
  {
    // Version 4 (2 and 3, 5 are other changes of the same release): the static PIN of
    // "PIN + OTP" logins, one per user, as an scrypt hash string (userPin.ts), never the PIN.
    version: 4,
    name: 'user PIN',
    statements: () => ['ALTER TABLE users ADD COLUMN pin_hash TEXT'],
  },
  {
    // The helpdesk console (backend/src/console/): people, not programs, log in. Written on its
    // own: it needs no table from versions 2 to 4.
    version: 5,
    name: 'console operators and sessions',
    statements: (d) => {
      const { real } = T(d);
      return [
        `CREATE TABLE operators (name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL,
          created_at ${real} NOT NULL, updated_at ${real} NOT NULL, disabled_at ${real})`,
        // id_hash: SHA-256 of the cookie's random id, so a copy of the table logs nobody in.
        `CREATE TABLE console_sessions (id_hash TEXT PRIMARY KEY, operator TEXT NOT NULL, created_at ${real} NOT NULL,
          last_seen ${real} NOT NULL)`,
        `CREATE INDEX console_sessions_operator ON console_sessions (operator)`,
      ];
    },
  },
  {
    version: 6,
    name: 'token step ledger',
    // (Version 6: written as 2 on a parallel branch, renumbered at the merge.)
    // otp/stepLedger.ts: the steps a fob had accepted, so that a resync after its clock was
    // moved back re-allows the steps never used and nothing else. Existing fobs start with
    // their whole history counted as used (used_floor = last_step).
    statements: () => [
      `ALTER TABLE tokens ADD COLUMN used_steps TEXT NOT NULL DEFAULT ''`,
      'ALTER TABLE tokens ADD COLUMN used_floor BIGINT NOT NULL DEFAULT -1',
      'UPDATE tokens SET used_floor = last_step',
    ],
  },
  {
    // Version 7: a refurbished fob's serial leaves its reservation for the key that re-registered
    // it (reregisterRevokedToken.ts), which alone (or an admin) may then activate it.
    version: 7,
    name: 'token owner after refurbishing',
    statements: () => ['ALTER TABLE tokens ADD COLUMN owner_key TEXT'],
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Applies every migration newer than the database; returns the versions applied. */
export async function migrate(db: Db, now: () => number = () => Date.now() / 1000): Promise<number[]> {
  const real = T(db.dialect).real;
  const lock = async (tx: DbExecutor): Promise<void> => {
    if (db.dialect === 'postgres') await tx.get('SELECT pg_advisory_xact_lock(7466001)');
  };
  await db.transaction(async (tx) => {
    await lock(tx);
    await tx.run(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at ${real} NOT NULL)`);
  });
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    const done = await db.transaction(async (tx) => {
      await lock(tx);
      if (await tx.get('SELECT version FROM schema_migrations WHERE version = ?', [m.version])) return false;
      for (const s of m.statements(db.dialect)) await tx.run(s);
      await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, now()]);
      return true;
    });
    if (done) applied.push(m.version);
  }
  return applied;
}
