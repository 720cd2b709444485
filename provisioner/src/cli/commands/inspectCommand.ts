/**
 * `fobkit inspect [--port PATH] [--fix server|clock] [--release]`: plug a returned fob in and
 * get a verdict with what to do next. With --json and --fix, progress events come first, one
 * JSON line each (`{ event: 'progress', stage, message, waitSeconds? }`); the report is the last line. Exit codes: 0 the fob is OK (or its clock was fixed),
 * 1 any other verdict, 2 usage, 3 the fob or the backend could not be reached.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { DEFAULT_USB_IDS } from '../../config/stationConfig.js';
import { listFobPorts } from '../../station/listFobPorts.js';
import { inspectFob, type InspectProgress, type InspectReport } from '../../support/inspectFob.js';
import { CliError, EXIT_NEGATIVE, EXIT_OK, EXIT_USAGE } from '../cliErrors.js';
import { backendSettings, fobFailure, openFob, printJson, stationCredentials, supportClient, withBackend, withBackendOptions, type BackendArgs } from './_supportOptions.js';
import { withNumericOptions } from '../numericOptions.js';

interface InspectArgs extends BackendArgs {
  port?: string;
  fix?: 'server' | 'clock';
  release: boolean;
  stationKey?: string;
  revocationList?: string;
  maxOffset: number;
}

const fmtTime = (t: number): string => new Date(t * 1000).toISOString().replace(/\.\d+Z$/, 'Z');

export function formatInspectReport(r: InspectReport): string[] {
  const f = r.fob;
  const lines = [
    `fob       ${f.serial ?? '(no serial)'}  ${f.model} hw ${f.hw} fw ${f.fw}  state ${f.state}`,
    `clock     ${f.timeValid ? fmtTime(f.time) : 'not set'}  station ${fmtTime(f.stationTime)}  offset ${f.offsetSeconds >= 0 ? '+' : ''}${f.offsetSeconds} s${r.drift.ppm !== undefined && Math.abs(r.drift.ppm) <= 200 ? ` (≈ ${r.drift.ppm} ppm since provisioning)` : ''}`,
    `battery   ${f.batteryPct} % (${f.batteryMv} mV)${f.batteryLow ? ' LOW' : ''}, about ${Math.round(f.lifeDays)} days left; ${f.presses} presses, ${f.failedAuth} failed station logins, ${f.wipes} wipes`,
  ];
  if (r.record) {
    lines.push(`backend   ${r.record.state}${r.record.enabled ? '' : ' (disabled)'}${r.record.user ? ` → ${r.record.user}` : ''}; expects clock ${r.drift.backendExpectsSeconds !== undefined ? `${r.drift.backendExpectsSeconds >= 0 ? '+' : ''}${r.drift.backendExpectsSeconds} s` : '?'}; last used ${r.record.lastUsed ? fmtTime(r.record.lastUsed) : 'never'}; ${r.record.failures.count} recent failures`);
  }
  if (r.code.checked) lines.push(`code      ${r.code.ok ? `matches (${r.code.offsetSteps! >= 0 ? '+' : ''}${r.code.offsetSteps} steps${r.code.matchedAt === 'fob-time' ? ', at the fob\'s own time' : ''})` : 'does NOT match'}`);
  for (const n of r.notes ?? []) lines.push(`note      ${n}`);
  lines.push('', `verdict   ${r.summary}`, `next      ${r.next}`);
  for (const other of r.findings.slice(1)) lines.push(`also      ${other.summary} — ${other.next}`);
  return lines;
}

async function choosePort(port: string | undefined): Promise<string> {
  if (port) return port;
  const found = await listFobPorts(DEFAULT_USB_IDS);
  if (found.length === 1) return found[0]!;
  throw new CliError('USAGE', found.length === 0 ? 'no fob found on USB: plug one in or give --port PATH' : `${found.length} fobs plugged in (${found.join(', ')}): give --port PATH`, EXIT_USAGE);
}

/**
 * Shows what a fix is doing: with --json one event line per stage on stdout (the report is the
 * last line); on a terminal one line on stderr whose countdown ticks while the fix waits for the
 * fob's next code (up to a period: 60 s); otherwise one line per stage on stderr.
 */
function progressPrinter(json: boolean): { report: (p: InspectProgress) => void; end: () => void } {
  const tty = !json && process.stderr.isTTY === true;
  let timer: NodeJS.Timeout | undefined;
  let open = false;
  const clear = (): void => {
    if (timer) clearInterval(timer);
    timer = undefined;
    if (open) process.stderr.write('\r\x1b[K');
    open = false;
  };
  return {
    report(p) {
      if (json) {
        process.stdout.write(JSON.stringify({ event: 'progress', ...p }) + '\n');
        return;
      }
      if (!tty) {
        process.stderr.write(`${p.message}\n`);
        return;
      }
      clear();
      open = true;
      if (p.stage !== 'waiting-for-next-code' || p.waitSeconds === undefined) {
        process.stderr.write(`${p.message}…`);
        return;
      }
      const until = Date.now() + p.waitSeconds * 1000;
      const draw = (): void => {
        const left = Math.max(0, Math.ceil((until - Date.now()) / 1000));
        process.stderr.write(`\r\x1b[Kwaiting ${left} s for the fob's next code (a resync needs two consecutive codes)…`);
      };
      draw();
      timer = setInterval(draw, 1000);
    },
    end: clear,
  };
}

async function runInspect(a: ArgumentsCamelCase<InspectArgs>): Promise<void> {
  const settings = backendSettings(a);
  const station = a.fix === 'clock' ? stationCredentials(settings.stationKey, '--fix clock', settings.revocationList) : undefined;
  const port = await choosePort(a.port);
  const backend = supportClient(settings);
  const { fob, close } = await openFob(port);
  const progress = progressPrinter(a.json);
  let report: InspectReport;
  try {
    report = await withBackend(() => inspectFob({
      fob, backend, fix: a.fix, station, release: a.release, maxOffsetSeconds: a.maxOffset,
      onProgress: progress.report,
    })).catch((e: unknown) => {
      throw fobFailure(e);
    });
  } finally {
    progress.end();
    station?.privateKey.fill(0);
    await close();
  }
  if (a.json) printJson(report);
  else for (const l of formatInspectReport(report)) process.stdout.write(l + '\n');
  process.exitCode = report.ok ? EXIT_OK : EXIT_NEGATIVE;
}

export const inspectCommand: CommandModule<object, InspectArgs> = {
  command: 'inspect',
  describe: 'read a returned fob, compare it with the backend and give a verdict (support)',
  builder: (y: Argv<object>) =>
    withNumericOptions(withBackendOptions(y), {
      'max-offset': { min: 1, max: 86_400, fraction: true, default: 90, describe: 'seconds of clock offset above which the clock counts as drifted' },
    })
      .option('port', { type: 'string', describe: 'serial port of the fob (default: the one fob plugged in)' })
      .option('fix', { type: 'string', choices: ['server', 'clock'], describe: 'on a drifted clock: server = resync the backend; clock = reset the fob clock and resync' })
      .option('release', { type: 'boolean', default: false, describe: 'check a quarantined fob, returning it to stock when its code matches' })
      .option('station-key', { type: 'string', describe: 'station key file, for --fix clock (FOBKIT_STATION_KEY)' })
      .option('revocation-list', { type: 'string', describe: 'revocation list handed to the fob in the --fix clock session (FOBKIT_REVOCATION_LIST)' }) as unknown as Argv<InspectArgs>,
  handler: runInspect,
};
