/**
 * The auth log (issue 15, item 7): every validation is recorded for support (time, user, factor,
 * serial, result, reason, source) and never the code; it is read by user and by serial, newest
 * first, by support and admin keys; entries older than `--auth-log-days` are pruned. Run on
 * SQLite and PostgreSQL, through the HTTP API of an in-process server with a test clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { generateHotp } from '@fobkit/protocol/otp';
import { createTestDatabase, databaseKinds, registerFob, startTestBackend, testClock, type TestBackend } from '../backend/src/testing/harness.js';

const kinds = await databaseKinds('backend-auth-log');
const PERIOD = 60;
const S = 30_000_000;
const START = S * PERIOD + 10;
const ROOT = join(import.meta.dirname, '..');

interface Entry { at: number; user: string; factor: string; serial: string | null; result: string; reason: string | null; source: string | null }

describe.each(kinds)('the auth log on %s', (kind) => {
  let t: TestBackend;
  beforeAll(async () => {
    t = await startTestBackend({ db: await createTestDatabase(kind), clock: testClock(START), policy: { authLogDays: 1 } });
  });
  afterAll(async () => {
    await t?.close();
    await t?.db.cleanup();
  });
  const validate = async (body: Record<string, unknown>) => (await t.call('validator', 'POST', '/v1/validate', body)).body;
  const log = async (path: string, role: 'support' | 'admin' = 'support') => t.call<{ entries: Entry[] }>(role, 'GET', path);

  it('records every validation with its factor, serial, reason and source, never the code', async () => {
    t.clock.set(START - 3600);
    const fob = await registerFob(t, { user: 'erin' });
    const other = await registerFob(t, { user: 'frank' });
    t.clock.set(START);
    const right = generateHotp({ secret: fob.seed, counter: S });
    const wrong = right === '987654' ? '987653' : '987654';
    expect(await validate({ user: 'erin', code: wrong, source: '203.0.113.7' })).toEqual({ ok: false, reason: 'mismatch' });
    t.clock.advance(1);
    expect(await validate({ user: 'erin', code: '12' })).toEqual({ ok: false, reason: 'malformed' });
    t.clock.advance(1);
    expect(await validate({ user: 'erin', code: right, source: '2001:db8::1' })).toEqual({ ok: true, factor: 'hardware', serial: fob.serial });
    t.clock.advance(1);
    expect(await validate({ user: 'erin', code: right })).toEqual({ ok: false, reason: 'replayed' });
    t.clock.advance(1);
    expect(await validate({ user: 'nobody', code: wrong })).toEqual({ ok: false, reason: 'no-factor' });
    expect(await validate({ user: 'frank', code: generateHotp({ secret: other.seed, counter: S }) })).toMatchObject({ ok: true });

    const r = await log('/v1/users/erin/auth-log');
    expect(r.status).toBe(200);
    expect(r.body.entries).toEqual([
      { at: START + 3, user: 'erin', factor: 'hardware', serial: fob.serial, result: 'refused', reason: 'replayed', source: null },
      { at: START + 2, user: 'erin', factor: 'hardware', serial: fob.serial, result: 'ok', reason: null, source: '2001:db8::1' },
      { at: START + 1, user: 'erin', factor: 'none', serial: null, result: 'refused', reason: 'malformed', source: null },
      { at: START, user: 'erin', factor: 'hardware', serial: fob.serial, result: 'refused', reason: 'mismatch', source: '203.0.113.7' },
    ]);
    expect(JSON.stringify(r.body)).not.toContain(wrong);
    // An unknown user's attempts are there too: support can say "no such user has a factor".
    expect((await log('/v1/users/nobody/auth-log', 'admin')).body.entries).toEqual([
      { at: START + 4, user: 'nobody', factor: 'none', serial: null, result: 'refused', reason: 'no-factor', source: null },
    ]);
    // By serial: that fob's validations only; ?limit bounds the answer.
    const bySerial = await log(`/v1/tokens/${fob.serial}/auth-log?limit=2`);
    expect(bySerial.body.entries.map((e) => [e.user, e.reason])).toEqual([['erin', 'replayed'], ['erin', null]]);
    expect((await log(`/v1/tokens/${other.serial}/auth-log`)).body.entries.map((e) => e.user)).toEqual(['frank']);
  });

  it('is for support and admin keys only, with a bounded limit and a checked serial', async () => {
    expect((await t.call('validator', 'GET', '/v1/users/erin/auth-log')).status).toBe(403);
    expect((await t.call('station', 'GET', '/v1/users/erin/auth-log')).status).toBe(403);
    expect((await t.call(null, 'GET', '/v1/users/erin/auth-log')).status).toBe(401);
    for (const q of ['0', '1001', 'abc', '1.5']) {
      const r = await t.call<{ error: { code: string } }>('support', 'GET', `/v1/users/erin/auth-log?limit=${q}`);
      expect([r.status, r.body.error.code]).toEqual([400, 'INVALID_REQUEST']);
    }
    expect((await t.call<{ error: { code: string } }>('support', 'GET', '/v1/tokens/FK00000012/auth-log')).body.error.code).toBe('INVALID_SERIAL');
  });

  it('keeps entries for --auth-log-days and prunes older ones', async () => {
    t.clock.set(START + 2 * 86_400);
    await validate({ user: 'erin', code: '000000' });
    // The prune runs with the writer: the read flushes, and the old entries are gone.
    const entries = (await log('/v1/users/erin/auth-log')).body.entries;
    expect(entries.map((e) => e.at)).toEqual([START + 2 * 86_400]);
  });
});

describe('fobkit-backend serve --auth-log-days', () => {
  it.each(['0', '3651', '1.5', 'abc'])('refuses %s with exit 2', (v) => {
    const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', join(ROOT, 'backend/src/cli/main.ts'), 'serve', '--db', 'sqlite:/nonexistent/x.db', '--auth-log-days', v], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('error [INVALID_OPTION]: --auth-log-days must be a whole number from 1 to 3650');
  });
});
