/**
 * `fobkit qa conformance` and `fobkit qa fleet`: QA's proof that a backend and the fobs agree.
 *   qa conformance --backend-url URL --api-key KEY… [--fobs N] [--only TEXT] [--json]
 *   qa fleet --count N --days D [--backend-url URL --api-key KEY…] [--seed N] [--json]
 * API keys may be repeated or comma-separated; their roles are found by probing. Exit codes:
 * 0 every scenario passed (fleet: the study ran), 1 a scenario failed or was skipped, 2 usage,
 * keys missing or a backend without the test clock (unless --allow-production),
 * 3 the backend could not be reached or started.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { BackendError } from '../../errors.js';
import { ProductionBackendRefused, runConformance, type ConformanceReport, type ConformanceRow } from '../../qa/runConformance.js';
import { runFleetStudy, type FleetReport } from '../../qa/runFleetStudy.js';
import { checkBackendUrl } from '../../qa/qaBackend.js';
import { spawnTemporaryBackend, type TemporaryBackend } from '../../qa/spawnTemporaryBackend.js';
import { CliError, EXIT_NEGATIVE, EXIT_OK, EXIT_UNAVAILABLE, EXIT_USAGE } from '../cliErrors.js';
import { withNumericOptions } from '../numericOptions.js';

interface QaArgs {
  backendUrl?: string;
  /** The old name of --backend-url, still accepted (hidden). */
  backend?: string;
  apiKey?: string[];
  json: boolean;
  seed: number;
}
interface ConformanceArgs extends QaArgs {
  fobs: number;
  allowProduction: boolean;
  only?: string;
}
interface FleetArgs extends QaArgs {
  count: number;
  days: number;
}

function keysOf(a: QaArgs): string[] {
  const given = (a.apiKey ?? []).flatMap((k) => String(k).split(','));
  const env = (process.env['FOBKIT_API_KEY'] ?? '').split(',');
  return [...given, ...(given.length ? [] : env)].map((k) => k.trim()).filter(Boolean);
}

function qaFailure(e: unknown): unknown {
  if (e instanceof ProductionBackendRefused) return new CliError(e.code, e.message, EXIT_USAGE, { cause: e });
  if (e instanceof RangeError) return new CliError('USAGE', e.message, EXIT_USAGE, { cause: e });
  if (e instanceof BackendError) return new CliError(e.code, e.message, EXIT_UNAVAILABLE, { cause: e });
  return e;
}

const pad = (s: string, n: number): string => (s.length >= n ? s : s + ' '.repeat(n - s.length));

function rowLines(r: ConformanceRow): string[] {
  const mark = r.result === 'passed' ? 'passed ' : r.result === 'failed' ? 'FAILED ' : 'skipped';
  return [`${pad(r.scenario, 32)} ${mark}  ${r.expectation}`, `${' '.repeat(42)}→ ${r.detail}`];
}

export function formatConformance(report: ConformanceReport): string[] {
  return [
    // A skipped scenario proves nothing: the run is then INCOMPLETE, never PASS (exit 1 too).
    `${report.failed ? 'FAIL' : report.skipped ? 'INCOMPLETE' : 'PASS'}: ${report.passed} passed, ${report.failed} failed, ${report.skipped} skipped (${report.backend}, test clock: ${report.testClock ? 'yes' : 'no'})`,
    `cleanup: ${report.cleanup.fobsRevoked} fob(s) this run registered unbound and revoked, ${report.cleanup.users} user(s) cleared${report.cleanup.failed ? `; ${report.cleanup.failed} could not be retired` : ''}`,
  ];
}

async function runConformanceCommand(a: ArgumentsCamelCase<ConformanceArgs>): Promise<void> {
  const baseUrl = a.backendUrl ?? a.backend ?? process.env['FOBKIT_BACKEND_URL'];
  if (!baseUrl) throw new CliError('USAGE', 'give --backend-url URL (or FOBKIT_BACKEND_URL)', EXIT_USAGE);
  const keys = keysOf(a);
  if (keys.length === 0) throw new CliError('USAGE', 'give --api-key KEY for the station, validator and admin (or support) roles (repeat it, or comma-separate)', EXIT_USAGE);
  let url: string;
  try {
    url = checkBackendUrl(baseUrl);
  } catch (e) {
    throw qaFailure(e);
  }
  if (!a.json) process.stdout.write(`fobkit qa conformance: ${url}\n${pad('scenario', 32)} result   expectation\n`);
  const report = await runConformance({
    baseUrl: url, apiKeys: keys, fobs: a.fobs, seed: a.seed, only: a.only, allowProduction: a.allowProduction,
    onRow: (r) => {
      if (!a.json) for (const l of rowLines(r)) process.stdout.write(l + '\n');
    },
  }).catch((e: unknown) => {
    throw qaFailure(e);
  });
  if (a.json) process.stdout.write(JSON.stringify({ ok: report.failed === 0 && report.skipped === 0, ...report }) + '\n');
  else for (const l of formatConformance(report)) process.stdout.write(l + '\n');
  process.exitCode = report.failed || report.skipped ? EXIT_NEGATIVE : EXIT_OK;
}

const pct = (x: number): string => `${(x * 100).toFixed(2)} %`;

export function formatFleet(r: FleetReport): string[] {
  const lines = [
    `fleet of ${r.fobs} fobs over ${r.days} days (seed ${r.seed}): ${r.logins} logins`,
    `  accepted at the first try   ${r.acceptedFirstTry}  (${pct(r.firstTryShare)})`,
    `  accepted at the second try  ${r.acceptedAfterRetry}`,
    `  accepted after a resync     ${r.acceptedAfterResync}`,
    `  never accepted              ${r.neverAccepted}`,
    `  fobs that needed a resync   ${r.fobsResynced} (${r.resyncs} resyncs)`,
    `  drift: mean ${r.drift.meanPpm.toFixed(1)} ppm, σ ${r.drift.sigmaPpm.toFixed(1)} ppm, range ${r.drift.minPpm} .. ${r.drift.maxPpm} ppm; worst clock ${r.worstOffsetSeconds.toFixed(0)} s off at the end`,
  ];
  if (r.learntErrorPpm) lines.push(`  backend's drift estimate: error median ${r.learntErrorPpm.median.toFixed(1)} ppm, p95 ${r.learntErrorPpm.p95.toFixed(1)} ppm, max ${r.learntErrorPpm.max.toFixed(1)} ppm`);
  lines.push('', '  drift band (ppm)   fobs                                    first try');
  const most = Math.max(1, ...r.drift.bands.map((b) => b.fobs));
  for (const b of r.drift.bands) {
    const label = `${Number.isFinite(b.fromPpm) ? b.fromPpm : '    '} .. ${Number.isFinite(b.toPpm) ? b.toPpm : ''}`;
    const bar = '#'.repeat(Math.round((b.fobs / most) * 30));
    lines.push(`  ${pad(label, 16)} ${String(b.fobs).padStart(5)} ${pad(bar, 30)}  ${b.logins ? pct(b.firstTry / b.logins) : '-'}`);
  }
  return lines;
}

async function runFleetCommand(a: ArgumentsCamelCase<FleetArgs>): Promise<void> {
  let temp: TemporaryBackend | undefined;
  let baseUrl = a.backendUrl ?? a.backend ?? process.env['FOBKIT_BACKEND_URL'];
  let keys = keysOf(a);
  const stop = (): void => {
    void temp?.close().finally(() => process.exit(130));
  };
  try {
    if (!baseUrl) {
      if (!a.json) process.stderr.write('starting a temporary backend (fobkit-backend serve --test-clock)…\n');
      temp = await spawnTemporaryBackend().catch((e: unknown) => {
        throw new CliError('BACKEND_UNAVAILABLE', (e as Error).message, EXIT_UNAVAILABLE, { cause: e });
      });
      process.once('SIGINT', stop);
      baseUrl = temp.url;
      keys = Object.values(temp.keys);
    }
    if (keys.length === 0) throw new CliError('USAGE', 'give --api-key KEY for the station, validator and admin roles', EXIT_USAGE);
    const url = checkBackendUrl(baseUrl);
    let lastPct = -1;
    const report = await runFleetStudy({
      baseUrl: url, apiKeys: keys, count: a.count, days: a.days, seed: a.seed,
      onDay: (d, n) => {
        const p = Math.floor((d / n) * 10);
        if (!a.json && process.stderr.isTTY && p !== lastPct) process.stderr.write(`\r  day ${d}/${n}`);
        lastPct = p;
      },
    }).catch((e: unknown) => {
      throw qaFailure(e);
    });
    if (!a.json && process.stderr.isTTY) process.stderr.write('\r');
    if (a.json) process.stdout.write(JSON.stringify({ ok: true, ...report }) + '\n');
    else for (const l of formatFleet(report)) process.stdout.write(l + '\n');
  } finally {
    process.off('SIGINT', stop);
    await temp?.close();
  }
}

const common = (y: Argv<object>): Argv<QaArgs> =>
  withNumericOptions(y, { seed: { min: 0, max: 4_294_967_295, default: 1, describe: 'random seed (login times, fleet make-up)' } })
    .option('backend-url', { type: 'string', describe: 'backend base URL (FOBKIT_BACKEND_URL)' })
    .option('backend', { type: 'string', hidden: true, describe: 'deprecated name of --backend-url' })
    .option('api-key', { type: 'string', array: true, describe: 'API keys (station, validator, admin or support); repeat or comma-separate (FOBKIT_API_KEY)' })
    .option('json', { type: 'boolean', default: false, describe: 'one JSON object on stdout' }) as unknown as Argv<QaArgs>;

const conformance: CommandModule<object, ConformanceArgs> = {
  command: 'conformance',
  describe: 'run the conformance suite against a backend: table of scenario, expectation, result',
  builder: (y) => withNumericOptions(common(y), { fobs: { min: 2, max: 100, default: 4, describe: 'fobs in the ±20 ppm drift scenario' } })
    .option('allow-production', { type: 'boolean', default: false, describe: 'run against a backend without the test clock (it registers fobs there; time-dependent scenarios are skipped and the run cannot PASS)' }).option('only', { type: 'string', describe: 'only scenarios whose name contains one of these comma-separated words' }) as unknown as Argv<ConformanceArgs>,
  handler: runConformanceCommand,
};

const fleet: CommandModule<object, FleetArgs> = {
  command: 'fleet',
  describe: 'age a simulated fleet and report first-try logins, drift spread and resyncs',
  builder: (y) => withNumericOptions(common(y), { count: { min: 1, max: 10_000, demandOption: true, describe: 'fobs in the fleet' }, days: { min: 1, max: 3650, demandOption: true, describe: 'days to simulate' } }) as unknown as Argv<FleetArgs>,
  handler: runFleetCommand,
};

export const qaCommand: CommandModule<object, never> = {
  command: 'qa <command>',
  describe: 'QA: backend conformance suite and fleet study',
  builder: (y) => y.command(conformance as unknown as CommandModule).command(fleet as unknown as CommandModule).demandCommand(1) as unknown as Argv<never>,
  handler: () => undefined,
};
