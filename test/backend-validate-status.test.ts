/**
 * The status mode of POST /v1/validate (`?status=1`) for integrations that judge by the HTTP
 * status alone (FreeRADIUS rlm_rest): 200 only on success; a refusal is 401 (mismatch,
 * replayed, no-factor, malformed), 403 (disabled) or 429 with Retry-After (rate-limited,
 * locked-out), always with the same JSON body as the default mode, which stays 200.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateHotp, totpStep } from '@fobkit/protocol/otp';
import { createTestDatabase, registerFob, startTestBackend, testClock, type TestBackend } from '../backend/src/testing/harness.js';
import { DEFAULT_POLICY } from '../backend/src/service/context.js';

const PERIOD = 60;
const START = 30_000_000 * PERIOD + 5;
const code = (seed: Uint8Array, time: number) => generateHotp({ secret: seed, counter: totpStep({ time, period: PERIOD }) });

describe('validate status mode', () => {
  let t: TestBackend;
  let n = 0;
  const post = async (query: string, body: unknown) => {
    const res = await fetch(`${t.url}/v1/validate${query}`, {
      method: 'POST', headers: { authorization: `Bearer ${t.keys.validator}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Record<string, unknown> };
  };
  const fob = async () => {
    const user = `status${++n}`;
    return { user, ...(await registerFob(t, { user })) };
  };

  beforeAll(async () => {
    t = await startTestBackend({
      db: await createTestDatabase('sqlite'), clock: testClock(START),
      policy: { throttle: { ...DEFAULT_POLICY.throttle, freeFailures: 1, lockoutFailures: 3 } },
    });
  });
  afterAll(async () => {
    await t?.close();
    await t?.db.cleanup();
  });

  it('answers 200 only for an accepted code, 401 for a replay, a mismatch, a malformed code and no factor', async () => {
    const f = await fob();
    const c = code(f.seed, START);
    expect(await post('?status=1', { user: f.user, code: c })).toEqual({ status: 200, retryAfter: null, body: { ok: true, factor: 'hardware', serial: f.serial } });
    expect(await post('?status=1', { user: f.user, code: c })).toEqual({ status: 401, retryAfter: null, body: { ok: false, reason: 'replayed' } });
    const g = await fob();
    const wrong = c === '000000' ? '000001' : '000000';
    expect(await post('?status=1', { user: g.user, code: wrong })).toMatchObject({ status: 401, body: { ok: false, reason: 'mismatch' } });
    expect(await post('?status=true', { user: g.user, code: '12ab' })).toMatchObject({ status: 401, body: { ok: false, reason: 'malformed' } });
    expect(await post('?status=1', { user: 'nobody-at-all', code: '123456' })).toMatchObject({ status: 401, body: { ok: false, reason: 'no-factor' } });
  });

  it('answers 429 with Retry-After while throttled and locked out, 403 for a disabled fob', async () => {
    const f = await fob();
    const good = code(f.seed, START);
    const wrong = good === '000000' ? '000001' : '000000';
    expect((await post('?status=1', { user: f.user, code: wrong })).status).toBe(401);
    expect((await post('?status=1', { user: f.user, code: wrong })).status).toBe(401);
    const limited = await post('?status=1', { user: f.user, code: good });
    expect(limited).toEqual({ status: 429, retryAfter: '1', body: { ok: false, reason: 'rate-limited', retryAfter: 1 } });
    t.clock.advance(1);
    expect((await post('?status=1', { user: f.user, code: wrong })).status).toBe(401);
    const locked = await post('?status=1', { user: f.user, code: code(f.seed, t.clock()) });
    expect(locked.status).toBe(429);
    expect(locked.body).toMatchObject({ ok: false, reason: 'locked-out' });
    expect(locked.retryAfter).toBe(String(locked.body.retryAfter));
    t.clock.set(START);

    const d = await fob();
    expect((await t.call('support', 'POST', `/v1/tokens/${d.serial}/disable`, {})).status).toBe(200);
    expect(await post('?status=1', { user: d.user, code: code(d.seed, START) })).toEqual({ status: 403, retryAfter: null, body: { ok: false, reason: 'disabled' } });
  });

  it('keeps the default mode at 200 for refusals, and refuses an unknown status value', async () => {
    const f = await fob();
    const c = code(f.seed, START);
    expect(await post('', { user: f.user, code: c })).toMatchObject({ status: 200, body: { ok: true } });
    expect(await post('?status=0', { user: f.user, code: c })).toEqual({ status: 200, retryAfter: null, body: { ok: false, reason: 'replayed' } });
    expect(await post('?status=2', { user: f.user, code: c })).toMatchObject({ status: 400, body: { error: { code: 'INVALID_REQUEST' } } });
  });

  it('is described in the OpenAPI document', async () => {
    const doc = (await t.call<{ paths: Record<string, { post: { parameters: { name: string }[]; responses: Record<string, unknown> } }> }>(null, 'GET', '/v1/openapi.json')).body;
    const op = doc.paths['/v1/validate']!.post;
    expect(op.parameters.map((p) => p.name)).toContain('status');
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '401', '403', '429']));
  });
});
