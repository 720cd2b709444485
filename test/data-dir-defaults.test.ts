/**
 * Run from a clone with no paths given, fobkit-backend keeps its database and KEK in the data
 * directory (FOBKIT_DATA_DIR, else $XDG_DATA_HOME/fobkit, else ~/.local/share/fobkit), never in
 * the working tree where `git add -A` would commit them (issue 17 item 6). The built bin is
 * started from the repository root with a scratch HOME, and the tree's files are compared before
 * and after.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BACKEND = join(ROOT, 'backend/bin/fobkit-backend.js');
const scratch = mkdtempSync(join(tmpdir(), 'fobkit-datadir-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Every file name in the tree outside node_modules/.git, so that a new one anywhere is seen. */
function treeFiles(dir = ROOT, prefix = ''): Set<string> {
  const out = new Set<string>();
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (['node_modules', '.git', 'dist', '.fobkit-tmp'].includes(e.name)) continue;
    const rel = prefix + e.name;
    if (e.isDirectory()) for (const f of treeFiles(join(dir, e.name), `${rel}/`)) out.add(f);
    else out.add(rel);
  }
  return out;
}

/** `fobkit-backend serve --json` with only `env` added to a clean environment; its ready line, then SIGTERM. */
async function serveOnce(env: Record<string, string>, extra: string[] = []): Promise<{ db: string; kekFile: string }> {
  const { FOBKIT_DATA_DIR: _a, XDG_DATA_HOME: _b, HOME: _c, ...base } = process.env;
  const child = spawn(process.execPath, [BACKEND, 'serve', '--listen', '127.0.0.1:0', '--json', ...extra], { cwd: ROOT, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  for await (const line of createInterface({ input: child.stdout! })) {
    const e = JSON.parse(line) as { event: string; db: string; kekFile: string };
    if (e.event === 'ready') {
      child.kill('SIGTERM');
      await exited;
      return e;
    }
  }
  throw new Error(`fobkit-backend exited (${await exited}) before it was ready: ${stderr}`);
}

describe('default paths stay out of the working tree', { timeout: 60_000 }, () => {
  it('a backend started with defaults from the repository root writes nothing into the tree', async () => {
    if (!existsSync(join(ROOT, 'backend/dist/cli/main.js'))) throw new Error('run `npm run build` first');
    const home = join(scratch, 'home');
    const before = treeFiles();
    const ready = await serveOnce({ HOME: home });
    const dataDir = join(home, '.local', 'share', 'fobkit');
    expect(ready.db).toContain(join(dataDir, 'fobkit-backend.db'));
    expect(ready.kekFile).toBe(join(dataDir, 'fobkit-backend.db.kek'));
    expect(existsSync(ready.kekFile)).toBe(true);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    const added = [...treeFiles()].filter((f) => !before.has(f));
    expect(added).toEqual([]);
  });

  it('FOBKIT_DATA_DIR, then XDG_DATA_HOME, choose the directory', async () => {
    const viaEnv = await serveOnce({ HOME: join(scratch, 'h2'), FOBKIT_DATA_DIR: join(scratch, 'data'), XDG_DATA_HOME: join(scratch, 'xdg') });
    expect(viaEnv.kekFile).toBe(join(scratch, 'data', 'fobkit-backend.db.kek'));
    const viaXdg = await serveOnce({ HOME: join(scratch, 'h3'), XDG_DATA_HOME: join(scratch, 'xdg') });
    expect(viaXdg.kekFile).toBe(join(scratch, 'xdg', 'fobkit', 'fobkit-backend.db.kek'));
  });
});
