/**
 * `npm run bench:otp`: codes per second of the OTP fast path (`createOtpKey`, precomputed HMAC
 * states) against plain node:crypto `createHmac` per code (the baseline) and otplib (comparison
 * only), for SHA-1, SHA-256 and (for information) SHA-512, measured in one run with interleaved
 * rounds. Exits 1 when the fast path misses its bar: ≥ 1.5× the baseline for SHA-1, ≥ 1.0× for
 * SHA-256 (issue 2). Run with --expose-gc (the npm script does) so that one contender's garbage
 * is collected between slices instead of inside the next contender's.
 *
 * Then the start-up time of the command a support desk types, `fobkit otp` (the built bin) against
 * `oathtool` with the same arguments: both spawned `--starts N` times, interleaved, median
 * wall-clock per run and the ratio (information only: Node's start-up dominates it).
 *
 * Options: `--rounds N` (default 7), `--slice-ms N` (default 200), `--starts N` (default 20), `--json`.

 */
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generateSync } from 'otplib';
import { createOtpKey, dynamicTruncate, encodeCounter, type OtpAlgorithm } from '@fobkit/protocol/otp';
import { measureInterleaved, type Contender } from './_interleaved.js';

/** The bars of issue 2; SHA-512 (rare on fobs) is measured for information only. */
const BARS: Record<OtpAlgorithm, number | undefined> = { sha1: 1.5, sha256: 1.0, sha512: undefined };
const DIGITS = 6;
const MODULUS = 10 ** DIGITS;
/** Support's scan starts around today's 60 s step; the figure does not depend on the counter. */
const START_COUNTER = Math.floor(1_795_000_000 / 60);

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '7' }, 'slice-ms': { type: 'string', default: '200' }, starts: { type: 'string', default: '20' }, json: { type: 'boolean', default: false } },
});
const starts = Number(values.starts);
if (!Number.isInteger(starts) || starts < 1 || starts > 1000) {
  console.error('bench:otp: --starts must be a whole number from 1 to 1000');
  process.exit(2);
}
const rounds = Number(values.rounds);
const sliceMs = Number(values['slice-ms']);
if (!Number.isInteger(rounds) || rounds < 1 || !Number.isFinite(sliceMs) || sliceMs <= 0) {
  console.error('bench:otp: --rounds must be a positive integer and --slice-ms a positive number');
  process.exit(2);
}

// A fixed, obviously fake 20-byte secret (RFC 4226's test key), the fobs' default size.
const secret = new TextEncoder().encode('12345678901234567890');

function contenders(algorithm: OtpAlgorithm): Contender[] {
  const key = createOtpKey({ secret, algorithm, digits: DIGITS });
  let fastCounter = START_COUNTER;
  let baseCounter = START_COUNTER;
  let otplibCounter = START_COUNTER;
  const counterBytes = new Uint8Array(8);
  return [
    {
      name: 'fast path (createOtpKey)',
      run(n) {
        let acc = 0;
        for (let i = 0; i < n; i++) acc ^= key.valueAt(fastCounter++);
        return acc;
      },
    },
    {
      name: 'baseline (createHmac per code)',
      run(n) {
        let acc = 0;
        for (let i = 0; i < n; i++) {
          encodeCounter(baseCounter++, counterBytes);
          acc ^= dynamicTruncate(createHmac(algorithm, secret).update(counterBytes).digest()) % MODULUS;
        }
        return acc;
      },
    },
    {
      name: 'otplib 13 (generateSync, hotp)',
      run(n) {
        let acc = 0;
        for (let i = 0; i < n; i++) {
          acc ^= Number(generateSync({ secret, strategy: 'hotp', counter: otplibCounter++, algorithm, digits: DIGITS }));
        }
        return acc;
      },
    },
  ];
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const started = performance.now();
if (typeof (globalThis as { gc?: unknown }).gc !== 'function') console.error('bench:otp: run with node --expose-gc for steadier figures');
const report: { algorithm: string; results: { name: string; codesPerSecond: number; ratioToBaseline: number }[]; bar: number | undefined; ok: boolean }[] = [];
for (const algorithm of ['sha1', 'sha256', 'sha512'] as const) {
  const results = measureInterleaved(contenders(algorithm), { rounds, sliceMs, warmupMs: 300 });
  const baseline = results[1]!.opsPerSecond;
  const rows = results.map((r) => ({ name: r.name, codesPerSecond: r.opsPerSecond, ratioToBaseline: r.opsPerSecond / baseline }));
  const bar = BARS[algorithm];
  report.push({ algorithm, results: rows, bar, ok: bar === undefined || rows[0]!.ratioToBaseline >= bar });
}

/** Median wall-clock ms of `fobkit otp ARGS` and `oathtool ARGS`, spawned alternately `starts` times. */
function measureStartup(): { fobkitMs: number; oathtoolMs: number; ratio: number; starts: number } | { skipped: string } {
  const bin = fileURLToPath(new URL('../provisioner/bin/fobkit.js', import.meta.url));
  if (!existsSync(fileURLToPath(new URL('../provisioner/dist/cli/main.js', import.meta.url)))) return { skipped: 'fobkit is not built (npm run build)' };
  if (spawnSync('oathtool', ['--version']).status !== 0) return { skipped: 'oathtool is not installed' };
  const args = ['--totp', '-N', '@59', '-d', '8', '3132333435363738393031323334353637383930'];
  const run = (cmd: string, argv: string[]): number => {
    const t = performance.now();
    const r = spawnSync(cmd, argv, { encoding: 'utf8' });
    const ms = performance.now() - t;
    if (r.status !== 0 || r.stdout.trim() !== '94287082') throw new Error(`${cmd} ${argv.join(' ')} printed ${JSON.stringify(r.stdout)} (exit ${r.status})`);
    return ms;
  };
  const ours: number[] = [];
  const theirs: number[] = [];
  run(process.execPath, [bin, 'otp', ...args]); // warm the file cache for both
  run('oathtool', args);
  for (let i = 0; i < starts; i++) {
    ours.push(run(process.execPath, [bin, 'otp', ...args]));
    theirs.push(run('oathtool', args));
  }
  const median = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  };
  const fobkitMs = median(ours);
  const oathtoolMs = median(theirs);
  return { fobkitMs, oathtoolMs, ratio: fobkitMs / oathtoolMs, starts };
}
const startup = measureStartup();
const seconds = (performance.now() - started) / 1000;

if (values.json) {
  console.log(JSON.stringify({ rounds, sliceMs, seconds, report, startup }));
} else {
  console.log(`OTP codes per second (median of ${rounds} interleaved rounds of ${sliceMs} ms, ${DIGITS} digits, 20-byte secret, Node ${process.version})\n`);
  console.log(`${'algorithm'.padEnd(10)}${'implementation'.padEnd(34)}${'codes/s'.padStart(12)}${'× baseline'.padStart(12)}`);
  for (const { algorithm, results } of report) {
    for (const r of results) {
      console.log(`${algorithm.padEnd(10)}${r.name.padEnd(34)}${fmt(r.codesPerSecond).padStart(12)}${r.ratioToBaseline.toFixed(2).padStart(11)}×`);
    }
  }
  console.log('');
  for (const { algorithm, results, bar, ok } of report) {
    const verdict = bar === undefined ? 'INFO' : ok ? 'PASS' : 'FAIL';
    console.log(`${verdict} ${algorithm}: fast path ${results[0]!.ratioToBaseline.toFixed(2)}× baseline (${bar === undefined ? 'no bar' : `bar ≥ ${bar.toFixed(1)}×`})`);
  }
  if ('skipped' in startup) console.log(`\nstart-up: not measured (${startup.skipped})`);
  else {
    console.log(`\nstart-up, median of ${startup.starts} interleaved runs of \`otp --totp -N @59 -d 8 KEY\`:`);
    console.log(`  fobkit otp (node ${process.version}) ${startup.fobkitMs.toFixed(1).padStart(8)} ms`);
    console.log(`  oathtool                     ${startup.oathtoolMs.toFixed(1).padStart(8)} ms`);
    console.log(`INFO start-up: fobkit otp takes ${startup.ratio.toFixed(1)}× oathtool's time`);
  }
  console.log(`\n(${seconds.toFixed(1)} s)`);
}
if (report.some((r) => !r.ok)) process.exitCode = 1;
