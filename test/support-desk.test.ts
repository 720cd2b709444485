/**
 * The support desk without curl (issue 17.3, 17.4), through the real `fobkit` CLI against a
 * real `fobkit-backend serve` process:
 * - a URL that is not a fobkit backend (a web server answering 404, or 200 to everything) is
 *   named as such (NOT_FOBKIT_BACKEND, exit 3) instead of a verdict about the fob; a key with
 *   the wrong role gets a hint naming the role the command needs;
 * - `token list|search|enable|disable|revoke`, `user show`, `unlock`, `login-test`,
 *   `app enrol|show`; destructive ones ask on a terminal (a real pty, through script(1)),
 *   refuse without one unless --yes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeBase32, generateHotp, totpStep } from '@fobkit/protocol/otp';
import { sealToRecipient } from '@fobkit/protocol/session';
import { Simulator } from '../firmware-sim/src/simulator.js';
import { makeStationKeys, startBackendProcess, type BackendProcess, type StationKeys } from './provision-harness.js';
import { fobkit, onTerminal, provisionFob } from './support-rig.js';

const dir = mkdtempSync(join(tmpdir(), 'fobkit-desk-'));
let sim: Simulator;
let backend: BackendProcess;
let keys: StationKeys;
let notFound: Server;
let answersAnything: Server;
const urls = { notFound: '', anything: '' };
const as = (role: 'support' | 'station' | 'validator' | 'admin') => ({ FOBKIT_BACKEND_URL: backend.url, FOBKIT_API_KEY: backend.keys[role] });

async function listen(handler: Parameters<typeof createServer>[1]): Promise<[Server, string]> {
  const s = createServer(handler);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const a = s.address() as { port: number };
  return [s, `http://127.0.0.1:${a.port}`];
}

/** Registers a fob with a known seed straight through the API (no fob needed for desk work). */
async function registerToken(batch: string, user?: string): Promise<{ serial: string; seed: Uint8Array }> {
  const serial = (await backend.call<{ serials: string[] }>('station', 'POST', '/v1/serials/reserve', { count: 1 })).body.serials[0]!;
  const reg = (await backend.call<{ kid: string; publicKey: string }>('station', 'GET', '/v1/registration-key')).body;
  const seed = new Uint8Array(randomBytes(20));
  const sealed = sealToRecipient({ recipientPublicKey: new Uint8Array(Buffer.from(reg.publicKey, 'base64url')), plaintext: seed, context: `seed:${serial}` });
  const r = await backend.call('station', 'POST', '/v1/tokens', {
    serial, model: 'FK-1', sealedSecret: Buffer.from(sealed).toString('base64url'), kid: reg.kid, algorithm: 'sha1', digits: 6, period: 60, t0: 0,
    batch, provisionedAt: Date.now() / 1000, clockOffset: 0,
  });
  if (r.status !== 201) throw new Error(`register: ${r.status}`);
  await backend.call('station', 'POST', `/v1/tokens/${serial}/activate`, {});
  if (user) await backend.call('support', 'POST', `/v1/tokens/${serial}/assign`, { user });
  return { serial, seed };
}

const codeNow = (seed: Uint8Array, shift = 0) => generateHotp({ secret: seed, counter: totpStep({ time: Date.now() / 1000, period: 60 }) + shift });

beforeAll(async () => {
  execFileSync('script', ['-V'], { stdio: 'ignore' });
  keys = makeStationKeys(join(dir, 'keys'));
  backend = await startBackendProcess(join(dir, 'backend'));
  sim = await Simulator.start({ count: 1, transport: 'pty', ptyDir: join(dir, 'pty'), rootPublicKey: keys.rootPublicKey, driftPpm: 0 });
  await provisionFob(sim.fob(0).address, keys.stationKeyFile, backend, { user: 'wendy' });
  [notFound, urls.notFound] = await listen((_req, res) => {
    res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not Found</h1>');
  });
  [answersAnything, urls.anything] = await listen((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true,"status":"fine"}');
  });
}, 120_000);

afterAll(async () => {
  await sim?.close();
  await backend?.stop();
  notFound?.close();
  answersAnything?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a wrong backend URL gives no verdict (17.3)', () => {
  it('inspect against a web server answering 404: "not a fobkit backend", exit 3, no "do not hand it out"', async () => {
    const r = await fobkit(['inspect', '--port', sim.fob(0).address, '--backend-url', urls.notFound, '--api-key', 'fbk_x_y', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.json).toMatchObject({ ok: false, error: { code: 'NOT_FOBKIT_BACKEND' } });
    expect(r.stdout).toMatch(/is not a fobkit backend/);
    expect(r.stdout).not.toMatch(/no record|hand it out/);
    const text = await fobkit(['check', 'FK00000013', '123456', '--backend-url', urls.notFound, '--api-key', 'fbk_x_y']);
    expect(text.code).toBe(3);
    expect(text.stderr).toMatch(/\[NOT_FOBKIT_BACKEND\].*is not a fobkit backend.*check the backend URL/);
  });

  it('a server answering 200 JSON to everything is not one either', { timeout: 120_000 }, async () => {
    for (const args of [['token', 'list'], ['user', 'show', 'wendy'], ['resync', 'FK00000013', '123456', '234567']]) {
      const r = await fobkit([...args, '--backend-url', urls.anything, '--api-key', 'fbk_x_y']);
      expect(r.code, args.join(' ') + r.stderr).toBe(3);
      expect(r.stderr).toMatch(/\[NOT_FOBKIT_BACKEND\]/);
    }
  });

  it('the real backend is recognised: inspect still gives its verdict', async () => {
    const r = await fobkit(['inspect', '--port', sim.fob(0).address, '--json'], as('support'));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.json).toMatchObject({ verdict: 'ok' });
  });

  it('a 403 names the role the command needs', { timeout: 120_000 }, async () => {
    const check = await fobkit(['check', 'FK00000013', '123456'], as('station'));
    expect(check.code).toBe(3);
    expect(check.stderr).toMatch(/HTTP 403.*needs a support or admin key/);
    expect(check.stderr).not.toMatch(/station API key/);
    const login = await fobkit(['login-test', 'wendy', '123456'], as('support'));
    expect(login.stderr).toMatch(/HTTP 403.*needs a validator key/);
    const enrol = await fobkit(['app', 'enrol', 'wendy', '--yes'], as('support'));
    expect(enrol.stderr).toMatch(/HTTP 403.*needs an admin key/);
    const bad = await fobkit(['token', 'list'], { FOBKIT_BACKEND_URL: backend.url, FOBKIT_API_KEY: 'fbk_nokey_nosecret' });
    expect(bad.stderr).toMatch(/HTTP 401.*not valid on this backend/);
  });
});

describe('support commands (17.4)', () => {
  it('token list by batch, prefix, state and user, page by page; search by user or serial; never seed material', { timeout: 180_000 }, async () => {
    const batch = `desk-${Date.now()}`;
    const made = [await registerToken(batch, 'lisa'), await registerToken(batch), await registerToken(batch)];
    const all = await fobkit(['token', 'list', '--batch', batch, '--json'], as('support'));
    expect(all.code, all.stderr).toBe(0);
    const tokens = all.json!['tokens'] as { serial: string; state: string; user: string | null }[];
    expect(tokens.map((t) => t.serial)).toEqual(made.map((m) => m.serial));
    expect(all.stdout).not.toMatch(/seed|secret|sealed/i);
    const page1 = await fobkit(['token', 'list', '--batch', batch, '--max', '2', '--json'], as('support'));
    expect((page1.json!['tokens'] as unknown[]).length).toBe(2);
    const page2 = await fobkit(['token', 'list', '--batch', batch, '--cursor', String(page1.json!['next']), '--json'], as('support'));
    expect((page2.json!['tokens'] as { serial: string }[]).map((t) => t.serial)).toEqual([made[2]!.serial]);
    const assigned = await fobkit(['token', 'list', '--batch', batch, '--state', 'assigned', '--json'], as('support'));
    expect(assigned.json!['tokens']).toMatchObject([{ serial: made[0]!.serial, user: 'lisa' }]);
    const byPrefix = await fobkit(['token', 'list', '--prefix', made[1]!.serial, '--json'], as('support'));
    expect((byPrefix.json!['tokens'] as { serial: string }[]).map((t) => t.serial)).toEqual([made[1]!.serial]);
    const search = await fobkit(['token', 'search', 'lisa'], as('support'));
    expect(search.code).toBe(0);
    expect(search.stdout).toMatch(new RegExp(`${made[0]!.serial}\\s+assigned\\s+lisa\\s+${batch}`));
    const searchSerial = await fobkit(['token', 'search', made[2]!.serial.toLowerCase(), '--json'], as('support'));
    expect(searchSerial.json!['tokens']).toMatchObject([{ serial: made[2]!.serial }]);
    const bad = await fobkit(['token', 'list', '--prefix', 'FK 1'], as('support'));
    expect(bad.code).toBe(2);
  });

  it('disable → login-test refused (exit 1); enable → accepted (exit 0, validator key)', { timeout: 120_000 }, async () => {
    const t = await registerToken('desk-login', 'lars');
    const off = await fobkit(['token', 'disable', t.serial, '--reason', 'on leave'], as('support'));
    expect(off.code, off.stderr).toBe(0);
    expect(off.stdout).toMatch(/disabled/);
    const refused = await fobkit(['login-test', 'lars', codeNow(t.seed)], as('validator'));
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/refused \(disabled\)/);
    expect((await fobkit(['token', 'enable', t.serial, '--json'], as('support'))).json).toMatchObject({ ok: true, enabled: true });
    const ok = await fobkit(['login-test', 'lars', codeNow(t.seed), '--json'], as('validator'));
    expect(ok.code).toBe(0);
    expect(ok.json).toMatchObject({ ok: true, factor: 'hardware', serial: t.serial });
  });

  it('user show: factors and failures, the auth log left out with a note when the backend has none; unlock clears the failures', { timeout: 120_000 }, async () => {
    const t = await registerToken('desk-user', 'ursula');
    for (let i = 0; i < 2; i++) await backend.call('validator', 'POST', '/v1/validate', { user: 'ursula', code: codeNow(t.seed, 5 + i) });
    const shown = await fobkit(['user', 'show', 'ursula', '--json'], as('support'));
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.json).toMatchObject({ ok: true, user: { user: 'ursula', failures: { count: 2 } }, fob: { serial: t.serial, state: 'assigned' } });
    const authLog = shown.json!['authLog'];
    if (authLog === null) {
      const text = await fobkit(['user', 'show', 'ursula'], as('support'));
      expect(text.stdout).toMatch(/keeps no auth log/);
    } else expect(Array.isArray(authLog)).toBe(true);
    const unlocked = await fobkit(['unlock', 'ursula'], as('support'));
    expect(unlocked.code, unlocked.stderr).toBe(0);
    expect(unlocked.stdout).toMatch(/ursula: unlocked/);
    expect((await fobkit(['user', 'show', 'ursula', '--json'], as('support'))).json).toMatchObject({ user: { failures: { count: 0 } } });
    const none = await fobkit(['user', 'show', 'nobody.here'], as('support'));
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/\[NO_SUCH_USER\]/);
  });

  it('token revoke asks on a terminal: "n" changes nothing (exit 1), "y" revokes; without a terminal it needs --yes (exit 2)', async () => {
    const t = await registerToken('desk-revoke', 'rita');
    const noTty = await fobkit(['token', 'revoke', t.serial], as('support'));
    expect(noTty.code).toBe(2);
    expect(noTty.stderr).toMatch(/\[CONFIRMATION_REQUIRED\].*--yes/);
    const declined = await onTerminal(['token', 'revoke', t.serial], as('support'), 'n');
    expect(declined.output).toMatch(new RegExp(`Revoke ${t.serial} \\(rita's fob\\) for good\\?`));
    expect(declined.code, declined.output).toBe(1);
    expect(declined.output).toMatch(/\[ABORTED\]/);
    expect((await backend.call<{ state: string }>('support', 'GET', `/v1/tokens/${t.serial}`)).body.state).toBe('assigned');
    const confirmed = await onTerminal(['token', 'revoke', t.serial, '--reason', 'stolen'], as('support'), 'y');
    expect(confirmed.code, confirmed.output).toBe(0);
    expect((await backend.call<{ state: string }>('support', 'GET', `/v1/tokens/${t.serial}`)).body.state).toBe('revoked');
    const t2 = await registerToken('desk-revoke');
    expect((await fobkit(['token', 'revoke', t2.serial, '--yes', '--json'], as('support'))).json).toMatchObject({ ok: true, state: 'revoked' });
  }, 120_000);

  it('app enrol prints the otpauth URI once; app show never does; a replacement needs confirming; the app code logs in', { timeout: 120_000 }, async () => {
    const enrolled = await fobkit(['app', 'enrol', 'anna', '--label', 'phone'], as('admin'));
    expect(enrolled.code, enrolled.stderr).toBe(0);
    const uri = /otpauth:\/\/totp\/\S+/.exec(enrolled.stdout)![0];
    const shown = await fobkit(['app', 'show', 'anna'], as('support'));
    expect(shown.stdout).toMatch(/anna: app app_[0-9a-f]+ "phone"/);
    expect(shown.stdout).not.toMatch(/otpauth|secret/);
    const again = await fobkit(['app', 'enrol', 'anna'], as('admin'));
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/\[CONFIRMATION_REQUIRED\].*already has an app/);
    const secret = decodeBase32(new URL(uri).searchParams.get('secret')!);
    const code = generateHotp({ secret, counter: totpStep({ time: Date.now() / 1000, period: 30 }) });
    const login = await fobkit(['login-test', 'anna', code, '--json'], as('validator'));
    expect(login.json).toMatchObject({ ok: true, factor: 'app' });
  });

  it('unbind asks too (a terminal), and refuses without one unless --yes', async () => {
    const t = await registerToken('desk-unbind', 'uwe');
    const r = await fobkit(['unbind', t.serial, '--reason', 'lost'], as('support'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\[CONFIRMATION_REQUIRED\]/);
    const y = await onTerminal(['unbind', t.serial, '--reason', 'lost'], as('support'), 'yes');
    expect(y.code, y.output).toBe(0);
    expect(y.output).toMatch(/unbound from uwe/);
  }, 60_000);
});
