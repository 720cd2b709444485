/**
 * The station journal: one SQLite file per station (better-sqlite3, WAL) that records every step
 * of every fob before and after it happens, the serials reserved at the backend, and the outboxes
 * of registrations and activations. It is what a station killed at any instant restarts from.
 *
 * Durability: every commit survives a killed process (WAL, `synchronous = NORMAL`). With
 * `sync: 'full'` the commits that a power cut must not take back are marked durable: a seed
 * journaled, with the serial assigned just before it (before SET_SERIAL and PROGRAM_SEED: no
 * serial twice, no seed only on a fob), a registration released (before it leaves: the backend
 * never holds a seed the journal forgot), a fob set aside. The fdatasync of the WAL file starts
 * as soon as such a commit is made, on libuv's thread pool (what `synchronous = FULL` does at
 * each commit, but off the main thread: an fsync costs 0.2-5 ms, and better-sqlite3 doing it on
 * the main thread stalled every other port; measured in bench:provision), and
 * {@link StationJournal.flush} waits for it. The pipeline waits only before a step that acts on
 * what was made durable, so the sync runs while the fob answers the steps in between. The
 * backend's acknowledgement and the LOCK are not synced: what they record is also on the fob and
 * at the backend, and a restarted station reads it back from there.
 *
 * Every state change that must be atomic with another (a seed journaled + its held registration,
 * a verification + releasing the registration to the outbox, a LOCK + its activation item) is
 * one transaction.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { open as openFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { StationError } from '../errors.js';
import type { FobStage, PipelineStep } from '../operations/pipelineSteps.js';
import { JOURNAL_MIGRATIONS, JOURNAL_SCHEMA_VERSION } from './_schema.js';

export interface FobRecord {
  id: number;
  deviceKey: string;
  serial: string | null;
  model: string | null;
  hw: string | null;
  fw: string | null;
  batch: string;
  stage: FobStage;
  outcome: 'done' | 'failed' | null;
  failure: string | null;
  port: string | null;
  initialOffset: number | null;
  clockOffset: number | null;
  provisionedAt: number | null;
  labelWritten: boolean;
  createdAt: number;
  updatedAt: number;
}

export type RegistrationStatus = 'held' | 'pending' | 'acknowledged' | 'canceled' | 'rejected';

/** What the backend receives for one fob (the body of POST /v1/tokens). */
export interface RegistrationPayload {
  serial: string;
  model: string;
  sealedSecret: Uint8Array;
  kid: string;
  algorithm: string;
  digits: number;
  period: number;
  t0: number;
  batch: string;
  provisionedAt: number;
  clockOffset: number;
}

export interface RegistrationRecord extends RegistrationPayload {
  id: number;
  fobId: number;
  status: RegistrationStatus;
  attempts: number;
  nextAttemptAt: number | null;
  lastError: string | null;
}

export interface ActivationRecord {
  serial: string;
  fobId: number;
  status: 'pending' | 'acknowledged';
  attempts: number;
  nextAttemptAt: number | null;
  lastError: string | null;
}

export interface OpenJournalOptions {
  path: string;
  sync?: 'full' | 'normal';
  /** Injected for tests; Unix seconds. */
  clock?: () => number;
}

type Row = Record<string, unknown>;

function toFob(r: Row): FobRecord {
  return {
    id: r['id'] as number,
    deviceKey: r['device_key'] as string,
    serial: (r['serial'] as string | null) ?? null,
    model: (r['model'] as string | null) ?? null,
    hw: (r['hw'] as string | null) ?? null,
    fw: (r['fw'] as string | null) ?? null,
    batch: r['batch'] as string,
    stage: r['stage'] as FobStage,
    outcome: (r['outcome'] as FobRecord['outcome']) ?? null,
    failure: (r['failure'] as string | null) ?? null,
    port: (r['port'] as string | null) ?? null,
    initialOffset: (r['initial_offset'] as number | null) ?? null,
    clockOffset: (r['clock_offset'] as number | null) ?? null,
    provisionedAt: (r['provisioned_at'] as number | null) ?? null,
    labelWritten: r['label_written'] === 1,
    createdAt: r['created_at'] as number,
    updatedAt: r['updated_at'] as number,
  };
}

function toRegistration(r: Row): RegistrationRecord {
  return {
    id: r['id'] as number,
    fobId: r['fob_id'] as number,
    serial: r['serial'] as string,
    kid: r['kid'] as string,
    sealedSecret: new Uint8Array(r['sealed_secret'] as Buffer),
    model: r['model'] as string,
    algorithm: r['algorithm'] as string,
    digits: r['digits'] as number,
    period: r['period'] as number,
    t0: r['t0'] as number,
    batch: r['batch'] as string,
    provisionedAt: r['provisioned_at'] as number,
    clockOffset: r['clock_offset'] as number,
    status: r['status'] as RegistrationStatus,
    attempts: r['attempts'] as number,
    nextAttemptAt: (r['next_attempt_at'] as number | null) ?? null,
    lastError: (r['last_error'] as string | null) ?? null,
  };
}

function toActivation(r: Row): ActivationRecord {
  return {
    serial: r['serial'] as string,
    fobId: r['fob_id'] as number,
    status: r['status'] as ActivationRecord['status'],
    attempts: r['attempts'] as number,
    nextAttemptAt: (r['next_attempt_at'] as number | null) ?? null,
    lastError: (r['last_error'] as string | null) ?? null,
  };
}

const FOB_COLUMNS: Record<string, string> = {
  serial: 'serial', model: 'model', hw: 'hw', fw: 'fw', stage: 'stage', outcome: 'outcome', failure: 'failure', port: 'port',
  initialOffset: 'initial_offset', clockOffset: 'clock_offset', provisionedAt: 'provisioned_at', labelWritten: 'label_written',
};

export class StationJournal {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly clock: () => number;
  private readonly fullSync: boolean;
  private depth = 0;
  private durableDepth = 0;
  /** Durable commits made, and how many of them the last finished sync covered. */
  private durableCommits = 0;
  private syncedCommits = 0;
  private flushing: Promise<void> | undefined;
  /** A failed sync is final: after a failed fdatasync the kernel may have dropped the dirty pages, so a retry that succeeds proves nothing. */
  private syncFailure: StationError | undefined;
  private wal: Promise<FileHandle> | undefined;
  private readonly statements = new Map<string, Database.Statement>();

  private constructor(path: string, db: Database.Database, clock: () => number, fullSync: boolean) {
    this.path = path;
    this.db = db;
    this.clock = clock;
    this.fullSync = fullSync;
  }

  /**
   * Opens (creating or migrating) the journal.
   * @throws StationError JOURNAL_FAILED when the file cannot be opened, is not a journal, or is
   *   from a newer fobkit.
   */
  static open(options: OpenJournalOptions): StationJournal {
    const { path, sync = 'full', clock = () => Date.now() / 1000 } = options;
    let db: Database.Database;
    try {
      mkdirSync(dirname(path), { recursive: true });
      db = new Database(path);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      db.pragma('foreign_keys = ON');
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > JOURNAL_SCHEMA_VERSION) throw new Error(`journal schema ${version} is newer than this fobkit (${JOURNAL_SCHEMA_VERSION})`);
      for (let v = version; v < JOURNAL_MIGRATIONS.length; v++) {
        db.transaction(() => {
          db.exec(JOURNAL_MIGRATIONS[v]!);
          db.pragma(`user_version = ${v + 1}`);
        })();
      }
    } catch (cause) {
      throw new StationError('JOURNAL_FAILED', `cannot open the journal ${path}: ${(cause as Error).message}`, { cause });
    }
    return new StationJournal(path, db, clock, sync === 'full');
  }

  /** A prepared statement, prepared once (preparing costs more than running most of these). */
  private st(sql: string): Database.Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  /** Closes the database (a final checkpoint makes everything durable). */
  close(): void {
    if (this.db.open) this.db.close();
    const wal = this.wal;
    this.wal = undefined;
    // A sync still in flight finishes on its handle before the handle closes.
    if (wal) void Promise.resolve(this.flushing).catch(() => undefined).then(() => wal).then((h) => h.close()).catch(() => undefined);
  }

  /**
   * Makes every durable commit made before the call reach the disk (fdatasync of the WAL, off the
   * main thread). Concurrent callers share one sync; a no-op when nothing durable is pending or
   * with `sync: 'normal'`. Commits made after the call are not waited for: at sixteen ports other
   * fobs commit all the time, and waiting until none was pending held a fob behind a chain of
   * syncs that were not its own.
   * @throws StationError JOURNAL_FAILED when the sync fails.
   */
  async flush(): Promise<void> {
    const target = this.durableCommits;
    for (;;) {
      if (this.syncFailure) throw this.syncFailure;
      if (this.syncedCommits >= target || !this.db.open) return;
      if (!this.flushing) {
        // A sync started now covers every commit made so far (they are all in the WAL file).
        const covers = this.durableCommits;
        this.flushing = (async () => {
          try {
            this.wal ??= openFile(`${this.path}-wal`, 'r');
            await (await this.wal).datasync();
            this.syncedCommits = Math.max(this.syncedCommits, covers);
          } catch (cause) {
            this.wal = undefined;
            this.syncFailure = new StationError('JOURNAL_FAILED', `cannot sync the journal ${this.path}: ${(cause as Error).message}`, { cause });
            throw this.syncFailure;
          }
        })().finally(() => {
          this.flushing = undefined;
        });
      }
      await this.flushing;
    }
  }

  /**
   * Runs `fn` in one transaction (nested calls join the outer one). `durable`: the commit is one
   * that {@link flush} must put on disk before the station acts on it; a durable transaction
   * nested in a non-durable one is a bug.
   */
  transaction<T>(fn: () => T, options: { durable?: boolean } = {}): T {
    const durable = options.durable === true;
    if (this.depth > 0) {
      if (durable && this.durableDepth === 0 && this.fullSync) throw new TypeError('a durable journal transaction cannot be nested in a non-durable one');
      this.depth++;
      try {
        return fn();
      } finally {
        this.depth--;
      }
    }
    this.depth = 1;
    this.durableDepth = durable ? 1 : 0;
    try {
      const r = this.db.transaction(fn)();
      if (durable && this.fullSync) {
        this.durableCommits++;
        // Started now, awaited by whoever acts on this commit; a failure is kept for that flush().
        this.flush().catch(() => undefined);
      }
      return r;
    } finally {
      this.depth = 0;
      this.durableDepth = 0;
    }
  }

  getMeta(key: string): string | undefined {
    const r = this.st('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return r?.value;
  }

  setMeta(key: string, value: string): void {
    this.st('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  // ---- fobs ---------------------------------------------------------------------------------

  findFobByDeviceKey(deviceKey: string): FobRecord | undefined {
    const r = this.st('SELECT * FROM fobs WHERE device_key = ?').get(deviceKey) as Row | undefined;
    return r && toFob(r);
  }

  findFobBySerial(serial: string): FobRecord | undefined {
    const r = this.st('SELECT * FROM fobs WHERE serial = ?').get(serial) as Row | undefined;
    return r && toFob(r);
  }

  getFob(id: number): FobRecord {
    const r = this.st('SELECT * FROM fobs WHERE id = ?').get(id) as Row | undefined;
    if (!r) throw new StationError('JOURNAL_FAILED', `journal has no fob #${id}`);
    return toFob(r);
  }

  listFobs(): FobRecord[] {
    return (this.st('SELECT * FROM fobs ORDER BY id').all() as Row[]).map(toFob);
  }

  createFob(f: { deviceKey: string; model?: string; hw?: string; fw?: string; batch: string; port?: string }): FobRecord {
    const now = this.clock();
    const info = this.db
      .prepare("INSERT INTO fobs (device_key, model, hw, fw, batch, stage, port, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'new', ?, ?, ?)")
      .run(f.deviceKey, f.model ?? null, f.hw ?? null, f.fw ?? null, f.batch, f.port ?? null, now, now);
    return this.getFob(Number(info.lastInsertRowid));
  }

  updateFob(id: number, patch: Partial<Omit<FobRecord, 'id' | 'deviceKey' | 'createdAt' | 'updatedAt' | 'batch'>>): void {
    const sets: string[] = [];
    const values: unknown[] = [];
    for (const [k, v] of Object.entries(patch)) {
      const col = FOB_COLUMNS[k];
      if (!col) throw new TypeError(`updateFob: unknown field ${k}`);
      sets.push(`${col} = ?`);
      values.push(typeof v === 'boolean' ? (v ? 1 : 0) : v);
    }
    sets.push('updated_at = ?');
    values.push(this.clock(), id);
    this.st(`UPDATE fobs SET ${sets.join(', ')} WHERE id = ?`).run(...values);
  }

  /** Journals one phase of one step. `detail` is JSON-encoded; callers never put a secret in it. */
  recordStep(fobId: number | null, step: PipelineStep | 'reconcile' | 'wipe' | 'station', phase: 'begin' | 'end' | 'fail', detail?: Record<string, unknown>, port?: string): void {
    this.st('INSERT INTO steps (fob_id, at, step, phase, port, detail) VALUES (?, ?, ?, ?, ?, ?)')
      .run(fobId, this.clock(), step, phase, port ?? null, detail ? JSON.stringify(detail) : null);
  }

  stepsOf(fobId: number): { step: string; phase: string; at: number; detail: Record<string, unknown> | null }[] {
    return (this.st('SELECT step, phase, at, detail FROM steps WHERE fob_id = ? ORDER BY id').all(fobId) as Row[]).map((r) => ({
      step: r['step'] as string, phase: r['phase'] as string, at: r['at'] as number, detail: r['detail'] ? JSON.parse(r['detail'] as string) as Record<string, unknown> : null,
    }));
  }

  // ---- serials ------------------------------------------------------------------------------

  addReservedSerials(serials: readonly string[]): void {
    const now = this.clock();
    const ins = this.st('INSERT OR IGNORE INTO serials (serial, reserved_at) VALUES (?, ?)');
    this.transaction(() => { for (const s of serials) ins.run(s, now); }, { durable: true });
  }

  freeSerialCount(): number {
    return (this.st('SELECT COUNT(*) AS n FROM serials WHERE fob_id IS NULL').get() as { n: number }).n;
  }

  /**
   * Gives `fobId` a serial from the reserved pool, in one transaction with the fob's stage, or
   * returns the serial it already has. Undefined when the pool is empty. Not synced by itself:
   * the pipeline journals the fob's seed next, and that durable commit takes the assignment to
   * disk with it before SET_SERIAL (one fsync for both).
   */
  assignSerial(fobId: number): string | undefined {
    return this.transaction(() => {
      const fob = this.getFob(fobId);
      if (fob.serial) return fob.serial;
      const r = this.st('SELECT serial FROM serials WHERE fob_id IS NULL ORDER BY serial LIMIT 1').get() as { serial: string } | undefined;
      if (!r) return undefined;
      this.st('UPDATE serials SET fob_id = ?, assigned_at = ? WHERE serial = ?').run(fobId, this.clock(), r.serial);
      this.updateFob(fobId, { serial: r.serial, stage: 'serial-assigned' });
      return r.serial;
    });
  }

  // ---- registrations (outbox) ---------------------------------------------------------------

  /**
   * Journals a freshly sealed seed as a held registration, cancelling any earlier live one of the
   * same fob that never left the station, and moves the fob to `seed-journaled`: one transaction.
   */
  holdRegistration(fobId: number, p: RegistrationPayload): RegistrationRecord {
    return this.transaction(() => {
      this.st("UPDATE registrations SET status = 'canceled' WHERE fob_id = ? AND status = 'held'").run(fobId);
      const info = this.st(`INSERT INTO registrations (fob_id, serial, kid, sealed_secret, model, algorithm, digits, period, t0, batch, provisioned_at, clock_offset, status, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'held', ?)`)
        .run(fobId, p.serial, p.kid, Buffer.from(p.sealedSecret), p.model, p.algorithm, p.digits, p.period, p.t0, p.batch, p.provisionedAt, p.clockOffset, this.clock());
      this.updateFob(fobId, { stage: 'seed-journaled' });
      return this.getRegistration(Number(info.lastInsertRowid));
    }, { durable: true });
  }

  getRegistration(id: number): RegistrationRecord {
    const r = this.st('SELECT * FROM registrations WHERE id = ?').get(id) as Row | undefined;
    if (!r) throw new StationError('JOURNAL_FAILED', `journal has no registration #${id}`);
    return toRegistration(r);
  }

  /** The registration of `fobId` that is not canceled, if any. */
  liveRegistration(fobId: number): RegistrationRecord | undefined {
    const r = this.st("SELECT * FROM registrations WHERE fob_id = ? AND status IN ('held', 'pending', 'acknowledged') ORDER BY id DESC LIMIT 1").get(fobId) as Row | undefined;
    return r && toRegistration(r);
  }

  /** The fob's newest registration whatever its status (a restart explains a rejected one). */
  latestRegistration(fobId: number): RegistrationRecord | undefined {
    const r = this.st('SELECT * FROM registrations WHERE fob_id = ? ORDER BY id DESC LIMIT 1').get(fobId) as Row | undefined;
    return r && toRegistration(r);
  }

  /** The fob's clock offset, measured after its seed was journaled, into the held registration. */
  setHeldClockOffset(id: number, clockOffset: number): void {
    this.st("UPDATE registrations SET clock_offset = ? WHERE id = ? AND status = 'held'").run(clockOffset, id);
  }

  /** Verification passed: the held registration goes to the outbox and the fob to `verified`. */
  releaseRegistration(id: number, now = this.clock()): void {
    this.transaction(() => {
      const reg = this.getRegistration(id);
      if (reg.status !== 'held') return;
      this.st("UPDATE registrations SET status = 'pending', next_attempt_at = ? WHERE id = ?").run(now, id);
      this.updateFob(reg.fobId, { stage: 'verified' });
    }, { durable: true });
  }

  /** The seed never left the station and is no longer on the fob (wiped) or never reached it. */
  cancelRegistration(id: number): void {
    this.st("UPDATE registrations SET status = 'canceled' WHERE id = ? AND status = 'held'").run(id);
  }

  /**
   * A seedless fob (wiped) that carries `serial` starts over for refurbishment, in one durable
   * transaction: its registrations of that serial are canceled (the seeds they carry are no
   * longer on the fob; one not yet delivered is never sent), its activation item is dropped (the
   * new registration is activated afresh), and the record is back before programming, in
   * `batch`, with its outcome cleared. The serial is the fob's own (it keeps it through WIPE).
   */
  refurbishFob(fobId: number, serial: string, batch: string): void {
    this.transaction(() => {
      this.st("UPDATE registrations SET status = 'canceled' WHERE serial = ? AND status IN ('held', 'pending', 'acknowledged')").run(serial);
      this.st('DELETE FROM activations WHERE serial = ?').run(serial);
      this.st('UPDATE fobs SET batch = ? WHERE id = ?').run(batch, fobId);
      this.updateFob(fobId, { serial, stage: 'serial-set', outcome: null, failure: null, initialOffset: null, clockOffset: null, provisionedAt: null, labelWritten: false });
    }, { durable: true });
  }

  /** The backend refused the registration for good; it is never sent again. */
  rejectRegistration(id: number, error: string): void {
    this.transaction(() => {
      this.st("UPDATE registrations SET status = 'rejected', attempts = attempts + 1, last_error = ? WHERE id = ?").run(error, id);
    }, { durable: true });
  }

  /**
   * Ids of the registrations due for an attempt, oldest first. Ids, not records: the outbox asks
   * after every delivery and skips what is already in flight, and at sixteen ports in lockstep
   * loading every due row each time (sealed seed copied) cost more than the deliveries' own reads.
   */
  dueRegistrationIds(now: number, limit = 32): number[] {
    return this.st("SELECT id FROM registrations WHERE status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY next_attempt_at, id LIMIT ?").pluck().all(now, limit) as number[];
  }

  nextRegistrationAttemptAt(): number | undefined {
    const r = this.st("SELECT MIN(next_attempt_at) AS t FROM registrations WHERE status = 'pending'").get() as { t: number | null };
    return r.t ?? undefined;
  }

  failRegistrationAttempt(id: number, error: string, nextAttemptAt: number): void {
    this.st('UPDATE registrations SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?').run(error, nextAttemptAt, id);
  }

  /**
   * The backend has the registration: fob to `registered` (unless already further). Not synced
   * before LOCK: what LOCK needs is that the backend knows the fob, and it does; a station that
   * loses this commit to a power cut sends the registration again and the backend answers the
   * identical one as registered.
   */
  acknowledgeRegistration(id: number): void {
    this.transaction(() => {
      const reg = this.getRegistration(id);
      this.st("UPDATE registrations SET status = 'acknowledged', attempts = attempts + 1, last_error = NULL, acknowledged_at = ? WHERE id = ?").run(this.clock(), id);
      const fob = this.getFob(reg.fobId);
      if (fob.stage === 'verified') this.updateFob(fob.id, { stage: 'registered' });
    });
  }

  /** Count of registrations waiting for the backend (verified, not yet acknowledged). */
  pendingRegistrationCount(): number {
    return (this.st("SELECT COUNT(*) AS n FROM registrations WHERE status = 'pending'").get() as { n: number }).n;
  }

  // ---- activations (outbox) -----------------------------------------------------------------

  /**
   * The fob was locked: its stage and an activation item, in one transaction. Not synced before
   * the activation leaves: a station that loses it finds the fob locked and registered, and
   * journals the lock and activates again (the backend answers an active fob as unchanged).
   */
  recordLocked(fobId: number, serial: string): void {
    this.transaction(() => {
      this.updateFob(fobId, { stage: 'locked' });
      this.st("INSERT OR IGNORE INTO activations (serial, fob_id, status, next_attempt_at, created_at) VALUES (?, ?, 'pending', ?, ?)").run(serial, fobId, this.clock(), this.clock());
    });
  }

  getActivation(serial: string): ActivationRecord | undefined {
    const r = this.st('SELECT * FROM activations WHERE serial = ?').get(serial) as Row | undefined;
    return r && toActivation(r);
  }

  /** Serials whose activation is due for an attempt (see {@link dueRegistrationIds}). */
  dueActivationSerials(now: number, limit = 32): string[] {
    return this.st("SELECT serial FROM activations WHERE status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY next_attempt_at LIMIT ?").pluck().all(now, limit) as string[];
  }

  nextActivationAttemptAt(): number | undefined {
    const r = this.st("SELECT MIN(next_attempt_at) AS t FROM activations WHERE status = 'pending'").get() as { t: number | null };
    return r.t ?? undefined;
  }

  failActivationAttempt(serial: string, error: string, nextAttemptAt: number): void {
    this.st('UPDATE activations SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE serial = ?').run(error, nextAttemptAt, serial);
  }

  acknowledgeActivation(serial: string): void {
    this.transaction(() => {
      const a = this.getActivation(serial);
      if (!a) return;
      this.st("UPDATE activations SET status = 'acknowledged', last_error = NULL, acknowledged_at = ? WHERE serial = ?").run(this.clock(), serial);
      const fob = this.getFob(a.fobId);
      if (fob.stage === 'locked') this.updateFob(fob.id, { stage: 'activated' });
    });
  }

  pendingActivationCount(): number {
    return (this.st("SELECT COUNT(*) AS n FROM activations WHERE status = 'pending'").get() as { n: number }).n;
  }

  /** Counts for the operator: fobs by outcome, and what waits for the backend. */
  counts(): { done: number; failed: number; inProgress: number; waitingRegistration: number; waitingActivation: number; freeSerials: number } {
    const r = this.st("SELECT SUM(outcome = 'done') AS done, SUM(outcome = 'failed') AS failed, SUM(outcome IS NULL) AS prog FROM fobs").get() as Record<string, number | null>;
    return {
      done: r['done'] ?? 0, failed: r['failed'] ?? 0, inProgress: r['prog'] ?? 0,
      waitingRegistration: this.pendingRegistrationCount(), waitingActivation: this.pendingActivationCount(), freeSerials: this.freeSerialCount(),
    };
  }
}
