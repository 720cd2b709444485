/**
 * Rig for the support and QA end-to-end tests: a real `fobkit-backend serve` process (the
 * station tests' harness), the firmware simulator's fobs on real ptys in this process, fobs
 * provisioned straight through a FobSession (so a test can set one up to deserve a verdict:
 * another seed registered, nothing registered, …), and `fobkit` run as a child process.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FobSession } from '@fobkit/protocol/client';
import { sealToRecipient } from '@fobkit/protocol/session';
import { SerialPortTransport } from '../provisioner/src/transport/serialPortTransport.js';
import { loadStationCredentials } from '../provisioner/src/keys/loadStationCredentials.js';
import type { BackendProcess } from './provision-harness.js';

export const ROOT = join(import.meta.dirname, '..');
const TSX = ['--conditions=source', '--import', 'tsx'];

function newest(dir: string): number {
  let n = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    n = Math.max(n, s.isDirectory() ? newest(p) : s.mtimeMs);
  }
  return n;
}

/** The built `fobkit` when it is newer than the sources, else the sources through tsx. */
export const FOBKIT: string[] = (() => {
  const bin = join(ROOT, 'provisioner/dist/cli/main.js');
  try {
    if (statSync(bin).mtimeMs >= newest(join(ROOT, 'provisioner/src')) && statSync(join(ROOT, 'protocol/dist/index.js')).mtimeMs >= newest(join(ROOT, 'protocol/src'))) return [bin];
  } catch {
    // not built
  }
  return [...TSX, join(ROOT, 'provisioner/src/cli/main.ts')];
})();

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  json?: Record<string, unknown>;
}

/** Runs `fobkit ...args` to its end. */
export function fobkit(args: string[], env: Record<string, string> = {}, timeoutMs = 90_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...FOBKIT, ...args], { cwd: ROOT, env: { ...process.env, FOBKIT_BACKEND_URL: '', FOBKIT_API_KEY: '', FOBKIT_CONFIG: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      let json: Record<string, unknown> | undefined;
      try {
        json = JSON.parse(stdout.trim().split('\n').pop() ?? '') as Record<string, unknown>;
      } catch {
        json = undefined;
      }
      resolve({ code, stdout, stderr, json });
    });
  });
}

/**
 * Runs `fobkit ...args` on a real terminal (script(1) gives it a pty, so stdin and stderr are
 * TTYs) and, when `answer` is given, answers its `[y/N]` question with it. `output` is all the
 * terminal showed (stdout and stderr together).
 */
export function onTerminal(args: string[], env: Record<string, string>, answer?: string, timeoutMs = 90_000): Promise<{ code: number | null; output: string }> {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const cmd = [process.execPath, ...FOBKIT, ...args].map(quote).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', cmd, '/dev/null'], { cwd: ROOT, env: { ...process.env, FOBKIT_BACKEND_URL: '', FOBKIT_API_KEY: '', FOBKIT_CONFIG: '', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let answered = answer === undefined;
    const onData = (d: Buffer) => {
      output += d.toString();
      if (!answered && output.includes('[y/N]')) {
        answered = true;
        child.stdin.write(`${answer}\r`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

export interface ProvisionedFob {
  serial: string;
  seed: Uint8Array;
  period: number;
}

export interface ProvisionOptions {
  /** 'same' (default): the seed programmed; 'other': a different seed (a defective fob); 'none'. */
  register?: 'same' | 'other' | 'none';
  user?: string;
  period?: number;
  /** Leave the fob programmed but unlocked. */
  lock?: boolean;
}

/** Programs, locks and registers the fob on `port` as a station would (without the station's journal). */
export async function provisionFob(port: string, stationKeyFile: string, backend: BackendProcess, o: ProvisionOptions = {}): Promise<ProvisionedFob> {
  const period = o.period ?? 60;
  const reserved = await backend.call<{ serials: string[] }>('station', 'POST', '/v1/serials/reserve', { count: 1 });
  const serial = reserved.body.serials[0]!;
  const seed = new Uint8Array(randomBytes(20));
  const credentials = loadStationCredentials({ stationKey: stationKeyFile });
  const transport = new SerialPortTransport({ path: port });
  await transport.open();
  const fob = new FobSession({ transport, timeoutMs: 3000 });
  const now = Date.now() / 1000;
  try {
    await fob.hello();
    await fob.setTime(now);
    await fob.beginSession(credentials);
    await fob.setSerial(serial);
    await fob.programSeed({ secret: seed.slice(), algorithm: 'sha1', digits: 6, period, t0: 0 });
    if (o.lock !== false) await fob.lock(serial);
  } finally {
    fob.close();
    await transport.close();
    credentials.privateKey.fill(0);
  }
  if ((o.register ?? 'same') !== 'none') {
    const reg = await backend.call<{ kid: string; publicKey: string }>('station', 'GET', '/v1/registration-key');
    const registered = o.register === 'other' ? new Uint8Array(randomBytes(20)) : seed;
    const sealed = sealToRecipient({ recipientPublicKey: new Uint8Array(Buffer.from(reg.body.publicKey, 'base64url')), plaintext: registered, context: `seed:${serial}` });
    const r = await backend.call('station', 'POST', '/v1/tokens', {
      serial, model: 'FK-1', sealedSecret: Buffer.from(sealed).toString('base64url'), kid: reg.body.kid, algorithm: 'sha1', digits: 6, period, t0: 0,
      batch: 'support-test', provisionedAt: now, clockOffset: 0,
    });
    if (r.status !== 201) throw new Error(`register: ${r.status} ${JSON.stringify(r.body)}`);
    await backend.call('station', 'POST', `/v1/tokens/${serial}/activate`, {});
    if (o.user) {
      const a = await backend.call('support', 'POST', `/v1/tokens/${serial}/assign`, { user: o.user });
      if (a.status !== 200) throw new Error(`assign: ${a.status} ${JSON.stringify(a.body)}`);
    }
  }
  return { serial, seed, period };
}

/** A serial with a wrong check digit (FK00000013 is valid; 14 is not). */
export const BAD_SERIAL = 'FK00000014';
