/**
 * `npm run demo`: the whole system in under a minute, on a fresh clone after `npm ci`, with
 * nothing else set up. A backend on a temporary SQLite file, four simulated fobs on real ptys,
 * a factory root and a station certificate, `fobkit provision` programming the four in
 * parallel through the real serial path (its live display on this terminal), four users
 * assigned, each logging in with the code their fob shows, a replay refused, a fob whose clock
 * runs ahead still accepted (and its drift recorded), and a lost fob unbound and refused.
 * Every process it starts is stopped and every file removed, also on Ctrl-C or a failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseKeyFile } from '@fobkit/protocol/session';
import { Simulator } from '@fobkit/firmware-sim';

const ROOT = join(import.meta.dirname, '..');
const FOBKIT = join(ROOT, 'provisioner/bin/fobkit.js');
const BACKEND = join(ROOT, 'backend/bin/fobkit-backend.js');
const USERS = ['alice', 'bob', 'carol', 'dave'] as const;
const started = Date.now();

const children = new Set<ChildProcess>();
let sim: Simulator | undefined;
let dir: string | undefined;
let cleaning: Promise<void> | undefined;
let interrupted = false;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    await Promise.all([...children].map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    await sim?.close().catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    say(`\ninterrupted: stopping everything the demo started`);
    void cleanup().finally(() => process.exit(130));
  });
}

/** Runs a bin to its end; resolves stdout. `inherit`: the child writes to this terminal. */
function run(bin: string, args: string[], o: { inherit?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [bin, ...args], { cwd: ROOT, stdio: ['ignore', o.inherit ? 'inherit' : 'pipe', o.inherit ? 'inherit' : 'pipe'], env: { ...process.env, FOBKIT_CONFIG: '' } });
    children.add(c);
    let out = '';
    let err = '';
    c.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    c.once('error', reject);
    c.once('exit', (code) => {
      children.delete(c);
      if (code === 0) resolve(out);
      else reject(new Error(`${bin.split('/').slice(-3).join('/')} ${args[0]} exited with ${code}: ${err.trim() || out.trim()}`));
    });
  });
}

/** Starts `fobkit-backend serve`; resolves its URL once it says it is ready. */
function startBackend(db: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [BACKEND, 'serve', '--db', db, '--listen', '127.0.0.1:0', '--json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(c);
    let err = '';
    c.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    c.once('exit', (code) => {
      children.delete(c);
      reject(new Error(`fobkit-backend exited with ${code}: ${err.trim()}`));
    });
    createInterface({ input: c.stdout! }).on('line', (line) => {
      try {
        const e = JSON.parse(line) as { event?: string; url?: string };
        if (e.event === 'ready' && e.url) resolve(e.url);
      } catch {
        // not an event line
      }
    });
  });
}

async function api<T>(url: string, key: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const r = await fetch(url + path, { method, headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
  const parsed = (await r.json()) as T & { error?: { message: string } };
  if (!r.ok) throw new Error(`${method} ${path}: HTTP ${r.status} ${parsed.error?.message ?? ''}`);
  return parsed;
}

const validate = (url: string, key: string, user: string, code: string) => api<{ ok: boolean; reason?: string }>(url, key, 'POST', '/v1/validate', { user, code });
const verdict = (r: { ok: boolean; reason?: string }): string => (r.ok ? 'login accepted' : `login refused (${r.reason})`);

async function main(): Promise<void> {
  for (const bin of [FOBKIT, BACKEND]) {
    if (!existsSync(join(bin, '../../dist/cli/main.js'))) throw new Error(`${bin} is not built: run \`npm ci\` (or \`npm run build\`) first`);
  }
  dir = mkdtempSync(join(tmpdir(), 'fobkit-demo-'));
  say('fobkit demo: the whole system on this machine, in under a minute\n');

  const db = `sqlite:${join(dir, 'backend.db')}`;
  const url = await startBackend(db);
  say(`1. backend: fobkit-backend serve on ${url} (SQLite in ${dir})`);
  const keys: Record<string, string> = {};
  for (const role of ['station', 'support', 'validator']) {
    keys[role] = (JSON.parse(await run(BACKEND, ['keys', 'create', '--db', db, '--role', role, '--label', 'demo', '--json'])) as { key: string }).key;
  }
  say('   API keys made for the station, support and the login service (validator)');

  const rootDir = join(dir, 'root');
  const root = JSON.parse(await run(FOBKIT, ['keys', 'root', 'create', '--out', rootDir, '--json'])) as { fingerprint: string; files: { publicKey: string } };
  const station = JSON.parse(await run(FOBKIT, ['keys', 'station', 'issue', '--root', rootDir, '--name', 'demo-line', '--days', '1', '--out', join(dir, 'station'), '--json'])) as { file: string };
  const rootFile = parseKeyFile(readFileSync(root.files.publicKey, 'utf8'));
  if (rootFile.type !== 'fobkit-root-public-key') throw new Error(`${root.files.publicKey} is not a root public key`);
  say(`2. factory root ${root.fingerprint} and a station certificate for "demo-line" (fobkit keys)`);

  sim = await Simulator.start({ count: 4, transport: 'pty', ptyDir: join(dir, 'ports'), rootPublicKey: rootFile.publicKey, driftPpm: 0, timing: true });
  say(`3. four blank simulated fobs on ptys: ${sim.fobs.map((f) => f.address.replace(`${dir}/`, '')).join(', ')}`);

  say('4. fobkit provision: all four in parallel through the serial path (program, verify, register, lock, activate)\n');
  await run(FOBKIT, [
    'provision', ...sim.fobs.flatMap((f) => ['--port', f.address]), '--count', '4', '--backend-url', url, '--api-key', keys.station!,
    '--station-key', station.file, '--journal', join(dir, 'station.db'), '--labels', join(dir, 'labels.jsonl'), '--batch', 'demo',
  ], { inherit: true });
  const serials = sim.fobs.map((f) => f.status().serial);
  if (serials.some((s) => !s) || sim.fobs.some((f) => f.status().state !== 'locked')) throw new Error('a fob did not end up locked with a serial');
  say('');

  const support = ['--backend-url', url, '--api-key', keys.support!];
  for (const [i, user] of USERS.entries()) await run(FOBKIT, ['assign', serials[i]!, user, ...support]);
  say(`5. assigned (fobkit assign): ${USERS.map((u, i) => `${serials[i]} → ${u}`).join(', ')}`);

  say('6. each user presses the button and logs in with the code on the display:');
  const shown: string[] = [];
  let allIn = true;
  for (const [i, user] of USERS.entries()) {
    const code = sim.fob(i).press().text;
    shown.push(code);
    const r = await validate(url, keys.validator!, user, code);
    allIn &&= r.ok;
    say(`   ${user.padEnd(5)} pressed ${serials[i]}: ${code} → ${verdict(r)}`);
  }

  const replay = await validate(url, keys.validator!, 'alice', shown[0]!);
  say(`7. someone replays alice's code ${shown[0]} → ${verdict(replay)}`);

  // bob's fob runs ahead, as months of crystal drift would leave it: at least 40 s, and far
  // enough to show a code of a later step than the one bob already used.
  const now = Date.now() / 1000;
  const used = sim.fob(1).status().display.step ?? Math.floor(now / 60);
  const ahead = Math.max(40, Math.ceil((used + 1) * 60 - now + 5));
  sim.fob(1).shiftClock(ahead);
  const bobCode = sim.fob(1).press().text;
  const bob = await validate(url, keys.validator!, 'bob', bobCode);
  const record = await api<{ drift: { seconds: number } }>(url, keys.support!, 'GET', `/v1/tokens/${serials[1]}`);
  // One accepted code only says the fob's clock was somewhere inside that 60 s step, so the
  // backend's first estimate is the middle of what it has seen; later logins narrow it.
  const est = Math.round(record.drift.seconds);
  say(`8. bob's fob clock moved ${ahead} s ahead: code ${bobCode} → ${verdict(bob)}; the backend now records his fob ≈ ${est >= 0 ? '+' : ''}${est} s ahead (from one code; later logins narrow it)`);

  await run(FOBKIT, ['unbind', serials[3]!, '--reason', 'lost on the train', '--yes', ...support]);
  const daveCode = sim.fob(3).press().text;
  const dave = await validate(url, keys.validator!, 'dave', daveCode);
  say(`9. dave lost his fob: fobkit unbind ${serials[3]} --reason "lost on the train" --yes; its code ${daveCode} → ${verdict(dave)}`);

  const ok = allIn && !replay.ok && bob.ok && !dave.ok;
  await cleanup();
  say(`\ndemo ${ok ? 'complete' : 'FAILED'} in ${Math.round((Date.now() - started) / 1000)} s; backend, simulator and temporary files cleaned up`);
  if (!ok) process.exitCode = 1;
}

main().catch(async (e: unknown) => {
  if (interrupted) return;
  process.stderr.write(`fobkit demo failed: ${e instanceof Error ? e.message : String(e)}\n`);
  await cleanup();
  process.exitCode = 1;
});
