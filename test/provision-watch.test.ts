/**
 * `fobkit provision --watch`: the station runs before any fob is plugged in, provisions each fob
 * as its port appears, and with `--count` stops once that many are done.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { join } from 'node:path';
import { Simulator } from '@fobkit/firmware-sim';
import { runProvision, setUpStationRig, tearDownStationRig, type BackendProcess, type StationKeys } from './provision-harness.js';

let dir: string;
let keys: StationKeys;
let backend: BackendProcess;

beforeAll(async () => {
  ({ dir, keys, backend } = await setUpStationRig('fobkit-provision-watch-'));
}, 120_000);
afterAll(() => tearDownStationRig({ dir, backend }));

it('provisions fobs as they are plugged in, and stops after --count', { timeout: 90_000 }, async () => {
  const stateDir = join(dir, 'fobs');
  // The simulator names its ptys <state dir>/fob-<i>; they do not exist until it starts.
  const ports = [join(stateDir, 'fob-0'), join(stateDir, 'fob-1')];
  let sim: Simulator | undefined;
  try {
    const run = await runProvision({
      args: ['--backend-url', backend.url, '--station-key', keys.stationKeyFile, '--journal', join(dir, 'station', 'journal.db'), '--labels', join(dir, 'station', 'labels.jsonl'), '--watch', '--count', '2', '--poll-ms', '100', ...ports.flatMap((p) => ['--port', p])],
      env: { FOBKIT_API_KEY: backend.keys.station },
      onEvent: async (e) => {
        // Plug the fobs in only once the station is up and watching.
        if (e.event === 'reconcile' && !sim) sim = await Simulator.start({ count: 2, rootPublicKey: keys.rootPublicKey, stateDir, transport: 'pty' });
      },
    });
    expect(run.events.findIndex((e) => e.event === 'reconcile')).toBeLessThan(run.events.findIndex((e) => e.event === 'port'));
    expect(run.summary).toMatchObject({ done: 2, failed: 0 });
    expect(run.code).toBe(0);
    expect(sim!.fobs.map((f) => f.status().state)).toEqual(['locked', 'locked']);
  } finally {
    await sim?.close();
  }
});

it('SIGTERM stops a watching station cleanly: the fob in progress finishes, then the summary', { timeout: 90_000 }, async () => {
  const sim = await Simulator.start({ count: 1, rootPublicKey: keys.rootPublicKey, stateDir: join(dir, 'fobs-term'), transport: 'pty' });
  try {
    const run = await runProvision({
      args: ['--backend-url', backend.url, '--station-key', keys.stationKeyFile, '--journal', join(dir, 'station-term', 'journal.db'), '--labels', join(dir, 'station-term', 'labels.jsonl'), '--watch', '--poll-ms', '100', '--port', sim.fob(0).address],
      env: { FOBKIT_API_KEY: backend.keys.station },
      signalOn: { when: (e) => e.event === 'step' && e.step === 'program-seed' && e.phase === 'begin', signal: 'SIGTERM' },
    });
    expect(run.signal).toBeNull();
    expect(run.summary).toMatchObject({ done: 1, failed: 0, interrupted: 0 });
    expect(run.code).toBe(0);
    expect(sim.fob(0).status().state).toBe('locked');
  } finally {
    await sim.close();
  }
});
