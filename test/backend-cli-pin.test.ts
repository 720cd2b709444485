/**
 * `fobkit-backend user pin <user> --pin-file F | --clear`: the PIN from a file (never the command
 * line), stored hashed, audited as the operator; mistakes exit 2 with one line.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openBackend } from '../backend/src/openBackend.js';
import { describeUser } from '../backend/src/service/users.js';

const ROOT = join(import.meta.dirname, '..');
const CLI = ['--conditions=source', '--import', pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href, join(ROOT, 'backend/src/cli/main.ts')];
const dir = mkdtempSync(join(tmpdir(), 'fobkit-backend-cli-pin-'));
const db = `sqlite:${join(dir, 'b.db')}`;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...CLI, ...args, '--db', db], { cwd: dir, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// Each run starts the CLI from its sources (a few seconds each on a loaded 2-core machine).
describe('fobkit-backend user pin', { timeout: 120_000 }, () => {
  it('sets the PIN from a file and clears it, audited as the operator, never storing the PIN', async () => {
    writeFileSync(join(dir, 'pin.txt'), 'Sesam-0815\n', { mode: 0o600 });
    const set = run('user', 'pin', 'alice', '--pin-file', join(dir, 'pin.txt'), '--json');
    expect(set.status).toBe(0);
    expect(JSON.parse(set.stdout)).toEqual({ event: 'pin-set', user: 'alice', pin: true });
    let b = await openBackend({ db });
    try {
      expect((await describeUser(b.ctx, 'alice')).pin).toBe(true);
      const audit = await b.ctx.db.all<{ actor: string; action: string }>("SELECT actor, action FROM audit_log WHERE subject = 'user:alice'");
      expect(audit.map((e) => e.action)).toEqual(['user.pin-set']);
      expect(audit[0]!.actor).toMatch(/^cli/);
    } finally {
      await b.close();
    }
    expect(readFileSync(join(dir, 'b.db')).includes(Buffer.from('Sesam-0815'))).toBe(false);

    const clear = run('user', 'pin', 'alice', '--clear');
    expect(clear).toMatchObject({ status: 0, stdout: 'PIN cleared for alice\n' });
    b = await openBackend({ db });
    try {
      expect((await describeUser(b.ctx, 'alice')).pin).toBe(false);
    } finally {
      await b.close();
    }
  });

  it('refuses a short PIN, neither or both of --pin-file and --clear, and an unknown user to clear (exit 2, one line)', () => {
    writeFileSync(join(dir, 'short.txt'), '123\n', { mode: 0o600 });
    const short = run('user', 'pin', 'bob', '--pin-file', join(dir, 'short.txt'));
    expect(short.status).toBe(2);
    expect(short.stderr).toBe(`fobkit-backend: the PIN (first line of ${join(dir, 'short.txt')}) must be 4 to 64 printable characters\n`);
    expect(run('user', 'pin', 'bob').status).toBe(2);
    expect(run('user', 'pin', 'bob', '--clear', '--pin-file', join(dir, 'short.txt')).status).toBe(2);
    const unknown = run('user', 'pin', 'nobody', '--clear', '--json');
    expect(unknown.status).toBe(2);
    expect(JSON.parse(unknown.stdout)).toMatchObject({ event: 'error', code: 'NOT_FOUND' });
  });
});
