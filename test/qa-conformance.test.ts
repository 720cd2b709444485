/**
 * `fobkit qa conformance` and `fobkit qa fleet` end to end: the suite passes against our
 * backend (a `fobkit-backend serve --test-clock` process) and fails, with the right rows,
 * against two deliberately faulty backends started here, both small node:http proxies in front
 * of the real one: one turns every refused replay into an accepted login; the other keeps no
 * drift (it swaps in its own registration key to learn each seed, and refuses any code that is
 * not within one step of the server's clock, whatever the backend learnt; it reports 0 ppm).
 * Without the test clock, the time-dependent rows are skipped, not failed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, request, type Server } from 'node:http';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { spawnTemporaryBackend, type TemporaryBackend } from '../provisioner/src/qa/spawnTemporaryBackend.js';
import { generateSealKeyPair, openSealed, sealToRecipient } from '@fobkit/protocol/session';
import { createOtpKey, totpStep, type OtpAlgorithm, type OtpDigits } from '@fobkit/protocol/otp';
import { fobkit, ROOT } from './support-rig.js';

const dir = mkdtempSync(join(tmpdir(), 'fobkit-qa-'));

/** The backend command: the built bin when it is newer than the backend's sources, else a tsx wrapper. */
function backendBin(): string {
  const built = join(ROOT, 'backend/dist/cli/main.js');
  const src = join(ROOT, 'backend/src/http/testClockRoute.ts');
  try {
    if (statSync(built).mtimeMs >= statSync(src).mtimeMs) return join(ROOT, 'node_modules/.bin/fobkit-backend');
  } catch {
    // not built
  }
  const wrapper = join(dir, 'fobkit-backend');
  writeFileSync(wrapper, `#!/bin/sh\nexec "${process.execPath}" --conditions=source --import tsx "${join(ROOT, 'backend/src/cli/main.ts')}" "$@"\n`);
  chmodSync(wrapper, 0o755);
  return wrapper;
}

let good: TemporaryBackend;
let keys: string;
let replayProxy: Server;
let replayUrl: string;
let noDriftProxy: Server;
let noDriftUrl: string;

/** Forwards one request to the real backend; `edit` may rewrite the request body and the answer. */
function forward(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, body: string, edit: (status: number, answer: string) => Promise<string> | string): void {
  const target = new URL(good.url);
  const headers = { ...req.headers, 'content-length': String(Buffer.byteLength(body)) };
  const up = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (r) => {
    const chunks: Buffer[] = [];
    r.on('data', (c: Buffer) => chunks.push(c));
    r.on('end', () => {
      void Promise.resolve(edit(r.statusCode ?? 502, Buffer.concat(chunks).toString())).then((answer) => {
        res.writeHead(r.statusCode ?? 502, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
        res.end(answer);
      });
    });
  });
  up.end(body);
}

function readAll(req: import('node:http').IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString()));
  });
}

async function adminGet<T>(path: string): Promise<T> {
  const r = await fetch(good.url + path, { headers: { authorization: `Bearer ${good.keys.admin}` } });
  return (await r.json()) as T;
}

/** The "keeps no drift" backend. */
function startNoDriftProxy(): Server {
  const own = generateSealKeyPair();
  const seeds = new Map<string, { seed: Uint8Array; algorithm: OtpAlgorithm; digits: OtpDigits; period: number; t0: number }>();
  return createServer((req, res) => {
    void readAll(req).then(async (body) => {
      const url = req.url ?? '';
      if (req.method === 'GET' && url === '/v1/registration-key') {
        return forward(req, res, body, (_s, a) => JSON.stringify({ ...(JSON.parse(a) as object), publicKey: Buffer.from(own.publicKey).toString('base64url') }));
      }
      if (req.method === 'POST' && url === '/v1/tokens') {
        const b = JSON.parse(body) as { serial: string; sealedSecret: string; algorithm: OtpAlgorithm; digits: OtpDigits; period: number; t0: number };
        const seed = openSealed({ recipientPrivateKey: own.privateKey, envelope: new Uint8Array(Buffer.from(b.sealedSecret, 'base64url')), context: `seed:${b.serial}` });
        seeds.set(b.serial, { seed, algorithm: b.algorithm, digits: b.digits, period: b.period, t0: b.t0 });
        const real = await adminGet<{ publicKey: string }>('/v1/registration-key');
        const sealedSecret = Buffer.from(sealToRecipient({ recipientPublicKey: new Uint8Array(Buffer.from(real.publicKey, 'base64url')), plaintext: seed, context: `seed:${b.serial}` })).toString('base64url');
        return forward(req, res, JSON.stringify({ ...b, sealedSecret }), (_s, a) => a);
      }
      if (req.method === 'POST' && url === '/v1/validate') {
        const { code } = JSON.parse(body) as { code: string };
        return forward(req, res, body, async (_s, a) => {
          const r = JSON.parse(a) as { ok: boolean; factor?: string; serial?: string };
          const f = r.ok && r.factor === 'hardware' && r.serial ? seeds.get(r.serial) : undefined;
          if (!f) return a;
          const { time } = await adminGet<{ time: number }>('/v1/test/clock');
          const key = createOtpKey({ secret: f.seed, algorithm: f.algorithm, digits: f.digits });
          const s = totpStep({ time, period: f.period, t0: f.t0 });
          const near = [s - 1, s, s + 1].some((x) => key.codeAt(x) === code);
          key.dispose();
          return near ? a : JSON.stringify({ ok: false, reason: 'mismatch' });
        });
      }
      if (req.method === 'GET' && url.startsWith('/v1/tokens/')) {
        return forward(req, res, body, (st, a) => (st === 200 ? JSON.stringify({ ...(JSON.parse(a) as object), drift: { steps: 0, seconds: 0, ratePpm: 0, rateUncertaintyPpm: 0 } }) : a));
      }
      return forward(req, res, body, (_s, a) => a);
    });
  });
}

interface Row { scenario: string; result: string; detail: string }
const byResult = (rows: Row[], result: string) => rows.filter((r) => r.result === result).map((r) => r.scenario).sort();

beforeAll(async () => {
  const bin = backendBin();
  process.env['FOBKIT_BACKEND_BIN'] = bin;
  good = await spawnTemporaryBackend({ bin });
  keys = [good.keys.station, good.keys.validator, good.keys.admin].join(',');
  // Faulty 1: accepts replays. Every "refused, replayed" validation comes back as a success.
  replayProxy = createServer((req, res) => {
    const target = new URL(good.url);
    const up = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => {
        let body = Buffer.concat(chunks).toString();
        if (req.url === '/v1/validate' && /"reason":"replayed"/.test(body)) body = JSON.stringify({ ok: true, factor: 'hardware' });
        res.writeHead(r.statusCode ?? 502, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => replayProxy.listen(0, '127.0.0.1', () => r()));
  replayUrl = `http://127.0.0.1:${(replayProxy.address() as AddressInfo).port}`;
  // Faulty 2: keeps no drift.
  noDriftProxy = startNoDriftProxy();
  await new Promise<void>((r) => noDriftProxy.listen(0, '127.0.0.1', () => r()));
  noDriftUrl = `http://127.0.0.1:${(noDriftProxy.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  await new Promise<void>((r) => (replayProxy ? replayProxy.close(() => r()) : r()));
  await new Promise<void>((r) => (noDriftProxy ? noDriftProxy.close(() => r()) : r()));
  await good?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('fobkit qa conformance', () => {
  it('passes every scenario against our backend, as a table (exit 0)', async () => {
    const r = await fobkit(['qa', 'conformance', '--backend-url', good.url, '--api-key', keys]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^scenario\s+result\s+expectation$/m);
    for (const name of ['RFC 6238 vectors end to end', 'Codes at exact step boundaries', 'Drift ±20 ppm over six months', 'Drift learnt', 'Unused for six months', 'Replay', 'Concurrent replay', 'Resync', 'Brute force throttled', 'Lockout clears itself', 'App and fob independent', 'Unbind and quarantine']) {
      expect(r.stdout).toMatch(new RegExp(`^${name.replace(/[±]/g, '.')}\\s+passed `, 'm'));
    }
    expect(r.stdout).toMatch(/^PASS: 14 passed, 0 failed, 0 skipped \(.*test clock: yes\)$/m);
  }, 120_000);

  it('fails the replay rows (exit 1) against a backend that accepts replays, and only those', async () => {
    const r = await fobkit(['qa', 'conformance', '--backend-url', replayUrl, '--api-key', keys, '--only', 'replay,resync,unbind,check', '--json']);
    expect(r.code).toBe(1);
    const rows = (r.json as { rows: Row[] }).rows;
    expect(byResult(rows, 'failed')).toEqual(['Concurrent replay', 'Replay']);
    expect(byResult(rows, 'passed')).toEqual(['Resync', 'Support check consumes nothing', 'Unbind and quarantine']);
    expect(rows.find((x) => x.scenario === 'Concurrent replay')!.detail).toBe('8 of 8 accepted');
  }, 60_000);

  it('fails the drift rows against a backend that keeps no drift', async () => {
    const r = await fobkit(['qa', 'conformance', '--backend-url', noDriftUrl, '--api-key', keys, '--fobs', '2', '--only', 'drift,unused,resync,replay', '--json']);
    expect(r.code).toBe(1);
    const rows = (r.json as { rows: Row[] }).rows;
    expect(byResult(rows, 'failed'), JSON.stringify(rows, null, 1)).toEqual(['Drift learnt', 'Drift ±20 ppm over six months', 'Drift ±50 ppm, weekly use', 'Resync', 'Unused for six months']);
    expect(byResult(rows, 'passed'), JSON.stringify(rows, null, 1)).toEqual(['Concurrent replay', 'Replay']);
    expect(rows.find((x) => x.scenario === 'Drift ±20 ppm over six months')!.detail).toMatch(/refused; first: FK\d{8} \(-?20 ppm\)/);
  }, 60_000);

  it('refuses a backend without the test clock (only a support key: no admin) unless --allow-production, exit 2', async () => {
    const r = await fobkit(['qa', 'conformance', '--backend-url', good.url, '--api-key', [good.keys.station, good.keys.validator, good.keys.support].join(','), '--only', 'rfc', '--json']);
    expect(r.code).toBe(2);
    expect(r.json).toMatchObject({ ok: false, error: { code: 'PRODUCTION_BACKEND', message: expect.stringMatching(/no test clock .*--allow-production/) } });
  });

  it('with --allow-production, skips the time-dependent rows and counts them as not passed (INCOMPLETE, exit 1)', async () => {
    const args = ['qa', 'conformance', '--allow-production', '--backend-url', good.url, '--api-key', [good.keys.station, good.keys.validator, good.keys.support].join(','), '--only', 'rfc,replay,lockout,app'];
    const text = await fobkit(args);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^INCOMPLETE: \d+ passed, 0 failed, 3 skipped/m);
    const r = await fobkit([...args, '--json']);
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ ok: false, skipped: 3 });
    const rows = (r.json as { rows: Row[] }).rows;
    expect(byResult(rows, 'skipped')).toEqual(['App and fob independent', 'Lockout clears itself', 'RFC 6238 vectors end to end']);
    expect(rows.find((x) => x.scenario === 'Lockout clears itself')!.detail).toMatch(/no test clock/);
  }, 60_000);

  it('usage errors: no keys or a missing role (exit 2), an unreachable backend (exit 3)', async () => {
    expect((await fobkit(['qa', 'conformance', '--backend-url', good.url])).code).toBe(2);
    const missing = await fobkit(['qa', 'conformance', '--backend-url', good.url, '--api-key', good.keys.station]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/missing: validator, support or admin/);
    expect((await fobkit(['qa', 'conformance', '--backend-url', 'http://127.0.0.1:9', '--api-key', 'k'])).code).toBe(3);
  });
});

describe('fobkit qa fleet', () => {
  it('ages a fleet on a temporary backend it starts itself and reports first-try logins, drift and resyncs', async () => {
    const r = await fobkit(['qa', 'fleet', '--count', '12', '--days', '30', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rep = r.json as { fobs: number; days: number; logins: number; acceptedFirstTry: number; acceptedAfterRetry: number; acceptedAfterResync: number; neverAccepted: number; firstTryShare: number; drift: { bands: { fobs: number }[] }; fobsResynced: number };
    expect(rep).toMatchObject({ fobs: 12, days: 30, neverAccepted: 0 });
    expect(rep.logins).toBeGreaterThan(100);
    expect(rep.acceptedFirstTry + rep.acceptedAfterRetry + rep.acceptedAfterResync).toBe(rep.logins);
    expect(rep.firstTryShare).toBeGreaterThan(0.9);
    expect(rep.drift.bands.reduce((a, b) => a + b.fobs, 0)).toBe(12);
    const text = await fobkit(['qa', 'fleet', '--count', '3', '--days', '3', '--backend-url', good.url, '--api-key', keys]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^fleet of 3 fobs over 3 days \(seed 1\): \d+ logins$/m);
    expect(text.stdout).toMatch(/accepted at the first try\s+\d+\s+\(\d+\.\d\d %\)/);
    expect(text.stdout).toMatch(/drift band \(ppm\)/);
  }, 120_000);
});

describe('fobkit qa conformance against a production backend (no test clock) leaves nothing behind', () => {
  it('live fobs, users with a factor and users with failures are the same before and after a run', async () => {
    const { startBackendProcess } = await import('./provision-harness.js');
    const { default: Database } = await import('better-sqlite3');
    const prod = await startBackendProcess(join(dir, 'production'));
    try {
      const counts = () => {
        const db = new Database(prod.dbFile, { readonly: true });
        try {
          const one = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
          return {
            liveFobs: one("SELECT count(*) AS n FROM tokens WHERE state <> 'revoked'"),
            usersWithAFactor: one("SELECT count(*) AS n FROM (SELECT user_id FROM tokens WHERE state = 'assigned' UNION SELECT user_id FROM app_factors WHERE revoked_at IS NULL)"),
            usersWithFailures: one('SELECT count(*) AS n FROM users WHERE fail_count > 0 OR locked_until IS NOT NULL'),
          };
        } finally {
          db.close();
        }
      };
      const before = counts();
      const keyList = [prod.keys.station, prod.keys.validator, prod.keys.admin].join(',');
      const r = await fobkit(['qa', 'conformance', '--allow-production', '--backend-url', prod.url, '--api-key', keyList, '--fobs', '2', '--json']);
      expect(r.code, r.stderr).toBe(1); // scenarios were skipped: never a PASS
      const report = r.json as { skipped: number; passed: number; cleanup: { fobsRevoked: number; users: number; failed: number } };
      expect(report.skipped).toBeGreaterThan(0);
      expect(report.cleanup.failed).toBe(0);
      expect(report.cleanup.fobsRevoked).toBeGreaterThan(0);
      expect(counts()).toEqual(before);
    } finally {
      await prod.stop();
    }
  }, 180_000);
});
