/**
 * The clock guard end to end (protocol/SPEC.md "Clock guard"): simulated fobs on real ptys, a
 * real `fobkit-backend serve` and `fobkit` as a child process. A locked fob corrects drift only;
 * when `fobkit inspect --fix clock` needs more, the fob refuses with TIME_JUMP, nothing changes,
 * and the station says the fob needs a wipe and a new provisioning (exit 1), which then works.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeviceError } from '@fobkit/protocol';
import { FobSession } from '@fobkit/protocol/client';
import { WireErrorCode } from '@fobkit/protocol/wire';
import { Simulator } from '../firmware-sim/src/simulator.js';
import { SerialPortTransport } from '../provisioner/src/transport/serialPortTransport.js';
import { loadStationCredentials } from '../provisioner/src/keys/loadStationCredentials.js';
import { makeStationKeys, startBackendProcess, type BackendProcess, type StationKeys } from './provision-harness.js';
import { fobkit, provisionFob, type ProvisionedFob } from './support-rig.js';

const dir = mkdtempSync(join(tmpdir(), 'fobkit-clockguard-'));
const DAY = 86_400;
let sim: Simulator;
let backend: BackendProcess;
let keys: StationKeys;
let env: Record<string, string>;
const FOBS = ['far', 'lost', 'attack'] as const;
const fobs: Partial<Record<(typeof FOBS)[number], ProvisionedFob>> = {};
const port = (name: (typeof FOBS)[number]): string => sim.fob(FOBS.indexOf(name)).address;
const simFob = (name: (typeof FOBS)[number]) => sim.fob(FOBS.indexOf(name));

/** A FobSession on the fob's pty for the length of `fn`. */
async function onFob<T>(name: (typeof FOBS)[number], fn: (fob: FobSession) => Promise<T>): Promise<T> {
  const transport = new SerialPortTransport({ path: port(name) });
  await transport.open();
  const fob = new FobSession({ transport, timeoutMs: 3000 });
  try {
    await fob.hello();
    return await fn(fob);
  } finally {
    fob.close();
    await transport.close();
  }
}

beforeAll(async () => {
  execFileSync('socat', ['-V'], { stdio: 'ignore' });
  keys = makeStationKeys(join(dir, 'keys'));
  backend = await startBackendProcess(join(dir, 'backend'));
  sim = await Simulator.start({ count: FOBS.length, transport: 'pty', ptyDir: join(dir, 'pty'), rootPublicKey: keys.rootPublicKey, driftPpm: 0 });
  env = { FOBKIT_BACKEND_URL: backend.url, FOBKIT_API_KEY: backend.keys.support };
  fobs.far = await provisionFob(port('far'), keys.stationKeyFile, backend, { user: 'farah' });
  fobs.attack = await provisionFob(port('attack'), keys.stationKeyFile, backend);
  // Locked with its clock 40 days ahead (a station with a wrong clock), then its battery ran flat:
  // the fob knows true time was past its clock then, and will not be set 40 days before that.
  fobs.lost = await provisionFob(port('lost'), keys.stationKeyFile, backend, { lock: false });
  const credentials = loadStationCredentials({ stationKey: keys.stationKeyFile });
  await onFob('lost', async (fob) => {
    await fob.setTime(Date.now() / 1000 + 40 * DAY);
    await fob.beginSession(credentials);
    await fob.lock(fobs.lost!.serial);
  });
  credentials.privateKey.fill(0);
  simFob('lost').drainBattery(0);
  simFob('lost').replaceBattery();
  // An hour of "drift" no crystal makes in minutes: beyond the guard's 120 s margin.
  simFob('far').shiftClock(3600);
}, 120_000);

afterAll(async () => {
  await sim?.close();
  await backend?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a certified station cannot move a locked fob into the future', () => {
  it('SET_TIME a day ahead is refused with TIME_JUMP over the pty, and the fob keeps its time', async () => {
    const credentials = loadStationCredentials({ stationKey: keys.stationKeyFile });
    const before = simFob('attack').status().time;
    const err = await onFob('attack', async (fob) => {
      await fob.beginSession(credentials);
      return fob.setTime(Date.now() / 1000 + DAY).catch((e: unknown) => e);
    });
    credentials.privateKey.fill(0);
    expect(err).toBeInstanceOf(DeviceError);
    expect(err).toMatchObject({ deviceCode: WireErrorCode.TIME_JUMP, deviceName: 'TIME_JUMP', deviceMessage: expect.stringMatching(/^time-jump: /) });
    expect(Math.abs(simFob('attack').status().time - before)).toBeLessThan(60);
  });
});

describe('fobkit inspect --fix clock beyond the guard', () => {
  it('a drifted clock beyond the bound: exit 1, fix TIME_JUMP, next says wipe and provision again; the clock is unchanged', async () => {
    const r = await fobkit(['inspect', '--port', port('far'), '--fix', 'clock', '--station-key', keys.stationKeyFile, '--json'], env);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.json).toMatchObject({ ok: false, verdict: 'clock-drifted', fix: { kind: 'clock', ok: false, code: 'TIME_JUMP' } });
    expect(String(r.json!['next'])).toMatch(/wipe it and provision it again: fobkit wipe --port … --serial FK\d{8} --yes, then fobkit provision/);
    expect(String(r.json!['summary'])).toMatch(/the fob refused the correction \(TIME_JUMP/);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(simFob('far').status().trueOffset).toBeGreaterThan(3500);
    const text = await fobkit(['inspect', '--port', port('far'), '--fix', 'clock', '--station-key', keys.stationKeyFile], env);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/next\s+wipe it and provision it again/);
  });

  it('a lost clock whose last known time is 40 days ahead of now: exit 1 with the same advice; after fobkit wipe the clock can be set', async () => {
    const serial = fobs.lost!.serial;
    const r = await fobkit(['inspect', '--port', port('lost'), '--fix', 'clock', '--station-key', keys.stationKeyFile, '--json'], env);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.json).toMatchObject({ ok: false, verdict: 'clock-lost', fix: { kind: 'clock', ok: false, code: 'TIME_JUMP' } });
    expect(String(r.json!['next'])).toContain(`--serial ${serial} --yes, then fobkit provision`);
    expect(simFob('lost').status().timeValid).toBe(false);
    const wiped = await fobkit(['wipe', '--port', port('lost'), '--serial', serial, '--station-key', keys.stationKeyFile, '--yes', '--json'], env);
    expect(wiped.code, wiped.stderr).toBe(0);
    const now = Date.now() / 1000;
    await onFob('lost', (fob) => fob.setTime(now));
    expect(simFob('lost').status()).toMatchObject({ state: 'serialised', timeValid: true });
  });
});
