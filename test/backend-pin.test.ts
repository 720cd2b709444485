/**
 * PIN + OTP: support sets a static PIN per user (stored as an scrypt hash, audited without the
 * PIN); validate then expects the PIN followed by the code, refuses the code alone, and counts
 * a wrong PIN as a failure without saying which part was wrong.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateHotp, totpStep } from '@fobkit/protocol/otp';
import { createTestDatabase, databaseKinds, registerFob, startTestBackend, testClock, type TestBackend } from '../backend/src/testing/harness.js';
import { codeAfterPin, hashPin, splitPinAndCode, verifyPin } from '../backend/src/service/userPin.js';

const kinds = await databaseKinds('backend-pin');
const PERIOD = 60;
const START = 30_000_000 * PERIOD + 5;
const code = (seed: Uint8Array, time: number) => generateHotp({ secret: seed, counter: totpStep({ time, period: PERIOD }) });

describe('PIN helpers', () => {
  it('splits off the last `digits` characters; too short or a non-digit code part is no split', () => {
    expect(splitPinAndCode('s3cret!123456', 6)).toEqual({ pin: 's3cret!', code: '123456' });
    expect(splitPinAndCode('1234' + '12345678', 8)).toEqual({ pin: '1234', code: '12345678' });
    expect(splitPinAndCode('123456', 6)).toBeUndefined();
    expect(splitPinAndCode('123123456', 6)).toBeUndefined(); // a 3-character PIN is too short
    expect(splitPinAndCode('abcd12345x', 6)).toBeUndefined();
  });

  it('hashes with a per-user salt and verifies in constant time; a tampered hash never matches', async () => {
    const a = await hashPin('4711');
    const b = await hashPin('4711');
    expect(a).toMatch(/^scrypt\$ln=14,r=8,p=1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('4711');
    expect(await verifyPin(a, '4711')).toBe(true);
    expect(await verifyPin(a, '4712')).toBe(false);
    expect(await verifyPin(a.replace('ln=14', 'ln=31'), '4711')).toBe(false);
    expect(await verifyPin('plain:4711', '4711')).toBe(false);
    expect(await codeAfterPin(a, '4711654321', 6)).toBe('654321');
    expect(await codeAfterPin(a, '4712654321', 6)).toBeNull();
    await expect(hashPin('123')).rejects.toThrow(RangeError);
  });
});

describe.each(kinds)('PIN + OTP on %s', (kind) => {
  let t: TestBackend;
  let n = 0;
  const validate = async (user: string, c: string) => (await t.call('validator', 'POST', '/v1/validate', { user, code: c })).body;
  const failures = async (user: string) => (await t.call<{ failures: { count: number }; pin: boolean }>('support', 'GET', `/v1/users/${user}`)).body;
  const fob = async () => {
    const user = `pin${++n}`;
    return { user, ...(await registerFob(t, { user })) };
  };

  beforeAll(async () => {
    t = await startTestBackend({ db: await createTestDatabase(kind), clock: testClock(START) });
  });
  afterAll(async () => {
    await t?.close();
    await t?.db.cleanup();
  });

  it('accepts the PIN followed by the code and refuses the code alone once a PIN is set', async () => {
    const f = await fob();
    expect(await t.call('support', 'PUT', `/v1/users/${f.user}/pin`, { pin: 'Tr0ub4dor&3' })).toEqual({ status: 200, body: { user: f.user, pin: true } });
    expect((await failures(f.user)).pin).toBe(true);
    expect(await validate(f.user, code(f.seed, START))).toEqual({ ok: false, reason: 'mismatch' });
    expect((await failures(f.user)).failures.count).toBe(1);
    t.clock.advance(PERIOD);
    expect(await validate(f.user, `Tr0ub4dor&3${code(f.seed, t.clock())}`)).toEqual({ ok: true, factor: 'hardware', serial: f.serial });
    expect((await failures(f.user)).failures.count).toBe(0);
    t.clock.set(START);
  });

  it('answers a wrong PIN as a counted mismatch and leaves the code unused', async () => {
    const f = await fob();
    await t.call('support', 'PUT', `/v1/users/${f.user}/pin`, { pin: '2468' });
    const c = code(f.seed, START);
    expect(await validate(f.user, `1357${c}`)).toEqual({ ok: false, reason: 'mismatch' });
    expect(await validate(f.user, `2468${c.slice(0, 5)}x`)).toEqual({ ok: false, reason: 'mismatch' });
    expect((await failures(f.user)).failures.count).toBe(2);
    expect(await validate(f.user, `2468${c}`)).toMatchObject({ ok: true });
    expect(await validate(f.user, `2468${c}`)).toEqual({ ok: false, reason: 'replayed' });
  });

  it('clears the PIN: the code alone works again; only support and admin may set it; audited without the PIN', async () => {
    const f = await fob();
    expect((await t.call('validator', 'PUT', `/v1/users/${f.user}/pin`, { pin: '9999' })).status).toBe(403);
    expect((await t.call('station', 'PUT', `/v1/users/${f.user}/pin`, { pin: '9999' })).status).toBe(403);
    expect(await t.call('admin', 'PUT', `/v1/users/${f.user}/pin`, { pin: '12' })).toMatchObject({ status: 400, body: { error: { code: 'INVALID_REQUEST' } } });
    expect((await t.call('admin', 'PUT', `/v1/users/${f.user}/pin`, { pin: '8642' })).status).toBe(200);
    expect(await t.call('support', 'DELETE', `/v1/users/${f.user}/pin`)).toEqual({ status: 200, body: { user: f.user, pin: false } });
    expect(await validate(f.user, code(f.seed, START))).toMatchObject({ ok: true });
    expect((await t.call('support', 'DELETE', '/v1/users/no-such-user/pin')).status).toBe(404);
    const audit = await t.call<{ entries: { action: string; subject: string; detail: unknown }[] }>('admin', 'GET', `/v1/audit?subject=user:${f.user}`);
    const pinEntries = audit.body.entries.filter((e) => e.action.startsWith('user.pin'));
    expect(pinEntries.map((e) => e.action)).toEqual(['user.pin-set', 'user.pin-clear']);
    expect(JSON.stringify(audit.body)).not.toContain('8642');
  });

  it('keeps the PIN out of the database in plain text', async () => {
    const f = await fob();
    await t.call('support', 'PUT', `/v1/users/${f.user}/pin`, { pin: 'plainly-not-here' });
    const row = await t.running.backend.ctx.db.get<{ pin_hash: string }>('SELECT pin_hash FROM users WHERE user_id = ?', [f.user]);
    expect(row!.pin_hash).toMatch(/^scrypt\$/);
    expect(row!.pin_hash).not.toContain('plainly');
  });
});
