import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StationJournal, type RegistrationPayload } from './stationJournal.js';

let dir: string;
let journal: StationJournal;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fobkit-journal-'));
  journal = StationJournal.open({ path: join(dir, 'station.db') });
});
afterEach(() => {
  journal.close();
  rmSync(dir, { recursive: true, force: true });
});

const payload = (serial: string): RegistrationPayload => ({
  serial, model: 'FK-1', sealedSecret: new Uint8Array(77).fill(7), kid: 'rk1', algorithm: 'sha1', digits: 6, period: 60, t0: 0,
  batch: 'B', provisionedAt: 1_800_000_000, clockOffset: 0.01,
});

describe('StationJournal', () => {
  it('never gives a serial to two fobs, and gives a fob the same serial again', () => {
    journal.addReservedSerials(['FK00000013', 'FK00000021']);
    const a = journal.createFob({ deviceKey: 'aa', batch: 'B' });
    const b = journal.createFob({ deviceKey: 'bb', batch: 'B' });
    const c = journal.createFob({ deviceKey: 'cc', batch: 'B' });
    expect(journal.assignSerial(a.id)).toBe('FK00000013');
    expect(journal.assignSerial(a.id)).toBe('FK00000013');
    expect(journal.assignSerial(b.id)).toBe('FK00000021');
    expect(journal.assignSerial(c.id)).toBeUndefined();
    journal.addReservedSerials(['FK00000013']); // a block seen twice adds nothing
    expect(journal.freeSerialCount()).toBe(0);
    expect(journal.getFob(a.id).stage).toBe('serial-assigned');
  });

  it('moves a registration held → pending → acknowledged and the fob with it; survives a reopen', () => {
    journal.addReservedSerials(['FK00000013']);
    const fob = journal.createFob({ deviceKey: 'aa', batch: 'B' });
    journal.assignSerial(fob.id);
    const held = journal.holdRegistration(fob.id, payload('FK00000013'));
    expect(held.status).toBe('held');
    expect(journal.dueRegistrationIds(Number.MAX_SAFE_INTEGER)).toHaveLength(0); // a held seed is never sent
    journal.releaseRegistration(held.id);
    expect(journal.getFob(fob.id).stage).toBe('verified');
    expect(journal.pendingRegistrationCount()).toBe(1);
    journal.failRegistrationAttempt(held.id, 'ECONNREFUSED', 2_000_000_000);
    expect(journal.dueRegistrationIds(1_999_999_999)).toHaveLength(0);
    journal.close();
    journal = StationJournal.open({ path: join(dir, 'station.db') });
    const due = journal.dueRegistrationIds(2_000_000_000).map((id) => journal.getRegistration(id));
    expect(due.map((r) => [r.serial, r.attempts, r.lastError])).toEqual([['FK00000013', 1, 'ECONNREFUSED']]);
    expect(Buffer.from(due[0]!.sealedSecret).equals(Buffer.from(payload('x').sealedSecret))).toBe(true);
    journal.acknowledgeRegistration(held.id);
    expect(journal.getFob(fob.id).stage).toBe('registered');
    expect(journal.pendingRegistrationCount()).toBe(0);
  });

  it('a new seed for the same fob cancels the held one; only one live registration per serial', () => {
    journal.addReservedSerials(['FK00000013']);
    const fob = journal.createFob({ deviceKey: 'aa', batch: 'B' });
    journal.assignSerial(fob.id);
    const first = journal.holdRegistration(fob.id, payload('FK00000013'));
    const second = journal.holdRegistration(fob.id, payload('FK00000013'));
    expect(journal.getRegistration(first.id).status).toBe('canceled');
    expect(journal.liveRegistration(fob.id)!.id).toBe(second.id);
    journal.releaseRegistration(second.id);
    // A verified registration is never superseded silently: a third seed conflicts.
    expect(() => journal.holdRegistration(fob.id, payload('FK00000013'))).toThrow(/UNIQUE/);
  });

  it('LOCK journals an activation item in the same transaction', () => {
    journal.addReservedSerials(['FK00000013']);
    const fob = journal.createFob({ deviceKey: 'aa', batch: 'B' });
    journal.assignSerial(fob.id);
    journal.recordLocked(fob.id, 'FK00000013');
    expect(journal.getFob(fob.id).stage).toBe('locked');
    expect(journal.pendingActivationCount()).toBe(1);
    journal.acknowledgeActivation('FK00000013');
    expect(journal.getFob(fob.id).stage).toBe('activated');
    expect(journal.counts()).toMatchObject({ waitingActivation: 0, inProgress: 1 });
  });

  it('records each step with JSON detail', () => {
    const fob = journal.createFob({ deviceKey: 'aa', batch: 'B' });
    journal.recordStep(fob.id, 'set-time', 'begin', undefined, '/dev/pts/3');
    journal.recordStep(fob.id, 'set-time', 'end', { clockOffset: 0.002 }, '/dev/pts/3');
    expect(journal.stepsOf(fob.id).map((s) => [s.step, s.phase, s.detail])).toEqual([['set-time', 'begin', null], ['set-time', 'end', { clockOffset: 0.002 }]]);
  });

  it('refuses a durable transaction nested in a non-durable one (its commit would not be fsynced)', () => {
    const fob = journal.createFob({ deviceKey: 'aa', batch: 'B' });
    expect(() => journal.transaction(() => journal.holdRegistration(fob.id, payload('FK00000013')))).toThrow(/durable/);
    expect(journal.getFob(fob.id).stage).toBe('new');
    journal.transaction(() => journal.holdRegistration(fob.id, payload('FK00000013')), { durable: true });
    expect(journal.getFob(fob.id).stage).toBe('seed-journaled');
  });

  it('a durable commit starts its sync at once; a failed sync fails every later flush, even if the disk recovers', async () => {
    const fob = journal.createFob({ deviceKey: 'aa', batch: 'B' });
    const syncs: string[] = [];
    const internals = journal as unknown as { wal: Promise<{ datasync(): Promise<void>; close(): Promise<void> }> | undefined };
    internals.wal = Promise.resolve({ datasync: async () => { syncs.push('sync'); }, close: async () => undefined });
    journal.holdRegistration(fob.id, payload('FK00000013'));
    // Started by the commit itself, before anyone awaits it.
    await Promise.resolve();
    await Promise.resolve();
    expect(syncs).toEqual(['sync']);
    await journal.flush();
    expect(syncs).toEqual(['sync']);

    let failNext = true;
    internals.wal = Promise.resolve({
      datasync: async () => {
        if (failNext) {
          failNext = false;
          throw new Error('EIO');
        }
      },
      close: async () => undefined,
    });
    journal.releaseRegistration(journal.liveRegistration(fob.id)!.id);
    await expect(journal.flush()).rejects.toMatchObject({ code: 'JOURNAL_FAILED' });
    // After a failed fdatasync the dirty pages may be gone: a later sync that succeeds proves nothing.
    await expect(journal.flush()).rejects.toMatchObject({ code: 'JOURNAL_FAILED' });
  });

  it('a flush waits for the syncs that cover the commits made before it, not for later ones', async () => {
    const a = journal.createFob({ deviceKey: 'aa', batch: 'B' });
    const b = journal.createFob({ deviceKey: 'bb', batch: 'B' });
    const pending: (() => void)[] = [];
    const internals = journal as unknown as { wal: Promise<{ datasync(): Promise<void>; close(): Promise<void> }> | undefined };
    internals.wal = Promise.resolve({ datasync: () => new Promise<void>((resolve) => pending.push(resolve)), close: async () => undefined });
    const tick = async (): Promise<void> => { for (let i = 0; i < 5; i++) await Promise.resolve(); };
    journal.holdRegistration(a.id, payload('FK00000013'));
    await tick();
    expect(pending).toHaveLength(1); // the sync of a's seed is in flight
    let aSynced = false;
    const flushA = journal.flush().then(() => (aSynced = true));
    // Another fob commits while that sync runs: a later sync covers it.
    journal.holdRegistration(b.id, payload('FK00000021'));
    let bSynced = false;
    const flushB = journal.flush().then(() => (bSynced = true));
    pending.shift()!();
    await flushA;
    expect(aSynced).toBe(true);
    await tick();
    expect(bSynced).toBe(false);
    expect(pending).toHaveLength(1);
    pending.shift()!();
    await flushB;
    expect(bSynced).toBe(true);
  });

  it('the outbox reads use the pending-only indexes, not a scan of the whole shift; a v1 journal is migrated', () => {
    journal.close();
    const db = new Database(join(dir, 'station.db'));
    try {
      const plan = (sql: string): string => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(1, 8) as { detail: string }[]).map((r) => r.detail).join('; ');
      expect(plan("SELECT id FROM registrations WHERE status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY next_attempt_at, id LIMIT ?")).toMatch(/USING (COVERING )?INDEX registrations_pending/);
      expect(plan("SELECT serial FROM activations WHERE status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY next_attempt_at LIMIT ?")).toMatch(/USING (COVERING )?INDEX activations_pending/);
      // Back to a v1 file: reopening adds the indexes.
      db.exec('DROP INDEX registrations_pending; DROP INDEX activations_pending; PRAGMA user_version = 1');
    } finally {
      db.close();
    }
    journal = StationJournal.open({ path: join(dir, 'station.db') });
    journal.close();
    const again = new Database(join(dir, 'station.db'), { readonly: true });
    try {
      expect(again.pragma('user_version', { simple: true })).toBe(2);
      expect((again.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE '%_pending'").all() as { name: string }[]).map((r) => r.name).sort()).toEqual(['activations_pending', 'registrations_pending']);
    } finally {
      again.close();
    }
    journal = StationJournal.open({ path: join(dir, 'station.db') });
  });
});
