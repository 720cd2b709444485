/**
 * The factory journey end to end: simulated fobs on real ptys, a real backend process on an
 * SQLite file, and `fobkit provision` as a child process provisioning them in parallel. Then
 * each fob is locked, registered and activated, a code read from its display validates once at
 * the backend and is rejected as replayed the second time, the labels are written, and no file
 * the station wrote holds a seed in any encoding. Derived mode reproduces the seeds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { generateTotp } from '@fobkit/protocol/otp';
import { StationJournal, deriveSeed } from '@fobkit/provisioner';
import { Simulator } from '@fobkit/firmware-sim';
import { openBackend } from '../backend/src/openBackend.js';
import { exportTokenSecret } from '../backend/src/service/tokens.js';
import { dirContainsSeed, runProvision, setUpStationRig, tearDownStationRig, type BackendProcess, type StationKeys } from './provision-harness.js';

const N = 4;
let dir: string;
let keys: StationKeys;
let backend: BackendProcess;

beforeAll(async () => {
  ({ dir, keys, backend } = await setUpStationRig('fobkit-provision-e2e-'));
});
afterAll(() => tearDownStationRig({ dir, backend }));

function stationArgs(stationDir: string, ports: string[], extra: string[] = []): string[] {
  return ['--backend-url', backend.url, '--station-key', keys.stationKeyFile, '--journal', join(stationDir, 'journal.db'), '--labels', join(stationDir, 'labels.csv'), '--batch', 'B-2026-11', ...ports.flatMap((p) => ['--port', p]), ...extra];
}

async function seedAtBackend(serial: string): Promise<Uint8Array> {
  const b = await openBackend({ db: `sqlite:${backend.dbFile}`, kekFile: join(dir, 'backend', 'backend.kek'), createKek: false });
  try {
    return (await exportTokenSecret(b.ctx, 'test', serial)).secret;
  } finally {
    await b.close();
  }
}

describe('fobkit provision end to end', () => {
  it(`provisions ${N} fobs in parallel: locked, registered, activated, codes validate once`, { timeout: 120_000 }, async () => {
    const sim = await Simulator.start({ count: N, rootPublicKey: keys.rootPublicKey, stateDir: join(dir, 'fobs-a'), transport: 'pty' });
    const stationDir = join(dir, 'station-a');
    try {
      const run = await runProvision({ args: stationArgs(stationDir, sim.fobs.map((f) => f.address)), env: { FOBKIT_API_KEY: backend.keys.station }});
      expect(run.stderr).toBe('');
      expect(run.summary).toMatchObject({ done: N, failed: 0, interrupted: 0, waiting: 0, waitingRegistrations: 0 });
      expect(run.code).toBe(0);
      // Every port ran at the same time: each one's first step began before any port finished.
      const firstEnd = run.events.findIndex((e) => e.event === 'fob');
      const ports = new Set(run.events.slice(0, firstEnd).filter((e) => e.event === 'step').map((e) => e.port));
      expect(ports.size).toBe(N);

      const serials = new Set<string>();
      for (const [i, f] of sim.fobs.entries()) {
        const st = f.status();
        expect(st.state).toBe('locked');
        expect(st.serial).toMatch(/^FK\d{8}$/);
        serials.add(st.serial!);
        const token = await backend.call<{ state: string }>('support', 'GET', `/v1/tokens/${st.serial}`);
        expect(token.body.state).toBe('available');
        const user = `user${i}`;
        expect((await backend.call('support', 'POST', `/v1/tokens/${st.serial}/assign`, { user })).status).toBe(200);
        const code = f.press().text;
        expect(code).toMatch(/^\d{6}$/);
        const first = await backend.call<{ ok: boolean; serial?: string }>('validator', 'POST', '/v1/validate', { user, code });
        expect(first.body).toMatchObject({ ok: true, serial: st.serial });
        const again = await backend.call<{ ok: boolean; reason?: string }>('validator', 'POST', '/v1/validate', { user, code });
        expect(again.body).toMatchObject({ ok: false, reason: 'replayed' });
      }
      expect(serials.size).toBe(N);
      // Each fob's clock was set from the station's and the offset measured and recorded.
      const journal = StationJournal.open({ path: join(stationDir, 'journal.db') });
      try {
        for (const f of sim.fobs) {
          const rec = journal.findFobBySerial(f.status().serial!)!;
          expect(Math.abs(rec.clockOffset!)).toBeLessThan(1);
          // SET_TIME runs after the seed is journaled; the offset it measured is the one registered.
          const token = await backend.call<{ clockOffset: number }>('support', 'GET', `/v1/tokens/${rec.serial}`);
          expect(token.body.clockOffset).toBe(rec.clockOffset);
          expect(Math.abs(f.status().trueOffset ?? Infinity)).toBeLessThan(1);
          // Every step, before and after, on this fob's record (HELLO's 'begin' precedes knowing which fob it is).
          expect(journal.stepsOf(rec.id).filter((x) => x.phase === 'begin').map((x) => x.step)).toEqual(['session', 'state-check', 'assign-serial', 'generate-seed', 'journal-seed', 'set-time', 'set-serial', 'program-seed', 'verify', 'register', 'lock', 'activate', 'label']);
          // A blank fob's state check, serial and seed run while the handshake does: the session
          // ends somewhere among them, and always before SET_TIME begins.
          const steps = journal.stepsOf(rec.id).map((x) => `${x.step}:${x.phase}`);
          const ends = steps.filter((x) => x.endsWith(':end')).map((x) => x.slice(0, -4));
          expect(ends[0]).toBe('hello');
          expect(ends.slice(1, 6).sort()).toEqual(['assign-serial', 'generate-seed', 'journal-seed', 'session', 'state-check']);
          expect(ends.slice(6)).toEqual(['set-time', 'set-serial', 'program-seed', 'verify', 'register', 'lock', 'activate', 'label']);
          expect(steps.indexOf('session:end')).toBeLessThan(steps.indexOf('set-time:begin'));
        }
      } finally {
        journal.close();
      }

      const labels = readFileSync(join(stationDir, 'labels.csv'), 'utf8').trim().split('\n');
      expect(labels[0]).toBe('serial,model,batch,date');
      expect(labels.slice(1).map((l) => l.split(',')[0]).sort()).toEqual([...serials].sort());
      expect(labels.slice(1).every((l) => /^FK\d{8},FK-1,B-2026-11,\d{4}-\d\d-\d\d$/.test(l))).toBe(true);

      // No file the station wrote holds any seed, in any encoding.
      for (const serial of serials) {
        const seed = await seedAtBackend(serial);
        expect(seed.length).toBe(20);
        expect(dirContainsSeed(stationDir, seed)).toBeUndefined();
      }

      // A second run finds every fob done and leaves it alone.
      const again = await runProvision({ args: stationArgs(stationDir, sim.fobs.map((f) => f.address)), env: { FOBKIT_API_KEY: backend.keys.station } });
      expect(again.summary).toMatchObject({ done: 0, skipped: N, failed: 0 });
      expect(again.code).toBe(0);
      expect(readFileSync(join(stationDir, 'labels.csv'), 'utf8').trim().split('\n')).toHaveLength(N + 1);
    } finally {
      await sim.close();
    }
  });

  it('derived mode: the backend holds exactly HKDF(batch key, serial), and the fob agrees', { timeout: 60_000 }, async () => {
    const sim = await Simulator.start({ count: 2, rootPublicKey: keys.rootPublicKey, stateDir: join(dir, 'fobs-d'), transport: 'pty' });
    const stationDir = join(dir, 'station-d');
    const batchKey = new Uint8Array(randomBytes(32));
    const batchKeyFile = join(dir, 'batch.key');
    writeFileSync(batchKeyFile, Buffer.from(batchKey).toString('hex') + '\n', { mode: 0o600 });
    try {
      const run = await runProvision({ args: stationArgs(stationDir, sim.fobs.map((f) => f.address), ['--seed-mode', 'derived', '--batch-key-file', batchKeyFile, '--algorithm', 'sha256']), env: { FOBKIT_API_KEY: backend.keys.station } });
      expect(run.summary).toMatchObject({ done: 2, failed: 0 });
      for (const f of sim.fobs) {
        const serial = f.status().serial!;
        const seed = deriveSeed({ batchKey, serial, algorithm: 'sha256' });
        expect(Buffer.from(await seedAtBackend(serial)).equals(Buffer.from(seed))).toBe(true);
        const lcd = f.press();
        const expected = generateTotp({ secret: seed, time: sim.now(), algorithm: 'sha256', digits: 6, period: 60 });
        const previous = generateTotp({ secret: seed, time: sim.now() - 60, algorithm: 'sha256', digits: 6, period: 60 });
        expect([expected, previous]).toContain(lcd.text);
        expect(dirContainsSeed(stationDir, seed)).toBeUndefined();
      }
    } finally {
      await sim.close();
    }
  });
});
