/**
 * The helpdesk console in a real browser (Debian's chromium through playwright-core): support's
 * day — log in, find a user by part of the name, unbind their fob, see it quarantined, give it
 * back after a code check, resync a drifted fob, unlock a locked-out user — with the operator
 * and the reason in the audit log; a support login cannot open admin pages (403); a form posted
 * from a page on another origin (another port of the same host: same-site, so the SameSite
 * cookie is sent) is refused and changes nothing. Screenshots of the main pages, wide and
 * narrow, go to test/.output/console/.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { decodeBase32, encodeBase32, generateTotp } from '@fobkit/protocol/otp';
import { createTestDatabase, registerFob, startTestBackend, testClock, type RegisteredFob, type TestBackend } from '../backend/src/testing/harness.js';
import { addTestOperator, codeAt, launchChromium, logIn, screenshots, SCREENSHOTS, T0, wrongCodeAt } from './console-rig.js';

const DRIFT_SECONDS = 600; // ten 60-s steps ahead: far outside the validation window of ±1

describe('helpdesk console in chromium', () => {
  let t: TestBackend;
  let browser: Browser;
  let consoleUrl: string;
  let alice: { name: string; password: string };
  let bob: { name: string; password: string };
  let lost: RegisteredFob; // maria.gonzalez's fob, reported lost
  let drifted: RegisteredFob; // mario.rossi's fob, its clock 10 minutes fast
  let locked: RegisteredFob; // li.wei, locked out by wrong codes
  let evil: Server;
  let evilUrl: string;
  const seeds: Uint8Array[] = [];
  let appSecret = '';

  beforeAll(async () => {
    t = await startTestBackend({ db: await createTestDatabase('sqlite'), clock: testClock(T0 + 5) });
    consoleUrl = `${t.url}/console`;
    alice = await addTestOperator(t, 'alice', 'support');
    bob = await addTestOperator(t, 'bob', 'admin');
    lost = await registerFob(t, { user: 'maria.gonzalez' });
    drifted = await registerFob(t, { user: 'mario.rossi' });
    locked = await registerFob(t, { user: 'li.wei' });
    seeds.push(lost.seed, drifted.seed, locked.seed);
    const app = await t.call<{ otpauthUri: string }>('admin', 'POST', '/v1/users/li.wei/app', { label: 'Pixel 8' });
    expect(app.status).toBe(201);
    appSecret = /secret=([A-Z2-7]+)/.exec(app.body.otpauthUri)![1]!;
    // The phone's first code makes the enrolment active (until then it is pending).
    const first = generateTotp({ secret: decodeBase32(appSecret), time: t.clock(), period: 30 });
    expect((await t.call('validator', 'POST', '/v1/validate', { user: 'li.wei', code: first })).body).toMatchObject({ ok: true, factor: 'app' });
    t.clock.advance(61);
    // Ten wrong codes, each after the throttle's delay, lock li.wei out.
    for (let i = 0; i < 10; i++) {
      const r = await t.call<{ ok: boolean; reason?: string }>('validator', 'POST', '/v1/validate', { user: 'li.wei', code: wrongCodeAt(locked.seed, t.clock()) });
      expect(r.body.reason).toBe('mismatch');
      t.clock.advance(61);
    }
    expect((await t.call<{ failures: { lockedUntil: number | null } }>('support', 'GET', '/v1/users/li.wei')).body.failures.lockedUntil).not.toBeNull();
    // The forging site: another port of this host, whose page posts to the console on load.
    evil = createServer((req, res) => {
      const target = `${consoleUrl}/tokens/${encodeURIComponent(lost.serial)}/unbind`;
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><title>win a prize</title><form id="f" method="post" action="${target}">
        <input name="confirmed" value="yes"><input name="reason" value="forged"></form><script>document.getElementById('f').submit()</script>`);
    });
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
    evilUrl = `http://127.0.0.1:${(evil.address() as AddressInfo).port}/`;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => evil?.close(r));
    await t?.close();
    await t?.db.cleanup();
  });

  /** Every page support sees: never a seed, in hex, base64 or base32. */
  const expectNoSeed = async (page: Page) => {
    const content = await page.content();
    for (const s of seeds) {
      const b = Buffer.from(s);
      for (const form of [b.toString('hex'), b.toString('base64'), b.toString('base64url'), encodeBase32(s).replace(/=+$/, '')]) expect(content).not.toContain(form);
    }
    expect(content).not.toContain(appSecret);
  };

  const auditEntries = async () =>
    (await t.call<{ entries: { actor: string; action: string; subject: string; detail: Record<string, unknown> }[] }>('admin', 'GET', '/v1/audit?limit=1000')).body.entries;

  it('support: find a user, unbind the lost fob, see it quarantined, give it back after a code check', { timeout: 120_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${consoleUrl}/`);
    await expect(page.getByRole('heading', { name: 'Log in' }).isVisible()).resolves.toBe(true);
    await screenshots(page, '01-login');
    // Keyboard only: the name field has the focus, Tab to the password, Enter to log in.
    await page.keyboard.type(alice.name);
    await page.keyboard.press('Tab');
    await page.keyboard.type(alice.password);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${consoleUrl}/search`);

    // Part of the name.
    await page.getByLabel('User name or serial').fill('gonz');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/\/console\/search\?q=gonz/);
    const userLink = page.getByRole('region', { name: /^Users/ }).getByRole('link', { name: 'maria.gonzalez' });
    await expect(userLink.isVisible()).resolves.toBe(true);
    await screenshots(page, '02-search');
    await userLink.click();
    await page.waitForURL(`${consoleUrl}/users/maria.gonzalez`);
    const fobSection = page.getByRole('region', { name: 'Key fob' });
    await expect(fobSection.textContent()).resolves.toContain(lost.serial);
    await expect(fobSection.textContent()).resolves.toContain('assigned');
    await screenshots(page, '03-user');
    await expectNoSeed(page);

    // Unbind: a confirmation step with a reason.
    await page.getByRole('link', { name: 'Unbind (lost or returned)…' }).click();
    await page.waitForURL(`${consoleUrl}/tokens/${lost.serial}/unbind`);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toContain(`Unbind fob ${lost.serial}`);
    await screenshots(page, '04-confirm-unbind');
    // The reason is required: the browser will not submit without one.
    await page.getByRole('button', { name: 'Unbind and quarantine' }).click();
    expect(page.url()).toBe(`${consoleUrl}/tokens/${lost.serial}/unbind`);
    expect((await t.call<{ state: string }>('support', 'GET', `/v1/tokens/${lost.serial}`)).body.state).toBe('assigned');
    await page.getByLabel('Reason (recorded in the audit log)').fill('lost on the train');
    await page.getByRole('button', { name: 'Unbind and quarantine' }).click();
    await page.waitForURL(`${consoleUrl}/tokens/${lost.serial}?done=unbound`);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toContain('quarantined');
    await expect(page.getByRole('status').textContent()).resolves.toContain('quarantined until a successful code check');
    await screenshots(page, '05-fob-quarantined');
    await expectNoSeed(page);

    // Found again: a wrong code first (stays quarantined), then the right one.
    await page.getByRole('textbox', { name: 'Code', exact: true }).fill(wrongCodeAt(lost.seed, t.clock(), 1440));
    await page.getByRole('button', { name: 'Check' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('does not match');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toContain('quarantined');
    await page.getByRole('textbox', { name: 'Code', exact: true }).fill(codeAt(lost.seed, t.clock()));
    await page.getByRole('button', { name: 'Check' }).click();
    await expect(page.getByRole('status').textContent()).resolves.toContain('Code matches');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toContain('available');
    // The assign form offers the user it was taken from.
    await expect(page.getByRole('textbox', { name: 'User', exact: true }).inputValue()).resolves.toBe('maria.gonzalez');
    await page.getByRole('button', { name: 'Assign' }).click();
    await page.waitForURL(`${consoleUrl}/users/maria.gonzalez?done=assigned`);
    await expect(page.getByRole('region', { name: 'Key fob' }).textContent()).resolves.toContain('assigned');
    expect((await t.call<{ state: string; user: string }>('support', 'GET', `/v1/tokens/${lost.serial}`)).body).toMatchObject({ state: 'assigned', user: 'maria.gonzalez' });

    const entries = await auditEntries();
    expect(entries).toContainEqual(expect.objectContaining({ actor: 'op:alice', action: 'token.unbind', subject: lost.serial, detail: expect.objectContaining({ reason: 'lost on the train', user: 'maria.gonzalez' }) }));
    expect(entries).toContainEqual(expect.objectContaining({ actor: 'op:alice', action: 'token.quarantine-cleared', subject: lost.serial }));
    expect(entries).toContainEqual(expect.objectContaining({ actor: 'op:alice', action: 'token.assign', subject: lost.serial }));
    await context.close();
  });

  it('support: resync a drifted fob from two codes, after which it validates', { timeout: 120_000 }, async () => {
    const fobTime = () => t.clock() + DRIFT_SECONDS;
    expect((await t.call('validator', 'POST', '/v1/validate', { user: 'mario.rossi', code: codeAt(drifted.seed, fobTime()) })).body).toMatchObject({ ok: false, reason: 'mismatch' });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await logIn(page, consoleUrl, alice);
    await page.getByLabel('User name or serial').fill('ROSSI');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('region', { name: /^Users/ }).getByRole('link', { name: 'mario.rossi' }).click();
    await page.getByRole('link', { name: 'Resync…' }).click();
    await page.waitForURL(`${consoleUrl}/tokens/${drifted.serial}#resync-h`);
    // As read off the fob: one code, then (after it changed) the one it shows now.
    await page.getByLabel('First code').fill(codeAt(drifted.seed, fobTime() - 60));
    await page.getByLabel('Next code').fill(codeAt(drifted.seed, fobTime()));
    await page.getByRole('button', { name: 'Resync' }).click();
    await expect(page.getByRole('status').textContent()).resolves.toContain('Resynchronised: the fob is 10 steps (600 s) ahead');
    await screenshots(page, '06-fob-resynced');
    await expectNoSeed(page);
    await context.close();
    // The fob's next code now validates.
    t.clock.advance(120);
    expect((await t.call('validator', 'POST', '/v1/validate', { user: 'mario.rossi', code: codeAt(drifted.seed, fobTime()) })).body).toMatchObject({ ok: true, factor: 'hardware' });
    expect(await auditEntries()).toContainEqual(expect.objectContaining({ actor: 'op:alice', action: 'token.resync', subject: drifted.serial, detail: expect.objectContaining({ ok: true }) }));
  });

  it('support: unlock a locked-out user', { timeout: 120_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await logIn(page, consoleUrl, alice);
    await page.getByLabel('User name or serial').fill('wei');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('region', { name: /^Users/ }).getByRole('link', { name: 'li.wei' }).click();
    const lockout = page.getByRole('region', { name: 'Lockout' });
    await expect(lockout.textContent()).resolves.toContain('locked out until');
    const appSection = await page.getByRole('region', { name: 'Authenticator app' }).textContent();
    expect(appSection).toContain('Pixel 8');
    expect(appSection).toContain('active');
    // Support may revoke a lost phone's app device (after a confirmation step); enrolling one is
    // admin's (it issues a secret).
    expect(await page.getByRole('link', { name: 'Revoke app device…' }).count()).toBe(1);
    expect((await page.request.get(`${consoleUrl}/users/li.wei/revoke-app`)).status()).toBe(200);
    await screenshots(page, '07-user-locked');
    await expectNoSeed(page);
    await page.getByLabel('Reason').fill('identity checked by phone');
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.waitForURL(`${consoleUrl}/users/li.wei?done=unlocked`);
    await expect(lockout.textContent()).resolves.toContain('not locked');
    await context.close();
    expect((await t.call<{ failures: { count: number; lockedUntil: number | null } }>('support', 'GET', '/v1/users/li.wei')).body.failures).toMatchObject({ count: 0, lockedUntil: null });
    expect((await t.call('validator', 'POST', '/v1/validate', { user: 'li.wei', code: codeAt(locked.seed, t.clock()) })).body).toMatchObject({ ok: true });
    expect(await auditEntries()).toContainEqual(expect.objectContaining({ actor: 'op:alice', action: 'user.unlock', subject: 'user:li.wei', detail: { reason: 'identity checked by phone' } }));
  });

  it('support cannot open admin pages (403); admin can, and sees who did what', { timeout: 120_000 }, async () => {
    const support = await browser.newContext();
    const sp = await support.newPage();
    await logIn(sp, consoleUrl, alice);
    expect(await sp.getByRole('link', { name: 'Audit log' }).count()).toBe(0);
    for (const path of ['/audit', '/operators']) {
      const r = await sp.goto(`${consoleUrl}${path}`);
      expect(r?.status(), path).toBe(403);
      await expect(sp.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Admins only');
    }
    await screenshots(sp, '08-support-403');
    await support.close();

    const admin = await browser.newContext();
    const ap = await admin.newPage();
    await logIn(ap, consoleUrl, bob);
    await ap.getByRole('link', { name: 'Audit log' }).click();
    await ap.waitForURL(`${consoleUrl}/audit`);
    const table = await ap.getByRole('table').textContent();
    expect(table).toContain('op:alice');
    expect(table).toContain('lost on the train');
    await screenshots(ap, '09-audit');
    // Admin: revoke li.wei's app device, with a confirmation step and a reason.
    await ap.goto(`${consoleUrl}/users/li.wei`);
    await ap.getByRole('link', { name: 'Revoke app device…' }).click();
    await ap.getByLabel('Reason (recorded in the audit log)').fill('phone stolen');
    await ap.getByRole('button', { name: 'Revoke app device' }).click();
    await ap.waitForURL(`${consoleUrl}/users/li.wei?done=app-revoked`);
    await expect(ap.getByRole('region', { name: 'Authenticator app' }).textContent()).resolves.toContain('No app enrolled');
    expect(await auditEntries()).toContainEqual(expect.objectContaining({ actor: 'op:bob', action: 'app.revoke', subject: 'user:li.wei', detail: expect.objectContaining({ reason: 'phone stolen' }) }));
    await ap.getByRole('link', { name: 'Operators' }).click();
    await expect(ap.getByRole('table').textContent()).resolves.toContain('alice');
    await screenshots(ap, '10-operators');
    await admin.close();
  });

  it('refuses a form posted from a page on another origin, and changes nothing', { timeout: 120_000 }, async () => {
    const before = (await t.call<Record<string, unknown>>('support', 'GET', `/v1/tokens/${lost.serial}`)).body;
    const context: BrowserContext = await browser.newContext();
    const page = await context.newPage();
    await logIn(page, consoleUrl, alice);
    const forged = page.waitForResponse((r) => r.url().startsWith(`${consoleUrl}/tokens/`) && r.request().method() === 'POST');
    await page.goto(evilUrl);
    const response = await forged;
    expect(response.status()).toBe(403);
    // Same-site (another port of 127.0.0.1): the SameSite=Strict cookie went along; the Origin check refused it.
    expect(response.request().headers()['cookie'] ?? (await response.request().allHeaders())['cookie']).toContain('fobkit_console=');
    await page.waitForURL(`${consoleUrl}/tokens/${lost.serial}/unbind`);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Refused');
    await context.close();
    expect((await t.call<Record<string, unknown>>('support', 'GET', `/v1/tokens/${lost.serial}`)).body).toEqual(before);
    expect((await auditEntries()).filter((e) => e.detail.reason === 'forged')).toEqual([]);
  });

  afterAll(() => {
    // The README's picture: a user page (fob, app device, lockout) at 1280×800.
    if (process.env.FOBKIT_UPDATE_DOCS_SCREENSHOT === '1') {
      mkdirSync(join(import.meta.dirname, '..', 'docs'), { recursive: true });
      copyFileSync(join(SCREENSHOTS, '07-user-locked-wide.png'), join(import.meta.dirname, '..', 'docs', 'console.png'));
    }
  });
});
