/**
 * `npm run bench:radius`: RADIUS Access-Requests per second end to end (radclient → FreeRADIUS
 * with integrations/freeradius/ → rlm_rest → fobkit-backend) beside the rate of the same
 * backend process answering POST /v1/validate?status=1 over HTTP directly, in the same run.
 *
 * Every request is a real successful validation of a different user's current code (fobs
 * inserted as fixtures with known seeds; the backend runs on the real clock, so each fob is used
 * once). Rounds alternate HTTP, RADIUS, HTTP, … so other load on the machine hits both alike;
 * the ratio RADIUS/HTTP is taken per pair of neighbouring rounds and its median printed.
 * Both sides keep the same number of requests in flight (radclient -p, HTTP keep-alive
 * connections). Figures only: no bar.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateHotp, totpStep } from '@fobkit/protocol/otp';
import { openBackend } from '../backend/src/openBackend.js';
import { insertFixtureFobs, type FixtureFob } from '../backend/src/testing/fixtures.js';
import { startBackendProcess } from '../test/provision-harness.js';
import { freeUdpPort, radclientAttributes, radiusTool, radiusToolsMissing, startFreeradius, writeRadiusConfig } from '../test/radius-rig.js';

const PER_ROUND = Number(process.env.BENCH_REQUESTS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const PARALLEL = Number(process.env.BENCH_PARALLEL ?? 32);
const SECRET = 'bench-radius-secret';

const codeNow = (f: FixtureFob) => generateHotp({ secret: f.seed, counter: totpStep({ time: Date.now() / 1000, period: 60 }) });

async function httpRound(url: string, key: string, fobs: readonly FixtureFob[]): Promise<{ rps: number; accepted: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: PARALLEL });
  let next = 0;
  let accepted = 0;
  const one = (f: FixtureFob) => new Promise<number>((resolve, reject) => {
    const body = JSON.stringify({ user: f.user, code: codeNow(f) });
    const req = request(`${url}/v1/validate?status=1`, { method: 'POST', agent, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('error', reject);
    req.end(body);
  });
  const t0 = performance.now();
  await Promise.all(Array.from({ length: PARALLEL }, async () => {
    while (next < fobs.length) {
      if ((await one(fobs[next++]!)) === 200) accepted++;
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  return { rps: fobs.length / seconds, accepted };
}

async function radiusRound(dir: string, port: number, fobs: readonly FixtureFob[]): Promise<{ rps: number; accepted: number }> {
  const file = join(dir, 'packets.txt');
  writeFileSync(file, fobs.map((f) => radclientAttributes(f.user, codeNow(f))).join('\n'));
  const t0 = performance.now();
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(radiusTool('radclient') ?? 'radclient', ['-d', join(dir, 'raddb'), '-f', file, '-p', String(PARALLEL), '-s', '-q', '-t', '10', '-r', '1', `127.0.0.1:${port}`, 'auth', SECRET], { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.stderr.on('data', (d: Buffer) => (text += d.toString()));
    child.once('error', reject);
    child.once('exit', () => resolve(text));
  });
  const seconds = (performance.now() - t0) / 1000;
  const accepted = Number(/Accepted\s*:\s*(\d+)/.exec(out)?.[1] ?? 0);
  return { rps: fobs.length / seconds, accepted };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const missing = radiusToolsMissing();
  if (missing) {
    process.stderr.write(`bench:radius cannot run: ${missing}\n`);
    process.exit(3);
  }
  const dir = mkdtempSync(join(tmpdir(), 'fobkit-bench-radius-'));
  try {
    // Fixtures first (one fresh fob per request), then the server on the same database.
    const total = PER_ROUND * (ROUNDS + 1) * 2;
    const fobs = Array.from({ length: total }, (_, i) => ({ serial: `R-${i}`, user: `radius-user${i}`, seed: new Uint8Array(randomBytes(20)) }));
    mkdirSync(join(dir, 'backend'));
    const b = await openBackend({ db: `sqlite:${join(dir, 'backend', 'backend.db')}`, kekFile: join(dir, 'backend', 'backend.kek') });
    await insertFixtureFobs(b.ctx, fobs, Date.now() / 1000 - 3600);
    await b.close();
    const backend = await startBackendProcess(join(dir, 'backend'));
    const port = await freeUdpPort();
    writeRadiusConfig({ dir: join(dir, 'raddb'), port, secret: SECRET, backendUrl: backend.url, validatorKey: backend.keys.validator });
    const radius = await startFreeradius(join(dir, 'raddb'));
    try {
      let used = 0;
      const take = () => fobs.slice(used, (used += PER_ROUND));
      // Warm-up: JIT, connection pools, FreeRADIUS threads.
      await httpRound(backend.url, backend.keys.validator, take());
      await radiusRound(dir, port, take());
      const http: number[] = [];
      const rad: number[] = [];
      const ratios: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const h = await httpRound(backend.url, backend.keys.validator, take());
        const x = await radiusRound(dir, port, take());
        if (h.accepted !== PER_ROUND || x.accepted !== PER_ROUND) throw new Error(`round ${r}: accepted HTTP ${h.accepted}, RADIUS ${x.accepted} of ${PER_ROUND}`);
        http.push(h.rps);
        rad.push(x.rps);
        ratios.push(x.rps / h.rps);
        process.stdout.write(`round ${r + 1}: HTTP validate ${h.rps.toFixed(0)}/s, RADIUS ${x.rps.toFixed(0)}/s, ratio ${(x.rps / h.rps).toFixed(2)}\n`);
      }
      process.stdout.write(`\n${PER_ROUND} accepted validations per round, ${PARALLEL} in flight, ${ROUNDS} rounds (SQLite, one backend process)\n`);
      process.stdout.write(`HTTP validate?status=1: median ${median(http).toFixed(0)}/s (min ${Math.min(...http).toFixed(0)}, max ${Math.max(...http).toFixed(0)})\n`);
      process.stdout.write(`RADIUS (radclient → FreeRADIUS rlm_rest → backend): median ${median(rad).toFixed(0)}/s (min ${Math.min(...rad).toFixed(0)}, max ${Math.max(...rad).toFixed(0)})\n`);
      process.stdout.write(`RADIUS / HTTP: median ${median(ratios).toFixed(2)} (min ${Math.min(...ratios).toFixed(2)}, max ${Math.max(...ratios).toFixed(2)})\n`);
    } finally {
      await radius.stop();
      await backend.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
