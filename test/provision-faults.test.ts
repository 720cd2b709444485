/**
 * Faults on the factory floor, each ending in its documented outcome with nothing lost: a fob
 * unplugged mid-provisioning (then plugged back: resumed), a corrupted link (retried through),
 * a fob whose CALCULATE disagrees (wiped, set aside, never locked), the backend down for part of
 * the run (fobs wait unlocked, the operator sees how many; delivered when it is back), the
 * backend down past the wait (fobs left programmed and verified, unlocked; a later run finishes
 * them), and a station certificate the fob rejects (fob untouched).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import {
  BackendClient, LabelWriter, SerialPool, StationJournal, StationOutbox, connectFob, loadStationCredentials, pinRegistrationKey, provisionFob,
  type ProvisionFobOptions, type ProvisioningSession,
} from '@fobkit/provisioner';
import { Simulator } from '@fobkit/firmware-sim';
import { runProvision, setUpStationRig, tearDownStationRig, type BackendProcess, type StationEventLine, type StationKeys } from './provision-harness.js';

let dir: string;
let keys: StationKeys;
let backend: BackendProcess;

beforeAll(async () => {
  ({ dir, keys, backend } = await setUpStationRig('fobkit-provision-faults-'));
}, 120_000);
afterAll(() => tearDownStationRig({ dir, backend }));

function args(name: string, ports: string[], extra: string[] = [], stationKey = keys.stationKeyFile): string[] {
  const d = join(dir, name);
  return ['--backend-url', backend.url, '--station-key', stationKey, '--journal', join(d, 'journal.db'), '--labels', join(d, 'labels.jsonl'), '--fob-timeout-ms', '500', ...ports.flatMap((p) => ['--port', p]), ...extra];
}
const env = (): Record<string, string> => ({ FOBKIT_API_KEY: backend.keys.station });

async function backendState(serial: string): Promise<string | undefined> {
  const r = await backend.call<{ state?: string }>('support', 'GET', `/v1/tokens/${serial}`);
  return r.status === 200 ? r.body.state : undefined;
}

/**
 * The in-process station of the two verification-fault tests (the simulator cannot be told to
 * answer CALCULATE wrongly, so they alter the answers on the station's side): one simulated fob
 * on a pty, a journal, an outbox, a session to the fob, and the pipeline options they share.
 */
async function inProcessStation(name: string) {
  const sim = await Simulator.start({ count: 1, rootPublicKey: keys.rootPublicKey, stateDir: join(dir, `fobs-${name}`), transport: 'pty' });
  const stationDir = join(dir, name);
  const journal = StationJournal.open({ path: join(stationDir, 'journal.db') });
  const client = new BackendClient({ baseUrl: backend.url, apiKey: backend.keys.station });
  const outbox = new StationOutbox({ journal, backend: client });
  const conn = await connectFob(sim.fob(0).address, { credentials: loadStationCredentials({ stationKey: keys.stationKeyFile }) });
  const options = async (session: ProvisioningSession): Promise<ProvisionFobOptions> => ({
    session, journal, outbox, serials: new SerialPool({ journal, backend: client, blockSize: 2 }), labels: new LabelWriter(join(stationDir, 'labels.jsonl')),
    registrationKey: await pinRegistrationKey({ journal, backend: client }), profile: { algorithm: 'sha1', digits: 6, period: 60, t0: 0 }, batch: 'B', seedMode: 'random',
    verifyTimes: 3, backendWaitMs: 5000, port: sim.fob(0).address,
  });
  return { sim, stationDir, journal, outbox, conn, options };
}

describe('faults', () => {
  it('a fob unplugged mid-provisioning is reported interrupted, and resumed when plugged back in', { timeout: 90_000 }, async () => {
    const stateDir = join(dir, 'fobs-unplug');
    let sim = await Simulator.start({ count: 1, rootPublicKey: keys.rootPublicKey, stateDir, transport: 'pty' });
    try {
      const port = sim.fob(0).address;
      let unplugged = false;
      const first = await runProvision({
        args: args('unplug', [port]), env: env(),
        onEvent: async (e) => {
          if (!unplugged && e.event === 'step' && e.step === 'program-seed' && e.phase === 'begin') {
            unplugged = true;
            // Pull the cable: the fob stops answering at once, then its port goes away.
            sim.fob(0).setUnresponsive(true);
            await sim.close();
          }
        },
      });
      expect(first.summary).toMatchObject({ done: 0, interrupted: 1 });
      expect(first.summary!.results).toMatchObject([{ outcome: 'interrupted', reason: expect.stringMatching(/plug it in again to resume/) }]);
      expect(first.code).toBe(1);

      sim = await Simulator.start({ count: 1, rootPublicKey: keys.rootPublicKey, stateDir, transport: 'pty' });
      const second = await runProvision({ args: args('unplug', [sim.fob(0).address]), env: env() });
      expect(second.summary).toMatchObject({ done: 1, failed: 0 });
      expect(second.summary!.results).toMatchObject([{ outcome: 'done', resumed: true }]);
      const st = sim.fob(0).status();
      expect(st.state).toBe('locked');
      const check = await backend.call<{ ok: boolean }>('support', 'POST', `/v1/tokens/${st.serial}/check`, { code: sim.fob(0).press().text });
      expect(check.body.ok).toBe(true);
    } finally {
      await sim.close();
    }
  });

  it('a corrupted link is retried through: the fob is provisioned and its code checks out', { timeout: 90_000 }, async () => {
    const sim = await Simulator.start({ count: 1, rootPublicKey: keys.rootPublicKey, stateDir: join(dir, 'fobs-noise'), transport: 'pty' });
    try {
      const fob = sim.fob(0);
      let injected = 0;
      // Every byte of the bursts injected so far has hit the link (dropped or flipped).
      const consumed = (): boolean => {
        const l = fob.status().link;
        return l.droppedIn + l.droppedOut === 4 * injected && l.corruptedIn + l.corruptedOut === 6 * injected;
      };
      const run = await runProvision({
        args: args('noise', [fob.address]), env: env(),
        onEvent: (e) => {
          // A burst of dropped and corrupted bytes in both directions before these steps. A burst
          // costs the next exchange up to two of its three attempts (a damaged request gets no
          // answer, so the burst's other half waits for the next answer); the station's events
          // reach this process a little late, so a burst is added only once the last one has
          // been spent, never two on one exchange (that fob would be reported lost, to resume).
          if (e.event === 'step' && e.phase === 'begin' && ['set-time', 'set-serial', 'program-seed', 'verify', 'lock'].includes(e.step!) && consumed()) {
            fob.injectLinkFaults({ corruptBytes: 3, dropBytes: 2 });
            injected++;
          }
        },
      });
      // At least two bursts were spent in full on the way (the last may find no traffic after it).
      expect(injected).toBeGreaterThanOrEqual(3);
      const l = fob.status().link;
      expect(l.droppedIn + l.droppedOut).toBeGreaterThanOrEqual(4 * (injected - 1));
      expect(l.corruptedIn + l.corruptedOut).toBeGreaterThanOrEqual(6 * (injected - 1));
      expect(run.summary).toMatchObject({ done: 1, failed: 0 });
      const st = fob.status();
      expect(st.state).toBe('locked');
      expect((await backend.call<{ ok: boolean }>('support', 'POST', `/v1/tokens/${st.serial}/check`, { code: fob.press().text })).body.ok).toBe(true);
    } finally {
      await sim.close();
    }
  });

  it('a fob whose CALCULATE disagrees is wiped and set aside, never registered, locked or activated', { timeout: 90_000 }, async () => {
    // The pipeline runs in-process over the real pty session, with CALCULATE answers altered on
    // their way to the station.
    const { sim, stationDir, journal, outbox, conn, options } = await inProcessStation('calc');
    try {
      const session: ProvisioningSession = {
        ...conn.session,
        calculate: async (time) => {
          const r = await conn.session.calculate(time);
          return { ...r, code: r.code === '123456' ? '654321' : '123456' };
        },
      };
      const pipeline = await options(session);
      outbox.start();
      const result = await provisionFob(pipeline);
      expect(result).toMatchObject({ outcome: 'failed', step: 'verify' });
      expect((result as { reason: string }).reason).toMatch(/^verification failed: fob returned \d{6}, expected \d{6} .*— fob set aside, not locked, seed erased$/);
      const st = sim.fob(0).status();
      expect(st.state).toBe('serialised');
      expect(st.wipes).toBe(1);
      expect(await backendState(st.serial!)).toBeUndefined();
      const rec = journal.findFobBySerial(st.serial!)!;
      expect(rec.outcome).toBe('failed');
      expect(journal.liveRegistration(rec.id)).toBeUndefined();
      await outbox.stop();
      await conn.close();

      // The station run later leaves it alone (set aside), and it stays unlocked and unknown.
      const again = await runProvision({ args: ['--backend-url', backend.url, '--station-key', keys.stationKeyFile, '--journal', join(stationDir, 'journal.db'), '--labels', join(stationDir, 'labels.jsonl'), '--port', sim.fob(0).address], env: env() });
      expect(again.summary).toMatchObject({ done: 0, skipped: 1 });
      expect(again.summary!.results).toMatchObject([{ outcome: 'skipped', reason: expect.stringMatching(/^set aside earlier: verification failed: .* left alone$/) }]);
      expect(sim.fob(0).status().state).toBe('serialised');
    } finally {
      await outbox.stop();
      await conn.close();
      journal.close();
      await sim.close();
    }
  });

  it('killed between journaling a failed verification and wiping: the restart erases the seed and never locks the fob', { timeout: 90_000 }, async () => {
    const { sim, stationDir, journal, conn, options } = await inProcessStation('calc2');
    try {
      const session: ProvisioningSession = { ...conn.session, calculate: async (time) => ({ ...(await conn.session.calculate(time)), code: '000000' }) };
      // The station "dies" the moment the failure is on disk, before the wipe (as SIGKILL would).
      const died = new Error('station killed');
      const result = await provisionFob({
        ...(await options(session)),
        onPhase: (step, phase) => {
          if (step === 'verify' && phase === 'fail') throw died;
        },
      });
      expect(result.outcome).toBe('failed');
      expect(sim.fob(0).status().state).toBe('programmed');
      await conn.close();
      journal.close();

      const restart = await runProvision({ args: ['--backend-url', backend.url, '--station-key', keys.stationKeyFile, '--journal', join(stationDir, 'journal.db'), '--labels', join(stationDir, 'labels.jsonl'), '--port', sim.fob(0).address], env: env() });
      expect(restart.summary!.results).toMatchObject([{ outcome: 'skipped', reason: expect.stringMatching(/^set aside earlier \(verification failed: .*\); seed erased; not locked$/) }]);
      const st = sim.fob(0).status();
      expect(st).toMatchObject({ state: 'serialised', wipes: 1 });
      expect(await backendState(st.serial!)).toBeUndefined();
      const j = StationJournal.open({ path: join(stationDir, 'journal.db') });
      expect(j.liveRegistration(j.findFobBySerial(st.serial!)!.id)).toBeUndefined();
      j.close();
    } finally {
      await conn.close();
      journal.close();
      await sim.close();
    }
  });

  it('backend down for part of the run: fobs wait unlocked, the count is shown, and they finish when it is back', { timeout: 120_000 }, async () => {
    const N = 3;
    const sim = await Simulator.start({ count: N, rootPublicKey: keys.rootPublicKey, stateDir: join(dir, 'fobs-down'), transport: 'pty' });
    try {
      // The station pins the registration key and stocks serials while the backend is up...
      // (No fob plugged in: USB ids nothing has, so the run stops with NO_PORTS once it has.)
      const warm = await runProvision({ args: args('down', [], ['--ports', 'auto', '--usb-ids', 'ffff:fffe']), env: env() });
      expect(warm.events[0]).toMatchObject({ event: 'start', registrationKey: { checkedWithBackend: true } });
      expect(warm.code).toBe(3);
      // ...then the backend goes down, and comes back once every fob waits for it.
      await backend.stop();
      let lockedWhileDown = -1;
      let sawWaiting = 0;
      const run = await runProvision({
        args: args('down', sim.fobs.map((f) => f.address), ['--backend-wait', '60']), env: env(),
        onEvent: async (e: StationEventLine) => {
          if (e.event === 'outbox' && (e['waitingRegistrations'] as number) >= N && lockedWhileDown < 0) {
            sawWaiting = e['waitingRegistrations'] as number;
            lockedWhileDown = sim.fobs.filter((f) => f.status().state === 'locked').length;
            await backend.start();
          }
        },
      });
      expect(sawWaiting).toBe(N);
      expect(lockedWhileDown).toBe(0);
      expect(run.summary).toMatchObject({ done: N, failed: 0, waitingRegistrations: 0 });
      for (const f of sim.fobs) {
        expect(f.status().state).toBe('locked');
        expect(await backendState(f.status().serial!)).toBe('available');
      }
    } finally {
      if (!(await fetch(backend.url).catch(() => undefined))) await backend.start();
      await sim.close();
    }
  });

  it('backend down past the wait: fobs stay programmed, verified and unlocked in the outbox; the next run finishes them', { timeout: 120_000 }, async () => {
    const sim = await Simulator.start({ count: 2, rootPublicKey: keys.rootPublicKey, stateDir: join(dir, 'fobs-late'), transport: 'pty' });
    try {
      // Pin the key and stock serials while the backend is up.
      const warm = await runProvision({ args: args('late', [], ['--ports', 'auto', '--usb-ids', 'ffff:fffe']), env: env() });
      expect(warm.events[0]).toMatchObject({ event: 'start', registrationKey: { checkedWithBackend: true } });
      expect(warm.code).toBe(3);
      await backend.stop();
      const run = await runProvision({ args: args('late', sim.fobs.map((f) => f.address), ['--backend-wait', '1']), env: env() });
      expect(run.summary).toMatchObject({ done: 0, waiting: 2, waitingRegistrations: 2 });
      expect(run.code).toBe(1);
      expect(run.summary!.results).toMatchObject([{ outcome: 'waiting', reason: expect.stringMatching(/NOT locked/) }, { outcome: 'waiting' }]);
      for (const f of sim.fobs) expect(f.status().state).toBe('programmed');

      await backend.start();
      const later = await runProvision({ args: args('late', sim.fobs.map((f) => f.address)), env: env() });
      expect(later.events.find((e) => e.event === 'reconcile')).toMatchObject({ waitingRegistrations: 2 });
      expect(later.summary).toMatchObject({ done: 2, waitingRegistrations: 0 });
      for (const f of sim.fobs) {
        expect(f.status().state).toBe('locked');
        expect((await backend.call<{ ok: boolean }>('support', 'POST', `/v1/tokens/${f.status().serial}/check`, { code: f.press().text })).body.ok).toBe(true);
      }
    } finally {
      if (!(await fetch(backend.url).catch(() => undefined))) await backend.start();
      await sim.close();
    }
  });

  it('a station certificate the fob rejects leaves the fob untouched, with the reason', { timeout: 60_000 }, async () => {
    const sim = await Simulator.start({ count: 1, rootPublicKey: keys.rootPublicKey, stateDir: join(dir, 'fobs-rogue'), transport: 'pty' });
    try {
      const run = await runProvision({ args: args('rogue', [sim.fob(0).address], [], keys.rogueKeyFile), env: env() });
      expect(run.summary).toMatchObject({ done: 0, failed: 1 });
      expect(run.summary!.results).toMatchObject([{ outcome: 'failed', step: 'session', reason: expect.stringMatching(/rejected this station's certificate.*left untouched/) }]);
      expect(run.code).toBe(1);
      expect(sim.fob(0).status()).toMatchObject({ state: 'blank', serial: null });
      // Not the fob's fault: the same journal with the right certificate provisions it.
      const good = await runProvision({ args: args('rogue', [sim.fob(0).address]), env: env() });
      expect(good.summary).toMatchObject({ done: 1, failed: 0 });
      expect(sim.fob(0).status().state).toBe('locked');
    } finally {
      await sim.close();
    }
  });
});
