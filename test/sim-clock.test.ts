/**
 * The simulated fob's clock against true time: drift accumulates as on a real 32 kHz crystal,
 * the code follows the fob's clock (not the true time), the simulator reports the offset, and a
 * dead battery makes the clock invalid until a station sets it again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MessageType } from '@fobkit/protocol/wire';
import { generateTotp } from '@fobkit/protocol/otp';
import { SimulationClock } from '../firmware-sim/src/clock/simulationClock.js';
import { Simulator } from '../firmware-sim/src/simulator.js';
import { RawStation } from '../firmware-sim/src/testing/rawStation.js';
import { createTestFactory } from '../firmware-sim/src/testing/testFactory.js';

const T0 = 1_800_000_000; // a multiple of 60: step boundaries are easy to reason about
const DAY = 86_400;
const SECRET = new Uint8Array(20).map((_, i) => 0x61 + i);
const SERIAL = 'FK00000013';
const factory = createTestFactory(T0);

let sim: Simulator | null = null;
afterEach(async () => {
  await sim?.close();
  sim = null;
});

async function lockedFob(driftPpm: number) {
  const clock = new SimulationClock({ mode: 'manual', start: T0 });
  sim = await Simulator.start({ count: 1, rootPublicKey: factory.rootPublicKey, clock, driftPpm });
  const fob = sim.fob(0);
  const st = new RawStation(fob.stationDuplex());
  await st.request(MessageType.SET_TIME, { time: T0 });
  await st.openSession(factory.station);
  await st.request(MessageType.SET_SERIAL, { serial: SERIAL });
  await st.request(MessageType.PROGRAM_SEED, { secret: SECRET.slice(), alg: 'sha1', digits: 6, period: 60, t0: 0 });
  expect(await st.request(MessageType.LOCK, { serial: SERIAL })).toMatchObject({ ok: true });
  st.dropSession();
  return { sim, fob, st, clock };
}

describe('the fob clock', () => {
  it('after 180 simulated days at +20 ppm shows the code of a clock 311 s fast, and reports that offset', async () => {
    const { sim, fob, st } = await lockedFob(20);
    sim.advanceTime(180 * DAY);
    const trueNow = sim.now();
    expect(fob.status().trueOffset).toBeCloseTo(311.04, 3);
    const codeNow = await st.request(MessageType.CODE_NOW, {});
    const fast = generateTotp({ secret: SECRET, time: trueNow + 311 });
    const onTime = generateTotp({ secret: SECRET, time: trueNow });
    expect(fast).not.toBe(onTime);
    expect(codeNow).toMatchObject({ ok: true, body: { code: fast } });
    // The button shows the same code.
    expect(fob.press()).toMatchObject({ on: true, text: fast });
    const status = await st.request(MessageType.GET_STATUS, {});
    expect(status.ok && status.body.time - trueNow).toBeCloseTo(311.04, 3);
  });

  it('press shows the code and the seconds until it changes; the display sleeps; presses are counted', async () => {
    const { sim, fob } = await lockedFob(0);
    sim.advanceTime(15);
    const view = fob.press();
    expect(view).toMatchObject({ on: true, text: generateTotp({ secret: SECRET, time: T0 + 15 }), remaining: 45 });
    sim.advanceTime(9);
    expect(fob.display()).toMatchObject({ on: true, remaining: 36 });
    sim.advanceTime(2);
    expect(fob.display().on).toBe(false);
    fob.press();
    expect(fob.status().presses).toBe(2);
  });

  it('a dead battery invalidates the clock until a station sets it again (a locked fob needs a session for that)', async () => {
    const { fob, st } = await lockedFob(0);
    fob.drainBattery(0);
    expect(fob.status()).toMatchObject({ timeValid: false, batteryLow: true });
    expect(await st.request(MessageType.CODE_NOW, {})).toMatchObject({ ok: false, error: { name: 'CLOCK_INVALID' } });
    expect(fob.press().on).toBe(false);
    expect(await st.request(MessageType.SET_TIME, { time: T0 })).toMatchObject({ ok: false, error: { name: 'AUTH_REQUIRED' } });
    fob.replaceBattery();
    // Without a clock the fob cannot check certificate validity periods, but still checks the
    // root signature and the transcript: the real station gets in and sets the time; a rogue one does not.
    expect(await st.openSession(factory.rogue)).toMatchObject({ ok: false, error: { name: 'AUTH_FAILED' } });
    expect(await st.openSession(factory.station)).toMatchObject({ ok: true });
    expect(await st.request(MessageType.SET_TIME, { time: T0 + 120 })).toMatchObject({ ok: true });
    expect(fob.status().timeValid).toBe(true);
    expect(await st.request(MessageType.CODE_NOW, {})).toMatchObject({ ok: true, body: { code: generateTotp({ secret: SECRET, time: T0 + 120 }) } });
  });

  it('every fob in a fleet has its own crystal', async () => {
    sim = await Simulator.start({ count: 20, rootPublicKey: factory.rootPublicKey, clock: new SimulationClock({ mode: 'manual', start: T0 }), seed: 'fleet' });
    const drifts = sim.fobs.map((f) => f.status().driftPpm);
    expect(new Set(drifts).size).toBeGreaterThan(15);
    for (const d of drifts) expect(Math.abs(d)).toBeLessThanOrEqual(20);
  });
});
