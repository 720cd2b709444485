/**
 * Scale: one process holds 1,000 fobs on the in-memory transport, each with its own device key
 * and crystal, each answering a station; a sample of them is provisioned and shows its code.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { FobSession } from '@fobkit/protocol/client';
import { generateTotp } from '@fobkit/protocol/otp';
import { SimulationClock } from '../firmware-sim/src/clock/simulationClock.js';
import { Simulator } from '../firmware-sim/src/simulator.js';
import { createTestFactory } from '../firmware-sim/src/testing/testFactory.js';

const T0 = 1_800_000_000;
const factory = createTestFactory(T0);
let sim: Simulator | null = null;
afterAll(async () => sim?.close());

describe('a fleet of 1,000 fobs in one process', () => {
  it('boots 1,000 fobs that all answer HELLO with their own key, and provisions a sample', async () => {
    sim = await Simulator.start({ count: 1000, rootPublicKey: factory.rootPublicKey, clock: new SimulationClock({ mode: 'manual', start: T0 }), seed: 'fleet' });
    const sessions = await Promise.all(
      sim.fobs.map(async (f) => {
        const t = f.stationTransport();
        await t.open();
        return new FobSession({ transport: t, clock: () => sim!.now() });
      }),
    );
    const hellos = await Promise.all(sessions.map((s) => s.hello()));
    expect(hellos.every((h) => h.state === 'blank')).toBe(true);
    expect(new Set(hellos.map((h) => Buffer.from(h.pub).toString('hex'))).size).toBe(1000);
    expect(new Set(sim.fobs.map((f) => f.status().driftPpm)).size).toBeGreaterThan(900);

    const sample = [0, 499, 999];
    await Promise.all(
      sample.map(async (i) => {
        const s = sessions[i]!;
        const secret = new Uint8Array(20).fill(i & 0xff);
        await s.setTime(T0);
        await s.beginSession(factory.station);
        await s.setSerial(`SIM${i}`);
        await s.programSeed({ secret: secret.slice(), algorithm: 'sha1', digits: 6, period: 60, t0: 0 });
        await s.lock(`SIM${i}`);
        expect(sim!.fob(i).press().text).toBe(generateTotp({ secret, time: T0 }));
      }),
    );
    for (const s of sessions) s.close();
  }, 60_000);
});
