/**
 * `fobkit-backend operators` and the console URL of `serve`, from the built dist (sources
 * through tsx when the build is missing or stale): the password comes from standard input or a
 * terminal prompt that does not echo (a real pty, through script(1)), never from argv; only an
 * scrypt hash is stored; disable and passwd; `serve` prints where the console is.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = join(import.meta.dirname, '..');

function newest(dir: string): number {
  let n = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    n = Math.max(n, s.isDirectory() ? newest(p) : s.mtimeMs);
  }
  return n;
}

const CLI: string[] = (() => {
  const bin = join(ROOT, 'backend/dist/cli/main.js');
  try {
    if (statSync(bin).mtimeMs >= newest(join(ROOT, 'backend/src'))) return [bin];
  } catch {
    // not built
  }
  return ['--conditions=source', '--import', pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href, join(ROOT, 'backend/src/cli/main.ts')];
})();

const dir = mkdtempSync(join(tmpdir(), 'fobkit-console-cli-'));
const db = `sqlite:${join(dir, 'b.db')}`;
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
  rmSync(dir, { recursive: true, force: true });
});

function run(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...CLI, ...args], { cwd: dir, encoding: 'utf8', input: input ?? '' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the command on a pseudo-terminal and types each answer when its prompt shows. */
function runOnTerminal(args: string[], answers: [prompt: string, typed: string][]): Promise<{ code: number | null; screen: string }> {
  const command = [process.execPath, ...CLI, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: dir, stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  let screen = '';
  let next = 0;
  let seen = 0; // how far the screen has been matched against the prompts
  child.stdout!.on('data', (d: Buffer) => {
    screen += d.toString();
    for (let at; next < answers.length && (at = screen.indexOf(answers[next]![0], seen)) !== -1; next++) {
      seen = at + answers[next]![0].length;
      child.stdin!.write(`${answers[next]![1]}\r`);
    }
  });
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, screen })));
}

describe('fobkit-backend operators', () => {
  it('adds an operator with the password from standard input; only an scrypt hash is stored', () => {
    const r = run(['operators', 'add', 'alice', '--role', 'support', '--db', db, '--json'], 'correct horse battery\n');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ event: 'operator-added', name: 'alice', role: 'support' });
    const list = run(['operators', 'list', '--db', db, '--json']);
    expect(JSON.parse(list.stdout).operators).toEqual([expect.objectContaining({ name: 'alice', role: 'support', disabledAt: null })]);
    expect(list.stdout).not.toContain('scrypt');
    const file = readFileSync(join(dir, 'b.db'));
    expect(file.includes(Buffer.from('correct horse battery'))).toBe(false);
    expect(file.includes(Buffer.from('scrypt$15$8$1$'))).toBe(true);
  });

  it('asks on a terminal twice without echoing, and refuses two different answers', async () => {
    const ok = await runOnTerminal(['operators', 'add', 'bob', '--role', 'admin', '--db', db], [['Password: ', 'tty password 1'], ['Again: ', 'tty password 1']]);
    expect(ok.code, ok.screen).toBe(0);
    expect(ok.screen).toContain('added operator bob (admin)');
    expect(ok.screen).not.toContain('tty password 1');
    const differ = await runOnTerminal(['operators', 'add', 'dave', '--role', 'admin', '--db', db], [['Password: ', 'tty password 1'], ['Again: ', 'tty password 2']]);
    expect(differ.code).toBe(2);
    expect(differ.screen).toContain('the two passwords differ');
  });

  it('refuses bad input with exit 2 and a clear line: short password, no password, bad name, a name taken, a password on argv', () => {
    const short = run(['operators', 'add', 'carol', '--role', 'support', '--db', db], 'short\n');
    expect(short.status).toBe(2);
    expect(short.stderr).toBe('fobkit-backend: error [INVALID_REQUEST]: password must be 10 to 256 characters\n');
    expect(run(['operators', 'add', 'carol', '--role', 'support', '--db', db], '').stderr).toContain('no password given');
    expect(run(['operators', 'add', 'Carol Smith', '--role', 'support', '--db', db], 'long enough pw\n').status).toBe(2);
    const taken = run(['operators', 'add', 'alice', '--role', 'admin', '--db', db], 'long enough pw\n');
    expect(taken.status).toBe(2);
    expect(taken.stderr).toContain('operator alice exists');
    expect(run(['operators', 'add', 'carol', '--role', 'root', '--db', db], 'long enough pw\n').status).toBe(2);
    expect(run(['operators', 'add', 'carol', '--role', 'support', '--password', 'long enough pw', '--db', db]).status).toBe(2);
  });

  it('sets a new password and role, and disables', () => {
    const p = run(['operators', 'passwd', 'alice', '--role', 'admin', '--db', db, '--json'], 'another long password\n');
    expect(p.status, p.stderr).toBe(0);
    expect(JSON.parse(p.stdout)).toEqual({ event: 'operator-password-set', name: 'alice', role: 'admin' });
    expect(run(['operators', 'disable', 'alice', '--db', db]).stdout).toBe('disabled operator alice\n');
    expect(run(['operators', 'disable', 'alice', '--db', db]).status).toBe(2);
    expect(run(['operators', 'list', '--db', db]).stdout).toMatch(/^alice\s+admin\s+disabled$/m);
  });
});

describe('fobkit-backend serve', () => {
  const serve = async (extra: string[], json: boolean): Promise<string[]> => {
    const child = spawn(process.execPath, [...CLI, 'serve', '--db', db, '--listen', '127.0.0.1:0', ...(json ? ['--json'] : []), ...extra], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    const lines: string[] = [];
    for await (const line of createInterface({ input: child.stdout! })) {
      lines.push(line);
      if (json || line.startsWith('helpdesk console:') || extra.includes('--no-console')) break;
    }
    return lines;
  };

  it('prints the console URL at start; the URL leads to the login page', async () => {
    const [ready] = await serve([], true);
    const ev = JSON.parse(ready!) as { event: string; url: string; consoleUrl: string };
    expect(ev.consoleUrl).toBe(`${ev.url}/console/`);
    const r = await fetch(ev.consoleUrl, { redirect: 'manual' });
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe('/console/search');
    const login = await fetch(`${ev.url}/console/search`, { redirect: 'manual' });
    expect(login.headers.get('location')).toBe('/console/login');
    const text = await serve([], false);
    expect(text[1]).toMatch(/^helpdesk console: http:\/\/127\.0\.0\.1:\d+\/console\/ \(operators: fobkit-backend operators add NAME --role support\|admin\)$/);
  });

  it('--no-console serves the API only', async () => {
    const [ready] = await serve(['--no-console'], true);
    const ev = JSON.parse(ready!) as { url: string; consoleUrl: string | null };
    expect(ev.consoleUrl).toBeNull();
    expect((await fetch(`${ev.url}/console/`)).status).toBe(404);
  });
});
