/**
 * `inspectFob` over months, where real time cannot go: a simulated fob on a manual clock (over
 * the simulator's memory link) and a backend whose clock moves with it. A +20 ppm fob left in a
 * drawer for 90 days gets the verdict "clock drifted … ≈ +20 ppm since provisioning", and
 * `fix: 'server'` (its wait for the next code moving both clocks) makes its codes work again; a
 * clock that jumped minutes after provisioning is called a jump, not drift.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { FobSession } from '@fobkit/protocol/client';
import { Simulator, SimulationClock, MemoryStationTransport, MemoryFobLink } from '@fobkit/firmware-sim';
import { createTestFactory } from '../firmware-sim/src/testing/testFactory.js';
import { createTestDatabase, registerFob, startTestBackend, testClock, type TestBackend } from '../backend/src/testing/harness.js';
import { SupportClient } from '../provisioner/src/backendApi/supportClient.js';
import { inspectFob } from '../provisioner/src/support/inspectFob.js';

const T0 = 1_800_000_030;
const factory = createTestFactory(T0);
let sim: Simulator;
let t: TestBackend;

beforeAll(async () => {
  t = await startTestBackend({ db: await createTestDatabase('sqlite'), clock: testClock(T0) });
  sim = await Simulator.start({ count: 2, transport: 'memory', rootPublicKey: factory.rootPublicKey, clock: new SimulationClock({ mode: 'manual', start: T0 }), driftPpm: 0 });
});

afterAll(async () => {
  await sim?.close();
  await t?.close();
  await t?.db.cleanup();
});

async function withFob<T>(index: number, fn: (fob: FobSession) => Promise<T>): Promise<T> {
  const transport = new MemoryStationTransport(sim.fob(index).link as MemoryFobLink);
  await transport.open();
  const fob = new FobSession({ transport, clock: () => sim.now() });
  try {
    return await fn(fob);
  } finally {
    fob.close();
    await transport.close();
  }
}

async function provision(index: number, user: string): Promise<string> {
  const seed = new Uint8Array(randomBytes(20));
  const { serial } = await registerFob(t, { seed, user, provisionedAt: sim.now() });
  await withFob(index, async (fob) => {
    await fob.hello();
    await fob.setTime(sim.now());
    await fob.beginSession(factory.station);
    await fob.setSerial(serial);
    await fob.programSeed({ secret: seed, algorithm: 'sha1', digits: 6, period: 60, t0: 0 });
    await fob.lock(serial);
  });
  return serial;
}

const both = (seconds: number): void => {
  sim.advanceTime(seconds);
  t.clock.advance(seconds);
};

describe('inspectFob over simulated months', () => {
  it('a +20 ppm fob after 90 days: drifted ≈ +20 ppm, fixed on the server, logs in again', async () => {
    await provision(0, 'drawer.user');
    sim.fob(0).setDrift(20);
    both(90 * 86_400);
    const support = new SupportClient({ baseUrl: t.url, apiKey: t.keys.support });
    const before = await withFob(0, (fob) => inspectFob({ fob, backend: support, clock: () => sim.now() }));
    expect(before.verdict).toBe('clock-drifted');
    expect(before.summary).toMatch(/^clock drifted by \+156 s \(≈ \+20\.0 ppm since provisioning 90 days ago\); the backend expects \+0 s$/);
    const refused = await t.call<{ ok: boolean }>('validator', 'POST', '/v1/validate', { user: 'drawer.user', code: sim.fob(0).press().text });
    expect(refused.body.ok).toBe(false);
    const after = await withFob(0, (fob) => inspectFob({ fob, backend: support, clock: () => sim.now(), fix: 'server', sleep: async (ms) => both(ms / 1000) }));
    expect(after).toMatchObject({ ok: true, verdict: 'clock-drifted', fix: { kind: 'server', ok: true } });
    both(60);
    const login = await t.call<{ ok: boolean }>('validator', 'POST', '/v1/validate', { user: 'drawer.user', code: sim.fob(0).press().text });
    expect(login.body.ok).toBe(true);
  });

  it('a clock that jumped minutes after provisioning is called a jump, not drift', async () => {
    await provision(1, 'jump.user');
    sim.fob(1).shiftClock(300);
    both(600);
    const r = await withFob(1, (fob) => inspectFob({ fob, backend: new SupportClient({ baseUrl: t.url, apiKey: t.keys.support }), clock: () => sim.now() }));
    expect(r.verdict).toBe('clock-drifted');
    expect(r.summary).toMatch(/a jump, not crystal drift: provisioned 10 min ago/);
  });
});
