/**
 * One writer per port and per journal (issue 16.1), and a mistyped port reported once (16.8):
 * real `fobkit provision` and `fobkit inspect` processes, simulated fobs on real ptys, a real
 * backend process. A second station on a journal in use is refused before it touches anything
 * (JOURNAL_BUSY, exit 3) and the first one's fobs come out whole; a port another process holds is
 * refused with PORT_BUSY naming that process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { StationJournal } from '@fobkit/provisioner';
import { Simulator } from '@fobkit/firmware-sim';
import { SerialPortTransport } from '../provisioner/src/transport/serialPortTransport.js';
import { runProvision, setUpStationRig, tearDownStationRig, type StationEventLine, type StationRig, type StationRun } from './provision-harness.js';
import { fobkit } from './support-rig.js';

let rig: StationRig;

beforeAll(async () => {
  rig = await setUpStationRig('fobkit-station-locks-');
});
afterAll(() => tearDownStationRig(rig));

function stationArgs(stationDir: string, ports: string[], extra: string[] = []): string[] {
  return ['--backend-url', rig.backend.url, '--station-key', rig.keys.stationKeyFile, '--journal', join(stationDir, 'journal.db'), '--labels', join(stationDir, 'labels.csv'), ...ports.flatMap((p) => ['--port', p]), ...extra];
}

const errorOf = (run: StationRun): { code: string; message: string } | undefined => (run.events.find((e) => e.event === undefined && e['ok'] === false)?.['error'] as { code: string; message: string } | undefined);

describe('one station per journal', () => {
  it('a second fobkit provision on the same ports and journal is refused with JOURNAL_BUSY (exit 3); the first finishes its fobs whole', { timeout: 120_000 }, async () => {
    const sim = await Simulator.start({ count: 2, rootPublicKey: rig.keys.rootPublicKey, transport: 'pty', ptyDir: join(rig.dir, 'ptys-journal') });
    const stationDir = join(rig.dir, 'station-journal');
    const ports = sim.fobs.map((f) => f.address);
    const env = { FOBKIT_API_KEY: rig.backend.keys.station };
    try {
      let firstPid: number | undefined;
      let second: StationRun | undefined;
      let done = 0;
      // The first station watches (it keeps the journal while it runs); once its fobs are done
      // the second one starts on the same ports and journal, and the first is stopped after.
      const first = await runProvision({
        args: stationArgs(stationDir, ports, ['--watch', '--count', '3', '--poll-ms', '100']), env,
        onEvent: async (e: StationEventLine) => {
          if (e.event === 'start') firstPid = e['pid'] as number;
          if (e.event === 'fob' && e.result?.outcome === 'done' && ++done === 2) {
            second = await runProvision({ args: stationArgs(stationDir, ports), env });
          }
        },
        signalOn: { when: (e) => e.event === 'fob' && done === 2 && second !== undefined, signal: 'SIGTERM' },
      });
      expect(first.summary).toMatchObject({ done: 2, failed: 0, interrupted: 0 });
      expect(first.code).toBe(0);

      expect(second!.code).toBe(3);
      expect(second!.events.filter((e) => e.event !== undefined)).toEqual([]);
      expect(errorOf(second!)).toMatchObject({ code: 'JOURNAL_BUSY' });
      expect(errorOf(second!)!.message).toContain(`in use by pid ${firstPid}`);

      // Nothing went backwards: both fobs locked, their journal records done, the tokens active.
      const journal = StationJournal.open({ path: join(stationDir, 'journal.db') });
      try {
        for (const f of sim.fobs) {
          const st = f.status();
          expect(st.state).toBe('locked');
          expect(journal.findFobBySerial(st.serial!)).toMatchObject({ stage: 'done', outcome: 'done' });
          expect((await rig.backend.call<{ state: string }>('support', 'GET', `/v1/tokens/${st.serial}`)).body.state).toBe('available');
        }
      } finally {
        journal.close();
      }

      // Once the first station is gone the journal is free again: the kernel dropped its lock.
      const third = await runProvision({ args: stationArgs(stationDir, ports), env });
      expect(third.code).toBe(0);
      expect(third.summary).toMatchObject({ done: 0, skipped: 2 });
    } finally {
      await sim.close();
    }
  });
});

describe('one process per port', () => {
  it('a port held by another process: inspect and provision get PORT_BUSY naming the holder (exit 3)', { timeout: 60_000 }, async () => {
    const sim = await Simulator.start({ count: 1, rootPublicKey: rig.keys.rootPublicKey, transport: 'pty', ptyDir: join(rig.dir, 'ptys-port') });
    const port = sim.fobs[0]!.address;
    const holder = new SerialPortTransport({ path: port });
    await holder.open();
    try {
      const inspect = await fobkit(['inspect', '--port', port, '--backend-url', rig.backend.url, '--api-key', rig.backend.keys.support]);
      expect(inspect.code).toBe(3);
      expect(inspect.stderr).toMatch(/^fobkit: error \[PORT_BUSY\]: /);
      expect(inspect.stderr).toContain(`in use by pid ${process.pid}`);
      expect(inspect.stderr.trim().split('\n')).toHaveLength(1);

      const run = await runProvision({ args: stationArgs(join(rig.dir, 'station-port'), [port]), env: { FOBKIT_API_KEY: rig.backend.keys.station } });
      expect(run.code).toBe(3);
      const failed = run.events.find((e) => e.event === 'port' && e['state'] === 'open-failed');
      expect(failed).toMatchObject({ code: 'PORT_BUSY' });
      expect(failed!['reason']).toContain(`in use by pid ${process.pid}`);
      expect(sim.fobs[0]!.status().state).toBe('blank');

      // In-process too: a second open of the same port is refused while the first holds it.
      const second = new SerialPortTransport({ path: port });
      await expect(second.open()).rejects.toMatchObject({ code: 'PORT_BUSY', holder: { pid: process.pid } });
    } finally {
      await holder.close();
    }
    // Released with the first close: the port opens again.
    const again = new SerialPortTransport({ path: port });
    await again.open();
    await again.close();
    await sim.close();
  });
});

describe('a mistyped port', () => {
  it('is PORT_UNAVAILABLE, exit 3, reported once, before the journal or the backend is touched', { timeout: 60_000 }, async () => {
    const stationDir = join(rig.dir, 'station-typo');
    const typo = join(rig.dir, 'ttyACM9');
    const human = await fobkit(['provision', ...stationArgs(stationDir, [typo])], { FOBKIT_API_KEY: rig.backend.keys.station });
    expect(human.code).toBe(3);
    expect(human.stdout).toBe('');
    const lines = human.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^fobkit: error \[PORT_UNAVAILABLE\]: no such port: .*ttyACM9/);
    expect(lines[0]!.split(typo).length - 1).toBe(1);

    const json = await runProvision({ args: stationArgs(stationDir, [typo]), env: { FOBKIT_API_KEY: rig.backend.keys.station } });
    expect(json.code).toBe(3);
    expect(json.events).toHaveLength(1);
    expect(errorOf(json)).toMatchObject({ code: 'PORT_UNAVAILABLE' });
  });
});
