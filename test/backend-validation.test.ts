/**
 * Validation rules at exact instants, with an injected clock: the ±1-step window around the
 * fob's predicted step at step boundaries, replay of a step, drift learnt from use (a fob that
 * sat in a drawer for six months at 20 ppm), and brute-force throttling that clears itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateHotp, totpStep } from '@fobkit/protocol/otp';
import { createTestDatabase, databaseKinds, registerFob, startTestBackend, testClock, type TestBackend } from '../backend/src/testing/harness.js';

const kinds = await databaseKinds('backend-validation');
const PERIOD = 60;
const S = 30_000_000; // a step number; its start is S * 60
const START = S * PERIOD;
const DAY = 86_400;

const code = (seed: Uint8Array, step: number) => generateHotp({ secret: seed, counter: step });

describe.each(kinds)('validation rules on %s', (kind) => {
  let t: TestBackend;
  let users = 0;
  const fobFor = async (options: { clockOffset?: number } = {}) => {
    const user = `user${++users}`;
    return { user, ...(await registerFob(t, { user, provisionedAt: t.clock(), ...options })) };
  };
  const validate = async (user: string, c: string) => (await t.call('validator', 'POST', '/v1/validate', { user, code: c })).body;

  beforeAll(async () => {
    t = await startTestBackend({ db: await createTestDatabase(kind), clock: testClock(START) });
  });
  afterAll(async () => {
    await t?.close();
    await t?.db.cleanup();
  });

  it('accepts exactly the steps S-1, S, S+1 at the first instant of step S', async () => {
    t.clock.set(START - 3600);
    const fobs = await Promise.all([-2, -1, 0, 1, 2].map(() => fobFor()));
    t.clock.set(START);
    const results = await Promise.all([-2, -1, 0, 1, 2].map((d, i) => validate(fobs[i]!.user, code(fobs[i]!.seed, S + d))));
    expect(results.map((r) => r.ok)).toEqual([false, true, true, true, false]);
    expect(results[0]).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('moves the window at the step boundary, not a millisecond earlier', async () => {
    t.clock.set(START - 3600);
    const [a, b, c] = [await fobFor(), await fobFor(), await fobFor()];
    t.clock.set(START + PERIOD - 0.001); // the last millisecond of step S
    expect(await validate(a.user, code(a.seed, S + 2))).toMatchObject({ ok: false, reason: 'mismatch' });
    expect(await validate(b.user, code(b.seed, S - 1))).toMatchObject({ ok: true });
    t.clock.set(START + PERIOD); // the first instant of step S+1
    expect(await validate(c.user, code(c.seed, S - 1))).toMatchObject({ ok: false, reason: 'mismatch' });
    expect(await validate(a.user, code(a.seed, S + 2))).toMatchObject({ ok: true });
  });

  it('accepts a step once per fob: the same code, or an older one, is a replay', async () => {
    t.clock.set(START - 3600);
    const f = await fobFor();
    t.clock.set(START + 10);
    expect(await validate(f.user, code(f.seed, S))).toEqual({ ok: true, factor: 'hardware', serial: f.serial });
    expect(await validate(f.user, code(f.seed, S))).toEqual({ ok: false, reason: 'replayed' });
    expect(await validate(f.user, code(f.seed, S - 1))).toEqual({ ok: false, reason: 'replayed' });
    // Inside the same step the next code (S+1, within the window) is still new.
    expect(await validate(f.user, code(f.seed, S + 1))).toMatchObject({ ok: true });
    t.clock.set(START + PERIOD + 10);
    expect(await validate(f.user, code(f.seed, S + 1))).toEqual({ ok: false, reason: 'replayed' });
    t.clock.set(START + 2 * PERIOD + 10);
    expect(await validate(f.user, code(f.seed, S + 2))).toMatchObject({ ok: true });
  });

  it("centres the window on the fob's own offset, not on everyone's", async () => {
    t.clock.set(START - 3600);
    const fast = await fobFor({ clockOffset: 150 }); // 2.5 steps ahead, measured at provisioning
    const unknown = await fobFor(); // just as fast, but nobody measured it
    t.clock.set(START + 10);
    const fobStep = totpStep({ time: START + 10 + 150, period: PERIOD });
    expect(fobStep - S).toBe(2);
    expect(await validate(fast.user, code(fast.seed, fobStep))).toMatchObject({ ok: true });
    expect(await validate(unknown.user, code(unknown.seed, fobStep + 1))).toMatchObject({ ok: false, reason: 'mismatch' });
  });

  it('learns the drift rate, so a fob that sat in a drawer for six months at +20 ppm still works', async () => {
    const provisioned = START - 400 * DAY;
    t.clock.set(provisioned);
    const f = await fobFor({ clockOffset: 0.3 });
    const fobTime = (now: number) => now + 0.3 + 20e-6 * (now - provisioned);
    // Two months of daily logins at varying times of day (a fixed pseudo-random sequence).
    let seedRng = 12345;
    const rnd = () => (seedRng = (seedRng * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let now = provisioned;
    for (let day = 1; day <= 60; day++) {
      now = provisioned + day * DAY + rnd() * 8 * 3600;
      t.clock.set(now);
      const r = await validate(f.user, code(f.seed, totpStep({ time: fobTime(now) - rnd() * 10, period: PERIOD })));
      expect(r, `day ${day}`).toMatchObject({ ok: true });
    }
    const learnt = (await t.call<{ drift: { ratePpm: number; rateUncertaintyPpm: number } }>('support', 'GET', `/v1/tokens/${f.serial}`)).body.drift;
    expect(Math.abs(learnt.ratePpm - 20)).toBeLessThan(learnt.rateUncertaintyPpm + 0.01);
    expect(learnt.rateUncertaintyPpm).toBeLessThan(5);
    // Six months in a drawer: the fob is now about 7 steps ahead.
    now += 182 * DAY;
    t.clock.set(now);
    const fobStep = totpStep({ time: fobTime(now), period: PERIOD });
    expect(fobStep - totpStep({ time: now, period: PERIOD })).toBeGreaterThanOrEqual(6);
    expect(await validate(f.user, code(f.seed, fobStep))).toMatchObject({ ok: true });
  });

  it('throttles failures per user with a growing delay and a lockout that clears itself; success resets', async () => {
    t.clock.set(START);
    const f = await fobFor();
    const wrong = code(f.seed, S) === '000000' ? '111111' : '000000';
    const user = async () => (await t.call<{ failures: { count: number; lockedUntil: number | null } }>('support', 'GET', `/v1/users/${f.user}`)).body.failures;
    const start = START + 1000;
    t.clock.set(start);
    for (let i = 0; i < 3; i++) expect(await validate(f.user, wrong)).toEqual({ ok: false, reason: 'mismatch' });
    expect(await validate(f.user, wrong)).toEqual({ ok: false, reason: 'mismatch' }); // 4th: free ones used up
    expect(await validate(f.user, wrong)).toEqual({ ok: false, reason: 'rate-limited', retryAfter: 1 });
    // The refused attempt was not checked, so even the right code is refused now.
    expect(await validate(f.user, code(f.seed, totpStep({ time: start, period: PERIOD })))).toMatchObject({ reason: 'rate-limited' });
    expect((await user()).count).toBe(4);
    // Delays double: 1, 2, 4, 8, 16, 32 s after failures 4..9; the 10th failure locks out.
    let now = start;
    for (let failures = 4; failures < 10; failures++) {
      const delay = 2 ** (failures - 4);
      t.clock.set(now + delay - 0.01);
      expect(await validate(f.user, wrong)).toMatchObject({ reason: 'rate-limited' });
      now += delay;
      t.clock.set(now);
      expect(await validate(f.user, wrong)).toEqual({ ok: false, reason: 'mismatch' });
    }
    expect(await validate(f.user, code(f.seed, totpStep({ time: now, period: PERIOD })))).toEqual({ ok: false, reason: 'locked-out', retryAfter: 900 });
    expect((await user()).lockedUntil).toBe(now + 900);
    const audit = await t.call<{ entries: { action: string; actor: string }[] }>('admin', 'GET', `/v1/audit?subject=user:${f.user}`);
    expect(audit.body.entries.map((e) => [e.action, e.actor])).toContainEqual(['user.locked-out', t.keyIds.validator]);
    // It clears itself after the lockout time; the right code then works and resets the count.
    t.clock.set(now + 900);
    expect(await validate(f.user, code(f.seed, totpStep({ time: now + 900, period: PERIOD })))).toMatchObject({ ok: true });
    expect(await user()).toMatchObject({ count: 0, lockedUntil: null });
    // Success resets: three failures, a success, three more failures are all free.
    for (let i = 0; i < 3; i++) expect(await validate(f.user, wrong)).toMatchObject({ reason: 'mismatch' });
    t.clock.advance(PERIOD);
    expect(await validate(f.user, code(f.seed, totpStep({ time: t.clock(), period: PERIOD })))).toMatchObject({ ok: true });
    for (let i = 0; i < 3; i++) expect(await validate(f.user, wrong)).toMatchObject({ reason: 'mismatch' });
    // Support can also clear it.
    expect((await t.call('support', 'POST', `/v1/users/${f.user}/unlock`)).body).toMatchObject({ failures: { count: 0 } });
  });

  it('counts failures on the fob too, and forgets failures older than the lockout time', async () => {
    t.clock.set(START);
    const f = await fobFor();
    const wrong = '999999' === code(f.seed, S) ? '888888' : '999999';
    t.clock.set(START + 5000);
    for (let i = 0; i < 4; i++) await validate(f.user, wrong);
    const fob = (await t.call<{ failures: { count: number } }>('support', 'GET', `/v1/tokens/${f.serial}`)).body;
    expect(fob.failures.count).toBe(4);
    t.clock.advance(900);
    expect(await validate(f.user, wrong)).toEqual({ ok: false, reason: 'mismatch' });
    expect((await t.call<{ failures: { count: number } }>('support', 'GET', `/v1/users/${f.user}`)).body.failures.count).toBe(1);
  });
});
