/**
 * The power-cut matrix (issue 4): for every flash write a full provisioning performs, cut power
 * there (during the erase, before the first programmed byte, a few bytes in, half-way, one unit
 * short, and just after the last byte), restart the fob from its file, and show that it is in the
 * state before or after that write, never in between, and that a station can finish provisioning
 * and wipe it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageType } from '@fobkit/protocol/wire';
import { generateTotp } from '@fobkit/protocol/otp';
import type { StationCredentials } from '@fobkit/protocol/session';
import { SimulationClock } from '../firmware-sim/src/clock/simulationClock.js';
import { Simulator, type SimulatedFob } from '../firmware-sim/src/simulator.js';
import type { PowerCut } from '../firmware-sim/src/flash/flashStore.js';
import { RawStation } from '../firmware-sim/src/testing/rawStation.js';
import { createTestFactory } from '../firmware-sim/src/testing/testFactory.js';

const T0 = 1_800_000_000;
const SECRET = new Uint8Array(20).map((_, i) => 0x30 + i);
const SERIAL = 'FK00000013';
const root = mkdtempSync(join(tmpdir(), 'fobkit-sim-powercut-'));
const factory = createTestFactory(T0);
const station: StationCredentials = { ...factory.station, revocationList: factory.revocationList(1, [77]) };

afterAll(() => rmSync(root, { recursive: true, force: true }));

type Outcome = 'answered' | 'dark';

/** Sends one request; 'dark' when the fob lost power while handling it (no answer will come). */
async function send(fob: SimulatedFob, st: RawStation, run: () => Promise<{ ok: boolean }>): Promise<Outcome> {
  const pending = run();
  pending.catch(() => {});
  await fob.endpoint.idle();
  if (!fob.fob.powered) {
    st.cancelAll();
    return 'dark';
  }
  const r = await pending;
  if (!r.ok) throw new Error(`request refused: ${JSON.stringify(r)}`);
  return 'answered';
}

/**
 * What a station does: look at the fob's state and do the remaining steps (SET_TIME, session,
 * SET_SERIAL, PROGRAM_SEED, LOCK). Returns 'dark' as soon as the fob loses power.
 */
async function provision(fob: SimulatedFob): Promise<Outcome> {
  const st = new RawStation(fob.stationDuplex());
  const hello = await st.hello();
  if (hello.state !== 'locked' && (await send(fob, st, () => st.request(MessageType.SET_TIME, { time: T0 }))) === 'dark') return 'dark';
  const opened = st.openSession(station);
  opened.catch(() => {});
  await fob.endpoint.idle();
  await fob.endpoint.idle();
  if (!fob.fob.powered) return 'dark';
  if (!(await opened).ok) throw new Error('session refused');
  const steps: [string, () => Promise<{ ok: boolean }>][] = [
    ['blank', () => st.request(MessageType.SET_SERIAL, { serial: SERIAL })],
    ['serialised', () => st.request(MessageType.PROGRAM_SEED, { secret: SECRET.slice(), alg: 'sha1', digits: 6, period: 60, t0: 0 })],
    ['programmed', () => st.request(MessageType.LOCK, { serial: SERIAL })],
  ];
  for (const [from, step] of steps) {
    if (fob.fob.state !== from) continue;
    if ((await send(fob, st, step)) === 'dark') return 'dark';
  }
  return 'answered';
}

async function start(dir: string, powerCutAtBoot?: PowerCut): Promise<Simulator> {
  return Simulator.start({ count: 1, stateDir: dir, rootPublicKey: factory.rootPublicKey, clock: new SimulationClock({ mode: 'manual', start: T0 }), driftPpm: 0, ...(powerCutAtBoot ? { powerCutAtBoot } : {}) });
}

/** The persistent facts after each write of a clean provisioning. */
interface Snapshot {
  state: string;
  serial: string | null;
  generation: number;
  crl: number;
}
function snap(fob: SimulatedFob): Snapshot {
  return { state: fob.fob.state, serial: fob.fob.serial, generation: fob.fob.flashGeneration, crl: fob.fob.crl.seq };
}

describe('power-cut matrix over a full provisioning', () => {
  // A clean run tells which writes provisioning performs and the state after each.
  let writes: Snapshot[] = [];

  it('a clean provisioning performs a known list of flash writes', async () => {
    const dir = mkdtempSync(join(root, 'clean-'));
    const sim = await start(dir);
    const fob = sim.fob(0);
    const seen: Snapshot[] = [snap(fob)];
    const origExecute = fob.fob.execute.bind(fob.fob);
    fob.fob.execute = async (...args) => {
      const r = await origExecute(...args);
      if (fob.fob.flashGeneration !== seen.at(-1)!.generation) seen.push(snap(fob));
      return r;
    };
    expect(await provision(fob)).toBe('answered');
    // The CRL is stored during BEGIN_SESSION, outside execute.
    const all = [seen[0]!, { ...seen[0]!, generation: 2, crl: 1 }, ...seen.slice(1)];
    writes = all;
    expect(writes.map((w) => w.state)).toEqual(['blank', 'blank', 'serialised', 'programmed', 'locked']);
    expect(writes.map((w) => w.generation)).toEqual([1, 2, 3, 4, 5]);
    expect(fob.fob.flashCommits).toBe(5);
    await sim.close();
  });

  const cuts: { name: string; cut: (recordBytes: number) => Omit<PowerCut, 'skip'>; after: boolean }[] = [
    { name: 'during the erase', cut: () => ({ phase: 'erase' }), after: false },
    { name: 'before the first byte', cut: () => ({ phase: 'program', bytes: 0 }), after: false },
    { name: 'after 8 bytes (header torn)', cut: () => ({ phase: 'program', bytes: 8 }), after: false },
    { name: 'half-way', cut: (n) => ({ phase: 'program', bytes: n / 2 }), after: false },
    { name: 'one unit short (CRC missing)', cut: (n) => ({ phase: 'program', bytes: n - 8 }), after: false },
    { name: 'just after the last byte', cut: () => ({ phase: 'program', bytes: 1 << 20 }), after: true },
  ];

  for (let write = 0; write < 5; write++) {
    for (const c of cuts) {
      it(`write ${write + 1} of 5, cut ${c.name}: restarts in the state before/after, finishes provisioning, can be wiped`, async () => {
        expect(writes.length).toBe(5);
        const dir = mkdtempSync(join(root, `w${write}-`));
        // A record is ~200 bytes; the exact length does not matter for the cut points used.
        const cut = { ...c.cut(200), skip: write === 0 ? 0 : write - 1 };
        let sim = await start(dir, write === 0 ? cut : undefined);
        let fob = sim.fob(0);
        if (write > 0) fob.cutPowerAtNextWrite(cut);
        const outcome = fob.fob.powered ? await provision(fob) : 'dark';
        expect(outcome).toBe('dark');
        expect(fob.fob.powered).toBe(false);
        await sim.close();

        // Power back on: a new process reads the file.
        sim = await start(dir);
        fob = sim.fob(0);
        const status = fob.status();
        const expected = c.after ? writes[write]! : write === 0 ? null : writes[write - 1]!;
        if (expected === null) {
          // The first-boot write was torn: the fob boots as new (it never held anything) and says nothing is lost.
          expect(status).toMatchObject({ state: 'blank', flash: 'ok', flashGeneration: 1 });
        } else {
          expect(snap(fob)).toEqual(expected);
          expect(status.flash).toBe('ok');
        }
        expect(await provision(fob)).toBe('answered');
        expect(fob.fob.state).toBe('locked');
        const st = new RawStation(fob.stationDuplex());
        expect(await st.request(MessageType.CODE_NOW, {})).toMatchObject({ ok: true, body: { code: generateTotp({ secret: SECRET, time: T0 }) } });
        await st.request(MessageType.SET_TIME, { time: T0 }, { secure: false });
        expect((await st.openSession(station)).ok).toBe(true);
        expect(await st.request(MessageType.WIPE, { serial: SERIAL, confirm: 'WIPE' })).toMatchObject({ ok: true, body: { state: 'serialised', wipes: 1 } });
        await sim.close();
      });
    }
  }
});
