import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { MessageType, FrameFlags, WireErrorCode, decodeErrorBody, decodeFrame, encodeCobs, encodeFrame, encodeRequest, packFrame } from '@fobkit/protocol/wire';
import { generateTotp } from '@fobkit/protocol/otp';
import { SimulationClock } from '../clock/simulationClock.js';
import { Simulator } from '../simulator.js';
import { RawStation } from '../testing/rawStation.js';
import { createTestFactory } from '../testing/testFactory.js';

const T0 = 1_800_000_000;
const SECRET = new Uint8Array(20).map((_, i) => i + 1);
const SERIAL = 'FK00000013';

async function setup(options: { count?: number } = {}) {
  const clock = new SimulationClock({ mode: 'manual', start: T0 });
  const factory = createTestFactory(T0);
  const sim = await Simulator.start({ count: options.count ?? 1, rootPublicKey: factory.rootPublicKey, clock, driftPpm: 0 });
  const station = new RawStation(sim.fob(0).stationDuplex());
  return { clock, factory, sim, station, fob: sim.fob(0) };
}

let current: Simulator | null = null;
afterEach(async () => {
  await current?.close();
  current = null;
});

async function provisioned() {
  const s = await setup();
  current = s.sim;
  const { station, factory } = s;
  expect((await station.request(MessageType.SET_TIME, { time: T0 })).ok).toBe(true);
  expect((await station.openSession(factory.station)).ok).toBe(true);
  expect(await station.request(MessageType.SET_SERIAL, { serial: SERIAL })).toMatchObject({ ok: true, body: { serial: SERIAL, state: 'serialised' } });
  expect(await station.request(MessageType.PROGRAM_SEED, { secret: SECRET.slice(), alg: 'sha1', digits: 6, period: 60, t0: 0 })).toMatchObject({ ok: true, body: { state: 'programmed' } });
  return s;
}

describe('fob life cycle over the wire', () => {
  it('walks blank → serialised → programmed → locked and WIPE back to serialised, keeping the serial', async () => {
    const { station, fob, factory } = await provisioned();
    const calc = await station.request(MessageType.CALCULATE, { time: 59 });
    expect(calc).toMatchObject({ ok: true, body: { code: generateTotp({ secret: SECRET, time: 59 }) } });
    expect(await station.request(MessageType.LOCK, { serial: SERIAL })).toMatchObject({ ok: true, body: { state: 'locked' } });
    // Retried LOCK with the same serial: acknowledged, not an error.
    expect(await station.request(MessageType.LOCK, { serial: SERIAL })).toMatchObject({ ok: true, body: { state: 'locked' } });
    // A locked fob is no oracle for chosen times.
    expect(await station.request(MessageType.CALCULATE, { time: T0 + 3600 })).toMatchObject({ ok: false, error: { code: WireErrorCode.LOCKED } });
    const now = await station.request(MessageType.CODE_NOW, {});
    expect(now).toMatchObject({ ok: true, body: { code: generateTotp({ secret: SECRET, time: T0 }) } });
    expect(fob.status().state).toBe('locked');
    const wiped = await station.request(MessageType.WIPE, { serial: SERIAL, confirm: 'WIPE' });
    expect(wiped).toMatchObject({ ok: true, body: { state: 'serialised', wipes: 1 } });
    expect(fob.status()).toMatchObject({ state: 'serialised', serial: SERIAL, wipes: 1 });
    expect(await station.request(MessageType.CODE_NOW, {})).toMatchObject({ ok: false, error: { code: WireErrorCode.BAD_STATE } });
    // Programmable again after a wipe.
    await station.openSession(factory.station);
    expect(await station.request(MessageType.PROGRAM_SEED, { secret: SECRET.slice(), alg: 'sha1', digits: 6, period: 60, t0: 0 })).toMatchObject({ ok: true });
  });

  it('answers a retried PROGRAM_SEED with the same check and refuses a different seed', async () => {
    const { station } = await provisioned();
    const check = createHash('sha256').update(SECRET).digest().subarray(0, 8);
    const again = await station.request(MessageType.PROGRAM_SEED, { secret: SECRET.slice(), alg: 'sha1', digits: 6, period: 60, t0: 0 });
    expect(again.ok && Buffer.from(again.body.check).equals(check)).toBe(true);
    const other = await station.request(MessageType.PROGRAM_SEED, { secret: new Uint8Array(20).fill(9), alg: 'sha1', digits: 6, period: 60, t0: 0 });
    expect(other).toMatchObject({ ok: false, error: { name: 'BAD_STATE' } });
  });

  it('gives every command outside its state the spec error', async () => {
    const s = await setup();
    current = s.sim;
    const { station, factory } = s;
    // blank, no session
    expect(await station.request(MessageType.CODE_NOW, {})).toMatchObject({ ok: false, error: { name: 'BAD_STATE' } });
    expect(await station.request(MessageType.CALCULATE, { time: 1 })).toMatchObject({ ok: false, error: { name: 'BAD_STATE' } });
    expect(await station.request(MessageType.SET_SERIAL, { serial: SERIAL })).toMatchObject({ ok: false, error: { name: 'AUTH_REQUIRED' } });
    expect(await station.request(MessageType.LOCK, { serial: SERIAL })).toMatchObject({ ok: false, error: { name: 'AUTH_REQUIRED' } });
    await station.request(MessageType.SET_TIME, { time: T0 });
    await station.openSession(factory.station);
    expect(await station.request(MessageType.PROGRAM_SEED, { secret: SECRET.slice(), alg: 'sha1', digits: 6, period: 60, t0: 0 })).toMatchObject({ ok: false, error: { name: 'BAD_STATE' } });
    expect(await station.request(MessageType.LOCK, { serial: SERIAL })).toMatchObject({ ok: false, error: { name: 'INVALID_ARGUMENT' } });
    expect(await station.request(MessageType.WIPE, { serial: SERIAL, confirm: 'WIPE' })).toMatchObject({ ok: false, error: { name: 'INVALID_ARGUMENT' } });
    await station.request(MessageType.SET_SERIAL, { serial: SERIAL });
    expect(await station.request(MessageType.SET_SERIAL, { serial: SERIAL })).toMatchObject({ ok: true });
    expect(await station.request(MessageType.SET_SERIAL, { serial: 'FK00000021' })).toMatchObject({ ok: false, error: { name: 'BAD_STATE' } });
    expect(await station.request(MessageType.LOCK, { serial: SERIAL })).toMatchObject({ ok: false, error: { name: 'BAD_STATE' } });
    expect(await station.request(MessageType.WIPE, { serial: SERIAL, confirm: 'WIPE' })).toMatchObject({ ok: false, error: { name: 'BAD_STATE' } });
    // PROGRAM_SEED in the clear is refused even inside a session.
    expect(await station.request(MessageType.PROGRAM_SEED, { secret: SECRET.slice(), alg: 'sha1', digits: 6, period: 60, t0: 0 }, { secure: false })).toMatchObject({ ok: false, error: { name: 'AUTH_REQUIRED' } });
    // An unknown message type.
    const unknown = await station.exchange(0x7e, new Uint8Array([0xa0]));
    expect(unknown.flags & FrameFlags.ERROR).toBeTruthy();
  });

  it('never returns the seed: no response body contains it', async () => {
    const { station } = await provisioned();
    const bodies: Uint8Array[] = [];
    for (const [type, body] of [
      [MessageType.HELLO, null],
      [MessageType.GET_STATUS, {}],
      [MessageType.CALCULATE, { time: 120 }],
      [MessageType.CODE_NOW, {}],
    ] as const) {
      if (type === MessageType.HELLO) {
        await station.hello();
        continue;
      }
      const r = await station.request(type, body as never);
      bodies.push(r.frame.body);
    }
    for (const b of bodies) expect(Buffer.from(b).includes(Buffer.from(SECRET))).toBe(false);
  });

  it('refuses an unauthorised station on a locked fob and slows down repeated failures', async () => {
    const { station, factory, clock, fob } = await provisioned();
    await station.request(MessageType.LOCK, { serial: SERIAL });
    station.dropSession();
    expect(await station.request(MessageType.SET_TIME, { time: T0 + 86_400 })).toMatchObject({ ok: false, error: { name: 'AUTH_REQUIRED' } });
    const errors: string[] = [];
    let retryMs = 0;
    for (let i = 0; i < 6; i++) {
      const r = await station.openSession(factory.rogue);
      if (!r.ok) errors.push(r.error.name);
      if (!r.ok && r.error.retryMs) retryMs = r.error.retryMs;
    }
    expect(errors.slice(0, 4)).toEqual(['AUTH_FAILED', 'AUTH_FAILED', 'AUTH_FAILED', 'AUTH_FAILED']);
    expect(errors[4]).toBe('RATE_LIMITED');
    expect(retryMs).toBeGreaterThan(0);
    expect(fob.status().failedAuth).toBe(4);
    // Even the real station waits out the delay; afterwards it gets in and the streak resets.
    expect(await station.openSession(factory.station)).toMatchObject({ ok: false, error: { name: 'RATE_LIMITED' } });
    clock.advance(retryMs / 1000 + 1);
    expect(await station.openSession(factory.station)).toMatchObject({ ok: true });
    expect(fob.status()).toMatchObject({ failedAuth: 4, failedAuthStreak: 0, state: 'locked' });
    expect(await station.request(MessageType.SET_TIME, { time: T0 + 10 })).toMatchObject({ ok: true });
  });

  it('rejects a replayed session record', async () => {
    const { station } = await provisioned();
    const before = station.sent.length;
    await station.request(MessageType.CODE_NOW, {}, { secure: true });
    const replay = station.sent[before]!;
    const reply = station.awaitReply(decodeFrame(replay).requestId);
    station.writeRaw(replay);
    const refused = await reply;
    expect(refused.flags & FrameFlags.ERROR).toBeTruthy();
    expect(decodeErrorBody(refused.body)).toMatchObject({ code: WireErrorCode.REPLAYED, name: 'REPLAYED' });
    const answer = await station.request(MessageType.GET_STATUS, {}, { secure: true });
    expect(answer.ok).toBe(true);
  });

  it('ends the session on a record that does not authenticate, and says why with the SPEC reason tokens', async () => {
    const { station, factory } = await provisioned();
    const before = station.sent.length;
    await station.request(MessageType.GET_STATUS, {}, { secure: true });
    const tampered = decodeFrame(station.sent[before]!);
    const body = tampered.body.slice();
    body[body.length - 1]! ^= 1;
    // A fresh counter so the record is not a replay but fails authentication.
    body[7] = 0x7f;
    const reply = station.awaitReply(tampered.requestId);
    station.writeRaw(encodeFrame({ ...tampered, body }));
    expect(decodeErrorBody((await reply).body)).toMatchObject({ name: 'AUTH_FAILED', msg: expect.stringMatching(/^auth-failed:/) });
    const after = await station.request(MessageType.GET_STATUS, {}, { secure: true });
    expect(after).toMatchObject({ ok: false, error: { name: 'AUTH_REQUIRED', msg: expect.stringMatching(/^no-session:/) } });
    const rogue = await station.openSession(factory.rogue);
    expect(rogue).toMatchObject({ ok: false, error: { name: 'AUTH_FAILED', msg: expect.stringMatching(/^cert-bad-signature:/) } });
    // BEGIN_SESSION without a fresh HELLO.
    const again = await station.exchange(MessageType.BEGIN_SESSION, encodeRequest(MessageType.BEGIN_SESSION, { eph: new Uint8Array(32).fill(9), cert: new Uint8Array(10), sig: new Uint8Array(64) }));
    expect(decodeErrorBody(again.body)).toMatchObject({ name: 'BAD_STATE' });
  });

  it('answers a frame of another protocol version with UNSUPPORTED and ignores frames flagged RESPONSE', async () => {
    const s = await setup();
    current = s.sim;
    const { station } = s;
    // A well-formed frame (good CRC) whose version byte is 2.
    const packed = packFrame({ version: 2, flags: 0, type: MessageType.GET_STATUS, requestId: 31, body: encodeRequest(MessageType.GET_STATUS, {}) });
    const reply = station.awaitReply(31);
    station.writeRaw(Uint8Array.of(0, ...encodeCobs(packed), 0));
    expect(decodeErrorBody((await reply).body)).toMatchObject({ name: 'UNSUPPORTED' });
    station.writeRaw(encodeFrame({ version: 1, flags: FrameFlags.RESPONSE, type: MessageType.GET_STATUS, requestId: 32, body: new Uint8Array(0) }));
    expect(await station.request(MessageType.GET_STATUS, {})).toMatchObject({ ok: true });
    expect(s.fob.endpoint.stats.framesIn).toBe(1);
  });
});
