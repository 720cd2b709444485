/**
 * The backend's HTTP API, endpoint by endpoint and role by role, on an SQLite file and on a
 * fresh PostgreSQL database (the same suite; PostgreSQL is skipped with one line when not
 * reachable outside CI).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateHotp, totpStep, decodeBase32 } from '@fobkit/protocol/otp';
import { sealToRecipient } from '@fobkit/protocol/session';
import { formatSerial, parseSerial } from '@fobkit/protocol/serial';
import { createTestDatabase, databaseKinds, registerFob, startTestBackend, testClock, type TestBackend } from '../backend/src/testing/harness.js';

const kinds = await databaseKinds('backend-api');
const T0 = 1_800_000_000; // a step boundary for 60 s and 30 s periods

const codeAt = (seed: Uint8Array, time: number, period = 60) => generateHotp({ secret: seed, counter: totpStep({ time, period }) });

describe.each(kinds)('backend API on %s', (kind) => {
  let t: TestBackend;
  beforeAll(async () => {
    t = await startTestBackend({ db: await createTestDatabase(kind), clock: testClock(T0 + 5) });
  });
  afterAll(async () => {
    await t?.close();
    await t?.db.cleanup();
  });

  it('serves the registration key to every role and the OpenAPI document to anyone', async () => {
    for (const role of ['station', 'support', 'validator', 'admin'] as const) {
      const r = await t.call<{ kid: string; publicKey: string }>(role, 'GET', '/v1/registration-key');
      expect(r.status).toBe(200);
      expect(Buffer.from(r.body.publicKey, 'base64url')).toHaveLength(32);
    }
    const doc = await t.call<{ openapi: string; paths: Record<string, unknown> }>(null, 'GET', '/v1/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/v1/validate', '/v1/tokens/{serial}/check', '/v1/users/{user}/app', '/v1/serials/reserve']));
  });

  it('refuses missing, malformed and unknown keys with 401', async () => {
    expect((await t.call(null, 'GET', '/v1/registration-key')).status).toBe(401);
    const bad = await fetch(`${t.url}/v1/registration-key`, { headers: { authorization: 'Bearer fbk_00000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } });
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
    // A revoked key stops working.
    const { createApiKey, revokeApiKey } = await import('../backend/src/service/apiKeyStore.js');
    const k = await createApiKey(t.running.backend.ctx, 'test', 'station');
    await revokeApiKey(t.running.backend.ctx, 'test', k.id);
    expect((await fetch(`${t.url}/v1/registration-key`, { headers: { authorization: `Bearer ${k.token}` } })).status).toBe(401);
    const wrongSecret = t.keys.admin.slice(0, -4) + 'AAAA';
    expect((await fetch(`${t.url}/v1/registration-key`, { headers: { authorization: `Bearer ${wrongSecret}` } })).status).toBe(401);
  });

  it('enforces roles on every endpoint', async () => {
    const fob = await registerFob(t, { user: 'roles.user' });
    const s = fob.serial;
    const matrix: [string, string, unknown, ('station' | 'support' | 'validator' | 'admin')[]][] = [
      ['POST', '/v1/serials/reserve', { count: 1 }, ['station']],
      ['POST', '/v1/tokens', {}, ['station', 'admin']],
      ['POST', `/v1/tokens/${s}/activate`, {}, ['station', 'admin']],
      ['GET', `/v1/tokens/${s}`, undefined, ['support', 'admin']],
      ['POST', `/v1/tokens/${s}/check`, { code: '000000' }, ['support', 'admin']],
      ['POST', `/v1/tokens/${s}/resync`, { code1: '000000', code2: '000000' }, ['support', 'admin']],
      ['POST', `/v1/tokens/${s}/enable`, {}, ['support', 'admin']],
      ['GET', '/v1/users/roles.user', undefined, ['support', 'admin']],
      ['POST', '/v1/users/roles.user/app', {}, ['admin']],
      ['DELETE', '/v1/users/roles.user/app', undefined, ['support', 'admin']],
      ['GET', '/v1/audit', undefined, ['admin']],
      ['POST', '/v1/validate', { user: 'roles.user', code: '000000' }, ['validator']],
      ['POST', `/v1/tokens/${s}/assign`, { user: 'roles.user' }, ['support', 'admin']],
      ['POST', '/v1/users/roles.user/unlock', undefined, ['support', 'admin']],
      ['POST', `/v1/tokens/${s}/disable`, {}, ['support', 'admin']],
      ['POST', `/v1/tokens/${s}/unbind`, { reason: 'returned' }, ['support', 'admin']],
      ['POST', `/v1/tokens/${s}/revoke`, {}, ['support', 'admin']],
    ];
    for (const [method, path, body, allowed] of matrix) {
      for (const role of ['station', 'support', 'validator', 'admin'] as const) {
        const r = await t.call(role, method, path, body);
        if (allowed.includes(role)) expect(r.status, `${role} ${method} ${path}`).not.toBe(403);
        else {
          expect(r.status, `${role} ${method} ${path}`).toBe(403);
          expect((r.body as { error: { code: string } }).error.code).toBe('FORBIDDEN');
        }
      }
    }
  });

  it('reserves serials with check digits that no other reservation gets', async () => {
    const a = await t.call<{ serials: string[] }>('station', 'POST', '/v1/serials/reserve', { count: 5 });
    const b = await t.call<{ serials: string[] }>('station', 'POST', '/v1/serials/reserve', { count: 5 });
    expect(a.status).toBe(201);
    const all = [...a.body.serials, ...b.body.serials];
    expect(new Set(all).size).toBe(10);
    for (const s of all) expect(parseSerial(s).ok).toBe(true);
    const concurrent = await Promise.all(Array.from({ length: 8 }, () => t.call<{ serials: string[] }>('station', 'POST', '/v1/serials/reserve', { count: 3 })));
    const got = concurrent.flatMap((r) => r.body.serials);
    expect(new Set(got).size).toBe(24);
    expect((await t.call('station', 'POST', '/v1/serials/reserve', { count: 0 })).status).toBe(400);
    expect((await t.call('station', 'POST', '/v1/serials/reserve', { count: 1001 })).status).toBe(400);
  });

  it('registers idempotently by serial and refuses a different seed with 409', async () => {
    const reg = (await t.call<{ kid: string; publicKey: string }>('station', 'GET', '/v1/registration-key')).body;
    const serial = (await t.call<{ serials: string[] }>('station', 'POST', '/v1/serials/reserve', { count: 1 })).body.serials[0]!;
    const pub = new Uint8Array(Buffer.from(reg.publicKey, 'base64url'));
    const seed = new Uint8Array(20).fill(7);
    const body = (s: Uint8Array, ctx = `seed:${serial}`) => ({
      serial, model: 'FK-1', sealedSecret: Buffer.from(sealToRecipient({ recipientPublicKey: pub, plaintext: s, context: ctx })).toString('base64url'),
      kid: reg.kid, algorithm: 'sha1', digits: 6, period: 60, t0: 0, batch: 'B7', provisionedAt: T0, clockOffset: 0.4,
    });
    const first = await t.call('station', 'POST', '/v1/tokens', body(seed));
    expect(first).toEqual({ status: 201, body: { serial, state: 'pending' } });
    // A retry (newly sealed, so the envelope differs) is the same registration.
    expect(await t.call('station', 'POST', '/v1/tokens', body(seed))).toEqual({ status: 200, body: { serial, state: 'pending' } });
    const other = await t.call<{ error: { code: string } }>('station', 'POST', '/v1/tokens', body(new Uint8Array(20).fill(8)));
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('CONFLICT');
    expect((await t.call<{ error: { code: string } }>('station', 'POST', '/v1/tokens', { ...body(seed), digits: 8 })).status).toBe(409);
    // Sealed for another serial: does not open.
    const wrongCtx = await t.call<{ error: { code: string } }>('station', 'POST', '/v1/tokens', body(seed, 'seed:FK00000013'));
    expect(wrongCtx.status).toBe(422);
    expect(wrongCtx.body.error.code).toBe('SEAL_FAILED');
    const unknownKid = await t.call<{ error: { code: string } }>('station', 'POST', '/v1/tokens', { ...body(seed), kid: 'reg-nope' });
    expect(unknownKid.body.error.code).toBe('UNKNOWN_KID');
    // A mistyped serial (check digit) is rejected as such.
    const typo = serial.slice(0, -1) + String((Number(serial.slice(-1)) + 1) % 10);
    const bad = await t.call<{ error: { code: string; message: string } }>('station', 'POST', '/v1/tokens', { ...body(seed), serial: typo });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('INVALID_SERIAL');
    expect(bad.body.error.message).toMatch(/check digit/);
    expect((await t.call<{ error: { code: string } }>('support', 'GET', `/v1/tokens/${typo}`)).body.error.code).toBe('INVALID_SERIAL');
    // A well-formed serial that no reservation handed out.
    const unreserved = formatSerial(9_999_000);
    const made = await t.call<{ error: { code: string } }>('station', 'POST', '/v1/tokens', {
      ...body(seed), serial: unreserved, sealedSecret: Buffer.from(sealToRecipient({ recipientPublicKey: pub, plaintext: seed, context: `seed:${unreserved}` })).toString('base64url'),
    });
    expect([made.status, made.body.error.code]).toEqual([409, 'SERIAL_NOT_RESERVED']);
  });

  it('walks the life cycle: pending, available, assigned, quarantined, checked, assigned again, revoked', async () => {
    const fob = await registerFob(t, { activate: false });
    const s = fob.serial;
    const get = async () => (await t.call<Record<string, unknown>>('support', 'GET', `/v1/tokens/${s}`)).body;
    expect((await get()).state).toBe('pending');
    expect((await t.call('support', 'POST', `/v1/tokens/${s}/assign`, { user: 'alice' })).status).toBe(409);
    expect((await t.call('station', 'POST', `/v1/tokens/${s}/activate`)).body).toMatchObject({ state: 'available' });
    expect((await t.call('station', 'POST', `/v1/tokens/${s}/activate`)).status).toBe(200);
    expect((await t.call('support', 'POST', `/v1/tokens/${s}/assign`, { user: 'alice' })).body).toMatchObject({ state: 'assigned', user: 'alice' });
    expect((await t.call('support', 'POST', `/v1/tokens/${s}/assign`, { user: 'alice' })).status).toBe(200);
    // One fob per user.
    const second = await registerFob(t);
    expect((await t.call<{ error: { code: string } }>('support', 'POST', `/v1/tokens/${second.serial}/assign`, { user: 'alice' })).body.error.code).toBe('CONFLICT');
    const view = await get();
    expect(view).toMatchObject({ serial: s, state: 'assigned', user: 'alice', enabled: true, algorithm: 'sha1', digits: 6, period: 60, model: 'FK-1', batch: 'B1' });
    expect(JSON.stringify(view)).not.toMatch(new RegExp(Buffer.from(fob.seed).toString('hex')));
    expect(Object.keys(view)).not.toContain('seed');
    expect((view.history as { action: string; actor: string }[]).map((h) => h.action)).toEqual(['token.register', 'token.activate', 'token.assign']);
    expect((view.history as { actor: string }[])[0]!.actor).toBe(t.keyIds.station);

    expect((await t.call('support', 'POST', `/v1/tokens/${s}/unbind`, { reason: 'lost' })).body).toMatchObject({ state: 'quarantined', user: null });
    const notYet = await t.call<{ error: { code: string; message: string } }>('support', 'POST', `/v1/tokens/${s}/assign`, { user: 'bob' });
    expect(notYet.status).toBe(409);
    expect(notYet.body.error.message).toMatch(/check/);
    expect((await t.call('support', 'POST', `/v1/tokens/${s}/check`, { code: '000000' === codeAt(fob.seed, t.clock()) ? '111111' : '000000' })).body).toMatchObject({ ok: false });
    expect((await get()).state).toBe('quarantined');
    expect((await t.call('support', 'POST', `/v1/tokens/${s}/check`, { code: codeAt(fob.seed, t.clock()) })).body).toMatchObject({ ok: true, offsetSteps: 0, state: 'available' });
    expect((await t.call('support', 'POST', `/v1/tokens/${s}/assign`, { user: 'bob' })).body).toMatchObject({ state: 'assigned', user: 'bob' });

    expect((await t.call('support', 'POST', `/v1/tokens/${s}/disable`, { reason: 'audit' })).body).toMatchObject({ enabled: false, state: 'assigned' });
    expect((await t.call('validator', 'POST', '/v1/validate', { user: 'bob', code: codeAt(fob.seed, t.clock()) })).body).toEqual({ ok: false, reason: 'disabled' });
    expect((await t.call('support', 'POST', `/v1/tokens/${s}/enable`)).body).toMatchObject({ enabled: true });
    expect((await t.call('validator', 'POST', '/v1/validate', { user: 'bob', code: codeAt(fob.seed, t.clock()) })).body).toEqual({ ok: true, factor: 'hardware', serial: s });
    expect((await t.call('support', 'POST', `/v1/tokens/${s}/revoke`, { reason: 'left company' })).body).toMatchObject({ state: 'revoked', user: null });
    expect((await t.call('support', 'POST', `/v1/tokens/${s}/revoke`)).status).toBe(200);
    expect((await t.call('support', 'POST', `/v1/tokens/${s}/enable`)).status).toBe(409);
    expect((await t.call('support', 'POST', `/v1/tokens/${s}/assign`, { user: 'carol' })).status).toBe(409);
    t.clock.advance(60);
    expect((await t.call('validator', 'POST', '/v1/validate', { user: 'bob', code: codeAt(fob.seed, t.clock()) })).body).toEqual({ ok: false, reason: 'no-factor' });
    expect((await t.call('support', 'GET', `/v1/tokens/${formatSerial(9_999_990)}`)).status).toBe(404);
  });

  it('checks a code over a day either side without consuming it, and resyncs from two codes', async () => {
    const fob = await registerFob(t, { user: 'drifty' });
    const now = t.clock();
    // The fob runs 3 h 20 min fast: far outside the validation window.
    const fobTime = now + 200 * 60;
    const code = codeAt(fob.seed, fobTime);
    const check = await t.call('support', 'POST', `/v1/tokens/${fob.serial}/check`, { code });
    expect(check.body).toMatchObject({ ok: true, offsetSteps: 200, offsetSeconds: 12_000 });
    // Check consumed nothing and counted nothing.
    expect((await t.call('support', 'GET', `/v1/tokens/${fob.serial}`)).body).toMatchObject({ lastUsed: null, failures: { count: 0 } });
    expect((await t.call('validator', 'POST', '/v1/validate', { user: 'drifty', code })).body).toMatchObject({ ok: false, reason: 'mismatch' });
    // A code from another instant, given as such.
    expect((await t.call('support', 'POST', `/v1/tokens/${fob.serial}/check`, { code: codeAt(fob.seed, now - 3600), time: now - 3600 })).body).toMatchObject({ ok: true, offsetSteps: 0 });
    expect((await t.call('support', 'POST', `/v1/tokens/${fob.serial}/check`, { code: 'abcdef' })).status).toBe(400);
    // With the step read off the fob, only that step counts: the same code claimed for another
    // step of the day is not a match (as another seed's colliding code would not be).
    const fobStep = totpStep({ time: fobTime, period: 60 });
    expect((await t.call('support', 'POST', `/v1/tokens/${fob.serial}/check`, { code, step: fobStep })).body).toMatchObject({ ok: true, offsetSteps: 200, step: fobStep });
    expect((await t.call('support', 'POST', `/v1/tokens/${fob.serial}/check`, { code, step: fobStep + 1 })).body).toMatchObject({ ok: false, reason: 'mismatch' });
    const farStep = totpStep({ time: now + 2 * 86_400, period: 60 });
    expect((await t.call('support', 'POST', `/v1/tokens/${fob.serial}/check`, { code: codeAt(fob.seed, now + 2 * 86_400), step: farStep })).body).toMatchObject({ ok: false, reason: 'mismatch' });

    const c1 = codeAt(fob.seed, fobTime);
    const c2 = codeAt(fob.seed, fobTime + 60);
    expect((await t.call('support', 'POST', `/v1/tokens/${fob.serial}/resync`, { code1: c2, code2: c1 })).body).toMatchObject({ ok: false, reason: 'mismatch' });
    expect((await t.call('support', 'POST', `/v1/tokens/${fob.serial}/resync`, { code1: c1, code2: c2 })).body).toEqual({ ok: true, offsetSteps: 201, offsetSeconds: 12_060 });
    expect((await t.call('support', 'POST', `/v1/tokens/${fob.serial}/resync`, { code1: c1, code2: c2 })).body).toMatchObject({ ok: false, reason: 'replayed' });
    // Both resync codes are consumed; the next one validates.
    expect((await t.call('validator', 'POST', '/v1/validate', { user: 'drifty', code: c2 })).body).toMatchObject({ ok: false, reason: 'replayed' });
    t.clock.advance(60);
    expect((await t.call('validator', 'POST', '/v1/validate', { user: 'drifty', code: codeAt(fob.seed, fobTime + 120) })).body).toEqual({ ok: true, factor: 'hardware', serial: fob.serial });
    const view = (await t.call<{ drift: { steps: number } }>('support', 'GET', `/v1/tokens/${fob.serial}`)).body;
    expect(view.drift.steps).toBeGreaterThan(199);
    expect(view.drift.steps).toBeLessThan(202);
  });

  it('enrols an app factor independent of the fob; a new app revokes the previous one once it proves itself', async () => {
    const fob = await registerFob(t, { user: 'dana' });
    const enrol = async () => (await t.call<{ otpauthUri: string; id: string; revokedPrevious: string | null }>('admin', 'POST', '/v1/users/dana/app', { label: 'phone' }));
    const first = await enrol();
    expect(first.status).toBe(201);
    const uri = new URL(first.body.otpauthUri);
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.searchParams.get('issuer')).toBe('fobkit');
    expect(uri.searchParams.get('period')).toBe('30');
    const appSeed = decodeBase32(uri.searchParams.get('secret')!);
    const appCode = (time: number) => generateHotp({ secret: appSeed, counter: totpStep({ time, period: 30 }) });
    expect((await t.call('validator', 'POST', '/v1/validate', { user: 'dana', code: appCode(t.clock()) })).body).toEqual({ ok: true, factor: 'app' });
    // The fob still works beside it.
    expect((await t.call('validator', 'POST', '/v1/validate', { user: 'dana', code: codeAt(fob.seed, t.clock()) })).body).toEqual({ ok: true, factor: 'hardware', serial: fob.serial });

    // A new enrolment is pending: the working app stays valid until the new one's first code.
    const second = await enrol();
    expect(second.body).toMatchObject({ state: 'pending', replaces: first.body.id, revokedPrevious: null });
    t.clock.advance(30);
    expect((await t.call('validator', 'POST', '/v1/validate', { user: 'dana', code: appCode(t.clock()) })).body).toEqual({ ok: true, factor: 'app' });
    t.clock.advance(30);
    const newSeed = decodeBase32(new URL(second.body.otpauthUri).searchParams.get('secret')!);
    expect((await t.call('validator', 'POST', '/v1/validate', { user: 'dana', code: generateHotp({ secret: newSeed, counter: totpStep({ time: t.clock(), period: 30 }) }) })).body).toEqual({ ok: true, factor: 'app' });
    // That revoked the old one; its codes now say so.
    t.clock.advance(30);
    const oldApp = await t.call('validator', 'POST', '/v1/validate', { user: 'dana', code: appCode(t.clock()) });
    expect(oldApp.body).toEqual({ ok: false, reason: 'revoked-device' });
    // Revoking the app leaves the fob bound; unbinding the fob leaves the app.
    expect((await t.call('admin', 'DELETE', '/v1/users/dana/app')).body).toEqual({ revoked: second.body.id });
    expect((await t.call('support', 'GET', '/v1/users/dana')).body).toMatchObject({ fob: { serial: fob.serial }, app: null });
    await enrol();
    await t.call('support', 'POST', `/v1/tokens/${fob.serial}/unbind`, { reason: 'returned' });
    expect((await t.call('support', 'GET', '/v1/users/dana')).body).toMatchObject({ fob: null, app: { label: 'phone' } });
  });

  it('answers bad requests with stable error codes, never a 5xx', async () => {
    const raw = async (method: string, path: string, body: string | undefined, type = 'application/json', role: 'station' | 'validator' = 'validator') =>
      fetch(`${t.url}${path}`, { method, headers: { authorization: `Bearer ${t.keys[role]}`, 'content-type': type }, body });
    const code = async (r: Response) => ((await r.json()) as { error: { code: string } }).error.code;
    let r = await raw('POST', '/v1/validate', '{"user":"x","code":"123456","extra":1}');
    expect([r.status, await code(r)]).toEqual([400, 'INVALID_REQUEST']);
    r = await raw('POST', '/v1/validate', '{"user":"x",');
    expect([r.status, await code(r)]).toEqual([400, 'INVALID_JSON']);
    r = await raw('POST', '/v1/validate', '{"user":"x","code":"1"}', 'text/plain');
    expect([r.status, await code(r)]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    r = await raw('POST', '/v1/validate', JSON.stringify({ user: 'x', code: 'y'.repeat(20_000) }));
    expect([r.status, await code(r)]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    r = await raw('GET', '/v1/validate', undefined);
    expect([r.status, await code(r)]).toEqual([405, 'METHOD_NOT_ALLOWED']);
    r = await raw('GET', '/v1/nothing', undefined);
    expect([r.status, await code(r)]).toEqual([404, 'NOT_FOUND']);
    r = await raw('GET', '/v1/tokens/%E0%A4%A', undefined);
    expect(r.status).toBe(400);
    r = await raw('POST', '/v1/validate', '[]');
    expect([r.status, await code(r)]).toEqual([400, 'INVALID_REQUEST']);
    r = await raw('POST', '/v1/validate', '{"user":"x","code":123456}');
    expect([r.status, await code(r)]).toEqual([400, 'INVALID_REQUEST']);
    expect((await t.call('validator', 'POST', '/v1/validate', { user: 'nobody', code: '123456' })).body).toEqual({ ok: false, reason: 'no-factor' });
    expect((await t.call('validator', 'POST', '/v1/validate', { user: 'nobody', code: '12a456' })).body).toEqual({ ok: false, reason: 'malformed' });
  });

  it('records every change in the audit log with the key id', async () => {
    const fob = await registerFob(t, { user: 'audited' });
    const r = await t.call<{ entries: { action: string; actor: string; subject: string }[] }>('admin', 'GET', `/v1/audit?subject=${fob.serial}`);
    expect(r.body.entries.map((e) => [e.action, e.actor])).toEqual([
      ['token.register', t.keyIds.station], ['token.activate', t.keyIds.station], ['token.assign', t.keyIds.support],
    ]);
    const { verifyAuditChain } = await import('../backend/src/audit/auditLog.js');
    expect(await verifyAuditChain(t.running.backend.ctx.db)).toMatchObject({ ok: true });
  });
});
