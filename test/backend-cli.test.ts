/**
 * The `fobkit-backend` command line as an operator uses it, from the sources: serve on a fresh
 * SQLite file (KEK created beside it, 0600, JSON ready line), keys create (the key shown once,
 * only its hash stored), kek rotate while the data stays usable, audit verify finding tampering.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { generateTotp } from '@fobkit/protocol/otp';
import { sealToRecipient } from '@fobkit/protocol/session';
import { parseApiKey } from '../backend/src/crypto/apiKeys.js';

const ROOT = join(import.meta.dirname, '..');
// Run from a temp directory (the defaults are relative to it), so tsx is named by its path.
const CLI = ['--conditions=source', '--import', pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href, join(ROOT, 'backend/src/cli/main.ts')];
const dir = mkdtempSync(join(tmpdir(), 'fobkit-backend-cli-'));
const dbPath = join(dir, 'b.db');
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
  rmSync(dir, { recursive: true, force: true });
});

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...CLI, ...args], { cwd: dir, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function serve(): Promise<{ url: string; kekFile: string; createdKek: boolean; child: ChildProcess }> {
  const child = spawn(process.execPath, [...CLI, 'serve', '--db', `sqlite:${dbPath}`, '--listen', '127.0.0.1:0', '--json'], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  for await (const line of createInterface({ input: child.stdout! })) {
    const ev = JSON.parse(line) as { event: string; url: string; kekFile: string; createdKek: boolean };
    if (ev.event === 'ready') return { ...ev, child };
  }
  throw new Error('no ready line');
}

describe('fobkit-backend CLI', () => {
  let station = '';
  let validator = '';
  it('creates keys that are shown once and stored only as a hash', () => {
    const r = run('keys', 'create', '--role', 'station', '--db', `sqlite:${dbPath}`, '--json', '--label', 'line 1');
    expect(r.status).toBe(0);
    const ev = JSON.parse(r.stdout) as { key: string; id: string; role: string };
    expect(ev.role).toBe('station');
    station = ev.key;
    const v = run('keys', 'create', '--role', 'validator', '--db', `sqlite:${dbPath}`);
    expect(v.status).toBe(0);
    validator = v.stdout.split('\n')[0]!;
    expect(validator).toMatch(/^fbk_[0-9a-f]{8}_/);
    const list = run('keys', 'list', '--db', `sqlite:${dbPath}`);
    expect(list.stdout).toContain(ev.id);
    // The secret itself may contain '_' (base64url), so it is parsed, not split.
    const stationSecret = parseApiKey(station)!.secret;
    expect(list.stdout).not.toContain(stationSecret);
    expect(readFileSync(dbPath).includes(Buffer.from(stationSecret))).toBe(false);
    expect(run('keys', 'create', '--role', 'root', '--db', `sqlite:${dbPath}`).status).toBe(2);
  });

  it('serves with a KEK file beside the database (0600) and a JSON ready line', async () => {
    const s = await serve();
    expect(s.kekFile).toBe(`${dbPath}.kek`);
    expect(statSync(s.kekFile).mode & 0o777).toBe(0o600);
    const reg = (await (await fetch(`${s.url}/v1/registration-key`, { headers: { authorization: `Bearer ${station}` } })).json()) as { kid: string; publicKey: string };
    const serial = ((await (await fetch(`${s.url}/v1/serials/reserve`, { method: 'POST', headers: { authorization: `Bearer ${station}`, 'content-type': 'application/json' }, body: '{"count":1}' })).json()) as { serials: string[] }).serials[0]!;
    const seed = new Uint8Array(20).fill(42);
    const sealed = sealToRecipient({ recipientPublicKey: new Uint8Array(Buffer.from(reg.publicKey, 'base64url')), plaintext: seed, context: `seed:${serial}` });
    const res = await fetch(`${s.url}/v1/tokens`, {
      method: 'POST', headers: { authorization: `Bearer ${station}`, 'content-type': 'application/json' },
      body: JSON.stringify({ serial, model: 'FK-1', sealedSecret: Buffer.from(sealed).toString('base64url'), kid: reg.kid, algorithm: 'sha1', digits: 6, period: 60, t0: 0, provisionedAt: Date.now() / 1000, clockOffset: 0 }),
    });
    expect(res.status).toBe(201);
    s.child.kill('SIGTERM');
    await new Promise((r) => s.child.once('exit', r));
    expect(s.child.exitCode).toBe(0);

    // kek rotate: a new KEK, the old one gone from the file, and the seed still opens (the
    // server can still compare a re-registration against it).
    const kekBefore = JSON.parse(readFileSync(s.kekFile, 'utf8')) as { current: string };
    // Destructive: without a terminal it needs --yes, and refuses without changing anything.
    const unconfirmed = run('kek', 'rotate', '--db', `sqlite:${dbPath}`);
    expect(unconfirmed.status).toBe(2);
    expect(unconfirmed.stderr).toContain('error [CONFIRMATION_REQUIRED]: rotating the KEK rewrites every secret at rest: add --yes');
    expect((JSON.parse(readFileSync(s.kekFile, 'utf8')) as { current: string }).current).toBe(kekBefore.current);
    const rot = run('kek', 'rotate', '--db', `sqlite:${dbPath}`, '--json', '--yes');
    expect(rot.status, rot.stderr).toBe(0);
    const rotated = JSON.parse(rot.stdout) as { newKekId: string; retired: string[]; rewrapped: number };
    expect(rotated.retired).toEqual([kekBefore.current]);
    expect(rotated.rewrapped).toBe(2); // the fob's seed and the registration private key
    const kekAfter = JSON.parse(readFileSync(s.kekFile, 'utf8')) as { current: string; keys: Record<string, string> };
    expect(Object.keys(kekAfter.keys)).toEqual([rotated.newKekId]);
    const s2 = await serve();
    const again = await fetch(`${s2.url}/v1/tokens`, {
      method: 'POST', headers: { authorization: `Bearer ${station}`, 'content-type': 'application/json' },
      body: JSON.stringify({ serial, model: 'FK-1', sealedSecret: Buffer.from(sealToRecipient({ recipientPublicKey: new Uint8Array(Buffer.from(reg.publicKey, 'base64url')), plaintext: seed, context: `seed:${serial}` })).toString('base64url'), kid: reg.kid, algorithm: 'sha1', digits: 6, period: 60, t0: 0, provisionedAt: 0, clockOffset: 0 }),
    });
    expect(again.status).toBe(200);
    const v = await fetch(`${s2.url}/v1/validate`, { method: 'POST', headers: { authorization: `Bearer ${validator}`, 'content-type': 'application/json' }, body: JSON.stringify({ user: 'nobody', code: generateTotp({ secret: seed, time: Date.now() / 1000 }) }) });
    expect(await v.json()).toEqual({ ok: false, reason: 'no-factor' });
    s2.child.kill('SIGTERM');
    await new Promise((r) => s2.child.once('exit', r));
  });

  it('verifies the audit chain and finds a changed entry', () => {
    const ok = run('audit', 'verify', '--db', `sqlite:${dbPath}`, '--json');
    expect(ok.status).toBe(0);
    const good = JSON.parse(ok.stdout) as { ok: boolean; entries: number };
    expect(good).toMatchObject({ ok: true });
    expect(good.entries).toBeGreaterThanOrEqual(6);
    // The database refuses changes to the log; someone with DDL rights gets past that, and
    // verify still notices.
    const db = new Database(dbPath);
    expect(() => db.prepare("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2").run()).toThrow(/append-only/);
    db.exec('DROP TRIGGER audit_log_no_update');
    db.prepare("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2").run();
    db.close();
    const bad = run('audit', 'verify', '--db', `sqlite:${dbPath}`, '--json');
    expect(bad.status).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, seq: 2, reason: 'hash' });
    const text = run('audit', 'verify', '--db', `sqlite:${dbPath}`);
    expect(text.stdout).toMatch(/BROKEN at entry 2/);
  });

  it('refuses a KEK file others can read, and a KEK file that is not the database\'s', () => {
    const kek = `${dbPath}.kek`;
    chmodSync(kek, 0o644);
    const open = run('serve', '--db', `sqlite:${dbPath}`, '--listen', '127.0.0.1:0');
    expect(open.status).toBe(3);
    expect(open.stderr).toMatch(/open to group or others \(mode 644\): chmod 600 it/);
    chmodSync(kek, 0o600);
    const other = run('serve', '--db', `sqlite:${dbPath}`, '--kek-file', join(dir, 'other.kek'), '--listen', '127.0.0.1:0');
    expect(other.status).toBe(3);
    expect(other.stderr).toMatch(/KEK file does not open this database's secrets/);
  });

  it('says what is wrong, with exit codes', () => {
    const r = run('serve', '--db', 'mysql://x', '--listen', '127.0.0.1:0');
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/--db must be sqlite:PATH or postgres/);
    expect(run('frobnicate').status).toBe(2);
  });
});
