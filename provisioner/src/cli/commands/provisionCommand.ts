/**
 * `fobkit provision`: the factory station. Programs, verifies, registers, locks and activates
 * every fob on the given ports, in parallel, keeping its journal so that a station killed at any
 * moment resumes where it was. Live display for people, `--json` (one event per line) for
 * machines, a summary at the end. Exit codes: 0 every fob done (or already done), 1 some fob
 * failed / was set aside / left alone for support / was interrupted / waits for the backend,
 * 2 bad usage or configuration (a key without the station role), 3 could not run (journal busy
 * or broken, backend unreachable, a port missing, no port could be opened).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { parsePasswordFile, parsePskFile, type PskcProtection } from '@fobkit/protocol/formats';
import { loadStationConfig, type StationConfigInput } from '../../config/loadStationConfig.js';
import { stationDataDir } from '../../config/stationDataDir.js';
import { StationDisplay, formatSummary } from '../../display/stationDisplay.js';
import { fitToWidth } from '../../display/fitToWidth.js';
import { isStationError } from '../../errors.js';
import { runStation, type StationEvent, type StationSummary } from '../../station/runStation.js';
import { openStation, type OfflineStationOptions } from '../../station/openStation.js';
import { parseSerialRange } from '../../station/offlineExportBackend.js';
import { presentPaths } from '../../station/listFobPorts.js';
import { connectFob } from '../../transport/connectFob.js';
import type { PipelineStep } from '../../operations/pipelineSteps.js';
import type { StepPhase } from '../../operations/provisionFob.js';
import { withNumericOptions } from '../numericOptions.js';
import { CliError, EXIT_NEGATIVE, EXIT_OK, EXIT_UNAVAILABLE, EXIT_USAGE } from '../cliErrors.js';

/** The station settings as flags (same names as the config, except `--usb-ids` and `--backend-wait`), and the run's own. */
interface ProvisionArgs extends Omit<StationConfigInput, 'usb' | 'backendWaitSeconds'> {
  port?: string[];
  ports?: string;
  watch: boolean;
  count?: number;
  config?: string;
  json: boolean;
  pollMs: number;
  usbIds?: string;
  backendWait?: number;
  offlineExport?: string;
  pskFile?: string;
  passwordFile?: string;
  insecurePlaintext: boolean;
  serialRange?: string;
}

/**
 * `--offline-export FILE` and its companions, checked: the PSKC protection (the pre-shared key or
 * password, read here and zeroed by the station on close) and the serial range.
 */
async function offlineExportOptions(args: ArgumentsCamelCase<ProvisionArgs>): Promise<OfflineStationOptions | undefined> {
  const companions = args.pskFile ?? args.passwordFile ?? args.serialRange ?? (args.insecurePlaintext ? true : undefined);
  if (!args.offlineExport) {
    if (companions !== undefined) throw new CliError('USAGE', '--psk-file, --password-file, --insecure-plaintext and --serial-range go with --offline-export FILE', EXIT_USAGE);
    return undefined;
  }
  if (args.backendUrl || args.apiKey || args.apiKeyFile) throw new CliError('USAGE', '--offline-export runs without a backend: drop --backend-url/--api-key', EXIT_USAGE);
  if (args.pskFile && args.passwordFile) throw new CliError('USAGE', 'give --psk-file or --password-file, not both', EXIT_USAGE);
  if ((args.pskFile || args.passwordFile) && args.insecurePlaintext) throw new CliError('USAGE', '--insecure-plaintext contradicts --psk-file/--password-file', EXIT_USAGE);
  if (!args.pskFile && !args.passwordFile && !args.insecurePlaintext) {
    throw new CliError('USAGE', '--offline-export writes seeds: give --psk-file or --password-file to encrypt them (or --insecure-plaintext for a file that never leaves a protected system)', EXIT_USAGE);
  }
  if (!args.serialRange) throw new CliError('USAGE', '--offline-export needs --serial-range START-END: the block of serials this station may issue (there is no backend to reserve them from)', EXIT_USAGE);
  let serialRange;
  try {
    serialRange = parseSerialRange(args.serialRange);
  } catch (e) {
    throw new CliError('USAGE', (e as Error).message, EXIT_USAGE, { cause: e });
  }
  let protection: PskcProtection | undefined;
  try {
    if (args.pskFile) protection = { kind: 'psk', key: parsePskFile(await readFile(args.pskFile)) };
    if (args.passwordFile) protection = { kind: 'password', password: parsePasswordFile(await readFile(args.passwordFile)) };
  } catch (e) {
    throw new CliError('USAGE', `${args.pskFile ?? args.passwordFile}: ${(e as Error).message}`, EXIT_USAGE, { cause: e });
  }
  return { file: args.offlineExport, serialRange, insecurePlaintext: args.insecurePlaintext, ...(protection ? { protection } : {}) };
}

/**
 * Test hook: `FOBKIT_TEST_CRASH_AT=<step>:<phase>[:<n>]` SIGKILLs this process at the n-th time
 * (default 1st) the pipeline reaches that phase (begin, applied, end) of that step, to prove the
 * journal's recovery. Never set on a real station.
 */
function crashHook(spec: string | undefined, beforeDying: () => void): ((step: PipelineStep, phase: StepPhase) => void) | undefined {
  if (!spec) return undefined;
  const [step, phase = 'begin', nth = '1'] = spec.split(':');
  let left = Number(nth);
  return (s, p) => {
    if (s === step && p === phase && --left === 0) {
      beforeDying();
      process.kill(process.pid, 'SIGKILL');
    }
  };
}

/**
 * JSON lines to stdout, one write per turn of the event loop: stdout to a pipe is synchronous
 * on Linux, and a write per event cost ~9 ms of CPU per fob at ~35 events (bench:provision).
 */
function lineWriter(): { write(line: string): void; flush(): void } {
  let pending: string[] = [];
  const flush = (): void => {
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    process.stdout.write(text);
  };
  return {
    write(line) {
      if (pending.length === 0) setImmediate(flush);
      pending.push(line);
    },
    flush,
  };
}

/** This process's CPU time (user + system) since `start`, in seconds: the bench reads it. */
function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1e6;
}

/**
 * 0 only when every fob is done or was already provisioned by this station; a fob set aside,
 * left alone for support (a wiped fob this station cannot take back, a foreign one) or not
 * finished is 1; no port could be opened at all (busy, gone) is 3: the run could not run.
 */
export function exitCodeOf(s: StationSummary): number {
  if (s.results.length > 0 && s.results.every((r) => r.result.outcome === 'interrupted' && r.result.openFailed)) return EXIT_UNAVAILABLE;
  const leftForSupport = s.results.filter((r) => r.result.outcome === 'skipped' && !r.result.alreadyDone).length;
  return s.failed + s.interrupted + s.waiting + leftForSupport > 0 || s.waitingRegistrations > 0 ? EXIT_NEGATIVE : EXIT_OK;
}

async function runProvision(args: ArgumentsCamelCase<ProvisionArgs>): Promise<void> {
  const flags: StationConfigInput = {
    backendUrl: args.backendUrl, apiKey: args.apiKey, apiKeyFile: args.apiKeyFile, registrationKey: args.registrationKey,
    registrationKeyId: args.registrationKeyId, stationKey: args.stationKey, stationCert: args.stationCert, revocationList: args.revocationList,
    batch: args.batch, algorithm: args.algorithm, digits: args.digits, period: args.period, t0: args.t0, seedMode: args.seedMode,
    batchKeyFile: args.batchKeyFile, journal: args.journal, labels: args.labels, usb: args.usbIds, serialBlock: args.serialBlock,
    verifyTimes: args.verifyTimes, backendWaitSeconds: args.backendWait, fobTimeoutMs: args.fobTimeoutMs, journalSync: args.journalSync,
  };
  const explicit = args.port ?? [];
  if (args.ports !== undefined && args.ports !== 'auto') throw new CliError('USAGE', `--ports takes only 'auto' (use --port PATH for explicit ports)`, EXIT_USAGE);
  if (args.ports === 'auto' && explicit.length) throw new CliError('USAGE', 'give either --port PATH (repeatable) or --ports auto, not both', EXIT_USAGE);
  if (args.ports !== 'auto' && explicit.length === 0) throw new CliError('USAGE', 'no port: give --port PATH (repeatable) or --ports auto', EXIT_USAGE);
  if (args.count !== undefined && (!Number.isInteger(args.count) || args.count < 1)) throw new CliError('USAGE', '--count must be a positive integer', EXIT_USAGE);
  const twice = explicit.find((p, i) => explicit.indexOf(p) !== i);
  if (twice !== undefined) throw new CliError('USAGE', `--port ${twice} is given twice`, EXIT_USAGE);
  // A mistyped port is refused once, before the journal or the backend is touched (with --watch
  // a port may appear later: it is waited for instead).
  const missing = args.watch ? [] : explicit.filter((p) => presentPaths([p]).length === 0);
  if (missing.length) throw new CliError('PORT_UNAVAILABLE', `no such port: ${missing.join(', ')} (is the fob plugged in, the simulator running, the path typed right? --watch waits for it)`, EXIT_UNAVAILABLE);

  const offlineExport = await offlineExportOptions(args);
  let loaded;
  try {
    loaded = loadStationConfig({ configPath: args.config, flags, offline: offlineExport !== undefined });
  } catch (e) {
    if (isStationError(e, 'CONFIG_INVALID')) throw new CliError('CONFIG_INVALID', e.message, EXIT_USAGE, { cause: e });
    throw e;
  }
  const { config } = loaded;
  // The default journal and labels live in the data directory, which may not exist yet (0700: the journal names every fob).
  const dataDir = stationDataDir();
  for (const file of [config.journal, config.labels]) if (dirname(file) === dataDir) await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const json = args.json;
  const lines = lineWriter();
  const out = (o: Record<string, unknown>): void => lines.write(JSON.stringify(o) + '\n');

  let station;
  try {
    station = await openStation({ config, ...(offlineExport ? { offlineExport } : {}) });
  } catch (e) {
    if (offlineExport?.protection?.kind === 'psk') offlineExport.protection.key.fill(0);
    if (isStationError(e, 'CONFIG_INVALID') || isStationError(e, 'BACKEND_WRONG_ROLE')) throw new CliError(e.code, e.message, EXIT_USAGE, { cause: e });
    if (isStationError(e)) throw new CliError(e.code, e.message, EXIT_UNAVAILABLE, { cause: e });
    throw e;
  }
  const r = station.reconcile;
  if (station.offlineExport && !offlineExport?.protection) {
    process.stderr.write(`fobkit: warning: ${station.offlineExport.file} will hold the seeds in the clear (--insecure-plaintext): move it only over a protected channel and delete it once imported\n`);
  }
  const startedAt = Date.now() / 1000;
  const display = new StationDisplay({ count: args.count, startedAt });
  const live = !json && process.stdout.isTTY === true;
  let drawn = 0;
  // One row per line, or the cursor-up below moves too few rows and each redraw leaves copies
  // in the scrollback: every line on a terminal is cut to its width (one column spare, so the
  // cursor never sits in the last column's pending-wrap state).
  const fit = (line: string): string => (live ? fitToWidth(line, (process.stdout.columns || 80) - 1) : line);
  const erase = (): void => {
    if (live && drawn) process.stdout.write(`\x1b[${drawn}A\x1b[J`);
    drawn = 0;
  };
  const redraw = (): void => {
    if (!live) return;
    const lines = display.render(Date.now() / 1000);
    process.stdout.write((drawn ? `\x1b[${drawn}A` : '') + lines.map((l) => `\x1b[2K${fit(l)}`).join('\n') + '\n');
    drawn = lines.length;
  };
  const permanent = (line: string): void => {
    erase();
    process.stdout.write(fit(line) + '\n');
    redraw();
  };
  // A resized terminal: the old block may now wrap and cannot be erased exactly; it is left
  // where it is and the block is drawn anew below it.
  const onResize = (): void => {
    drawn = 0;
    redraw();
  };
  if (live) process.stdout.on('resize', onResize);

  if (json) {
    out({ event: 'start', pid: process.pid, journal: config.journal, labels: config.labels, batch: config.batch, seedMode: config.seedMode, profile: config.profile, registrationKey: { kid: station.registrationKey.kid, source: station.registrationKey.source, checkedWithBackend: station.registrationKey.checkedWithBackend }, ...(station.offlineExport ? { offlineExport: { file: station.offlineExport.file, protection: offlineExport?.protection?.kind ?? 'plaintext' } } : {}), station: { id: station.credentials.stationId, name: station.credentials.stationName } });
    out({ event: 'reconcile', unfinished: r.unfinished, waitingRegistrations: r.waitingRegistrations, waitingActivations: r.waitingActivations, freeSerials: r.freeSerials });
  } else {
    permanent(`fobkit provision: station ${station.credentials.stationName} (#${station.credentials.stationId}), batch ${config.batch}, ${config.profile.algorithm}/${config.profile.digits} digits/${config.profile.period}s, ${config.seedMode} seeds, journal ${config.journal}`);
    if (station.offlineExport) permanent(`offline: no backend; each fob's seed goes into ${station.offlineExport.file} (${offlineExport?.protection ? `${offlineExport.protection.kind === 'psk' ? 'pre-shared key' : 'password'}-protected PSKC` : 'PSKC WITH SEEDS IN THE CLEAR'}) before the fob is locked`);
    if (!station.registrationKey.checkedWithBackend) permanent('backend unreachable: using the pinned registration key; registrations will wait in the outbox');
    if (r.unfinished.length) permanent(`journal: ${r.unfinished.length} fob(s) left unfinished by the last run (${r.unfinished.map((u) => `${u.serial ?? '?'} at ${u.stage}`).join(', ')}): plug them in to resume`);
    if (r.waitingRegistrations || r.waitingActivations) permanent(`outbox: ${r.waitingRegistrations} registration(s), ${r.waitingActivations} activation(s) waiting for the backend; delivering`);
  }

  const stop = new AbortController();
  const abort = new AbortController();
  const onSignal = (): void => {
    if (!stop.signal.aborted) {
      stop.abort();
      if (!json) permanent('stopping: finishing the fobs in progress (interrupt again to abort them; the journal resumes them)');
    } else abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const timer = live ? setInterval(redraw, 250) : undefined;

  const cpuAtStart = process.cpuUsage();
  const onEvent = (e: StationEvent): void => {
    const line = display.apply(e);
    if (json) {
      const { type, ...rest } = e;
      // The station's CPU so far with each finished fob: what bench:provision divides per fob.
      out({ event: type, ...rest, ...(type === 'fob' ? { cpuSeconds: cpuSecondsSince(cpuAtStart) } : {}) });
    } else if (line) permanent(line);
  };

  let summary: StationSummary;
  try {
    summary = await runStation({
      ports: args.ports === 'auto' ? { kind: 'auto', usb: config.usb } : { kind: 'explicit', paths: explicit },
      watch: args.watch, count: args.count, pollMs: args.pollMs,
      connect: (path) => connectFob(path, { credentials: station.credentials, timeoutMs: config.fobTimeoutMs }),
      journal: station.journal, serials: station.serials, outbox: station.outbox, labels: station.labels,
      registrationKey: station.registrationKey, profile: config.profile, batch: config.batch, seedMode: config.seedMode, batchKey: station.batchKey,
      verifyTimes: config.verifyTimes, backendWaitMs: config.backendWaitSeconds * 1000,
      onEvent, onPhase: crashHook(process.env['FOBKIT_TEST_CRASH_AT'], () => lines.flush()), stopSignal: stop.signal, abortSignal: abort.signal,
    });
  } catch (e) {
    if (isStationError(e)) throw new CliError(e.code, e.message, EXIT_UNAVAILABLE, { cause: e });
    throw e;
  } finally {
    lines.flush();
    if (timer) clearInterval(timer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await station.close();
    if (offlineExport?.protection?.kind === 'psk') offlineExport.protection.key.fill(0);
  }
  // The live block goes: each fob already has its permanent line above, and the summary follows.
  erase();
  if (live) process.stdout.off('resize', onResize);
  if (json) {
    out({ event: 'summary', ok: exitCodeOf(summary) === EXIT_OK, done: summary.done, failed: summary.failed, skipped: summary.skipped, interrupted: summary.interrupted, waiting: summary.waiting, waitingRegistrations: summary.waitingRegistrations, waitingActivations: summary.waitingActivations, elapsed: summary.elapsed, cpuSeconds: cpuSecondsSince(cpuAtStart), results: summary.results.map((x) => ({ port: x.port, elapsed: x.elapsed, ...x.result })) });
  } else {
    // Each fob is listed once on screen: its permanent line above holds its result and reason.
    for (const l of formatSummary(summary, { listFobs: !live })) process.stdout.write(fit(l) + '\n');
  }
  lines.flush();
  process.exitCode = exitCodeOf(summary);
}

export const provisionCommand: CommandModule<object, ProvisionArgs> = {
  command: 'provision',
  describe: 'program, verify, register, lock and activate fobs (the factory station)',
  builder: (y: Argv<object>) =>
    withNumericOptions(y, {
      count: { min: 1, max: 1_000_000, describe: 'fobs in this batch (ETA; with --watch, stop after this many are done)' },
      'poll-ms': { min: 50, max: 60_000, default: 500, describe: 'port poll interval with --watch' },
      digits: { min: 6, max: 8, describe: 'fob profile: code digits (default 6)' },
      period: { min: 1, max: 3600, describe: 'fob profile: seconds per code (default 60)' },
      t0: { min: 0, max: 4_294_967_295, describe: 'fob profile: T0, Unix seconds (default 0)' },
      'serial-block': { min: 1, max: 1000, describe: 'serials reserved per backend request' },
      'verify-times': { min: 3, max: 16, describe: 'CALCULATE checks per fob' },
      'backend-wait': { min: 0, max: 86_400, fraction: true, describe: 'seconds a port waits for the backend before leaving a fob unlocked' },
      'fob-timeout-ms': { min: 50, max: 60_000, describe: 'per-request timeout towards a fob' },
    })
      .option('port', { type: 'string', array: true, describe: 'serial port of a fob (repeatable)' })
      .option('ports', { type: 'string', describe: "'auto': every port with the station's USB vendor/product ids" })
      .option('watch', { type: 'boolean', default: false, describe: 'keep running: provision each fob as it is plugged in' })
      .option('config', { type: 'string', describe: 'station config file (default ./fobkit.config.json)' })
      .option('json', { type: 'boolean', default: false, describe: 'one JSON event per line instead of the live display' })
      .option('backend-url', { type: 'string', describe: 'backend base URL (FOBKIT_BACKEND_URL)' })
      .option('api-key', { type: 'string', describe: 'station API key (FOBKIT_API_KEY; prefer --api-key-file)' })
      .option('api-key-file', { type: 'string', describe: 'file holding the station API key' })
      .option('registration-key', { type: 'string', describe: "pinned backend registration public key (base64url)" })
      .option('registration-key-id', { type: 'string', describe: 'its key id' })
      .option('station-key', { type: 'string', describe: 'station key file (fobkit keys station)' })
      .option('station-cert', { type: 'string', describe: 'separate station certificate file, if any' })
      .option('revocation-list', { type: 'string', describe: 'revocation list file to hand to each fob' })
      .option('batch', { type: 'string', describe: 'batch name for labels and registrations' })
      .option('algorithm', { type: 'string', choices: ['sha1', 'sha256', 'sha512'], describe: 'fob profile: HMAC algorithm (default sha1)' })
      .option('seed-mode', { type: 'string', choices: ['random', 'derived'], describe: 'random (default) or derived from a batch key' })
      .option('batch-key-file', { type: 'string', describe: 'batch key file for derived seeds' })
      .option('journal', { type: 'string', describe: 'journal file (SQLite), one per station' })
      .option('labels', { type: 'string', describe: 'label output file (.csv or JSON lines)' })
      .option('usb-ids', { type: 'string', describe: 'vendor:product ids for --ports auto, comma-separated' })
      .option('journal-sync', { type: 'string', choices: ['full', 'normal'], describe: 'journal durability (full: survives power loss)' })
      .option('offline-export', { type: 'string', describe: 'no backend: write each fob into this encrypted PSKC file (RFC 6030) instead of registering it' })
      .option('psk-file', { type: 'string', describe: 'offline export: encrypt with this pre-shared AES-128, -192 or -256 key (32, 48 or 64 hex digits)' })
      .option('password-file', { type: 'string', describe: 'offline export: encrypt with a key derived (PBKDF2) from the first line of this file' })
      .option('insecure-plaintext', { type: 'boolean', default: false, describe: 'offline export: write the seeds unencrypted' })
      .option('serial-range', { type: 'string', describe: 'offline export: the serials this station may issue, START-END (e.g. FK00010008-FK00010996)' }) as unknown as Argv<ProvisionArgs>,
  handler: runProvision,
};
