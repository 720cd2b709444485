/**
 * The console's guards over plain HTTP (what a browser would do, checked header by header), on
 * SQLite and PostgreSQL: the session cookie's attributes, session ids stored only hashed, the
 * CSP, the synchronizer token and the Origin / Sec-Fetch-Site checks, idle and absolute
 * timeouts (on the test clock, no sleeping), login throttling, a disabled operator's sessions,
 * role checks, search text taken literally, no seed in any page, and the auth-log adapter.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, databaseKinds, registerFob, startTestBackend, testClock, type RegisteredFob, type TestBackend } from '../backend/src/testing/harness.js';
import { createHttpServer } from '../backend/src/http/createHttpServer.js';
import { disableOperator, setOperatorPassword } from '../backend/src/service/operatorStore.js';
import { readAuthLog } from '../backend/src/console/readAuthLog.js';
import { addTestOperator, codeAt, T0 } from './console-rig.js';

const kinds = await databaseKinds('console-security');

interface Reply {
  status: number;
  headers: Headers;
  text: string;
}

describe.each(kinds)('console guards on %s', (kind) => {
  let t: TestBackend;
  let c: string;
  let fob: RegisteredFob;
  const ops: Record<string, { name: string; password: string }> = {};

  const get = async (path: string, cookie?: string): Promise<Reply> => {
    const r = await fetch(`${c}${path}`, { redirect: 'manual', headers: cookie ? { cookie } : {} });
    return { status: r.status, headers: r.headers, text: await r.text() };
  };
  const post = async (path: string, form: Record<string, string>, cookie?: string, headers: Record<string, string> = {}): Promise<Reply> => {
    const r = await fetch(`${c}${path}`, { method: 'POST', redirect: 'manual', body: new URLSearchParams(form).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}), ...headers } });
    return { status: r.status, headers: r.headers, text: await r.text() };
  };
  const logIn = async (op: { name: string; password: string }): Promise<{ cookie: string; csrf: string; setCookie: string }> => {
    const r = await post('/login', { name: op.name, password: op.password });
    expect(r.status, r.text).toBe(303);
    const setCookie = r.headers.get('set-cookie')!;
    const cookie = setCookie.split(';')[0]!;
    const page = await get('/search', cookie);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)![1]!;
    return { cookie, csrf, setCookie };
  };

  beforeAll(async () => {
    t = await startTestBackend({ db: await createTestDatabase(kind), clock: testClock(T0 + 5) });
    c = `${t.url}/console`;
    ops.alice = await addTestOperator(t, 'alice', 'support');
    ops.bob = await addTestOperator(t, 'bob', 'admin');
    ops.carol = await addTestOperator(t, 'carol', 'support');
    fob = await registerFob(t, { user: 'pat_x' });
  });
  afterAll(async () => {
    await t?.close();
    await t?.db.cleanup();
  });

  it('sets an HttpOnly, SameSite=Strict cookie scoped to /console, Secure when configured; stores only the id hash', async () => {
    const { setCookie, cookie } = await logIn(ops.alice!);
    expect(setCookie).toMatch(/^fobkit_console=[A-Za-z0-9_-]{43}; Path=\/console; HttpOnly; SameSite=Strict$/);
    const id = cookie.split('=')[1]!;
    const rows = await t.running.backend.ctx.db.all<{ id_hash: string }>('SELECT id_hash FROM console_sessions');
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.id_hash).not.toContain(id);
    // The same backend behind TLS: --console-secure-cookies.
    const secure: Server = createHttpServer(t.running.backend.ctx, { console: { secureCookies: true } });
    await new Promise<void>((r) => secure.listen(0, '127.0.0.1', r));
    try {
      const r = await fetch(`http://127.0.0.1:${(secure.address() as AddressInfo).port}/console/login`, { method: 'POST', redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(ops.alice!).toString() });
      expect(r.headers.get('set-cookie')).toMatch(/; HttpOnly; SameSite=Strict; Secure$/);
    } finally {
      secure.closeAllConnections();
      await new Promise((r) => secure.close(r));
    }
  });

  it("serves every page with CSP default-src 'self', no framing, no caching", async () => {
    const { cookie } = await logIn(ops.alice!);
    for (const path of ['/login', `/users/${encodeURIComponent('pat_x')}`, `/tokens/${fob.serial}`, '/search?q=pat']) {
      const r = await get(path, path === '/login' ? undefined : cookie);
      expect(r.status, path).toBe(200);
      expect(r.headers.get('content-security-policy')).toMatch(/^default-src 'self';.*frame-ancestors 'none'/);
      expect(r.headers.get('cache-control')).toBe('no-store');
      expect(r.text).not.toMatch(/<script|style=/);
      // Never a seed, in any encoding.
      const b = Buffer.from(fob.seed);
      for (const s of [b.toString('hex'), b.toString('base64'), b.toString('base64url')]) expect(r.text).not.toContain(s);
    }
  });

  it('refuses a POST without the session token, from another origin, or marked cross-site; nothing changes', async () => {
    const { cookie, csrf } = await logIn(ops.alice!);
    const unbind = `/tokens/${fob.serial}/unbind`;
    const form = { confirmed: 'yes', reason: 'test' };
    expect((await post(unbind, form, cookie)).status).toBe(403);
    expect((await post(unbind, { ...form, csrf: csrf.slice(0, -2) + 'AA' }, cookie)).status).toBe(403);
    expect((await post(unbind, { ...form, csrf }, cookie, { origin: 'http://127.0.0.1:1' })).status).toBe(403);
    expect((await post(unbind, { ...form, csrf }, cookie, { origin: 'null' })).status).toBe(403);
    expect((await post(unbind, { ...form, csrf }, cookie, { 'sec-fetch-site': 'same-site' })).status).toBe(403);
    expect((await post(unbind, { ...form, csrf }, cookie, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    // Another session's token is not this session's.
    const other = await logIn(ops.carol!);
    expect((await post(unbind, { ...form, csrf: other.csrf }, cookie)).status).toBe(403);
    expect((await t.call<{ state: string }>('support', 'GET', `/v1/tokens/${fob.serial}`)).body.state).toBe('assigned');
    // The login form too: a cross-origin login is refused before the password is looked at.
    expect((await post('/login', ops.alice!, undefined, { origin: 'http://evil.example' })).status).toBe(403);
    // Behind a proxy that rewrites Host, the public name comes as X-Forwarded-Host.
    expect((await post(unbind, { ...form, csrf }, cookie, { origin: 'https://helpdesk.example', 'x-forwarded-host': 'elsewhere.example' })).status).toBe(403);
    const proxied = await post(`/users/pat_x/unlock`, { csrf }, cookie, { origin: 'https://helpdesk.example', 'x-forwarded-host': 'helpdesk.example', 'sec-fetch-site': 'same-origin' });
    expect(proxied.status).toBe(303);
    // The console's own form, same origin: accepted.
    const ok = await post(unbind, { ...form, csrf }, cookie, { origin: new URL(t.url).origin, 'sec-fetch-site': 'same-origin' });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe(`/console/tokens/${fob.serial}?done=unbound`);
    expect((await t.call<{ state: string }>('support', 'GET', `/v1/tokens/${fob.serial}`)).body.state).toBe('quarantined');
    // Destructive actions need the confirmation step and a reason.
    const check = await post(`/tokens/${fob.serial}/check`, { csrf, code: codeAt(fob.seed, t.clock()) }, cookie);
    expect(check.text).toContain('Code matches');
    await post(`/tokens/${fob.serial}/assign`, { csrf, user: 'pat_x' }, cookie);
    const unconfirmed = await post(unbind, { csrf, reason: 'x' }, cookie);
    expect(unconfirmed.status).toBe(200);
    expect(unconfirmed.text).toContain('Please confirm');
    // A refused action is explained on the page it came from.
    const second = await registerFob(t, {});
    const taken = await post('/users/pat_x/assign', { csrf, serial: second.serial }, cookie);
    expect(taken.status).toBe(409);
    expect(taken.text).toContain('already has a fob');
    expect(taken.text).toMatch(/<h1>User <span class="mono">pat_x<\/span><\/h1>/);
    expect(taken.text).toContain('role="alert"');
    const mistyped = await post('/users/pat_x/assign', { csrf, serial: 'FK00000012' }, cookie);
    expect(mistyped.status).toBe(400);
    expect(mistyped.text).toContain('check digit');
    expect((await post('/users/nobody.here/unlock', { csrf }, cookie)).status).toBe(404);
    const noReason = await post(unbind, { csrf, confirmed: 'yes', reason: '  ' }, cookie);
    expect(noReason.status).toBe(400);
    expect(noReason.text).toContain('give a reason');
    expect((await t.call<{ state: string }>('support', 'GET', `/v1/tokens/${fob.serial}`)).body.state).toBe('assigned');
  });

  it('ends a session after the idle timeout and after the absolute timeout', async () => {
    const a = await logIn(ops.alice!);
    t.clock.advance(14 * 60);
    expect((await get('/search', a.cookie)).status).toBe(200);
    t.clock.advance(15 * 60 + 1);
    const idle = await get('/search', a.cookie);
    expect(idle.status).toBe(303);
    expect(idle.headers.get('location')).toBe('/console/login');
    expect((await post('/users/pat_x/unlock', { csrf: a.csrf }, a.cookie)).status).toBe(401);
    // Active all day: still ends 12 hours after login.
    const b = await logIn(ops.alice!);
    for (let i = 0; i < 12 * 6 - 1; i++) {
      t.clock.advance(10 * 60);
      expect((await get('/search', b.cookie)).status, `after ${(i + 1) * 10} min`).toBe(200);
    }
    t.clock.advance(10 * 60 + 1);
    expect((await get('/search', b.cookie)).status).toBe(303);
    // Logout ends it at once.
    const d = await logIn(ops.alice!);
    expect((await post('/logout', { csrf: d.csrf }, d.cookie)).status).toBe(303);
    expect((await get('/search', d.cookie)).status).toBe(303);
  });

  it('throttles failed logins per name, and a disabled operator or a new password ends sessions', async () => {
    // Five free failures, then each one makes the name wait (2 s, doubling): even the right password.
    for (let i = 0; i < 6; i++) expect((await post('/login', { name: 'carol', password: 'wrong password!' })).status).toBe(401);
    const slowed = await post('/login', ops.carol!);
    expect(slowed.status).toBe(429);
    expect(slowed.text).toContain('Too many failed logins');
    expect(slowed.headers.get('retry-after')).toBe('2');
    // Another name from the same address is not held up by carol's.
    await logIn(ops.alice!);
    t.clock.advance(3);
    const c1 = await logIn(ops.carol!);
    const ctx = t.running.backend.ctx;
    await setOperatorPassword(ctx, 'test', 'carol', 'a new long password');
    expect((await get('/search', c1.cookie)).status).toBe(303);
    const c2 = await logIn({ name: 'carol', password: 'a new long password' });
    await disableOperator(ctx, 'test', 'carol');
    expect((await get('/search', c2.cookie)).status).toBe(303);
    expect((await post('/login', { name: 'carol', password: 'a new long password' })).status).toBe(401);
  });

  it('answers 403 to support on admin pages; the user page and search work for both roles', async () => {
    const s = await logIn(ops.alice!);
    const a = await logIn(ops.bob!);
    for (const p of ['/audit', '/operators']) {
      expect((await get(p, s.cookie)).status).toBe(403);
      expect((await get(p, a.cookie)).status).toBe(200);
    }
    expect((await get('/audit', a.cookie)).text).toContain('op:alice');
    // _ (and %) are matched literally: "t_x" finds pat_x, not patax.
    await registerFob(t, { user: 'patax' });
    const found = await get('/search?q=t_x', s.cookie);
    expect(found.text).toContain('>pat_x<');
    expect(found.text).not.toContain('>patax<');
    expect((await get('/search?q=PATA', s.cookie)).text).toContain('>patax<');
    expect((await get('/search?q=%25', s.cookie)).text).toContain('No user matches');
  });

  it('finds fobs by serial prefix, state and batch', async () => {
    const s = await logIn(ops.bob!);
    const spare = await registerFob(t, {});
    const prefix = spare.serial.slice(0, 6);
    const byPrefix = await get(`/search?q=${prefix}`, s.cookie);
    expect(byPrefix.text).toContain(`>${spare.serial}<`);
    expect(byPrefix.text).toContain(`>${fob.serial}<`);
    const available = await get('/search?q=&state=available', s.cookie);
    expect(available.text).toContain(`>${spare.serial}<`);
    expect(available.text).not.toContain(`>${fob.serial}<`);
    expect((await get('/search?batch=B1&state=assigned', s.cookie)).text).toContain(`>${fob.serial}<`);
    expect((await get('/search?batch=nope', s.cookie)).text).toContain('No fob matches');
    expect((await get(`/search?q=${spare.serial.toLowerCase()}`, s.cookie)).text).toContain(`>${spare.serial}<`);
  });

  it('shows the authentication log: a refused login appears with its reason on the user page', async () => {
    const ctx = t.running.backend.ctx;
    const before = await readAuthLog(ctx, 'pat_x');
    // A code the fob cannot show now (its neighbours are checked too: take one that matches none).
    expect((await t.call<{ ok: boolean; reason?: string }>('validator', 'POST', '/v1/validate', { user: 'pat_x', code: '000000' })).body).toMatchObject({ ok: false });
    const after = await readAuthLog(ctx, 'pat_x');
    expect(after.length).toBe(before.length + 1);
    expect(after[0]).toMatchObject({ factor: 'hardware', serial: fob.serial, ok: false });
    expect(['mismatch', 'rate-limited', 'locked-out']).toContain(after[0]!.reason);
    const s = await logIn(ops.bob!);
    const page = await get('/users/pat_x', s.cookie);
    expect(page.text).toContain(after[0]!.reason!);
    expect(page.text).toContain('refused');
  });
});

