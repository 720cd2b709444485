/**
 * `npm run bench:backend`: validations per second and p50/p99 latency under load (autocannon)
 * against the backend on SQLite with 1,000, 10,000 and 100,000 assigned fobs, beside a ceiling
 * measured in the same run: the same HTTP stack (node:http with the backend's router, API-key
 * check, body schema and JSON answers) serving a route whose only work is one indexed UPDATE (of
 * the fob's row, found by user through the same index validation uses), on an identical copy of
 * the database with the same durability (WAL, synchronous=NORMAL). Then the same on PostgreSQL
 * (10,000 fobs) when it is reachable, with one backend instance and with two sharing the database.
 *
 * Every request is a real successful validation. Each server runs in a worker thread on
 * backend/dist, the code `fobkit-backend serve` runs (bench/backendServer.worker.mjs), with a
 * clock that is a step counter shared with this thread; the load walks the fobs round-robin and moves the
 * clock one step each time it wraps, so each request carries the current code of a fob that has
 * not used that step yet. Bars: validate ≥ 0.5 × ceiling at 10,000 fobs; rate at 100,000 fobs
 * within 20 % of the rate at 1,000. Exit code 1 when a bar is missed.
 */
import { Worker } from 'node:worker_threads';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { copyFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createOtpKey, type OtpKey } from '@fobkit/protocol/otp';
import { openBackend } from '../backend/src/openBackend.js';
import { DEFAULT_OTP_KEY_CACHE_ENTRIES } from '../backend/src/crypto/otpKeyCache.js';
import { createApiKey } from '../backend/src/service/apiKeyStore.js';
import { insertFixtureFobs, type FixtureFob } from '../backend/src/testing/fixtures.js';
import { createTestDatabase, pgReachable, type TestDatabase } from '../backend/src/testing/harness.js';

// autocannon ships no types; this is the part of its API used here.
interface AutocannonRequest { method: string; path: string; setupRequest: (req: Record<string, unknown>) => Record<string, unknown>; onResponse: (status: number, body: string) => void }
interface AutocannonResult { requests: { average: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number }
const autocannon = createRequire(import.meta.url)('autocannon') as (o: { url: string; connections: number; duration?: number; amount?: number; requests: AutocannonRequest[] }) => Promise<AutocannonResult>;

const PERIOD = 60;
const BASE_STEP = 29_000_000;
const CEILING_PATH = '/v1/bench/ceiling';
const PROVISIONED = BASE_STEP * PERIOD - 86_400;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 1.5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const WARMUP = 2;
const CONNECTIONS = 16;

interface WorkerInput { mode: 'validate' | 'ceiling'; db: string; kekFile: string; clock: SharedArrayBuffer; period: number; baseStep: number; ceilingPath: string }

// ---- main: fixtures, load, report ------------------------------------------------------------
interface Figures { label: string; rps: number; p50: number; p99: number; ok: number; total: number; errors: number }

interface Target {
  label: string;
  url: string;
  workers: Worker[];
  /** A timed run, or with `amount`, one of exactly that many requests. */
  run(seconds: number, amount?: number): Promise<Figures>;
  fobs: number;
}

/**
 * Starts `instances` servers (each in its own worker, all on one database) and returns a load
 * generator bound to them: the connections are split between the servers, which share one
 * round-robin over the fobs and one clock, as several backend instances behind a balancer.
 */
async function startTarget(label: string, mode: WorkerInput['mode'], db: TestDatabase, kekFile: string, fobs: readonly FixtureFob[], apiKey: string, instances = 1): Promise<Target> {
  const clock = new SharedArrayBuffer(4);
  const steps = new Int32Array(clock);
  const workers: Worker[] = [];
  const urls: string[] = [];
  for (let i = 0; i < instances; i++) {
    // No loader and no `source` condition in the server's thread: it runs backend/dist.
    const worker = new Worker(new URL('./backendServer.worker.mjs', import.meta.url), { execArgv: [], workerData: { mode, db: db.spec, kekFile, clock, period: PERIOD, baseStep: BASE_STEP, ceilingPath: CEILING_PATH } satisfies WorkerInput });
    workers.push(worker);
    urls.push(await new Promise<string>((resolve, reject) => {
      worker.once('message', (m: { url: string }) => resolve(m.url));
      worker.once('error', reject);
    }));
  }
  const keys: OtpKey[] = fobs.map((f) => createOtpKey({ secret: f.seed }));
  let next = 0;
  const run = async (seconds: number, amount?: number): Promise<Figures> => {
    let ok = 0;
    let total = 0;
    const t0 = performance.now();
    const rs = await Promise.all(urls.map((url, u) => autocannon({
      url,
      connections: CONNECTIONS / instances,
      ...(amount ? { amount: Math.floor(amount / instances) + (u < amount % instances ? 1 : 0) } : { duration: seconds }),
      requests: [{
        method: 'POST',
        path: mode === 'ceiling' ? CEILING_PATH : '/v1/validate',
        setupRequest: (req) => {
          const i = next++ % fobs.length;
          if (i === 0) Atomics.add(steps, 0, 1);
          return { ...req, headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ user: fobs[i]!.user, code: keys[i]!.codeAt(BASE_STEP + Atomics.load(steps, 0)) }) };
        },
        onResponse: (_status, body) => {
          total++;
          if (body.startsWith('{"ok":true')) ok++;
        },
      }],
    })));
    // autocannon averages whole-second buckets; a run of a fixed number of requests is timed here.
    const rps = amount ? total / ((performance.now() - t0) / 1000) : rs.reduce((a, r) => a + r.requests.average, 0);
    return {
      label, rps, p50: Math.max(...rs.map((r) => r.latency.p50)), p99: Math.max(...rs.map((r) => r.latency.p99)), ok, total,
      errors: rs.reduce((a, r) => a + r.errors + r.non2xx, 0),
    };
  };
  return { label, url: urls[0]!, workers, run, fobs: fobs.length };
}

async function stopTarget(t: Target): Promise<void> {
  for (const w of t.workers) {
    w.postMessage('stop');
    await new Promise((resolve) => w.once('exit', resolve));
  }
}

function fixture(prefix: string, n: number): FixtureFob[] {
  return Array.from({ length: n }, (_, i) => ({ serial: `${prefix}-${i}`, user: `${prefix}-user${i}`, seed: new Uint8Array(randomBytes(20)) }));
}

async function database(kind: 'sqlite' | 'postgres', n: number): Promise<{ db: TestDatabase; kekFile: string; fobs: FixtureFob[]; apiKey: string }> {
  const db = await createTestDatabase(kind);
  const kekFile = join(db.dir, 'bench.kek');
  const b = await openBackend({ db: db.spec, kekFile, clock: () => PROVISIONED });
  const fobs = fixture(`B${n}`, n);
  await insertFixtureFobs(b.ctx, fobs, PROVISIONED);
  const apiKey = (await createApiKey(b.ctx, 'bench', 'validator')).token;
  await b.close();
  return { db, kekFile, fobs, apiKey };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Runs the targets in interleaved rounds (A B C, A B C, …) so that load from other processes on
 * the machine hits all of them alike. Returns every round of every target; ratios are taken
 * within a round (neighbours in time) and their median reported.
 */
const cold = new Map<Target, Figures>();

async function compare(targets: Target[], rounds: number, seconds: number): Promise<Figures[][]> {
  // JIT, page cache, connection pool, and every fob validated once: the rounds then compare
  // servers that have all seen their fobs, at 1,000 as at 100,000, as a server that has been up
  // for a day has. At 100,000 that pass is the first touch of each fob (its seed opened, its rows
  // read from disk), and is reported on its own as the cold figure.
  for (const t of targets) {
    await t.run(WARMUP);
    cold.set(t, await t.run(0, t.fobs));
  }
  const runs: Figures[][] = targets.map(() => []);
  for (let r = 0; r < rounds; r++) for (let i = 0; i < targets.length; i++) runs[i]!.push(await targets[i]!.run(seconds));
  return runs;
}

/** The median round of one target, with the counts of all rounds. */
function summary(rs: Figures[]): Figures {
  const mid = rs.find((f) => f.rps === median(rs.map((x) => x.rps)))!;
  return { ...mid, ok: rs.reduce((a, f) => a + f.ok, 0), total: rs.reduce((a, f) => a + f.total, 0), errors: rs.reduce((a, f) => a + f.errors, 0) };
}

const ratioOf = (a: Figures[], b: Figures[]): number => median(a.map((f, i) => f.rps / b[i]!.rps));

function print(f: Figures): void {
  process.stdout.write(`${f.label.padEnd(36)} ${f.rps.toFixed(0).padStart(6)} req/s   p50 ${String(f.p50).padStart(3)} ms   p99 ${String(f.p99).padStart(3)} ms   ok ${f.ok}/${f.total}${f.errors ? `   errors ${f.errors}` : ''}\n`);
}

async function main(): Promise<void> {
  const started = Date.now();
  process.stdout.write(`backend bench: ${CONNECTIONS} connections; ${ROUNDS} interleaved rounds of ${SECONDS} s per target after a ${WARMUP} s warm-up; median round shown, ratios are medians of per-round ratios; every request a fresh valid code\n` +
    `servers run backend/dist with its defaults (the in-memory key cache holds ${DEFAULT_OTP_KEY_CACHE_ENTRIES.toLocaleString('en-US')} factors); the warm-up also validates every fob once, so each server has seen all its fobs; that first pass at 100,000 fobs is shown as "first touch"\n`);
  const cleanups: (() => Promise<void>)[] = [];
  try {
    const [d1k, d10k, d100k] = [await database('sqlite', 1_000), await database('sqlite', 10_000), await database('sqlite', 100_000)];
    cleanups.push(() => d1k.db.cleanup(), () => d10k.db.cleanup(), () => d100k.db.cleanup());
    // The ceiling runs on a byte-for-byte copy of the 10,000-fob file: sharing one SQLite file
    // between the two servers would make each run invalidate the other's page cache.
    const ceilingDb = await createTestDatabase('sqlite');
    cleanups.push(() => ceilingDb.cleanup());
    copyFileSync(d10k.db.spec.slice('sqlite:'.length), ceilingDb.spec.slice('sqlite:'.length));
    const targets = [
      await startTarget('sqlite ceiling (1 UPDATE), 10,000 fobs', 'ceiling', ceilingDb, d10k.kekFile, d10k.fobs, d10k.apiKey),
      await startTarget('sqlite validate, 10,000 fobs', 'validate', d10k.db, d10k.kekFile, d10k.fobs, d10k.apiKey),
      await startTarget('sqlite validate, 1,000 fobs', 'validate', d1k.db, d1k.kekFile, d1k.fobs, d1k.apiKey),
      await startTarget('sqlite validate, 100,000 fobs', 'validate', d100k.db, d100k.kekFile, d100k.fobs, d100k.apiKey),
    ];
    const [ceilingRuns, s10kRuns, s1kRuns, s100kRuns] = await compare(targets, ROUNDS, SECONDS);
    for (const t of targets) await stopTarget(t);
    const [ceiling, s10k, s1k, s100k] = [ceilingRuns!, s10kRuns!, s1kRuns!, s100kRuns!].map(summary);
    for (const f of [ceiling!, s10k!, s1k!, s100k!]) print(f);
    print({ ...cold.get(targets[3]!)!, label: 'sqlite validate, 100,000, first touch' });
    const results = [s10k!, s1k!, s100k!];
    const ratio = ratioOf(s10kRuns!, ceilingRuns!);
    const scale = ratioOf(s100kRuns!, s1kRuns!);

    let pgLine = 'postgres: not reachable, skipped';
    if (await pgReachable()) {
      const p = await database('postgres', 10_000);
      cleanups.push(() => p.db.cleanup());
      // Also two backend instances on the one database (each with its own pool), the way a
      // deployment scales out: the atomic throttle and compare-and-set then meet across instances.
      // (A database of their own: each target has its own clock, and two targets validating one
      // fob set would replay each other's steps.)
      const p2 = await database('postgres', 10_000);
      cleanups.push(() => p2.db.cleanup());
      const pgTargets = [
        await startTarget('postgres ceiling (1 UPDATE), 10,000', 'ceiling', p.db, p.kekFile, p.fobs, p.apiKey),
        await startTarget('postgres validate, 10,000 fobs', 'validate', p.db, p.kekFile, p.fobs, p.apiKey),
        await startTarget('postgres ceiling, 2 instances', 'ceiling', p2.db, p2.kekFile, p2.fobs, p2.apiKey, 2),
        await startTarget('postgres validate, 2 instances', 'validate', p2.db, p2.kekFile, p2.fobs, p2.apiKey, 2),
      ];
      const [pcRuns, pvRuns, pc2Runs, pv2Runs] = await compare(pgTargets, ROUNDS, SECONDS);
      for (const t of pgTargets) await stopTarget(t);
      const [pc, pv, pc2, pv2] = [pcRuns!, pvRuns!, pc2Runs!, pv2Runs!].map(summary);
      for (const f of [pc!, pv!, pc2!, pv2!]) print(f);
      results.push(pv!, pv2!);
      pgLine = `postgres: validate/ceiling at 10,000 fobs = ${ratioOf(pvRuns!, pcRuns!).toFixed(2)} (reported, no bar)\n` +
        `postgres, 2 instances on one database: validate/ceiling at 10,000 fobs = ${ratioOf(pv2Runs!, pc2Runs!).toFixed(2)} (reported, no bar)`;
    }

    const allOk = results.every((r) => r.ok === r.total && r.errors === 0);
    process.stdout.write(`\nsqlite: validate/ceiling at 10,000 fobs = ${ratio.toFixed(2)} (bar >= 0.50) ${ratio >= 0.5 ? 'PASS' : 'FAIL'}\n`);
    process.stdout.write(`sqlite: rate at 100,000 fobs / rate at 1,000 = ${scale.toFixed(2)} (bar 0.80..1.20) ${Math.abs(scale - 1) <= 0.2 ? 'PASS' : 'FAIL'}\n`);
    process.stdout.write(`every validation succeeded: ${allOk ? 'yes' : 'NO'}\n${pgLine}\ntotal ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    if (ratio < 0.5 || Math.abs(scale - 1) > 0.2 || !allOk) process.exitCode = 1;
  } finally {
    for (const c of cleanups) await c();
  }
}

await main();
