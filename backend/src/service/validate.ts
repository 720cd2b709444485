/**
 * POST /v1/validate: is this the user's code now? The hot path: one SELECT (the user and their
 * assigned fob), the OTP window, and one compare-and-set UPDATE on success; the app factor is
 * read only when the fob does not decide.
 *
 * The rules, in order: a malformed code is refused before anything; a throttled user or fob is
 * refused without looking at the code (that is what makes throttling work); the fob is tried
 * in a small window around its predicted step, the app in a small window around now; a match
 * is accepted only if its step is newer than the last accepted step of that factor, by
 * `UPDATE … WHERE last_step < step`, atomic in both databases, so two concurrent requests with
 * one code (even on two backend processes) give exactly one success; a mismatch counts a
 * failure on the user and on the fob.
 *
 * The SELECT's throttle check is only the cheap common case. What bounds guessing is that every
 * answer that says whether a code matched goes through one atomic statement on the subject's
 * row (otp/throttleSql.ts): `mismatch` only when the conditional failure UPDATE counted it, ok
 * only when the compare-and-set also found the fob and the user not throttled. A request that
 * loses that race is answered with the throttle's refusal, matching or not, so a burst of
 * concurrent guesses (on any number of backend instances) gets at most the lockout limit answered.
 */
import { totpStep, verifyTotp, type OtpAlgorithm, type OtpDigits } from '@fobkit/protocol/otp';
import type { DbExecutor } from '../store/db.js';
import { aad } from '../store/rows.js';
import type { OtpKeySource } from '../crypto/otpKeyCache.js';
import { expectedOffsetSteps, learnFromStep } from '../otp/driftModel.js';
import { throttleVerdict, type ThrottlePolicy } from '../otp/throttle.js';
import { throttleSql, type ThrottleTable } from '../otp/throttleSql.js';
import { auditedTransaction, type BackendContext } from './context.js';

export type ValidateFailure = 'malformed' | 'no-factor' | 'disabled' | 'mismatch' | 'replayed' | 'rate-limited' | 'locked-out';

export type ValidateResult =
  | { ok: true; factor: 'hardware'; serial: string }
  | { ok: true; factor: 'app' }
  | { ok: false; reason: ValidateFailure; retryAfter?: number };

/** The user and their assigned fob, as an array in SELECT order (see DbExecutor.values: the hot path). */
type FobRow = readonly [
  uFailCount: number, uFailLast: number | null, uLockedUntil: number | null,
  serial: string | null, seedEnc: Buffer | null, kekId: string | null, algorithm: OtpAlgorithm | null, digits: OtpDigits | null,
  period: number | null, t0: number | null, enabled: number | null, lastStep: number | null,
  anchorTime: number | null, anchorOffset: number | null, anchorErr: number | null, rateLo: number | null, rateHi: number | null,
  failCount: number | null, failLast: number | null, lockedUntil: number | null,
];

const FOB_SQL = `SELECT u.fail_count, u.fail_last, u.locked_until,
  t.serial, t.seed_enc, t.kek_id, t.algorithm, t.digits, t.period, t.t0, t.enabled, t.last_step,
  t.anchor_time, t.anchor_offset, t.anchor_err, t.rate_lo, t.rate_hi, t.fail_count, t.fail_last, t.locked_until
FROM users u LEFT JOIN tokens t ON t.user_id = u.user_id AND t.state = 'assigned'
WHERE u.user_id = ?`;

/** The user's active app factor. */
type AppRow = readonly [id: string, seedEnc: Buffer, kekId: string, algorithm: OtpAlgorithm, digits: OtpDigits, period: number, lastStep: number];

const APP_SQL = 'SELECT id, seed_enc, kek_id, algorithm, digits, period, last_step FROM app_factors WHERE user_id = ? AND revoked_at IS NULL';

/** A factor's stored seed, as the key cache takes it: opened through the keyring on a miss. */
function seedSource(ctx: BackendContext, id: string, kid: string, blob: Buffer, algorithm: OtpAlgorithm, digits: OtpDigits): OtpKeySource {
  return { id, kid, blob, algorithm, digits, open: () => ctx.keyring.decrypt(kid, blob, id) };
}

/** Where a refusal after the atomic step comes from: the subject's row as it is now. */
type StateRow = readonly [failCount: number, failLast: number | null, lockedUntil: number | null];

async function throttleRefusal(db: DbExecutor, table: ThrottleTable, id: string, now: number, p: ThrottlePolicy): Promise<ValidateResult | undefined> {
  const key = table === 'users' ? 'user_id' : 'serial';
  const s = await db.values<StateRow>(`SELECT fail_count, fail_last, locked_until FROM ${table} WHERE ${key} = ?`, [id]);
  if (!s) return undefined;
  const v = throttleVerdict({ failCount: s[0], failLast: s[1], lockedUntil: s[2] }, now, p);
  return v.allowed ? undefined : { ok: false, reason: v.reason, retryAfter: v.retryAfter };
}

/**
 * Counts a wrong code on the user and, when the fob was tried, on the fob: each one conditional
 * UPDATE that counts only an attempt the throttle allows (throttleSql.ts). Returns the refusal
 * to answer instead of `mismatch` when a concurrent attempt took the last allowed one: the code
 * was then not answered, so it was not a guess. Audits a lockout this failure began.
 */
async function countFailure(ctx: BackendContext, user: string, serial: string | null, now: number, actor: string): Promise<ValidateResult | undefined> {
  const { db, policy } = ctx;
  const t = throttleSql(policy.throttle, db.dialect);
  const fu = t.failure('users');
  const u = await db.get<{ locked_until: number | null }>(fu.sql, fu.params(now, user));
  if (!u) return (await throttleRefusal(db, 'users', user, now, policy.throttle)) ?? { ok: false, reason: 'rate-limited', retryAfter: 1 };
  let fobLocked = false;
  let refusal: ValidateResult | undefined;
  if (serial !== null) {
    const ft = t.failure('tokens');
    const f = await db.get<{ locked_until: number | null }>(ft.sql, ft.params(now, serial));
    if (!f) refusal = (await throttleRefusal(db, 'tokens', serial, now, policy.throttle)) ?? { ok: false, reason: 'rate-limited', retryAfter: 1 };
    else fobLocked = f.locked_until !== null;
  }
  const userLocked = u.locked_until !== null;
  if (userLocked || fobLocked) {
    // A lockout is a state change: audited (rare, so off the hot path).
    await auditedTransaction(ctx, async (_tx, audit) => {
      const detail = { until: now + policy.throttle.lockoutSeconds, failures: policy.throttle.lockoutFailures };
      if (userLocked) await audit({ actor, action: 'user.locked-out', subject: `user:${user}`, detail });
      if (fobLocked) await audit({ actor, action: 'token.locked-out', subject: serial!, detail: { ...detail, user } });
    });
  }
  return refusal;
}

/**
 * Why a matching code's compare-and-set changed nothing: its step was taken meanwhile
 * (replayed), or a concurrent failure throttled the user or the fob first.
 */
async function successRefusal(ctx: BackendContext, user: string, serial: string | null, now: number): Promise<ValidateResult> {
  const p = ctx.policy.throttle;
  return (await throttleRefusal(ctx.db, 'users', user, now, p))
    ?? (serial !== null ? await throttleRefusal(ctx.db, 'tokens', serial, now, p) : undefined)
    ?? { ok: false, reason: 'replayed' };
}

async function resetUser(ctx: BackendContext, user: string, now: number): Promise<void> {
  // Not over a lockout that a concurrent failure began after this success.
  const t = throttleSql(ctx.policy.throttle, ctx.db.dialect);
  await ctx.db.run(`UPDATE users SET fail_count = 0, fail_last = NULL, locked_until = NULL WHERE user_id = ? AND ${t.allowed('')}`, [user, ...t.allowedParams(now)]);
}

const CODE = /^[0-9]{6,8}$/;

/** What the auth log records of one validation besides its result (auth/authLog.ts). */
export interface ValidateOutcome {
  result: ValidateResult;
  /** The factor that matched, or for a refusal the one the code was checked against; none when no factor was. */
  factor: 'hardware' | 'app' | 'none';
  /** The user's assigned fob, when the user has one. */
  serial: string | null;
}

/** `actor` (the validator's key id) is recorded when a failure starts a lockout. */
export async function validateCode(ctx: BackendContext, user: string, code: string, actor = 'system'): Promise<ValidateResult> {
  return (await decideCode(ctx, user, code, actor)).result;
}

/** {@link validateCode} with what the auth log needs: which factor decided, and the user's fob. */
export async function decideCode(ctx: BackendContext, user: string, code: string, actor = 'system'): Promise<ValidateOutcome> {
  const none = (result: ValidateResult, serial: string | null = null): ValidateOutcome => ({ result, factor: 'none', serial });
  if (!CODE.test(code)) return none({ ok: false, reason: 'malformed' });
  const { db, policy } = ctx;
  const now = ctx.clock();
  const t = throttleSql(policy.throttle, db.dialect);
  const f = await db.values<FobRow>(FOB_SQL, [user]);
  if (!f) return none({ ok: false, reason: 'no-factor' });
  const [
    uFailCount, uFailLast, uLockedUntil,
    serial, tSeedEnc, tKekId, tAlgorithm, tDigits, tPeriod, tT0, tEnabled, tLastStep,
    anchorTime, anchorOffset, anchorErr, rateLo, rateHi, tFailCount, tFailLast, tLockedUntil,
  ] = f;
  // The app factor is read only when the fob cannot decide (most logins are a fob's right code):
  // here when there is no fob, else below, after the fob did not match.
  const appWithoutFob = serial === null ? await db.values<AppRow>(APP_SQL, [user]) : undefined;
  if (serial === null && !appWithoutFob) return none({ ok: false, reason: 'no-factor' });

  // A throttled user or fob is refused here without looking at the code, the common case; the
  // atomic steps below refuse what a concurrent request throttled since this SELECT.
  const userVerdict = throttleVerdict({ failCount: uFailCount, failLast: uFailLast, lockedUntil: uLockedUntil }, now, policy.throttle);
  if (!userVerdict.allowed) return none({ ok: false, reason: userVerdict.reason, retryAfter: userVerdict.retryAfter }, serial);

  let fobTried = false;
  let fobRefused: ValidateResult | undefined;
  if (serial !== null) {
    const hardware = (result: ValidateResult): ValidateOutcome => ({ result, factor: 'hardware', serial });
    const fobVerdict = throttleVerdict({ failCount: tFailCount!, failLast: tFailLast, lockedUntil: tLockedUntil }, now, policy.throttle);
    if (tEnabled !== 1) fobRefused = { ok: false, reason: 'disabled' };
    else if (!fobVerdict.allowed) fobRefused = { ok: false, reason: fobVerdict.reason, retryAfter: fobVerdict.retryAfter };
    else if (code.length === tDigits && now >= tT0!) {
      fobTried = true;
      const profile = { period: tPeriod!, t0: tT0! };
      const drift = { anchorTime: anchorTime!, anchorOffset: anchorOffset!, anchorErr: anchorErr!, rateLo: rateLo!, rateHi: rateHi! };
      const source = seedSource(ctx, aad.tokenSeed(serial), tKekId!, tSeedEnc!, tAlgorithm!, tDigits);
      const expectedOffset = expectedOffsetSteps(drift, now, profile, policy.drift);
      const r = ctx.otpKeys.use(source, (key) => verifyTotp({ secret: key, code, time: now, period: profile.period, t0: profile.t0, window: policy.window, expectedOffset }));
      if (r.ok) {
        if (r.step <= tLastStep!) return hardware({ ok: false, reason: 'replayed' });
        const learnt = learnFromStep(drift, r.step, now, profile, policy.drift);
        // The compare-and-set: exactly one request can move last_step past r.step - 1, and only
        // while neither the fob nor the user is throttled (a concurrent burst of wrong codes may
        // have locked either since the SELECT).
        const { changes } = await db.run(
          `UPDATE tokens SET last_step = ?, last_used = ?, anchor_time = ?, anchor_offset = ?, anchor_err = ?, rate_lo = ?, rate_hi = ?,
             fail_count = 0, fail_last = NULL, locked_until = NULL WHERE serial = ? AND last_step < ? AND ${t.allowed('')} AND ${t.userAllowed}`,
          [r.step, now, learnt.anchorTime, learnt.anchorOffset, learnt.anchorErr, learnt.rateLo, learnt.rateHi, serial, r.step,
            ...t.allowedParams(now), ...t.userAllowedParams(now, user)]);
        if (changes !== 1) return hardware(await successRefusal(ctx, user, serial, now));
        if (uFailCount !== 0) await resetUser(ctx, user, now);
        return hardware({ ok: true, factor: 'hardware', serial });
      }
    }
  }
  const a = serial === null ? appWithoutFob : await db.values<AppRow>(APP_SQL, [user]);
  let appTried = false;
  if (a && code.length === a[4]) {
    appTried = true;
    const app = (result: ValidateResult): ValidateOutcome => ({ result, factor: 'app', serial });
    const [appId, aSeedEnc, aKekId, aAlgorithm, aDigits, aPeriod, aLastStep] = a;
    const source = seedSource(ctx, aad.appSeed(appId), aKekId, aSeedEnc, aAlgorithm, aDigits);
    const r = ctx.otpKeys.use(source, (key) => verifyTotp({ secret: key, code, time: now, period: aPeriod, window: policy.appWindow }));
    if (r.ok) {
      if (r.step <= aLastStep) return app({ ok: false, reason: 'replayed' });
      const { changes } = await db.run(`UPDATE app_factors SET last_step = ? WHERE id = ? AND last_step < ? AND ${t.userAllowed}`,
        [r.step, appId, r.step, ...t.userAllowedParams(now, user)]);
      if (changes !== 1) return app(await successRefusal(ctx, user, null, now));
      if (uFailCount !== 0) await resetUser(ctx, user, now);
      return app({ ok: true, factor: 'app' });
    }
  } else if (!fobTried && fobRefused) {
    return { result: fobRefused, factor: 'hardware', serial };
  }
  const result = (await countFailure(ctx, user, fobTried ? serial : null, now, actor)) ?? { ok: false, reason: 'mismatch' };
  return { result, factor: fobTried ? 'hardware' : appTried ? 'app' : 'none', serial };
}

/** The server's step for a profile at `now` (exported for tests and tools). */
export function currentStep(now: number, period: number, t0 = 0): number {
  return totpStep({ time: now, period, t0 });
}
