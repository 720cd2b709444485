/**
 * A fob that ran ahead, was used, and then had its clock set back to true time (issue 17.1), at
 * exact instants with an injected clock: the support resync after the clock fix is accepted
 * (it used to be refused as "replayed", locking the user out until the fob's clock passed its
 * last login again), the fob's next code works at once, and every code the fob had already
 * used stays refused when the fob shows it again on its new timeline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateHotp } from '@fobkit/protocol/otp';
import { createTestDatabase, databaseKinds, registerFob, startTestBackend, testClock, type TestBackend } from '../backend/src/testing/harness.js';

const kinds = await databaseKinds('backend-clock-rewind');
const PERIOD = 60;
const S = 30_000_000;
const START = S * PERIOD;
const code = (seed: Uint8Array, step: number) => generateHotp({ secret: seed, counter: step });

describe.each(kinds)('a clock moved back on %s', (kind) => {
  let t: TestBackend;
  let users = 0;
  const validate = async (user: string, c: string) => (await t.call('validator', 'POST', '/v1/validate', { user, code: c })).body;
  const resync = async (serial: string, c1: string, c2: string, clockOffset?: number) =>
    (await t.call('support', 'POST', `/v1/tokens/${serial}/resync`, { code1: c1, code2: c2, ...(clockOffset === undefined ? {} : { clockOffset }) })).body;
  const check = async (serial: string, c: string, step: number) => (await t.call('support', 'POST', `/v1/tokens/${serial}/check`, { code: c, step })).body;

  beforeAll(async () => {
    t = await startTestBackend({ db: await createTestDatabase(kind), clock: testClock(START) });
  });
  afterAll(async () => {
    await t?.close();
    await t?.db.cleanup();
  });

  /** A fob 10 steps ahead, used at its steps S+10 and S+12; then its clock is set to true time. */
  async function usedAheadFob() {
    const user = `rewind${++users}`;
    t.clock.set(START - 3600);
    const f = await registerFob(t, { user, provisionedAt: t.clock(), clockOffset: 10 * PERIOD });
    t.clock.set(START + 10);
    expect(await validate(user, code(f.seed, S + 10))).toMatchObject({ ok: true });
    t.clock.set(START + 2 * PERIOD + 10);
    expect(await validate(user, code(f.seed, S + 12))).toMatchObject({ ok: true });
    // Support sets the fob's clock to true time at START + 170 (step S+2) and reads two codes:
    // S+2, then S+3 once the step has turned.
    t.clock.set(START + 3 * PERIOD + 5);
    return { user, ...f };
  }

  it('the resync after the clock fix is accepted and the next code validates at once', async () => {
    const f = await usedAheadFob();
    expect(await check(f.serial, code(f.seed, S + 3), S + 3)).toMatchObject({ ok: true, login: 'superseded' });
    expect(await validate(f.user, code(f.seed, S + 4))).toMatchObject({ ok: false });
    const r = await resync(f.serial, code(f.seed, S + 2), code(f.seed, S + 3), 0.4);
    expect(r).toEqual({ ok: true, offsetSteps: 0, offsetSeconds: 0.4 });
    // The backend now expects the fob's measured offset, not the middle of the step.
    const token = (await t.call<{ drift: { seconds: number } }>('support', 'GET', `/v1/tokens/${f.serial}`)).body;
    expect(token.drift.seconds).toBeCloseTo(0.4, 1);
    expect(await check(f.serial, code(f.seed, S + 4), S + 4)).toMatchObject({ ok: true, login: 'ok' });
    expect(await validate(f.user, code(f.seed, S + 4))).toMatchObject({ ok: true });
    // The resync's own codes were consumed.
    expect(await validate(f.user, code(f.seed, S + 3))).toEqual({ ok: false, reason: 'replayed' });
  });

  it('a code the fob had already used stays refused when the fob shows it again', async () => {
    const f = await usedAheadFob();
    expect(await resync(f.serial, code(f.seed, S + 2), code(f.seed, S + 3), 0)).toMatchObject({ ok: true });
    // Minutes later the fob, now on true time, reaches the steps it had used while ahead.
    t.clock.set(START + 10 * PERIOD + 5);
    expect(await check(f.serial, code(f.seed, S + 10), S + 10)).toMatchObject({ ok: true, login: 'used' });
    expect(await validate(f.user, code(f.seed, S + 10))).toEqual({ ok: false, reason: 'replayed' });
    expect(await validate(f.user, code(f.seed, S + 11))).toMatchObject({ ok: true });
    t.clock.set(START + 12 * PERIOD + 5);
    expect(await validate(f.user, code(f.seed, S + 12))).toEqual({ ok: false, reason: 'replayed' });
    expect(await validate(f.user, code(f.seed, S + 13))).toMatchObject({ ok: true });
    // Nor can a resync with used codes bring them back.
    expect(await resync(f.serial, code(f.seed, S + 9), code(f.seed, S + 10))).toEqual({ ok: false, reason: 'replayed' });
    expect(await resync(f.serial, code(f.seed, S + 12), code(f.seed, S + 13))).toEqual({ ok: false, reason: 'replayed' });
  });

  it('the same resync pair twice: the second is replayed; a login never moves the ledger back', async () => {
    const f = await usedAheadFob();
    expect(await validate(f.user, code(f.seed, S + 3))).toMatchObject({ ok: false });
    const pair = [code(f.seed, S + 2), code(f.seed, S + 3)] as const;
    expect(await resync(f.serial, ...pair)).toMatchObject({ ok: true });
    expect(await resync(f.serial, ...pair)).toEqual({ ok: false, reason: 'replayed' });
    // A manual resync (codes typed, no measured offset) keeps the step's own arithmetic.
    expect(await validate(f.user, code(f.seed, S + 2))).toEqual({ ok: false, reason: 'replayed' });
  });
});
