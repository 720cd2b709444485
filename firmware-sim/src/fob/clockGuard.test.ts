import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { MessageType, WireErrorCode, CLOCK_SET_MARGIN_SECONDS, LOST_CLOCK_MAX_GAP_SECONDS } from '@fobkit/protocol/wire';
import { createRevocationList, generateSigningKeyPair, issueStationCertificate, type StationCredentials } from '@fobkit/protocol/session';
import { generateTotp } from '@fobkit/protocol/otp';
import { SimulationClock } from '../clock/simulationClock.js';
import { Simulator } from '../simulator.js';
import { RawStation } from '../testing/rawStation.js';
import { createTestFactory, type TestFactory } from '../testing/testFactory.js';
import { clockAllowance, judgeLockedSetTime } from './clockGuard.js';

const T0 = 1_800_000_000;
const YEAR = 365.25 * 86_400;
const SECRET = new Uint8Array(20).map((_, i) => i + 1);
const SERIAL = 'FK00000013';

let current: Simulator | null = null;
afterEach(async () => {
  await current?.close();
  current = null;
});

async function setup() {
  const clock = new SimulationClock({ mode: 'manual', start: T0 });
  const factory = createTestFactory(T0);
  const sim = await Simulator.start({ count: 1, rootPublicKey: factory.rootPublicKey, clock, driftPpm: 0 });
  current = sim;
  const station = new RawStation(sim.fob(0).stationDuplex());
  return { clock, factory, sim, station, fob: sim.fob(0) };
}

async function locked() {
  const s = await setup();
  const { station, factory } = s;
  expect((await station.request(MessageType.SET_TIME, { time: T0 })).ok).toBe(true);
  expect((await station.openSession(factory.station)).ok).toBe(true);
  expect((await station.request(MessageType.SET_SERIAL, { serial: SERIAL })).ok).toBe(true);
  expect((await station.request(MessageType.PROGRAM_SEED, { secret: SECRET.slice(), alg: 'sha1', digits: 6, period: 60, t0: 0 })).ok).toBe(true);
  expect((await station.request(MessageType.LOCK, { serial: SERIAL })).ok).toBe(true);
  return s;
}

/** A certificate of `factory`'s root with its own validity period. */
function stationWith(factory: TestFactory, notBefore: number, notAfter: number, id = 7): StationCredentials {
  const key = generateSigningKeyPair();
  return { privateKey: key.privateKey, certificate: issueStationCertificate({ rootPrivateKey: factory.rootPrivateKey, id, name: `station-${id}`, stationPublicKey: key.publicKey, notBefore, notAfter }) };
}

describe('clock guard: SET_TIME on a locked fob', () => {
  it('refuses a jump into the future with TIME_JUMP (`time-jump:`) and keeps showing the code of now', async () => {
    const { station, fob } = await locked();
    const jump = await station.request(MessageType.SET_TIME, { time: T0 + 86_400 });
    expect(jump).toMatchObject({ ok: false, error: { code: WireErrorCode.TIME_JUMP, name: 'TIME_JUMP' } });
    expect(jump.ok ? '' : jump.error.msg).toMatch(/^time-jump: \+86400 s is beyond what drift explains .*WIPE/);
    expect(fob.status().time).toBe(T0);
    expect(await station.request(MessageType.CODE_NOW, {})).toMatchObject({ ok: true, body: { code: generateTotp({ secret: SECRET, time: T0 }) } });
  });

  it('accepts a correction within the margin, but repeated small sets do not add up', async () => {
    const { station, fob } = await locked();
    expect(await station.request(MessageType.SET_TIME, { time: T0 + 100 })).toMatchObject({ ok: true, body: { previous: T0, time: T0 + 100 } });
    // The uncorrected clock is still T0: +200 is beyond the margin even though it is +100 from the clock now.
    expect(await station.request(MessageType.SET_TIME, { time: T0 + 200 })).toMatchObject({ ok: false, error: { name: 'TIME_JUMP' } });
    expect(await station.request(MessageType.SET_TIME, { time: T0 - CLOCK_SET_MARGIN_SECONDS })).toMatchObject({ ok: true });
    expect(await station.request(MessageType.SET_TIME, { time: T0 - CLOCK_SET_MARGIN_SECONDS - 1 })).toMatchObject({ ok: false, error: { name: 'TIME_JUMP' } });
    expect(fob.status().time).toBe(T0 - CLOCK_SET_MARGIN_SECONDS);
  });

  it('allows what ±50 ppm explains since the lock: about 1,698 s after a year, not more', async () => {
    const { station, clock, factory } = await locked();
    clock.advance(YEAR);
    const allowance = clockAllowance(YEAR);
    expect(allowance).toBeCloseTo(120 + 1577.88, 2);
    await station.openSession(factory.station);
    expect(await station.request(MessageType.SET_TIME, { time: T0 + YEAR + allowance + 1 })).toMatchObject({ ok: false, error: { name: 'TIME_JUMP' } });
    expect(await station.request(MessageType.SET_TIME, { time: T0 + YEAR - allowance - 1 })).toMatchObject({ ok: false, error: { name: 'TIME_JUMP' } });
    expect(await station.request(MessageType.SET_TIME, { time: T0 + YEAR + allowance - 1 })).toMatchObject({ ok: true });
  });

  it('judges against the free-running counter, which drift moves and SET_TIME does not', () => {
    const ref = { time: T0, counter: 1000 };
    const at = (counter: number, rtcNow: number, time: number) => judgeLockedSetTime({ record: { clockRef: ref, timeFloor: T0 }, rtcValid: true, rtcCounter: counter, rtcNow, time });
    // A year later the clock reads 1,000 s fast (drift): setting it to the uncorrected clock is fine.
    expect(at(1000 + YEAR, T0 + YEAR + 1000, T0 + YEAR)).toEqual({ ok: true });
    expect(at(1000 + YEAR, T0 + YEAR, T0 + YEAR + 2000)).toMatchObject({ ok: false, max: T0 + YEAR + clockAllowance(YEAR) });
  });

  it('after WIPE the clock can be set anywhere again (the fob is no longer locked)', async () => {
    const { station } = await locked();
    expect((await station.request(MessageType.WIPE, { serial: SERIAL, confirm: 'WIPE' })).ok).toBe(true);
    expect(await station.request(MessageType.SET_TIME, { time: T0 + 10 * 86_400 })).toMatchObject({ ok: true });
  });

  it('needs the session on a locked fob before anything else', async () => {
    const { station } = await locked();
    station.dropSession();
    expect(await station.request(MessageType.SET_TIME, { time: T0 + 1 }, { secure: false })).toMatchObject({ ok: false, error: { name: 'AUTH_REQUIRED' } });
  });
});

describe('clock guard: the cases of protocol/vectors/clock-guard.json', () => {
  interface GuardCase { note: string; clockValid: boolean; clockRef: { time: number; counter: number }; timeFloor: number; rtcCounter: number; rtcNow: number; time: number; accept: boolean }
  const file = JSON.parse(readFileSync(new URL('../../../protocol/vectors/clock-guard.json', import.meta.url), 'utf8')) as { source: string; cases: GuardCase[] };

  it('has a source and both outcomes', () => {
    expect(file.source).toMatch(/SPEC.md "Clock guard"/);
    expect(new Set(file.cases.map((c) => c.accept))).toEqual(new Set([true, false]));
  });

  for (const c of file.cases) {
    it(c.note, () => {
      const judged = judgeLockedSetTime({ record: { clockRef: c.clockRef, timeFloor: c.timeFloor }, rtcValid: c.clockValid, rtcCounter: c.rtcCounter, rtcNow: c.rtcNow, time: c.time });
      expect(judged.ok).toBe(c.accept);
    });
  }
});

describe('clock guard: a lost clock on a locked fob', () => {
  it('may be set from the floor to 30 days after it, and no further', async () => {
    const { station, fob, factory, clock } = await locked();
    clock.advance(3600);
    fob.drainBattery(0);
    fob.replaceBattery();
    expect(fob.status().timeValid).toBe(false);
    expect((await station.openSession(factory.station)).ok).toBe(true);
    const tooFar = await station.request(MessageType.SET_TIME, { time: T0 + LOST_CLOCK_MAX_GAP_SECONDS + 1 });
    expect(tooFar).toMatchObject({ ok: false, error: { name: 'TIME_JUMP' } });
    expect(tooFar.ok ? '' : tooFar.error.msg).toMatch(/^time-jump: the lost clock may be set only within/);
    expect(await station.request(MessageType.SET_TIME, { time: T0 - CLOCK_SET_MARGIN_SECONDS - 1 })).toMatchObject({ ok: false, error: { name: 'TIME_JUMP' } });
    expect(await station.request(MessageType.SET_TIME, { time: T0 + 3600 })).toMatchObject({ ok: true });
    expect(fob.status().timeValid).toBe(true);
    // The set became the new reference: a jump from it is judged like any other.
    expect(await station.request(MessageType.SET_TIME, { time: T0 + 3600 + 86_400 })).toMatchObject({ ok: false, error: { name: 'TIME_JUMP' } });
    expect(await station.request(MessageType.CODE_NOW, {})).toMatchObject({ ok: true, body: { code: generateTotp({ secret: SECRET, time: T0 + 3600 }) } });
  });

  for (const [name, cut, after] of [['before the record is complete', { phase: 'program' as const, bytes: 40 }, false], ['just after the last byte', { phase: 'program' as const, bytes: 1 << 20 }, true]] as const) {
    it(`a power cut while a lost clock is being set (${name}) leaves the clock lost and judged the same way again`, async () => {
      const { station, fob, factory } = await locked();
      fob.drainBattery(0);
      fob.replaceBattery();
      await station.openSession(factory.station);
      const generation = fob.fob.flashGeneration;
      fob.cutPowerAtNextWrite(cut);
      // The fob goes dark mid-write: no answer will come (as in test/sim-power-cut.test.ts).
      station.request(MessageType.SET_TIME, { time: T0 + 600 }).catch(() => {});
      await fob.endpoint.idle();
      expect(fob.fob.powered).toBe(false);
      station.cancelAll();
      fob.restart();
      expect(fob.fob.flashGeneration).toBe(after ? generation + 1 : generation);
      expect(fob.status()).toMatchObject({ timeValid: false, state: 'locked' });
      expect(fob.fob.timeFloor).toBe(T0);
      await station.openSession(factory.station);
      expect(await station.request(MessageType.SET_TIME, { time: T0 + LOST_CLOCK_MAX_GAP_SECONDS + 1 })).toMatchObject({ ok: false, error: { name: 'TIME_JUMP' } });
      expect(await station.request(MessageType.SET_TIME, { time: T0 + 600 })).toMatchObject({ ok: true });
    });
  }

  it('the reference and the floor survive a power cycle (they are in flash)', async () => {
    const { station, fob, factory } = await locked();
    expect(fob.fob.timeFloor).toBe(T0);
    fob.restart();
    expect(fob.fob.timeFloor).toBe(T0);
    await station.openSession(factory.station);
    expect(await station.request(MessageType.SET_TIME, { time: T0 + 86_400 })).toMatchObject({ ok: false, error: { name: 'TIME_JUMP' } });
  });

  it('a press writes the floor down at most once a day', async () => {
    const { fob, clock } = await locked();
    const writes = fob.fob.flashGeneration;
    clock.advance(3600);
    fob.press();
    expect(fob.fob.flashGeneration).toBe(writes);
    clock.advance(86_400);
    fob.press();
    expect(fob.fob.flashGeneration).toBe(writes + 1);
    expect(fob.fob.timeFloor).toBe(T0 + 3600 + 86_400);
  });
});

describe('time floor: certificates that expired before it', () => {
  it('a locked fob with a lost clock refuses a certificate that expired before the time it last knew', async () => {
    const { station, fob, factory, clock } = await locked();
    clock.advance(3600);
    fob.drainBattery(0);
    fob.replaceBattery();
    const expired = stationWith(factory, T0 - 30 * 86_400, T0 - 3600);
    expect(await station.openSession(expired)).toMatchObject({ ok: false, error: { name: 'AUTH_FAILED', msg: expect.stringMatching(/^cert-expired:/) } });
    expect((await station.openSession(factory.station)).ok).toBe(true);
  });

  it('a fob whose clock was never set learns the floor from a revocation list and a certificate, and refuses an expired one', async () => {
    const { station, fob, factory } = await setup();
    expect(fob.status().timeValid).toBe(false);
    const expired = stationWith(factory, T0 - 30 * 86_400, T0 - 3600);
    // Before it has seen anything, an expired certificate cannot be told apart (no clock, no floor).
    expect((await station.openSession(expired)).ok).toBe(true);
    const list = createRevocationList({ rootPrivateKey: factory.rootPrivateKey, seq: 1, ids: [], issuedAt: T0 });
    expect((await station.openSession({ ...factory.station, revocationList: list })).ok).toBe(true);
    expect(fob.fob.timeFloor).toBe(T0);
    expect(await station.openSession(expired)).toMatchObject({ ok: false, error: { msg: expect.stringMatching(/^cert-expired:/) } });
  });

  it('a certificate that has not started yet does not raise the floor, and a valid one raises it to its nbf', async () => {
    const { station, fob, factory } = await setup();
    await station.request(MessageType.SET_TIME, { time: T0 });
    const future = stationWith(factory, T0 + 86_400, T0 + 2 * 86_400);
    expect(await station.openSession(future)).toMatchObject({ ok: false, error: { msg: expect.stringMatching(/^cert-not-yet-valid:/) } });
    expect(fob.fob.timeFloor).toBe(0);
    expect((await station.openSession(factory.station)).ok).toBe(true);
    expect(fob.fob.timeFloor).toBe(T0 - 86_400);
    // An unlocked fob's own clock is anyone's to set, so it never raises the floor.
    await station.request(MessageType.SET_TIME, { time: T0 + 10 * 86_400 });
    expect((await station.openSession(factory.station)).ok).toBe(true);
    expect(fob.fob.timeFloor).toBe(T0 - 86_400);
  });
});
