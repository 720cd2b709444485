/**
 * The control endpoint (HTTP on a Unix socket, as QA scripts use it) and the faults it injects:
 * link corruption and drops that FobSession's retries ride out, an unresponsive fob, a power cut
 * at the next flash write, and the realistic timing model.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { MessageType, FrameFlags, PROTOCOL_VERSION, encodeFrame } from '@fobkit/protocol/wire';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FobSession } from '@fobkit/protocol/client';
import { generateTotp } from '@fobkit/protocol/otp';
import { SimulationClock } from '../firmware-sim/src/clock/simulationClock.js';
import { Simulator } from '../firmware-sim/src/simulator.js';
import { startControlServer, type ControlServer } from '../firmware-sim/src/control/controlServer.js';
import { renderView } from '../firmware-sim/src/cli/liveView.js';
import { createTestFactory } from '../firmware-sim/src/testing/testFactory.js';
import { RawStation } from '../firmware-sim/src/testing/rawStation.js';

const T0 = 1_800_000_000;
const SECRET = new Uint8Array(20).map((_, i) => 0x51 + i);
const factory = createTestFactory(T0);

let sim: Simulator | null = null;
let server: ControlServer | null = null;
const dirs: string[] = [];
afterEach(async () => {
  await server?.close();
  await sim?.close();
  server = null;
  sim = null;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function call(socketPath: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? '' : JSON.stringify(body);
    const req = request({ socketPath, method, path, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } }, (res) => {
      let data = '';
      res.on('data', (d: Buffer) => (data += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(data) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(text);
  });
}

async function session(index: number, opts: { timeoutMs?: number; retries?: number } = {}) {
  const transport = sim!.fob(index).stationTransport();
  await transport.open();
  return new FobSession({ transport, clock: () => sim!.now(), ...opts });
}

async function provision(s: FobSession, serial: string): Promise<void> {
  await s.setTime(T0);
  await s.beginSession(factory.station);
  await s.setSerial(serial);
  await s.programSeed({ secret: SECRET.slice(), algorithm: 'sha1', digits: 6, period: 60, t0: 0 });
  await s.lock(serial);
}

describe('control endpoint on a Unix socket', () => {
  it('presses, reads the display, moves time and clocks, drifts, drains, and reports the true offset', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fobkit-sim-ctl-'));
    dirs.push(dir);
    sim = await Simulator.start({ count: 2, rootPublicKey: factory.rootPublicKey, clock: new SimulationClock({ mode: 'manual', start: T0 }), driftPpm: 0 });
    const sock = join(dir, 'control.sock');
    server = await startControlServer(sim, { socketPath: sock });
    expect(server.url).toBe(`unix:${sock}`);
    await provision(await session(1), 'FK00000013');

    expect((await call(sock, 'GET', '/v1/fobs')).body).toHaveLength(2);
    expect((await call(sock, 'POST', '/v1/fobs/1/press')).body).toMatchObject({ on: true, text: generateTotp({ secret: SECRET, time: T0 }), remaining: 60 });
    expect((await call(sock, 'GET', '/v1/fobs/1/display')).body).toMatchObject({ on: true });
    expect((await call(sock, 'POST', '/v1/time', { advance: 30 })).body).toMatchObject({ now: T0 + 30 });
    expect((await call(sock, 'POST', '/v1/fobs/1/clock', { shift: 90 })).body).toMatchObject({ trueOffset: 90 });
    expect((await call(sock, 'POST', '/v1/fobs/1/press')).body).toMatchObject({ text: generateTotp({ secret: SECRET, time: T0 + 120 }) });
    await call(sock, 'POST', '/v1/fobs/1/drift', { ppm: 50 });
    await call(sock, 'POST', '/v1/time', { advance: 10 * 86_400 });
    const status = (await call(sock, 'GET', '/v1/fobs/1')).body;
    expect(status.trueOffset as number).toBeCloseTo(90 + 10 * 86_400 * 50e-6, 3);
    expect((await call(sock, 'POST', '/v1/fobs/1/temperature', { celsius: -10 })).body).toMatchObject({ ratePpm: expect.closeTo(50 - 0.034 * 35 * 35, 6) });
    expect((await call(sock, 'POST', '/v1/fobs/1/battery', { pct: 5 })).body).toMatchObject({ batteryLow: true, batteryPct: 5 });
    expect((await call(sock, 'POST', '/v1/fobs/1/battery', { pct: 0 })).body).toMatchObject({ timeValid: false, trueOffset: null });
    expect((await call(sock, 'POST', '/v1/fobs/1/battery', { replace: true })).body).toMatchObject({ batteryPct: 100, timeValid: false });
    expect(await call(sock, 'POST', '/v1/fobs/7/press')).toMatchObject({ status: 404 });
    expect(await call(sock, 'POST', '/v1/fobs/1/drift', { ppm: 'fast' })).toMatchObject({ status: 400 });
    expect(await call(sock, 'GET', '/v1/nope')).toMatchObject({ status: 404 });
    // The live view shows both fobs, their LCD and state.
    const view = renderView(sim, { color: false });
    expect(view).toContain('locked');
    expect(view.split('\n')).toHaveLength(4);
  });

  it('link faults: corrupted and dropped bytes are ridden out by FobSession retries', async () => {
    sim = await Simulator.start({ count: 1, rootPublicKey: factory.rootPublicKey, clock: new SimulationClock({ mode: 'manual', start: T0 }), driftPpm: 0 });
    const s = await session(0, { timeoutMs: 100, retries: 3 });
    await provision(s, 'FK00000013');
    const retries: string[] = [];
    const s2 = new FobSession({ transport: await (async () => { const t = sim!.fob(0).stationTransport(); await t.open(); return t; })(), timeoutMs: 100, retries: 3, onEvent: (e) => e.type === 'retry' && retries.push(e.reason) });
    sim.fob(0).injectLinkFaults({ direction: 'in', corruptBytes: 3 });
    expect(await s2.codeNow()).toMatchObject({ code: generateTotp({ secret: SECRET, time: T0 }) });
    sim.fob(0).injectLinkFaults({ direction: 'out', dropBytes: 5 });
    expect(await s2.getStatus()).toMatchObject({ state: 'locked' });
    expect(retries.length).toBeGreaterThanOrEqual(2);
    expect(sim.fob(0).status().link).toMatchObject({ corruptedIn: 3, droppedOut: 5 });
    s.close();
    s2.close();
  });

  it('an unresponsive fob times out; it answers again when released', async () => {
    sim = await Simulator.start({ count: 1, rootPublicKey: factory.rootPublicKey, clock: new SimulationClock({ mode: 'manual', start: T0 }) });
    const s = await session(0, { timeoutMs: 50, retries: 0 });
    sim.fob(0).setUnresponsive(true);
    await expect(s.getStatus()).rejects.toMatchObject({ code: 'TIMEOUT' });
    sim.fob(0).setUnresponsive(false);
    expect(await s.getStatus()).toMatchObject({ state: 'blank' });
    s.close();
  });

  it('a power cut at the next flash write darkens the fob; after restart it holds the state before', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fobkit-sim-cut-'));
    dirs.push(dir);
    sim = await Simulator.start({ count: 1, stateDir: dir, rootPublicKey: factory.rootPublicKey, clock: new SimulationClock({ mode: 'manual', start: T0 }) });
    const s = await session(0, { timeoutMs: 50, retries: 0 });
    await s.setTime(T0);
    await s.beginSession(factory.station);
    sim.fob(0).cutPowerAtNextWrite({ phase: 'program', bytes: 64 });
    await expect(s.setSerial('FK00000013')).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(sim.fob(0).status()).toMatchObject({ powered: false });
    sim.fob(0).restart();
    expect(sim.fob(0).status()).toMatchObject({ powered: true, state: 'blank', flash: 'ok' });
    s.close();
  });

  it('the realistic timing model still holds a full conversation', async () => {
    sim = await Simulator.start({ count: 2, rootPublicKey: factory.rootPublicKey, clock: new SimulationClock({ mode: 'manual', start: T0 }), timing: true, driftPpm: 0 });
    const [a, b] = [await session(0), await session(1)];
    await Promise.all([provision(a, 'FK00000013'), provision(b, 'FK00000021')]);
    expect(await a.codeNow()).toMatchObject({ code: generateTotp({ secret: SECRET, time: T0 }) });
    a.close();
    b.close();
  });

  it('TCP: one station at a time; a new connection takes over as a fresh plug-in (the session is gone)', async () => {
    sim = await Simulator.start({ count: 1, transport: 'tcp', tcpPort: 0, rootPublicKey: factory.rootPublicKey, clock: new SimulationClock({ mode: 'manual', start: T0 }) });
    const port = Number(sim.fob(0).address.split(':').pop());
    const first = await tcpStation(port);
    await first.station.request(MessageType.SET_TIME, { time: T0 });
    expect((await first.station.openSession(factory.station)).ok).toBe(true);
    // A new connection takes over (one USB host): the old one is dropped and its session is gone.
    const firstClosed = new Promise<void>((resolve) => first.socket.once('close', () => resolve()));
    const again = await tcpStation(port);
    await firstClosed;
    const frame = again.station.awaitReply(77);
    again.socket.write(encodeFrame({ version: PROTOCOL_VERSION, flags: FrameFlags.SECURE, type: MessageType.GET_STATUS, requestId: 77, body: new Uint8Array(40) }));
    expect(again.station.decode(MessageType.GET_STATUS, await frame)).toMatchObject({ ok: false, error: { name: 'AUTH_REQUIRED' } });
    again.socket.destroy();
  });
});

async function tcpStation(port: number): Promise<{ socket: Socket; station: RawStation }> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', () => resolve()).once('error', reject));
  const station = new RawStation({ write: (b) => void socket.write(b), onData: (l) => void socket.on('data', (d: Buffer) => l(new Uint8Array(d))) });
  return { socket, station };
}
