/**
 * The journal's SQLite schema, versioned by `PRAGMA user_version`. Migrations only ever add.
 * No column holds a seed: `sealed_secret` is the seed sealed to the backend's registration key
 * (context `seed:<serial>`), which this station cannot open.
 */
export const JOURNAL_SCHEMA_VERSION = 2;

export const JOURNAL_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

  -- Every fob this station has talked to, identified by its device key (HELLO pub).
  CREATE TABLE fobs (
    id INTEGER PRIMARY KEY,
    device_key TEXT NOT NULL UNIQUE,
    serial TEXT UNIQUE,
    model TEXT, hw TEXT, fw TEXT,
    batch TEXT NOT NULL,
    stage TEXT NOT NULL,
    outcome TEXT CHECK (outcome IS NULL OR outcome IN ('done', 'failed')),
    failure TEXT,
    port TEXT,
    initial_offset REAL,
    clock_offset REAL,
    provisioned_at REAL,
    label_written INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
  );

  -- Serials reserved at the backend. Once assigned to a fob a serial is never given to another.
  CREATE TABLE serials (
    serial TEXT PRIMARY KEY,
    reserved_at REAL NOT NULL,
    fob_id INTEGER UNIQUE REFERENCES fobs(id),
    assigned_at REAL
  );

  -- Before and after of every step of every fob (detail is JSON and never holds a secret).
  CREATE TABLE steps (
    id INTEGER PRIMARY KEY,
    fob_id INTEGER REFERENCES fobs(id),
    at REAL NOT NULL,
    step TEXT NOT NULL,
    phase TEXT NOT NULL CHECK (phase IN ('begin', 'end', 'fail')),
    port TEXT,
    detail TEXT
  );
  CREATE INDEX steps_fob ON steps(fob_id);

  -- The registration outbox. held: sealed and journaled, not yet verified (never sent);
  -- pending: verified, to be sent; acknowledged: the backend has it; canceled: the seed was
  -- erased from the fob or superseded before it was ever sent; rejected: the backend refused it
  -- for good (e.g. 409), and the fob was wiped.
  CREATE TABLE registrations (
    id INTEGER PRIMARY KEY,
    fob_id INTEGER NOT NULL REFERENCES fobs(id),
    serial TEXT NOT NULL,
    kid TEXT NOT NULL,
    sealed_secret BLOB NOT NULL,
    model TEXT NOT NULL,
    algorithm TEXT NOT NULL, digits INTEGER NOT NULL, period INTEGER NOT NULL, t0 INTEGER NOT NULL,
    batch TEXT NOT NULL,
    provisioned_at REAL NOT NULL,
    clock_offset REAL NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('held', 'pending', 'acknowledged', 'canceled', 'rejected')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL,
    last_error TEXT,
    created_at REAL NOT NULL,
    acknowledged_at REAL
  );
  CREATE UNIQUE INDEX registrations_live ON registrations(serial) WHERE status IN ('held', 'pending', 'acknowledged');

  -- The activation outbox: a fob locked here is activated at the backend, eventually.
  CREATE TABLE activations (
    serial TEXT PRIMARY KEY,
    fob_id INTEGER NOT NULL REFERENCES fobs(id),
    status TEXT NOT NULL CHECK (status IN ('pending', 'acknowledged')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL,
    last_error TEXT,
    created_at REAL NOT NULL,
    acknowledged_at REAL
  );
  `,
  // v2: the outboxes are read on every delivery attempt and every outbox event; without these
  // partial indexes each read scanned every registration and activation of the shift (3 ms per
  // delivery attempt at 5,000 fobs, measured), a per-fob cost that grew all shift long.
  `
  CREATE INDEX registrations_pending ON registrations(next_attempt_at, id) WHERE status = 'pending';
  CREATE INDEX activations_pending ON activations(next_attempt_at) WHERE status = 'pending';
  `,
];
