/**
 * The simulator through real pseudo-terminals (socat), opened with `serialport` exactly as a
 * station opens /dev/ttyACM0: a full FobSession conversation, a megabyte of garbage and
 * corrupted frames that leave the fob answering the next HELLO, and an unauthorised station
 * that cannot change a locked fob.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FobSession, DeviceError } from '@fobkit/protocol/client';
import { MessageType, encodeFrame, encodeRequest, PROTOCOL_VERSION, FrameFlags } from '@fobkit/protocol/wire';
import { generateTotp } from '@fobkit/protocol/otp';
import { SerialPortTransport } from '../provisioner/src/transport/serialPortTransport.js';
import { SimulationClock } from '../firmware-sim/src/clock/simulationClock.js';
import { Simulator } from '../firmware-sim/src/simulator.js';
import { RawStation } from '../firmware-sim/src/testing/rawStation.js';
import { createTestFactory } from '../firmware-sim/src/testing/testFactory.js';

const T0 = 1_800_000_000;
const SECRET = new Uint8Array(20).map((_, i) => 0x41 + i);
const SERIAL = 'FK00000013';
const factory = createTestFactory(T0);
const dir = mkdtempSync(join(tmpdir(), 'fobkit-sim-pty-'));
let sim: Simulator;

function requireSocat(): void {
  try {
    execFileSync('socat', ['-V'], { stdio: 'ignore' });
  } catch {
    throw new Error('socat is missing: these tests need real pseudo-terminals (apt-get install socat)');
  }
}

beforeAll(async () => {
  requireSocat();
  sim = await Simulator.start({ count: 3, transport: 'pty', stateDir: dir, rootPublicKey: factory.rootPublicKey, clock: new SimulationClock({ mode: 'manual', start: T0 }), driftPpm: 0 });
});

afterAll(async () => {
  await sim?.close();
  for (let i = 0; i < 3; i++) expect(existsSync(join(dir, `fob-${i}`))).toBe(false);
  rmSync(dir, { recursive: true, force: true });
});

async function openPort(index: number): Promise<SerialPortTransport> {
  const t = new SerialPortTransport({ path: sim.fob(index).address });
  await t.open();
  return t;
}

async function provisionAndLock(session: FobSession): Promise<void> {
  await session.hello();
  await session.setTime(T0);
  await session.beginSession(factory.station);
  await session.setSerial(SERIAL);
  await session.programSeed({ secret: SECRET.slice(), algorithm: 'sha1', digits: 6, period: 60, t0: 0 });
  expect(await session.calculate(T0 + 3600)).toMatchObject({ code: generateTotp({ secret: SECRET, time: T0 + 3600 }) });
  expect(await session.lock(SERIAL)).toMatchObject({ state: 'locked' });
}

describe('fobs on real ptys', () => {
  it('prints openable pty paths backed by /dev/pts devices', () => {
    for (const f of sim.fobs) {
      expect(f.address).toBe(join(dir, `fob-${f.index}`));
      expect(f.device).toMatch(/^\/dev\/pts\/\d+$/);
    }
  });

  it('holds a full conversation with FobSession over serialport', async () => {
    const transport = await openPort(0);
    const session = new FobSession({ transport, clock: () => sim.now() });
    try {
      const hello = await session.hello();
      expect(hello).toMatchObject({ state: 'blank', model: 'FK-1', schemaMatches: true });
      await provisionAndLock(session);
      expect(await session.codeNow()).toMatchObject({ code: generateTotp({ secret: SECRET, time: T0 }) });
      const status = await session.getStatus();
      expect(status).toMatchObject({ state: 'locked', timeValid: true, wipes: 0, failedAuth: 0 });
      expect(await session.hello()).toMatchObject({ state: 'locked', serial: SERIAL });
      await session.beginSession(factory.station);
      expect(await session.wipe(SERIAL)).toMatchObject({ state: 'serialised', wipes: 1 });
    } finally {
      session.close();
      await transport.close();
    }
    // The station can come back: the same pty opens again.
    const again = await openPort(0);
    const s2 = new FobSession({ transport: again });
    try {
      expect(await s2.hello()).toMatchObject({ state: 'serialised', serial: SERIAL });
    } finally {
      s2.close();
      await again.close();
    }
  });

  it('answers the next HELLO after a megabyte of random bytes and corrupted frames', async () => {
    const transport = await openPort(1);
    const station = new RawStation(transport);
    try {
      const garbage = randomBytes(1 << 20);
      const valid = encodeFrame({ version: PROTOCOL_VERSION, flags: 0, type: MessageType.GET_STATUS, requestId: 999, body: encodeRequest(MessageType.GET_STATUS, {}) });
      const corrupted: Uint8Array[] = [];
      for (let i = 0; i < 200; i++) {
        const f = valid.slice();
        f[1 + (i % (f.length - 2))]! ^= 1 << (i % 8);
        corrupted.push(f);
      }
      corrupted.push(new Uint8Array(5000).fill(0x41)); // an endless run: oversize
      corrupted.push(valid.subarray(0, valid.length - 3)); // truncated, then the garbage ends it
      for (let o = 0; o < garbage.length; o += 64 * 1024) await transport.write(garbage.subarray(o, o + 64 * 1024));
      for (const c of corrupted) await transport.write(c);
      const hello = await station.hello(30_000);
      expect(hello.state).toBe('blank');
      const stats = sim.fob(1).endpoint.decoderStats;
      expect(stats.bytesIn).toBeGreaterThan(1 << 20);
      expect(stats.badCrc + stats.badCobs + stats.short + stats.oversize).toBeGreaterThan(1000);
    } finally {
      await transport.close();
    }
  }, 60_000);

  it('does not let an unauthorised station change a locked fob', async () => {
    const good = await openPort(2);
    const session = new FobSession({ transport: good, clock: () => sim.now() });
    await provisionAndLock(session);
    const before = sim.fob(2).status();
    session.close();
    await good.close();

    const port = await openPort(2);
    const rogue = new RawStation(port);
    const rogueSession = new FobSession({ transport: port, retries: 0 });
    try {
      // No session: everything that changes the fob is refused.
      expect(await rogue.request(MessageType.SET_TIME, { time: T0 + 86_400 * 365 }, { secure: false })).toMatchObject({ ok: false, error: { name: 'AUTH_REQUIRED' } });
      expect(await rogue.request(MessageType.WIPE, { serial: SERIAL, confirm: 'WIPE' }, { secure: false })).toMatchObject({ ok: false, error: { name: 'AUTH_REQUIRED' } });
      expect(await rogue.request(MessageType.SET_SERIAL, { serial: 'FK00000021' }, { secure: false })).toMatchObject({ ok: false, error: { name: 'AUTH_REQUIRED' } });
      expect(await rogue.request(MessageType.CALCULATE, { time: T0 + 86_400 }, { secure: false })).toMatchObject({ ok: false, error: { name: 'LOCKED' } });
      // A frame flagged SECURE without a session is refused too.
      const reply = rogue.awaitReply(4242);
      rogue.writeRaw(encodeFrame({ version: PROTOCOL_VERSION, flags: FrameFlags.SECURE, type: MessageType.WIPE, requestId: 4242, body: new Uint8Array(64) }));
      // (The fob cannot see the previous station close the pty, so its session may still be open:
      // a record not sealed with that session's key is refused either way.)
      const refused = rogue.decode(MessageType.WIPE, await reply);
      expect(refused.ok).toBe(false);
      expect(['AUTH_REQUIRED', 'REPLAYED', 'AUTH_FAILED']).toContain(refused.ok ? '' : refused.error.name);
      // A certificate from another root does not open a session.
      await expect(rogueSession.beginSession(factory.rogue)).rejects.toThrow();
      expect(await rogue.openSession(factory.rogue)).toMatchObject({ ok: false, error: { name: 'AUTH_FAILED' } });
      const err = await rogueSession.setTime(T0 + 86_400 * 365).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DeviceError);
    } finally {
      rogueSession.close();
      await port.close();
    }
    const after = sim.fob(2).status();
    expect(after).toMatchObject({ state: 'locked', serial: SERIAL, wipes: 0, time: before.time, failedAuth: 2 });
    expect(sim.fob(2).press().text).toBe(generateTotp({ secret: SECRET, time: T0 }));
  });
});
