/**
 * The crash matrix: `fobkit provision` SIGKILLs itself (FOBKIT_TEST_CRASH_AT) at each step of
 * the pipeline — before a command is sent, after the fob applied it but before the journal knows,
 * and after it is journaled — then a new station process restarts on the same journal. Right
 * after the crash and after the restart, against the simulator's fob and the real backend:
 * no seed on a fob that is neither registered nor scheduled for registration in the journal,
 * no locked fob the backend does not know, no serial used twice; after the restart the fob is
 * done, and the code on its display is the one the backend expects.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { StationJournal } from '@fobkit/provisioner';
import { Simulator, type SimulatedFob } from '@fobkit/firmware-sim';
import { killStations, makeStationKeys, runProvision, startBackendProcess, type BackendProcess, type StationKeys } from './provision-harness.js';

/** `<step>:<phase>`: begin = journaled, not sent; applied = the fob did it, the journal does not know; end = journaled. */
const CRASH_POINTS = [
  'assign-serial:end',
  'set-serial:applied',
  'set-time:applied',
  'journal-seed:end',
  'program-seed:begin',
  'program-seed:applied',
  'program-seed:end',
  'verify:applied',
  'verify:end',
  'register:begin',
  'register:end',
  'lock:applied',
  'lock:end',
  'activate:begin',
  'label:applied',
] as const;
const DERIVED_POINTS = ['program-seed:applied', 'verify:applied'] as const;

/**
 * A power cut also takes back the journal's commits that were not yet synced, which a SIGKILL
 * does not. The station syncs before SET_SERIAL, PROGRAM_SEED and a registration leaving, not
 * before LOCK or the activation: these cases kill it there and then roll the journal back as a
 * power cut could have, and the restart must still finish the fob.
 */
const POWER_CUT_POINTS: { point: string; lost: string; rollBack: (db: Database.Database, fobId: number) => void; offline?: RegExp }[] = [
  {
    // The backend acknowledged the registration, and LOCK went out and was applied. Restarted
    // first with the backend out of reach (else the outbox's first delivery at start may win
    // the race to the fob's state check), the station knows the fob is locked and waits.
    point: 'lock:applied',
    lost: "the backend's acknowledgement",
    offline: /^backend unreachable: registration waiting in the outbox \(1 waiting\); fob locked, its registration to be confirmed again/,
    rollBack: (db, fobId) => {
      db.prepare("UPDATE registrations SET status = 'pending', acknowledged_at = NULL WHERE fob_id = ? AND status = 'acknowledged'").run(fobId);
      db.prepare("UPDATE fobs SET stage = 'verified' WHERE id = ?").run(fobId);
    },
  },
  {
    // LOCK was journaled with its activation item; the activation is about to leave.
    point: 'activate:begin',
    lost: 'the LOCK and its activation item',
    rollBack: (db, fobId) => {
      db.prepare('DELETE FROM activations WHERE fob_id = ?').run(fobId);
      db.prepare("UPDATE fobs SET stage = 'registered' WHERE id = ?").run(fobId);
    },
  },
];

let dir: string;
let keys: StationKeys;
let backend: BackendProcess;
let sim: Simulator;
let batchKeyFile: string;
const usedSerials: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fobkit-provision-crash-'));
  keys = makeStationKeys(join(dir, 'keys'));
  backend = await startBackendProcess(join(dir, 'backend'));
  sim = await Simulator.start({ count: CRASH_POINTS.length + DERIVED_POINTS.length + POWER_CUT_POINTS.length, rootPublicKey: keys.rootPublicKey, stateDir: join(dir, 'fobs'), transport: 'pty' });
  batchKeyFile = join(dir, 'batch.key');
  writeFileSync(batchKeyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
}, 120_000);
afterAll(async () => {
  killStations();
  await sim?.close();
  await backend?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function backendState(serial: string): Promise<string | undefined> {
  const r = await backend.call<{ state?: string }>('support', 'GET', `/v1/tokens/${serial}`);
  return r.status === 200 ? r.body.state : undefined;
}

/** The invariants, against the fob, the journal and the backend. */
async function checkInvariants(fob: SimulatedFob, journalPath: string): Promise<void> {
  const st = fob.status();
  const journal = StationJournal.open({ path: journalPath });
  try {
    const known = st.serial ? await backendState(st.serial) : undefined;
    if (st.state === 'locked') expect(known, `locked fob ${st.serial} must be known to the backend`).toBeDefined();
    if (st.state === 'programmed' || st.state === 'locked') {
      const rec = journal.findFobBySerial(st.serial!);
      const live = rec ? journal.liveRegistration(rec.id) : undefined;
      expect(known !== undefined || live !== undefined, `seeded fob ${st.serial} must be registered or scheduled`).toBe(true);
    }
    // A serial belongs to one fob only, in the journal and across the fleet.
    const fobs = journal.listFobs().filter((f) => f.serial);
    expect(new Set(fobs.map((f) => f.serial)).size).toBe(fobs.length);
  } finally {
    journal.close();
  }
}

function crashCase(point: string, index: number, seedMode: 'random' | 'derived', powerCut?: (typeof POWER_CUT_POINTS)[number]): void {
  const title = powerCut ? `power cut at ${point}, ${powerCut.lost} lost` : `killed at ${point} (${seedMode})`;
  it.concurrent(`${title} → restart finishes the fob, invariants hold`, { timeout: 120_000 }, async () => {
    const fob = sim.fob(index);
    const stationDir = join(dir, `station-${index}`);
    const journal = join(stationDir, 'journal.db');
    const args = ['--backend-url', backend.url, '--station-key', keys.stationKeyFile, '--journal', journal, '--labels', join(stationDir, 'labels.jsonl'), '--port', fob.address, '--seed-mode', seedMode, ...(seedMode === 'derived' ? ['--batch-key-file', batchKeyFile] : [])];
    const env = { FOBKIT_API_KEY: backend.keys.station };

    const crashed = await runProvision({ args, env: { ...env, FOBKIT_TEST_CRASH_AT: point } });
    expect(crashed.signal, `station should have killed itself at ${point}: ${crashed.stderr} ${JSON.stringify(crashed.summary?.results)}`).toBe('SIGKILL');
    const [step] = point.split(':');
    expect(crashed.events.some((e) => e.event === 'step' && e.step === step && e.phase === 'begin')).toBe(true);
    if (powerCut) {
      const db = new Database(journal);
      try {
        const rec = db.prepare('SELECT id FROM fobs WHERE serial = ?').get(fob.status().serial) as { id: number };
        powerCut.rollBack(db, rec.id);
      } finally {
        db.close();
      }
    }
    await checkInvariants(fob, journal);

    if (powerCut?.offline) {
      const offlineArgs = args.map((a) => (a === backend.url ? 'http://127.0.0.1:9' : a));
      const offline = await runProvision({ args: [...offlineArgs, '--backend-wait', '1'], env });
      expect(offline.summary, offline.stderr).toMatchObject({ done: 0, waiting: 1 });
      expect(offline.summary!.results).toMatchObject([{ outcome: 'waiting', reason: expect.stringMatching(powerCut.offline) }]);
      await checkInvariants(fob, journal);
    }

    const restarted = await runProvision({ args, env });
    expect(restarted.stderr).toBe('');
    expect(restarted.summary, JSON.stringify(restarted.summary?.results)).toMatchObject({ done: 1, failed: 0, interrupted: 0, waiting: 0 });
    expect(restarted.code).toBe(0);
    await checkInvariants(fob, journal);

    const st = fob.status();
    expect(st.state).toBe('locked');
    expect(await backendState(st.serial!)).toBe('available');
    usedSerials.push(st.serial!);
    // The seed on the fob is the one the backend holds: the display's code checks out.
    const code = fob.press().text;
    const check = await backend.call<{ ok: boolean }>('support', 'POST', `/v1/tokens/${st.serial}/check`, { code });
    expect(check.body.ok).toBe(true);
    const labels = readFileSync(join(stationDir, 'labels.jsonl'), 'utf8').trim().split('\n');
    expect(labels).toHaveLength(1);
    expect(JSON.parse(labels[0]!)).toMatchObject({ serial: st.serial, model: 'FK-1' });
  });
}

describe('crash matrix', () => {
  CRASH_POINTS.forEach((p, i) => crashCase(p, i, 'random'));
  DERIVED_POINTS.forEach((p, i) => crashCase(p, CRASH_POINTS.length + i, 'derived'));
  POWER_CUT_POINTS.forEach((p, i) => crashCase(p.point, CRASH_POINTS.length + DERIVED_POINTS.length + i, 'random', p));

  it('no serial was used twice across the whole matrix', () => {
    expect(usedSerials).toHaveLength(CRASH_POINTS.length + DERIVED_POINTS.length + POWER_CUT_POINTS.length);
    expect(new Set(usedSerials).size).toBe(usedSerials.length);
  });
});
