/**
 * `npm run bench:sim`: a fleet of simulated fobs in one process on the in-memory transport.
 * Reports memory per fob (JS heap + ArrayBuffers after GC, booted and provisioned), how fast the fleet
 * boots and provisions (full handshake + SET_SERIAL + PROGRAM_SEED + LOCK through FobSession),
 * and codes per second across the fleet: CODE_NOW through FobSession and the wire (plaintext),
 * button presses, against bare generateTotp in the same run as the baseline (the ratio is the
 * price of the frame codec, the request queue and the model); and, with the realistic timing
 * model, one provisioning against twenty side by side (its delays are timers, so they overlap).
 * Information only; no bar.
 *
 * Options: `--count N` (default 1000), `--seconds S` per throughput phase (default 2), `--json`.
 */
import { parseArgs } from 'node:util';
import { FobSession } from '@fobkit/protocol/client';
import { generateTotp } from '@fobkit/protocol/otp';
import { SimulationClock, Simulator } from '@fobkit/firmware-sim';
import { createTestFactory } from '../firmware-sim/src/testing/testFactory.js';

const { values } = parseArgs({ options: { count: { type: 'string', default: '1000' }, seconds: { type: 'string', default: '2' }, json: { type: 'boolean', default: false } } });
const COUNT = Number(values.count);
const SECONDS = Number(values.seconds);
const T0 = 1_800_000_000;
const gc = (globalThis as { gc?: () => void }).gc;

function heapMb(): number {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  // Flash images and keys live in ArrayBuffers, outside the JS heap.
  return (m.heapUsed + m.arrayBuffers) / 1024 / 1024;
}

async function forSeconds(seconds: number, body: () => Promise<number> | number): Promise<{ ops: number; perSecond: number }> {
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  let ops = 0;
  while (performance.now() < end) ops += await body();
  return { ops, perSecond: ops / ((performance.now() - start) / 1000) };
}

const factory = createTestFactory(T0);
const clock = new SimulationClock({ mode: 'manual', start: T0 });
const heap0 = heapMb();
let t = performance.now();
const sim = await Simulator.start({ count: COUNT, rootPublicKey: factory.rootPublicKey, clock, seed: 'bench' });
const bootMs = performance.now() - t;
const heapBooted = heapMb();

const openSessions = () =>
  sim.fobs.map((f) => {
    const transport = f.stationTransport();
    void transport.open();
    return new FobSession({ transport, clock: () => clock.now() });
  });
let sessions = openSessions();
t = performance.now();
await Promise.all(
  sessions.map(async (s, i) => {
    const serial = `SIM${String(i).padStart(6, '0')}`;
    await s.hello();
    await s.setTime(T0);
    await s.beginSession(factory.station);
    await s.setSerial(serial);
    const secret = new Uint8Array(20).map((_, j) => (i * 31 + j) & 0xff);
    await s.programSeed({ secret, algorithm: 'sha1', digits: 6, period: 60, t0: 0 });
    secret.fill(0);
    await s.lock(serial);
    s.close();
  }),
);
const provisionMs = performance.now() - t;
const heapProvisioned = heapMb();
// Fresh stations without a session: CODE_NOW in the clear, as a QA rig reads codes.
sessions = openSessions();

const secret = new Uint8Array(20).fill(7);
const baseline = await forSeconds(SECONDS, () => {
  for (let i = 0; i < 1000; i++) generateTotp({ secret, time: T0 + i * 60 });
  return 1000;
});
const wire = await forSeconds(SECONDS, async () => {
  await Promise.all(sessions.map((s) => s.codeNow()));
  clock.advance(60);
  return sessions.length;
});
const presses = await forSeconds(SECONDS, () => {
  for (const f of sim.fobs) f.press();
  clock.advance(60);
  return sim.fobs.length;
});
const sample = sim.fob(0).status();

for (const s of sessions) s.close();
await sim.close();

// The realistic timing model: its delays are timers, so fobs provisioned side by side overlap.
async function realisticProvisioning(count: number): Promise<number> {
  const fleet = await Simulator.start({ count, rootPublicKey: factory.rootPublicKey, clock: new SimulationClock({ mode: 'manual', start: T0 }), timing: true });
  const started = performance.now();
  await Promise.all(
    fleet.fobs.map(async (f, i) => {
      const transport = f.stationTransport();
      await transport.open();
      const s = new FobSession({ transport, clock: () => T0, timeoutMs: 5000 });
      await s.setTime(T0);
      await s.beginSession(factory.station);
      await s.setSerial(`RT${i}`);
      await s.programSeed({ secret: new Uint8Array(20).fill(i + 1), algorithm: 'sha1', digits: 6, period: 60, t0: 0 });
      await s.lock(`RT${i}`);
      s.close();
    }),
  );
  const ms = performance.now() - started;
  await fleet.close();
  return ms;
}
const realisticOne = await realisticProvisioning(1);
const realisticTwenty = await realisticProvisioning(20);

const result = {
  fobs: COUNT,
  gcExposed: gc !== undefined,
  bootSeconds: bootMs / 1000,
  memoryPerFobKiB: { booted: ((heapBooted - heap0) * 1024) / COUNT, provisioned: ((heapProvisioned - heap0) * 1024) / COUNT },
  provisioningsPerSecond: COUNT / (provisionMs / 1000),
  codesPerSecond: { baselineGenerateTotp: baseline.perSecond, codeNowOverWire: wire.perSecond, buttonPresses: presses.perSecond },
  ratioToBaseline: { codeNowOverWire: wire.perSecond / baseline.perSecond, buttonPresses: presses.perSecond / baseline.perSecond },
  realisticProvisioningSeconds: { oneFob: realisticOne / 1000, twentyFobsInParallel: realisticTwenty / 1000, overlap: (20 * realisticOne) / realisticTwenty },
  sampleFob: { state: sample.state, presses: sample.presses, batteryPct: sample.batteryPct, trueOffset: sample.trueOffset },
};

if (values.json) {
  console.log(JSON.stringify(result));
} else {
  const f = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  console.log(`bench:sim: ${COUNT} fobs in one process, in-memory transport${gc ? '' : ' (run with --expose-gc for exact memory)'}`);
  console.log(`  boot                  ${f(result.bootSeconds, 2)} s (X25519 key pair + first flash record per fob)`);
  console.log(`  memory per fob        ${f(result.memoryPerFobKiB.booted, 1)} KiB booted, ${f(result.memoryPerFobKiB.provisioned, 1)} KiB provisioned and locked`);
  console.log(`  provisioning          ${f(result.provisioningsPerSecond, 1)} fobs/s (handshake, SET_SERIAL, PROGRAM_SEED, LOCK via FobSession)`);
  console.log(`  codes/s, fleet-wide   ${f(wire.perSecond)} CODE_NOW over the wire · ${f(presses.perSecond)} button presses`);
  console.log(`  baseline              ${f(baseline.perSecond)} bare generateTotp/s (same run)`);
  console.log(`  ratio to baseline     ${f(result.ratioToBaseline.codeNowOverWire, 3)} wire · ${f(result.ratioToBaseline.buttonPresses, 3)} press`);
  console.log(`  --realistic           ${f(realisticOne / 1000, 2)} s to provision one fob, ${f(realisticTwenty / 1000, 2)} s for 20 side by side (${f(result.realisticProvisioningSeconds.overlap, 1)}× overlap)`);
}
