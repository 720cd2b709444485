/**
 * The clock fixes of `fobkit inspect` end in OK (issue 17.1, 17.2), through the real CLI, a
 * real `fobkit-backend serve` process and simulated fobs on real ptys (10-second steps, so a
 * fix waits seconds for the fob's next code, not a minute):
 * - a fob that ran ahead and was used, then `--fix clock`: the resync is accepted (it used to
 *   be "replayed", and the user locked out until the fob's clock passed its last login again),
 *   the next code validates at once, the code already used stays refused, and `fobkit check`
 *   says so instead of "the user should be able to log in";
 * - `--fix server` and `--fix clock`, on a fob ahead and on one behind: an inspect right after
 *   says OK and exits 0 (it used to say "expects +37 s" and propose the same fix again);
 * - the fix's wait is shown: a progress event before the report with --json, a countdown line
 *   on a terminal (a real pty, through script(1)).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateHotp, totpStep } from '@fobkit/protocol/otp';
import { Simulator } from '../firmware-sim/src/simulator.js';
import { makeStationKeys, startBackendProcess, type BackendProcess, type StationKeys } from './provision-harness.js';
import { fobkit, onTerminal, provisionFob, type ProvisionedFob } from './support-rig.js';

const dir = mkdtempSync(join(tmpdir(), 'fobkit-clockfix-'));
const FOBS = ['usedAhead', 'serverAhead', 'serverBehind', 'clockAhead', 'clockBehind', 'terminal'] as const;
type Name = (typeof FOBS)[number];
let sim: Simulator;
let backend: BackendProcess;
let keys: StationKeys;
let env: Record<string, string>;
const fobs: Partial<Record<Name, ProvisionedFob & { user: string }>> = {};
const simFob = (name: Name) => sim.fob(FOBS.indexOf(name));

function codeOnFob(name: Name, shiftSteps = 0): string {
  const f = fobs[name]!;
  return generateHotp({ secret: f.seed, counter: totpStep({ time: simFob(name).status().time, period: f.period }) + shiftSteps });
}

const validate = async (name: Name, code: string) =>
  (await backend.call<{ ok: boolean; reason?: string }>('validator', 'POST', '/v1/validate', { user: fobs[name]!.user, code })).body;

interface Report { ok: boolean; verdict: string; summary: string; fix?: { ok: boolean; kind: string; detail: string }; drift: { backendExpectsSeconds?: number } }

async function inspect(name: Name, extra: string[] = []) {
  const r = await fobkit(['inspect', '--port', simFob(name).address, '--json', ...extra], env);
  return { ...r, report: r.json as unknown as Report };
}

const fixClock = ['--fix', 'clock', '--station-key', () => keys.stationKeyFile] as const;
const withKey = (args: readonly (string | (() => string))[]): string[] => args.map((a) => (typeof a === 'function' ? a() : a));

beforeAll(async () => {
  execFileSync('socat', ['-V'], { stdio: 'ignore' });
  keys = makeStationKeys(join(dir, 'keys'));
  backend = await startBackendProcess(join(dir, 'backend'));
  sim = await Simulator.start({ count: FOBS.length, transport: 'pty', ptyDir: join(dir, 'pty'), rootPublicKey: keys.rootPublicKey, driftPpm: 0 });
  env = { FOBKIT_BACKEND_URL: backend.url, FOBKIT_API_KEY: backend.keys.support };
  for (const name of FOBS) {
    const user = `clockfix.${name}`;
    fobs[name] = { user, ...(await provisionFob(simFob(name).address, keys.stationKeyFile, backend, { user, period: 10 })) };
  }
}, 120_000);

afterAll(async () => {
  await sim?.close();
  await backend?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a fob used while running ahead, then --fix clock (17.1)', () => {
  it('the resync is accepted, the next code validates at once, the used code stays refused', async () => {
    // 100 s ahead (10 steps; inside the 120 s a station may correct on a locked fob, SPEC.md
    // "Clock guard"): the backend follows it, and the user logs in.
    simFob('usedAhead').shiftClock(100);
    const follow = await inspect('usedAhead', ['--fix', 'server']);
    expect(follow.code, follow.stdout + follow.stderr).toBe(0);
    // (The fix's resync consumed the code on display; the user logs in with the next one.)
    const used = codeOnFob('usedAhead', 1);
    expect(await validate('usedAhead', used)).toMatchObject({ ok: true });

    const fixed = await inspect('usedAhead', withKey(fixClock));
    expect(fixed.code, fixed.stdout + fixed.stderr).toBe(0);
    expect(fixed.report.fix).toMatchObject({ kind: 'clock', ok: true });
    expect(fixed.report.fix!.detail).toMatch(/fob clock reset \(was \+10\d s off\); the backend now expects the fob's clock [+−][01] s off/);
    expect(Math.abs(simFob('usedAhead').status().trueOffset ?? Infinity)).toBeLessThan(2);

    const again = await inspect('usedAhead');
    expect(again.code, again.stdout).toBe(0);
    expect(again.report.verdict).toBe('ok');
    // (A code for the fob's next step, typed before the fob shows it: "at once".)
    expect(await validate('usedAhead', codeOnFob('usedAhead', 1))).toMatchObject({ ok: true });
    expect(await validate('usedAhead', used)).toMatchObject({ ok: false });

    const chk = await fobkit(['check', fobs.usedAhead!.serial, used, '--json'], env);
    expect(chk.json).toMatchObject({ ok: true, login: 'used' });
    expect(String(chk.json!['next'])).toMatch(/already used/);
    expect(String(chk.json!['next'])).not.toMatch(/should be able to log in/);
  }, 120_000);
});

describe('a fix is followed by an inspect that says OK (17.2)', () => {
  const cases: [Name, number, readonly (string | (() => string))[]][] = [
    ['serverAhead', 40, ['--fix', 'server']],
    ['serverBehind', -40, ['--fix', 'server']],
    ['clockAhead', 40, fixClock],
    ['clockBehind', -40, fixClock],
  ];
  it.each(cases)('%s (%i s): fixed, then OK with exit 0', async (name, shift, fix) => {
    simFob(name).shiftClock(shift);
    const before = await inspect(name);
    expect(before.code).toBe(1);
    expect(before.report.verdict).toBe('clock-drifted');
    const fixed = await inspect(name, withKey(fix));
    expect(fixed.code, fixed.stdout + fixed.stderr).toBe(0);
    expect(fixed.report.fix).toMatchObject({ ok: true });
    // The wait for the next code is announced before the report.
    const events = fixed.stdout.trim().split('\n').slice(0, -1).map((l) => JSON.parse(l) as { event: string; stage: string; waitSeconds?: number });
    expect(events).toContainEqual(expect.objectContaining({ event: 'progress', stage: 'waiting-for-next-code' }));
    const after = await inspect(name);
    expect(after.code, after.stdout).toBe(0);
    expect(after.report).toMatchObject({ ok: true, verdict: 'ok' });
    const expected = after.report.drift.backendExpectsSeconds!;
    expect(Math.abs(expected - (fix[1] === 'server' ? shift : 0))).toBeLessThan(3);
    expect(await validate(name, codeOnFob(name, 1))).toMatchObject({ ok: true });
  }, 90_000);
});

describe("the fix's wait is shown on a terminal (17.2)", () => {
  it('a countdown line while --fix server waits for the next code, then the verdict', async () => {
    simFob('terminal').shiftClock(40);
    const r = await onTerminal(['inspect', '--port', simFob('terminal').address, '--fix', 'server'], env);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/waiting \d+ s for the fob's next code \(a resync needs two consecutive codes\)/);
    expect(r.output).toMatch(/verdict\s+clock drifted by \+4\d s.*: fixed, the backend now expects the fob's clock \+4\d s off/);
  }, 90_000);
});
