/**
 * A throw-away backend for a QA run: `fobkit-backend serve --test-clock` on an SQLite file in a
 * temporary directory, with one API key per role. The provisioner never imports the backend
 * (DEVELOPERS.md: sibling packages stay apart); it runs its published command line, found as
 * `$FOBKIT_BACKEND_BIN`, else `node_modules/.bin/fobkit-backend` above this module or the
 * working directory, else `fobkit-backend` on the PATH.
 */
import { spawn, execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

export interface TemporaryBackend {
  url: string;
  keys: { station: string; support: string; validator: string; admin: string };
  close(): Promise<void>;
}

function findUp(start: string, rel: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    const p = join(dir, rel);
    if (existsSync(p)) return p;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** The `fobkit-backend` executable to run. */
export function findBackendBin(): string {
  const env = process.env['FOBKIT_BACKEND_BIN'];
  if (env) return env;
  const rel = join('node_modules', '.bin', 'fobkit-backend');
  return findUp(dirname(fileURLToPath(import.meta.url)), rel) ?? findUp(process.cwd(), rel) ?? 'fobkit-backend';
}

function run(bin: string, args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(bin, args, { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${bin} ${args[0]} ${args[1] ?? ''} failed: ${stderr.trim() || error.message}`, { cause: error }));
      else resolvePromise(stdout);
    });
  });
}

/**
 * Starts the backend and creates its keys.
 * @throws Error when the command cannot be found or does not come up within 30 s.
 */
export async function spawnTemporaryBackend(options: { bin?: string; onLog?: (line: string) => void } = {}): Promise<TemporaryBackend> {
  const bin = options.bin ?? findBackendBin();
  const dir = mkdtempSync(join(tmpdir(), 'fobkit-qa-'));
  const db = `sqlite:${join(dir, 'backend.db')}`;
  const cleanupDir = () => rmSync(dir, { recursive: true, force: true });
  try {
    const keys = {} as TemporaryBackend['keys'];
    // The server creates the KEK file on first start; keys create does not, so serve first.
    const child = spawn(bin, ['serve', '--db', db, '--listen', '127.0.0.1:0', '--test-clock', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const close = async (): Promise<void> => {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(t);
      }
      cleanupDir();
    };
    child.stderr.on('data', (b: Buffer) => options.onLog?.(b.toString().trimEnd()));
    let url: string;
    try {
      url = await new Promise<string>((resolveUrl, reject) => {
        const timer = setTimeout(() => reject(new Error(`${bin} serve did not report ready within 30 s`)), 30_000);
        child.once('error', (e) => {
          clearTimeout(timer);
          reject(new Error(`cannot run ${bin}: ${e.message} (set FOBKIT_BACKEND_BIN)`, { cause: e }));
        });
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`${bin} serve exited with code ${code}`));
        });
        createInterface({ input: child.stdout }).on('line', (line) => {
          try {
            const ev = JSON.parse(line) as { event?: string; url?: string };
            if (ev.event === 'ready' && ev.url) {
              clearTimeout(timer);
              resolveUrl(ev.url);
            }
          } catch {
            options.onLog?.(line);
          }
        });
      });
      for (const role of ['station', 'support', 'validator', 'admin'] as const) {
        const out = await run(bin, ['keys', 'create', '--db', db, '--role', role, '--label', 'fobkit qa', '--json']);
        keys[role] = (JSON.parse(out.trim().split('\n').pop()!) as { key: string }).key;
      }
    } catch (e) {
      await close();
      throw e;
    }
    return { url, keys, close };
  } catch (e) {
    cleanupDir();
    throw e;
  }
}
