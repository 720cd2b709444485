/**
 * The pam_oath usersfile fobkit exports, checked by the real thing: a PAM service using
 * OATH Toolkit's pam_oath.so reads it, and pamtester logs in with codes our OTP core computes
 * for each fob's seed at the current time (pam_oath reads the real clock, so we do too; its
 * window absorbs a step boundary between the two). pam_oath rewrites the usersfile after each
 * login, so the file must be writable, and a replayed code is refused.
 */
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateHotp, generateTotp } from '@fobkit/protocol/otp';
import { parsePamOathUsersfile, writePamOathUsersfile, type SeedRecord } from '@fobkit/protocol/formats';
import { requireCommand, requirePamOath } from './formats-tools.js';

const fobs: SeedRecord[] = [
  // The fob's own profile: TOTP, SHA-1, 6 digits, 60 s.
  { serial: 'FK00000013', user: 'fob-alice', type: 'totp', algorithm: 'sha1', digits: 6, period: 60, secret: new Uint8Array(randomBytes(20)) },
  { serial: 'FK00000021', user: 'fob-bob', type: 'totp', algorithm: 'sha1', digits: 6, period: 30, secret: new Uint8Array(randomBytes(32)) },
  { serial: 'VEND-7', user: 'fob-carol', type: 'hotp', algorithm: 'sha1', digits: 6, period: 30, counter: 0, secret: new Uint8Array(randomBytes(20)) },
];

let dir: string;
let usersfile: string;
const service = `fobkit-test-pam-oath-${process.pid}-${randomBytes(4).toString('hex')}`;
const servicePath = `/etc/pam.d/${service}`;

// Writing /etc/pam.d needs root. A developer's ordinary run skips these tests and says why (the
// summary line prints the note); CI runs as root, and there a missing root is a failure, never a
// silent skip (DEVELOPERS.md).
const SKIP_REASON = process.getuid?.() !== 0 && process.env['CI'] !== 'true'
  ? 'formats-pam-oath: not root, and this test writes a PAM service into /etc/pam.d (run it as root, as CI does)'
  : undefined;

beforeEach((ctx) => {
  if (SKIP_REASON) ctx.skip(SKIP_REASON);
});

beforeAll(() => {
  if (SKIP_REASON) return;
  requireCommand('pamtester', 'pamtester');
  requirePamOath();
  if (process.getuid?.() !== 0) throw new Error('this test writes a PAM service into /etc/pam.d and must run as root (CI does)');
  dir = mkdtempSync(join(tmpdir(), 'fobkit-pam-oath-'));
  usersfile = join(dir, 'users.oath');
  writeFileSync(usersfile, writePamOathUsersfile(fobs));
  chmodSync(usersfile, 0o600);
  writeFileSync(servicePath, [
    `# fobkit test service (${new Date().toISOString()}), removed by the test`,
    `auth requisite pam_oath.so usersfile=${usersfile} window=5 digits=6`,
    'account required pam_permit.so',
    '',
  ].join('\n'));
});

afterAll(() => {
  if (SKIP_REASON) return;
  rmSync(servicePath, { force: true });
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function login(user: string, code: string): { ok: boolean; output: string } {
  const r = spawnSync('pamtester', ['-v', service, user, 'authenticate'], { input: `${code}\n`, encoding: 'utf8', timeout: 30_000 });
  return { ok: r.status === 0, output: `exit ${r.status}: ${r.stdout}${r.stderr}` };
}

const now = (): number => Date.now() / 1000;

describe('pam_oath with a fobkit usersfile', () => {
  it('writes the documented line format', () => {
    const lines = readFileSync(usersfile, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    expect(lines.map((l) => l.split('\t').slice(0, 3))).toEqual([
      ['HOTP/T60/6', 'fob-alice', '-'],
      ['HOTP/T30/6', 'fob-bob', '-'],
      ['HOTP/E/6', 'fob-carol', '-'],
    ]);
  });

  it('accepts the current code of a 60 s fob and refuses it replayed', () => {
    const [alice] = fobs;
    const code = generateTotp({ secret: alice!.secret, time: now(), period: 60 });
    const first = login('fob-alice', code);
    expect(first.ok, first.output).toBe(true);
    expect(first.output).toMatch(/successfully authenticated/);
    const replay = login('fob-alice', code);
    expect(replay.ok, replay.output).toBe(false);
  });

  it('accepts a 30 s fob and refuses a code from another seed', () => {
    const bob = fobs[1]!;
    const wrong = generateTotp({ secret: fobs[0]!.secret, time: now(), period: 30 });
    const right = generateTotp({ secret: bob.secret, time: now(), period: 30 });
    if (wrong !== right) expect(login('fob-bob', wrong).ok).toBe(false);
    const r = login('fob-bob', right);
    expect(r.ok, r.output).toBe(true);
  });

  it('accepts HOTP codes in order and refuses a used counter', () => {
    const carol = fobs[2]!;
    const c0 = generateHotp({ secret: carol.secret, counter: 0 });
    const c1 = generateHotp({ secret: carol.secret, counter: 1 });
    expect(login('fob-carol', c0).ok).toBe(true);
    expect(login('fob-carol', c1).ok).toBe(true);
    expect(login('fob-carol', c0).ok).toBe(false);
  });

  it('pam_oath rewrote the file after the logins, and fobkit still reads it with the same seeds', () => {
    const text = readFileSync(usersfile, 'utf8');
    // Moving factor, last OTP and time appended by liboath.
    expect(text).toMatch(/HOTP\/T60\/6\s+fob-alice\s+-\s+[0-9a-f]+\s+\d+\s+\d{6}\s+\d{4}-\d\d-\d\dT/);
    const back = parsePamOathUsersfile(text);
    expect(back.map((r) => [r.user, Buffer.from(r.secret).toString('hex'), r.type, r.period])).toEqual(
      fobs.map((f) => [f.user, Buffer.from(f.secret).toString('hex'), f.type, f.type === 'totp' ? f.period : 30]),
    );
    expect(back[2]!.counter).toBe(2);
  });
});
