/**
 * App enrolment that cannot cut a user off (issue 15, item 9): a new enrolment is pending and
 * the working app stays valid until the new app's first code validates, which revokes the old
 * one atomically; an unused enrolment lapses after `--app-enrol-minutes`; a revoked app's code
 * answers `revoked-device`, not `mismatch`. On SQLite and PostgreSQL, through the HTTP API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { decodeBase32, generateHotp, totpStep } from '@fobkit/protocol/otp';
import { createTestDatabase, databaseKinds, registerFob, startTestBackend, testClock, type TestBackend } from '../backend/src/testing/harness.js';

const kinds = await databaseKinds('backend-app-enrol');
const START = 30_000_000 * 60 + 5;
const ROOT = join(import.meta.dirname, '..');

interface Enrolment { id: string; otpauthUri: string; state: string; expiresAt: number; replaces: string | null; revokedPrevious: string | null }
interface UserApp { id: string; state: string; expiresAt: number | null }

describe.each(kinds)('app enrolment on %s', (kind) => {
  let t: TestBackend;
  beforeAll(async () => {
    t = await startTestBackend({ db: await createTestDatabase(kind), clock: testClock(START), policy: { appEnrolSeconds: 600 } });
  });
  afterAll(async () => {
    await t?.close();
    await t?.db.cleanup();
  });
  const enrol = async (user: string) => (await t.call<Enrolment>('admin', 'POST', `/v1/users/${user}/app`, { label: 'phone' })).body;
  const codeOf = (e: Enrolment, time = t.clock()) => generateHotp({ secret: decodeBase32(new URL(e.otpauthUri).searchParams.get('secret')!), counter: totpStep({ time, period: 30 }) });
  const validate = async (user: string, code: string) => (await t.call('validator', 'POST', '/v1/validate', { user, code })).body;
  const describeUser = async (user: string) => (await t.call<{ app: UserApp | null; pendingApp: UserApp | null; failures: { count: number } }>('support', 'GET', `/v1/users/${user}`)).body;

  it('keeps the working app until the new one proves itself, then revokes it; its codes say revoked-device', async () => {
    t.clock.set(START);
    const first = await enrol('gina');
    expect(first).toMatchObject({ state: 'pending', expiresAt: START + 600, replaces: null, revokedPrevious: null });
    expect(await describeUser('gina')).toMatchObject({ app: { id: first.id, state: 'pending', expiresAt: START + 600 }, pendingApp: { id: first.id } });
    expect(await validate('gina', codeOf(first))).toEqual({ ok: true, factor: 'app' });
    expect(await describeUser('gina')).toMatchObject({ app: { id: first.id, state: 'active', expiresAt: null }, pendingApp: null });

    // A scan that failed: the new enrolment is never used. The old phone keeps working, and
    // the pending enrolment lapses by itself.
    t.clock.advance(30);
    const failed = await enrol('gina');
    expect(failed).toMatchObject({ state: 'pending', replaces: first.id, revokedPrevious: null });
    expect(await describeUser('gina')).toMatchObject({ app: { id: first.id, state: 'active' }, pendingApp: { id: failed.id, state: 'pending', expiresAt: t.clock() + 600 } });
    t.clock.advance(30);
    expect(await validate('gina', codeOf(first))).toEqual({ ok: true, factor: 'app' });
    t.clock.advance(600);
    expect(await validate('gina', codeOf(failed))).toEqual({ ok: false, reason: 'mismatch' });
    expect(await describeUser('gina')).toMatchObject({ app: { id: first.id, state: 'active' }, pendingApp: null });
    expect(await validate('gina', codeOf(first))).toEqual({ ok: true, factor: 'app' });

    // A new enrolment supersedes a pending one; its first code makes it the valid app.
    t.clock.advance(30);
    const lost = await enrol('gina');
    const second = await enrol('gina');
    expect(second).toMatchObject({ replaces: first.id, revokedPrevious: lost.id });
    t.clock.advance(30);
    expect(await validate('gina', codeOf(second))).toEqual({ ok: true, factor: 'app' });
    expect(await describeUser('gina')).toMatchObject({ app: { id: second.id, state: 'active', expiresAt: null }, pendingApp: null });
    t.clock.advance(30);
    expect(await validate('gina', codeOf(first))).toEqual({ ok: false, reason: 'revoked-device' });
    expect(await validate('gina', codeOf(lost))).toEqual({ ok: false, reason: 'revoked-device' });
    expect(await validate('gina', codeOf(second))).toEqual({ ok: true, factor: 'app' });
    // A typo is still a mismatch, and a revoked device's code counts as a failure like it.
    const typo = codeOf(second) === '000000' ? '000001' : '000000';
    expect(await validate('gina', typo)).toEqual({ ok: false, reason: 'mismatch' });
    expect((await describeUser('gina')).failures.count).toBe(1);
    expect(await validate('gina', codeOf(first))).toEqual({ ok: false, reason: 'revoked-device' });
    expect((await describeUser('gina')).failures.count).toBe(2);
    const audit = await t.call<{ entries: { action: string; detail: { id: string; revokedPrevious?: string | null } }[] }>('admin', 'GET', '/v1/audit?subject=user:gina');
    expect(audit.body.entries.filter((e) => e.action === 'app.activate').map((e) => e.detail)).toEqual([
      { id: first.id, revokedPrevious: null }, { id: second.id, revokedPrevious: first.id },
    ]);
  });

  it('activates a pending app exactly once under concurrent first codes, and keeps the fob', async () => {
    t.clock.set(START + 3600);
    const fob = await registerFob(t, { user: 'hal' });
    const old = await enrol('hal');
    expect(await validate('hal', codeOf(old))).toEqual({ ok: true, factor: 'app' });
    t.clock.advance(30);
    const next = await enrol('hal');
    const code = codeOf(next);
    const answers = await Promise.all(Array.from({ length: 20 }, () => validate('hal', code)));
    expect(answers.filter((a) => a.ok)).toEqual([{ ok: true, factor: 'app' }]);
    expect(answers.filter((a) => !a.ok).every((a) => a.reason === 'replayed')).toBe(true);
    expect(await describeUser('hal')).toMatchObject({ app: { id: next.id, state: 'active' }, pendingApp: null });
    expect(await validate('hal', generateHotp({ secret: fob.seed, counter: totpStep({ time: t.clock(), period: 60 }) }))).toMatchObject({ ok: true, factor: 'hardware' });
    t.clock.advance(30);
    expect(await validate('hal', codeOf(old))).toEqual({ ok: false, reason: 'revoked-device' });
  });

  it('revokes the active app and a pending enrolment together', async () => {
    t.clock.set(START + 7200);
    const a = await enrol('ivy');
    expect(await validate('ivy', codeOf(a))).toMatchObject({ ok: true });
    const b = await enrol('ivy');
    expect((await t.call('admin', 'DELETE', '/v1/users/ivy/app')).body).toEqual({ revoked: a.id });
    expect(await describeUser('ivy')).toMatchObject({ app: null, pendingApp: null });
    t.clock.advance(30);
    // No factor left at all: that is what the answer says.
    expect(await validate('ivy', codeOf(b))).toEqual({ ok: false, reason: 'no-factor' });
  });
});

describe('fobkit-backend serve --app-enrol-minutes', () => {
  it.each(['0', '10081', '2.5'])('refuses %s with exit 2', (v) => {
    const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', join(ROOT, 'backend/src/cli/main.ts'), 'serve', '--db', 'sqlite:/nonexistent/x.db', '--app-enrol-minutes', v], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('error [INVALID_OPTION]: --app-enrol-minutes must be a whole number from 1 to 10080');
  });
});
