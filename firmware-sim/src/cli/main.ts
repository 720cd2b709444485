#!/usr/bin/env node
/**
 * The `fobkit-sim` command line: starts a fleet of simulated fobs on ptys, TCP ports or (for a
 * smoke test) memory, prints one line per fob and a ready line, serves the control endpoint, and
 * runs until SIGINT/SIGTERM, when it closes every port and flushes every fob's flash.
 *
 * Exit codes: 0 stopped by a signal, 2 usage or bad input, 3 could not run (socat, port, state
 * directory), 70 internal error.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { SimulationClock } from '../clock/simulationClock.js';
import { Simulator, type SimTransport } from '../simulator.js';
import { isSimError } from '../errors.js';
import { startControlServer, type ControlServer } from '../control/controlServer.js';
import { startLiveView } from './liveView.js';
import { loadRootKey } from './rootKey.js';
import type { FobEvent } from '../fob/fob.js';
import { withNumericOptions } from './numericOptions.js';

const EXIT_USAGE = 2;
const EXIT_UNAVAILABLE = 3;
const EXIT_INTERNAL = 70;
// src/cli/main.ts and dist/cli/main.js are both two levels below the package root; yargs' own
// guess looks beside process.argv[1] (the bin stub) and prints "unknown".
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

function parseHostPort(text: string): { host: string; port: number } {
  const m = /^(?:(127\.0\.0\.1|localhost|\[::1\]|::1):)?(\d{1,5})$/.exec(text);
  if (!m || Number(m[2]) > 65_535) throw new RangeError(`--control must be 127.0.0.1:PORT (loopback only), got ${text}`);
  return { host: m[1] === 'localhost' || !m[1] ? '127.0.0.1' : m[1].replace(/[[\]]/g, ''), port: Number(m[2]) };
}

async function main(): Promise<number> {
  const argv = await withNumericOptions(yargs(hideBin(process.argv)), {
    count: { min: 1, max: 10_000, demandOption: true, describe: 'number of fobs' },
    tcp: { min: 0, max: 65_535, describe: 'one TCP port per fob on 127.0.0.1, from PORT upwards (0: any free port)' },
    'drift-ppm': { min: -500, max: 500, fraction: true, describe: 'crystal drift of every fob (default: random within ±20 ppm per fob)' },
    temperature: { min: -40, max: 85, fraction: true, describe: 'ambient °C: adds the tuning-fork crystal curve (-0.034 ppm/°C² around 25 °C)' },
    'start-time': { min: 0, max: 4_294_967_295, fraction: true, describe: 'simulated time starts here (Unix s) and moves only through the control endpoint' },
    'display-timeout': { min: 1, max: 3600, fraction: true, describe: 'seconds the LCD stays on after a press (default 10)' },
  })
    .scriptName('fobkit-sim')
    .version(VERSION)
    .usage('$0 --count N [--pty | --tcp PORT] --state-dir DIR [options]\n\nStarts N simulated key fobs (reloading those already in DIR).')
    .option('pty', { type: 'boolean', describe: 'one pseudo-terminal per fob (default)' })
    .option('memory', { type: 'boolean', hidden: true, describe: 'no ports at all (smoke tests of the control endpoint)' })
    .option('state-dir', { type: 'string', demandOption: true, describe: 'where each fob keeps its flash image and battery-backed state' })
    .option('seed', { type: 'string', describe: 'seed for the per-fob random drift' })
    .option('realistic', { type: 'boolean', default: false, describe: 'real flash, USB and MCU timings' })
    .option('root-key', { type: 'string', describe: 'factory root public key file (root.pub.json from `fobkit keys root create`); default: a development root in DIR/sim-root' })
    .option('control', { type: 'string', describe: 'control endpoint on 127.0.0.1:PORT' })
    .option('control-socket', { type: 'string', describe: 'control endpoint on a Unix socket' })
    .option('json', { type: 'boolean', default: false, describe: 'one JSON object per line' })
    .option('view', { type: 'boolean', default: false, describe: 'live terminal view of every fob' })
    .conflicts('pty', 'tcp')
    .conflicts('control', 'control-socket')
    .check((a) => {
      if (a.tcp !== undefined && a.tcp !== 0 && a.tcp + a.count - 1 > 65_535) throw new Error('--tcp PORT must leave room for --count ports below 65536');
      return true;
    })
    .strict()
    .help()
    .alias('h', 'help')
    .fail((msg, err) => {
      // yargs calls this for parse errors and for errors thrown by .check(): both are usage errors.
      process.stderr.write(`fobkit-sim: ${msg ?? err?.message}\nRun fobkit-sim --help for usage.\n`);
      process.exit(EXIT_USAGE);
    })
    .parseAsync();

  const json = argv.json;
  let ready = false;
  const out = (obj: Record<string, unknown>, text: string) => {
    // Before the ready line only the fob lines are printed (boot events are in them); with --view only those and ready.
    if (obj.event !== 'ready' && obj.event !== 'fob' && (argv.view || !ready)) return;
    process.stdout.write(json ? JSON.stringify(obj) + '\n' : text + '\n');
  };
  const transport: SimTransport = argv.memory ? 'memory' : argv.tcp !== undefined ? 'tcp' : 'pty';
  const control = argv.control ? parseHostPort(argv.control) : null;
  const stateDir = argv['state-dir'];
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const root = loadRootKey({ stateDir, ...(argv['root-key'] ? { rootKeyFile: argv['root-key'] } : {}) });

  const clock = argv['start-time'] !== undefined ? new SimulationClock({ mode: 'manual', start: argv['start-time'] }) : new SimulationClock();
  const sim = await Simulator.start({
    count: argv.count,
    rootPublicKey: root.publicKey,
    stateDir,
    transport,
    ...(argv.tcp !== undefined ? { tcpPort: argv.tcp } : {}),
    ...(argv['drift-ppm'] !== undefined ? { driftPpm: argv['drift-ppm'] } : {}),
    ...(argv.temperature !== undefined ? { temperatureC: argv.temperature } : {}),
    ...(argv.seed !== undefined ? { seed: argv.seed } : {}),
    ...(argv['display-timeout'] !== undefined ? { displayTimeoutSeconds: argv['display-timeout'] } : {}),
    timing: argv.realistic,
    clock,
    onEvent: (index, e) => out({ event: e.type, index, ...eventFields(e) }, `fob ${index}: ${describeEvent(e)}`),
  });

  let server: ControlServer | null = null;
  try {
    if (control) server = await startControlServer(sim, control);
    else if (argv['control-socket']) server = await startControlServer(sim, { socketPath: argv['control-socket'] });
  } catch (e) {
    await sim.close();
    throw e;
  }

  for (const f of sim.fobs) {
    const s = f.status();
    const where = f.link.address.startsWith('tcp://') ? { address: f.address, port: Number(f.address.split(':').pop()) } : { path: f.address, ...(f.device ? { device: f.device } : {}) };
    out({ event: 'fob', index: f.index, hardwareId: f.hardwareId, ...where, state: s.state, serial: s.serial, flash: s.flash, driftPpm: s.driftPpm }, `fob ${f.index}  ${f.hardwareId}  ${f.address}  ${s.state}${s.serial ? ` ${s.serial}` : ''}${s.flash === 'recovered' ? '  (flash was corrupt: reinitialised)' : ''}`);
  }
  out(
    { event: 'ready', count: sim.fobs.length, transport, stateDir: sim.stateDir, control: server?.url ?? null, rootKeyFile: root.file, rootDir: root.rootDir, rootFingerprint: root.fingerprint, rootPublicKey: Buffer.from(root.publicKey).toString('base64url'), realistic: argv.realistic, time: sim.now() },
    `ready: ${sim.fobs.length} fob(s) on ${transport}; root ${root.fingerprint} (${root.file})${server ? `; control ${server.url}` : ''}; Ctrl-C to stop`,
  );

  ready = true;
  const stopView = argv.view ? startLiveView(sim) : null;
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  stopView?.();
  await server?.close();
  await sim.close();
  process.stdout.write(json ? JSON.stringify({ event: 'stopped', count: sim.fobs.length }) + '\n' : 'stopped: every port closed, flash flushed\n');
  return 0;
}

function eventFields(e: FobEvent): Record<string, unknown> {
  const { type: _type, ...rest } = e as FobEvent & Record<string, unknown>;
  return rest;
}

function describeEvent(e: FobEvent): string {
  switch (e.type) {
    case 'booted': return `booted (flash ${e.flash})`;
    case 'state': return `now ${e.state}${e.serial ? ` (${e.serial})` : ''}`;
    case 'power-cut': return `power cut: ${e.detail}`;
    case 'battery-dead': return 'battery dead: clock lost';
    case 'press': return `button: ${e.view.text}${e.view.remaining !== null ? ` (${e.view.remaining}s)` : ''}`;
    case 'fault': return `internal simulator fault (please report): ${e.message}`;
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (isSimError(e, 'INVALID_OPTION')) {
      process.stderr.write(`fobkit-sim: ${e.code}: ${e.message}\nRun fobkit-sim --help for usage.\n`);
      process.exit(EXIT_USAGE);
    }
    if (isSimError(e)) {
      process.stderr.write(`fobkit-sim: ${e.code}: ${e.message}\n`);
      process.exit(EXIT_UNAVAILABLE);
    }
    if (e instanceof RangeError || e instanceof TypeError || (e as { code?: string }).code === 'INVALID_ENCODING') {
      process.stderr.write(`fobkit-sim: ${(e as Error).message}\n`);
      process.exit(EXIT_USAGE);
    }
    if ((e as NodeJS.ErrnoException).code && ['EACCES', 'ENOENT', 'EROFS', 'ENOTDIR', 'EEXIST'].includes((e as NodeJS.ErrnoException).code!)) {
      process.stderr.write(`fobkit-sim: ${(e as Error).message}\n`);
      process.exit(EXIT_UNAVAILABLE);
    }
    process.stderr.write(`fobkit-sim: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(EXIT_INTERNAL);
  },
);
