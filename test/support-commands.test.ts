/**
 * The support journey end to end: `fobkit inspect`, `check`, `resync`, `assign`, `unbind` and
 * `wipe` as child processes, against a real `fobkit-backend serve` process and simulated fobs
 * on real ptys. Every verdict of `inspect` comes from a fob set up to deserve it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { totpStep, generateHotp } from '@fobkit/protocol/otp';
import { formatSerial } from '@fobkit/protocol/serial';
import { FobSession } from '@fobkit/protocol/client';
import { Simulator } from '../firmware-sim/src/simulator.js';
import { SerialPortTransport } from '../provisioner/src/transport/serialPortTransport.js';
import { loadStationCredentials } from '../provisioner/src/keys/loadStationCredentials.js';
import { SupportClient } from '../provisioner/src/backendApi/supportClient.js';
import { inspectFob } from '../provisioner/src/support/inspectFob.js';
import { makeStationKeys, startBackendProcess, type BackendProcess, type StationKeys } from './provision-harness.js';
import { BAD_SERIAL, fobkit, provisionFob, type ProvisionedFob } from './support-rig.js';

const dir = mkdtempSync(join(tmpdir(), 'fobkit-support-'));
let sim: Simulator;
let backend: BackendProcess;
let keys: StationKeys;
let env: Record<string, string>;
const fobs: Record<string, ProvisionedFob> = {};
const FOBS = ['ok', 'drifted', 'mismatch', 'unregistered', 'revoked', 'quarantined', 'battery', 'blank', 'clockLost', 'disabled', 'wipe', 'helpdesk', 'fixClock'] as const;
const port = (name: (typeof FOBS)[number]): string => sim.fob(FOBS.indexOf(name)).address;
const simFob = (name: (typeof FOBS)[number]) => sim.fob(FOBS.indexOf(name));

function codeOnFob(name: (typeof FOBS)[number], shiftSteps = 0): string {
  const f = fobs[name]!;
  const t = simFob(name).status().time;
  return generateHotp({ secret: f.seed, counter: totpStep({ time: t, period: f.period }) + shiftSteps });
}

beforeAll(async () => {
  execFileSync('socat', ['-V'], { stdio: 'ignore' });
  keys = makeStationKeys(join(dir, 'keys'));
  backend = await startBackendProcess(join(dir, 'backend'));
  sim = await Simulator.start({ count: FOBS.length, transport: 'pty', ptyDir: join(dir, 'pty'), rootPublicKey: keys.rootPublicKey, driftPpm: 0 });
  env = { FOBKIT_BACKEND_URL: backend.url, FOBKIT_API_KEY: backend.keys.support };
  const p = (name: (typeof FOBS)[number], o: Parameters<typeof provisionFob>[3] = {}) => provisionFob(port(name), keys.stationKeyFile, backend, o).then((f) => (fobs[name] = f));
  await p('ok', { user: 'alice' });
  await p('drifted', { user: 'dan' });
  await p('mismatch', { register: 'other' });
  await p('unregistered', { register: 'none' });
  await p('revoked');
  await p('quarantined', { user: 'quentin' });
  await p('battery', { user: 'bea' });
  await p('clockLost');
  await p('disabled', { user: 'dora' });
  await p('wipe');
  await p('helpdesk', { user: 'bob' });
  await p('fixClock', { user: 'fiona', period: 10 });
  await backend.call('support', 'POST', `/v1/tokens/${fobs.revoked!.serial}/revoke`, { reason: 'stolen' });
  await backend.call('support', 'POST', `/v1/tokens/${fobs.quarantined!.serial}/unbind`, { reason: 'returned' });
  await backend.call('support', 'POST', `/v1/tokens/${fobs.disabled!.serial}/disable`, { reason: 'left the company' });
  simFob('battery').drainBattery(5);
  simFob('clockLost').drainBattery(0);
  simFob('clockLost').replaceBattery();
}, 120_000);

afterAll(async () => {
  await sim?.close();
  await backend?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function inspect(name: (typeof FOBS)[number], extra: string[] = []) {
  const r = await fobkit(['inspect', '--port', port(name), '--json', ...extra], env);
  return { ...r, report: r.json as { ok: boolean; verdict: string; summary: string; next: string; fix?: { ok: boolean }; record: { state: string } | null; code: { ok?: boolean } } };
}

describe('fobkit inspect: one verdict per fob', () => {
  it('OK: a working fob that matches the backend (exit 0), also as text', async () => {
    const r = await inspect('ok');
    expect(r.code, r.stderr).toBe(0);
    expect(r.report).toMatchObject({ ok: true, verdict: 'ok', code: { ok: true } });
    const text = await fobkit(['inspect', '--port', port('ok')], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`fob\\s+${fobs.ok!.serial}`));
    expect(text.stdout).toMatch(/verdict\s+OK: the fob works/);
    expect(text.stdout).toMatch(/next\s+nothing to do: it is alice's fob/);
  });

  it('clock drifted: verdict with offset, then --fix server resyncs the backend and the fob logs in again', async () => {
    const now = Date.now() / 1000;
    // +5 min, and near the end of a step when inspect reads it, so the fix waits seconds, not a minute.
    const extra = (((51 - ((now + 300) % 60)) % 60) + 60) % 60;
    simFob('drifted').shiftClock(300 + extra);
    const r = await inspect('drifted');
    expect(r.code).toBe(1);
    expect(r.report.verdict).toBe('clock-drifted');
    expect(r.report.summary).toMatch(/clock drifted by \+3\d\d s/);
    expect(r.report.next).toMatch(/--fix server/);
    const login = await backend.call<{ ok: boolean }>('validator', 'POST', '/v1/validate', { user: 'dan', code: codeOnFob('drifted') });
    expect(login.body.ok).toBe(false);
    const fixed = await inspect('drifted', ['--fix', 'server']);
    expect(fixed.code, fixed.stdout + fixed.stderr).toBe(0);
    expect(fixed.report.fix).toMatchObject({ ok: true });
    const after = await backend.call<{ ok: boolean }>('validator', 'POST', '/v1/validate', { user: 'dan', code: codeOnFob('drifted', 1) });
    expect(after.body.ok).toBe(true);
  }, 120_000);

  it('seed mismatch: the backend holds another seed (defective, RMA)', async () => {
    const r = await inspect('mismatch');
    expect(r.code).toBe(1);
    expect(r.report).toMatchObject({ verdict: 'seed-mismatch', code: { ok: false } });
    expect(r.report.next).toMatch(/RMA/);
  });

  it('not registered: the backend has no record of the serial', async () => {
    const r = await inspect('unregistered');
    expect(r.code).toBe(1);
    expect(r.report.verdict).toBe('not-registered');
    expect(r.report.next).toMatch(/outbox/);
  });

  it('revoked', async () => {
    const r = await inspect('revoked');
    expect(r.code).toBe(1);
    expect(r.report.verdict).toBe('revoked');
  });

  it('quarantined, and --release returns it to stock when its code matches', async () => {
    const r = await inspect('quarantined');
    expect(r.code).toBe(1);
    expect(r.report.verdict).toBe('quarantined');
    expect(r.report.summary).toMatch(/returned/);
    const released = await inspect('quarantined', ['--release']);
    expect(released.code).toBe(0);
    expect(released.report.record?.state).toBe('available');
  });

  it('battery low, with the days left', async () => {
    const r = await inspect('battery');
    expect(r.code).toBe(1);
    expect(r.report.verdict).toBe('battery-low');
    expect(r.report.summary).toMatch(/battery low: 5 %/);
  });

  it('not programmed: a blank fob', async () => {
    const r = await inspect('blank');
    expect(r.code).toBe(1);
    expect(r.report.verdict).toBe('not-programmed');
  });

  it('clock lost: the battery ran flat and was replaced', async () => {
    const r = await inspect('clockLost');
    expect(r.code).toBe(1);
    expect(r.report.verdict).toBe('clock-lost');
    expect(r.report.next).toMatch(/--fix clock/);
    const fixed = await inspect('clockLost', ['--fix', 'clock', '--station-key', keys.stationKeyFile]);
    expect(fixed.code, fixed.stdout + fixed.stderr).toBe(0);
    expect(fixed.report).toMatchObject({ ok: true, verdict: 'ok', fix: { kind: 'clock', ok: true }, code: { ok: true } });
    expect(simFob('clockLost').status().timeValid).toBe(true);
  });

  it('disabled on the backend', async () => {
    const r = await inspect('disabled');
    expect(r.code).toBe(1);
    expect(r.report.verdict).toBe('disabled');
  });

  it('--fix clock sets the fob clock in a station session and resyncs (library call)', async () => {
    // Within the clock guard's 120 s margin (SPEC.md "Clock guard"): a bigger jump needs a wipe (support-clock-guard.test.ts).
    simFob('fixClock').shiftClock(-100);
    const credentials = loadStationCredentials({ stationKey: keys.stationKeyFile });
    const transport = new SerialPortTransport({ path: port('fixClock') });
    await transport.open();
    const fob = new FobSession({ transport });
    try {
      const report = await inspectFob({ fob, backend: new SupportClient({ baseUrl: backend.url, apiKey: backend.keys.support }), fix: 'clock', station: credentials });
      expect(report.fix).toMatchObject({ kind: 'clock', ok: true });
      expect(report.ok).toBe(true);
    } finally {
      fob.close();
      await transport.close();
    }
    expect(Math.abs(simFob('fixClock').status().trueOffset ?? Infinity)).toBeLessThan(2);
    const login = await backend.call<{ ok: boolean }>('validator', 'POST', '/v1/validate', { user: 'fiona', code: codeOnFob('fixClock', 1) });
    expect(login.body.ok).toBe(true);
  }, 60_000);

  it('--fix clock without a station key is a usage error (exit 2)', async () => {
    const r = await fobkit(['inspect', '--port', port('ok'), '--fix', 'clock'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\[NO_STATION_KEY\]/);
  });

  it('a port that does not exist: exit 3', async () => {
    const r = await fobkit(['inspect', '--port', join(dir, 'no-such-port')], env);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/\[PORT_UNAVAILABLE\]/);
  });
});

describe('fobkit check, resync, assign, unbind', () => {
  it('check: a matching code exits 0 with its offset, a wrong one 1', async () => {
    const code = codeOnFob('helpdesk');
    const r = await fobkit(['check', fobs.helpdesk!.serial, code, '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ ok: true, offsetSteps: 0, state: 'assigned' });
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    const bad = await fobkit(['check', fobs.helpdesk!.serial, wrong], env);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/does NOT match/);
  });

  it('a serial with a bad check digit is refused before anything is sent (exit 2 even with no backend)', async () => {
    for (const args of [['check', BAD_SERIAL, '123456'], ['unbind', BAD_SERIAL, '--reason', 'lost']]) {
      const r = await fobkit(args, { FOBKIT_BACKEND_URL: 'http://127.0.0.1:9', FOBKIT_API_KEY: 'none' });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/\[INVALID_SERIAL\].*check digit/);
    }
  });

  it('check with two codes finds a drifted clock; resync fixes it, and the same pair again is refused', async () => {
    simFob('helpdesk').shiftClock(600);
    // Both codes read at once (a user would wait for the second): the resync anchors on the
    // second, one step ahead of the fob, so the next login uses the step after it.
    const s0 = totpStep({ time: simFob('helpdesk').status().time, period: 60 });
    const at = (step: number) => generateHotp({ secret: fobs.helpdesk!.seed, counter: step });
    const [c1, c2] = [at(s0), at(s0 + 1)];
    const chk = await fobkit(['check', fobs.helpdesk!.serial, c1, c2, '--json'], env);
    expect(chk.code).toBe(0);
    expect(chk.json).toMatchObject({ ok: true, consecutive: true, drifted: true });
    expect(chk.json!['offsetSteps'] as number).toBeGreaterThanOrEqual(9);
    expect(String(chk.json!['next'])).toMatch(/fobkit resync/);
    const rs = await fobkit(['resync', fobs.helpdesk!.serial, c1, c2], env);
    expect(rs.code, rs.stderr).toBe(0);
    expect(rs.stdout).toMatch(/resynced; the backend now expects the fob's clock \+6\d\d s/);
    const login = await backend.call<{ ok: boolean }>('validator', 'POST', '/v1/validate', { user: 'bob', code: at(s0 + 2) });
    expect(login.body.ok).toBe(true);
    const again = await fobkit(['resync', fobs.helpdesk!.serial, c1, c2], env);
    expect(again.code).toBe(1);
  });

  it('unbind (the lost-fob FAQ): codes refused at once; reassigning needs a check first', async () => {
    const serial = fobs.helpdesk!.serial;
    const u = await fobkit(['unbind', serial, '--reason', 'lost on the train', '--yes'], env);
    expect(u.code, u.stderr).toBe(0);
    expect(u.stdout).toBe(`${serial}: unbound from bob (lost on the train); now quarantined: its codes are refused\n`);
    const login = await backend.call<{ ok: boolean; reason: string }>('validator', 'POST', '/v1/validate', { user: 'bob', code: codeOnFob('helpdesk', 3) });
    expect(login.body).toMatchObject({ ok: false });
    const early = await fobkit(['assign', serial, 'carol'], env);
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(/quarantined/);
    const chk = await fobkit(['check', serial, codeOnFob('helpdesk'), '--json'], env);
    expect(chk.json).toMatchObject({ ok: true, state: 'available' });
    const a = await fobkit(['assign', serial, 'carol', '--json'], env);
    expect(a.code).toBe(0);
    expect(a.json).toMatchObject({ ok: true, serial, state: 'assigned', user: 'carol' });
    const unknown = await fobkit(['unbind', formatSerial(9_000_001), '--reason', 'lost', '--yes'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/\[NOT_REGISTERED\]/);
  });

  it('the backend has no test clock unless served with --test-clock', async () => {
    expect((await backend.call('admin', 'GET', '/v1/test/clock')).status).toBe(404);
    expect((await backend.call('admin', 'POST', '/v1/test/clock', { advance: 60 })).status).toBe(404);
  });

  it('an unreachable backend exits 3; a missing API key exits 2', async () => {
    const r = await fobkit(['check', 'FK00000013', '123456'], { FOBKIT_BACKEND_URL: 'http://127.0.0.1:9', FOBKIT_API_KEY: 'x' });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/\[BACKEND_UNREACHABLE\]/);
    const k = await fobkit(['check', 'FK00000013', '123456'], { FOBKIT_BACKEND_URL: backend.url });
    expect(k.code).toBe(2);
    expect(k.stderr).toMatch(/no API key/);
  });
});

describe('fobkit wipe', () => {
  it('refuses without --yes (2) and on another fob (1); wipes the right one with the station key (0)', async () => {
    const serial = fobs.wipe!.serial;
    const noYes = await fobkit(['wipe', '--port', port('wipe'), '--serial', serial, '--station-key', keys.stationKeyFile]);
    expect(noYes.code).toBe(2);
    expect(noYes.stderr).toMatch(/--yes/);
    const other = await fobkit(['wipe', '--port', port('wipe'), '--serial', fobs.ok!.serial, '--station-key', keys.stationKeyFile, '--yes']);
    expect(other.code).toBe(1);
    expect(other.stdout).toMatch(new RegExp(`is ${serial}, not ${fobs.ok!.serial}`));
    expect(simFob('wipe').status().state).toBe('locked');
    const rogue = await fobkit(['wipe', '--port', port('wipe'), '--serial', serial, '--station-key', keys.rogueKeyFile, '--yes']);
    expect(rogue.code).toBe(3);
    expect(simFob('wipe').status().state).toBe('locked');
    const ok = await fobkit(['wipe', '--port', port('wipe'), '--serial', serial, '--station-key', keys.stationKeyFile, '--yes', '--revoke', '--json'], env);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.json).toMatchObject({ ok: true, serial, state: 'serialised', wipes: 1, revoked: true });
    expect(simFob('wipe').status().state).toBe('serialised');
    const after = await inspect('wipe');
    expect(after.report.verdict).toBe('not-programmed');
  });
});
