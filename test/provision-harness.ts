/**
 * Shared rig for the station's end-to-end tests: a factory root and station keys on disk, a real
 * `fobkit-backend serve` process on an SQLite file (restartable on the same port, to take the
 * backend down mid-run), and `fobkit provision` run as a child process whose `--json` events the
 * test reads (and on which it can kill the station). The fobs are the firmware simulator's, on
 * real ptys, driven from the test process through the simulator's library API.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { encodeKeyFile, generateSigningKeyPair, issueStationCertificate, keyFingerprint } from '@fobkit/protocol/session';
import { openBackend } from '../backend/src/openBackend.js';
import { createApiKey } from '../backend/src/service/apiKeyStore.js';

export const ROOT = join(import.meta.dirname, '..');
const TSX = ['--conditions=source', '--import', 'tsx'];

export interface StationKeys {
  rootPublicKey: Uint8Array;
  /** Certified by the root the fobs trust. */
  stationKeyFile: string;
  /** Certified by another root: every fob refuses it. */
  rogueKeyFile: string;
}

/** A factory root and two station key files (0600), as `fobkit keys` makes them. */
export function makeStationKeys(dir: string): StationKeys {
  mkdirSync(dir, { recursive: true });
  const now = Math.floor(Date.now() / 1000);
  const write = (name: string, rootPriv: Uint8Array, rootPub: Uint8Array, id: number): string => {
    const key = generateSigningKeyPair();
    const certificate = issueStationCertificate({ rootPrivateKey: rootPriv, id, name, stationPublicKey: key.publicKey, notBefore: now - 86_400, notAfter: now + 365 * 86_400 });
    const path = join(dir, `${name}.key.json`);
    writeFileSync(path, encodeKeyFile({ type: 'fobkit-station-key', id, name, publicKey: key.publicKey, privateKey: key.privateKey, certificate, notBefore: now - 86_400, notAfter: now + 365 * 86_400, rootFingerprint: keyFingerprint(rootPub) }), { mode: 0o600 });
    chmodSync(path, 0o600);
    return path;
  };
  const root = generateSigningKeyPair();
  const other = generateSigningKeyPair();
  return { rootPublicKey: root.publicKey, stationKeyFile: write('line-1', root.privateKey, root.publicKey, 1), rogueKeyFile: write('rogue', other.privateKey, other.publicKey, 1) };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

export interface BackendProcess {
  url: string;
  dbFile: string;
  keys: { station: string; support: string; validator: string; admin: string };
  /** Calls the API as a role. */
  call<T = Record<string, unknown>>(role: 'station' | 'support' | 'validator' | 'admin', method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** The running server's process id (benchmarks read its CPU time). */
  readonly pid: number | undefined;
}

/** `fobkit-backend serve` on an SQLite file in `dir`, on a fixed port so it can be restarted; `serveArgs` are added to serve's. */
export async function startBackendProcess(dir: string, serveArgs: readonly string[] = []): Promise<BackendProcess> {
  mkdirSync(dir, { recursive: true });
  const dbFile = join(dir, 'backend.db');
  const kekFile = join(dir, 'backend.kek');
  const b = await openBackend({ db: `sqlite:${dbFile}`, kekFile });
  const keys = {
    station: (await createApiKey(b.ctx, 'test', 'station')).token,
    support: (await createApiKey(b.ctx, 'test', 'support')).token,
    validator: (await createApiKey(b.ctx, 'test', 'validator')).token,
    admin: (await createApiKey(b.ctx, 'test', 'admin')).token,
  };
  await b.close();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    const c = spawn(process.execPath, [...BACKEND_COMMAND, 'serve', '--db', `sqlite:${dbFile}`, '--kek-file', kekFile, '--listen', `127.0.0.1:${port}`, '--json', ...serveArgs], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    let stderr = '';
    c.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    for await (const line of createInterface({ input: c.stdout! })) {
      if ((JSON.parse(line) as { event: string }).event === 'ready') return;
    }
    throw new Error(`fobkit-backend exited before it was ready: ${stderr}`);
  };
  const stop = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    url, dbFile, keys, start, stop,
    get pid() {
      return child?.pid;
    },
    async call<T>(role: keyof typeof keys, method: string, path: string, body?: unknown) {
      const res = await fetch(url + path, { method, headers: { authorization: `Bearer ${keys[role]}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
    },
  };
}

export interface StationEventLine {
  event: string;
  port?: string;
  step?: string;
  phase?: string;
  serial?: string;
  result?: { outcome: string; serial?: string; reason?: string; step?: string };
  [k: string]: unknown;
}

export interface StationRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  events: StationEventLine[];
  stderr: string;
  summary?: StationEventLine;
}

export interface RunProvisionOptions {
  args: string[];
  env?: Record<string, string>;
  /** SIGKILL the station at the first event for which this returns true. */
  killOn?: (e: StationEventLine) => boolean;
  /** Send `signal` (e.g. SIGTERM, as an operator's Ctrl-C would) at the first event for which `when` is true. */
  signalOn?: { when: (e: StationEventLine) => boolean; signal: NodeJS.Signals };
  /** Called for each event (e.g. to take the backend down at some point). */
  onEvent?: (e: StationEventLine) => void | Promise<void>;
  timeoutMs?: number;
}

const running = new Set<ChildProcess>();

/** What most station suites start with: a temp dir, station keys in it and a backend process. */
export interface StationRig {
  dir: string;
  keys: StationKeys;
  backend: BackendProcess;
}

/** Creates the rig of a suite (beforeAll); `prefix` names its temp dir. */
export async function setUpStationRig(prefix: string): Promise<StationRig> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, keys: makeStationKeys(join(dir, 'keys')), backend: await startBackendProcess(join(dir, 'backend')) };
}

/** Stops what {@link setUpStationRig} and the suite's stations started, and removes the dir (afterAll). */
export async function tearDownStationRig(rig: Partial<StationRig>): Promise<void> {
  killStations();
  await rig.backend?.stop();
  if (rig.dir) rmSync(rig.dir, { recursive: true, force: true });
}

/** Kills every station still running (afterAll). */
export function killStations(): void {
  for (const c of running) if (c.exitCode === null) c.kill('SIGKILL');
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const f of filesUnder(dir)) newest = Math.max(newest, statSync(f).mtimeMs);
  return newest;
}

/**
 * How to start a package's CLI: its built entry (as DEVELOPERS.md says end-to-end tests do, about
 * twice as fast to start, which the crash matrix feels, and the code that ships), unless the build
 * is missing or older than the package's sources or the protocol's, when the sources are run
 * through tsx.
 */
function cliCommand(pkg: 'provisioner' | 'backend'): string[] {
  const bin = join(ROOT, pkg, 'dist/cli/main.js');
  try {
    const built = statSync(bin).mtimeMs;
    const protocolBuilt = statSync(join(ROOT, 'protocol/dist/index.js')).mtimeMs;
    if (built >= newestMtime(join(ROOT, pkg, 'src')) && protocolBuilt >= newestMtime(join(ROOT, 'protocol/src'))) return [bin];
  } catch {
    // no build: run the sources
  }
  return [...TSX, join(ROOT, pkg, 'src/cli/main.ts')];
}

const FOBKIT_COMMAND = cliCommand('provisioner');
/** The backend as the station's benchmarks and tests meet it: built, like the station. */
const BACKEND_COMMAND = cliCommand('backend');

/** `fobkit provision --json ...args`, to its end (or its kill). */
export async function runProvision(o: RunProvisionOptions): Promise<StationRun> {
  const child = spawn(process.execPath, [...FOBKIT_COMMAND, 'provision', '--json', ...o.args], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...o.env },
  });
  running.add(child);
  const events: StationEventLine[] = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
  for await (const line of createInterface({ input: child.stdout! })) {
    let e: StationEventLine;
    try {
      e = JSON.parse(line) as StationEventLine;
    } catch {
      stderr += `(stdout) ${line}\n`;
      continue;
    }
    events.push(e);
    await o.onEvent?.(e);
    if (o.killOn?.(e) && child.exitCode === null) child.kill('SIGKILL');
    if (o.signalOn?.when(e) && child.exitCode === null) child.kill(o.signalOn.signal);
  }
  const { code, signal } = await exited;
  clearTimeout(timer);
  running.delete(child);
  return { code, signal, events, stderr, summary: events.find((e) => e.event === 'summary') };
}

/** Every file under `dir`, recursively. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

/** The seed in every encoding a careless program might write it in. */
export function seedEncodings(seed: Uint8Array): Buffer[] {
  const b = Buffer.from(seed);
  const base32 = (() => {
    const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
    let bits = 0;
    let value = 0;
    let out = '';
    for (const byte of b) {
      value = (value << 8) | byte;
      bits += 8;
      while (bits >= 5) {
        out += A[(value >>> (bits - 5)) & 31];
        bits -= 5;
      }
    }
    if (bits > 0) out += A[(value << (5 - bits)) & 31];
    return out;
  })();
  return [b, Buffer.from(b.toString('hex')), Buffer.from(b.toString('hex').toUpperCase()), Buffer.from(b.toString('base64').replace(/=+$/, '')), Buffer.from(b.toString('base64url')), Buffer.from(base32), Buffer.from(base32.toLowerCase())];
}

/** True when any file under `dir` contains the seed in any of those encodings. */
export function dirContainsSeed(dir: string, seed: Uint8Array): string | undefined {
  const needles = seedEncodings(seed);
  for (const f of filesUnder(dir)) {
    const data = readFileSync(f);
    for (const n of needles) if (data.includes(n)) return f;
  }
  return undefined;
}
