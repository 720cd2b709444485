/**
 * POST /v1/validate: is this the user's code now? The hot path: one SELECT (user, assigned fob,
 * active app factor), the OTP window, and one compare-and-set UPDATE on success.
 *
 * The rules, in order: a malformed code is refused before anything; a throttled user or fob is
 * refused without looking at the code (that is what makes throttling work); the fob is tried
 * in a small window around its predicted step, the app in a small window around now; a match
 * is accepted only if its step is newer than the last accepted step of that factor, by
 * `UPDATE … WHERE last_step < step`, atomic in both databases, so two concurrent requests with
 * one code (even on two backend processes) give exactly one success; a mismatch counts a
 * failure on the user and on the fob.
 */
import { createOtpKey, totpStep, verifyTotp, type OtpAlgorithm, type OtpDigits } from '@fobkit/protocol/otp';
import type { DbExecutor } from '../store/db.js';
import { aad } from '../store/rows.js';
import { expectedOffsetSteps, learnFromStep } from '../otp/driftModel.js';
import { throttleVerdict, type ThrottlePolicy } from '../otp/throttle.js';
import { auditedTransaction, type BackendContext } from './context.js';

export type ValidateFailure = 'malformed' | 'no-factor' | 'disabled' | 'mismatch' | 'replayed' | 'rate-limited' | 'locked-out';

export type ValidateResult =
  | { ok: true; factor: 'hardware'; serial: string }
  | { ok: true; factor: 'app' }
  | { ok: false; reason: ValidateFailure; retryAfter?: number };

interface FactorsRow {
  u_fail_count: number; u_fail_last: number | null; u_locked_until: number | null;
  serial: string | null; t_seed_enc: Buffer | null; t_kek_id: string | null; t_algorithm: OtpAlgorithm | null; t_digits: OtpDigits | null;
  t_period: number | null; t_t0: number | null; t_enabled: number | null; t_last_step: number | null;
  anchor_time: number | null; anchor_offset: number | null; anchor_err: number | null; rate_lo: number | null; rate_hi: number | null;
  t_fail_count: number | null; t_fail_last: number | null; t_locked_until: number | null;
  app_id: string | null; a_seed_enc: Buffer | null; a_kek_id: string | null; a_algorithm: OtpAlgorithm | null; a_digits: OtpDigits | null;
  a_period: number | null; a_last_step: number | null;
}

const FACTORS_SQL = `SELECT u.fail_count AS u_fail_count, u.fail_last AS u_fail_last, u.locked_until AS u_locked_until,
  t.serial, t.seed_enc AS t_seed_enc, t.kek_id AS t_kek_id, t.algorithm AS t_algorithm, t.digits AS t_digits, t.period AS t_period,
  t.t0 AS t_t0, t.enabled AS t_enabled, t.last_step AS t_last_step, t.anchor_time, t.anchor_offset, t.anchor_err, t.rate_lo, t.rate_hi,
  t.fail_count AS t_fail_count, t.fail_last AS t_fail_last, t.locked_until AS t_locked_until,
  a.id AS app_id, a.seed_enc AS a_seed_enc, a.kek_id AS a_kek_id, a.algorithm AS a_algorithm, a.digits AS a_digits,
  a.period AS a_period, a.last_step AS a_last_step
FROM users u
LEFT JOIN tokens t ON t.user_id = u.user_id AND t.state = 'assigned'
LEFT JOIN app_factors a ON a.user_id = u.user_id AND a.revoked_at IS NULL
WHERE u.user_id = ?`;

/**
 * Counts one failure atomically (no lost increments under concurrency); locks out at the limit.
 * Returns true when this failure started a lockout.
 */
export async function recordFailure(db: DbExecutor, table: 'users' | 'tokens', id: string, now: number, p: ThrottlePolicy): Promise<boolean> {
  const key = table === 'users' ? 'user_id' : 'serial';
  const row = await db.get<{ fail_count: number }>(
    `UPDATE ${table} SET
       fail_count = CASE WHEN fail_last IS NULL OR fail_last <= ? OR (locked_until IS NOT NULL AND locked_until <= ?) THEN 1 ELSE fail_count + 1 END,
       locked_until = CASE WHEN locked_until IS NOT NULL AND locked_until <= ? THEN NULL ELSE locked_until END,
       fail_last = ?
     WHERE ${key} = ? RETURNING fail_count`,
    [now - p.lockoutSeconds, now, now, now, id]);
  if (row && row.fail_count >= p.lockoutFailures) {
    const { changes } = await db.run(`UPDATE ${table} SET locked_until = ? WHERE ${key} = ? AND (locked_until IS NULL OR locked_until < ?)`, [now + p.lockoutSeconds, id, now]);
    return changes === 1;
  }
  return false;
}

const CODE = /^[0-9]{6,8}$/;

/** `actor` (the validator's key id) is recorded when a failure starts a lockout. */
export async function validateCode(ctx: BackendContext, user: string, code: string, actor = 'system'): Promise<ValidateResult> {
  if (!CODE.test(code)) return { ok: false, reason: 'malformed' };
  const { db, policy } = ctx;
  const now = ctx.clock();
  const f = await db.get<FactorsRow>(FACTORS_SQL, [user]);
  const hasFob = f?.serial != null;
  const hasApp = f?.app_id != null;
  if (!f || (!hasFob && !hasApp)) return { ok: false, reason: 'no-factor' };

  const userVerdict = throttleVerdict({ failCount: f.u_fail_count, failLast: f.u_fail_last, lockedUntil: f.u_locked_until }, now, policy.throttle);
  if (!userVerdict.allowed) return { ok: false, reason: userVerdict.reason, retryAfter: userVerdict.retryAfter };

  let fobTried = false;
  let fobRefused: ValidateResult | undefined;
  if (hasFob) {
    const serial = f.serial!;
    const fobVerdict = throttleVerdict({ failCount: f.t_fail_count!, failLast: f.t_fail_last, lockedUntil: f.t_locked_until }, now, policy.throttle);
    if (f.t_enabled !== 1) fobRefused = { ok: false, reason: 'disabled' };
    else if (!fobVerdict.allowed) fobRefused = { ok: false, reason: fobVerdict.reason, retryAfter: fobVerdict.retryAfter };
    else if (code.length === f.t_digits && now >= f.t_t0!) {
      fobTried = true;
      const profile = { period: f.t_period!, t0: f.t_t0! };
      const drift = { anchorTime: f.anchor_time!, anchorOffset: f.anchor_offset!, anchorErr: f.anchor_err!, rateLo: f.rate_lo!, rateHi: f.rate_hi! };
      const seed = ctx.keyring.decrypt(f.t_kek_id!, f.t_seed_enc!, aad.tokenSeed(serial));
      const r = verifyTotp({
        secret: seed, code, time: now, period: profile.period, t0: profile.t0, algorithm: f.t_algorithm!, digits: f.t_digits!,
        window: policy.window, expectedOffset: expectedOffsetSteps(drift, now, profile, policy.drift),
      });
      seed.fill(0);
      if (r.ok) {
        if (r.step <= f.t_last_step!) return { ok: false, reason: 'replayed' };
        const learnt = learnFromStep(drift, r.step, now, profile, policy.drift);
        // The compare-and-set: exactly one request can move last_step past r.step - 1.
        const { changes } = await db.run(
          `UPDATE tokens SET last_step = ?, last_used = ?, anchor_time = ?, anchor_offset = ?, anchor_err = ?, rate_lo = ?, rate_hi = ?,
             fail_count = 0, fail_last = NULL, locked_until = NULL WHERE serial = ? AND last_step < ?`,
          [r.step, now, learnt.anchorTime, learnt.anchorOffset, learnt.anchorErr, learnt.rateLo, learnt.rateHi, serial, r.step]);
        if (changes !== 1) return { ok: false, reason: 'replayed' };
        if (f.u_fail_count !== 0) await resetUser(db, user);
        return { ok: true, factor: 'hardware', serial };
      }
    }
  }
  if (hasApp && code.length === f.a_digits) {
    const seed = ctx.keyring.decrypt(f.a_kek_id!, f.a_seed_enc!, aad.appSeed(f.app_id!));
    const key = createOtpKey({ secret: seed, algorithm: f.a_algorithm!, digits: f.a_digits! });
    seed.fill(0);
    const r = verifyTotp({ secret: key, code, time: now, period: f.a_period!, window: policy.appWindow });
    key.dispose();
    if (r.ok) {
      if (r.step <= f.a_last_step!) return { ok: false, reason: 'replayed' };
      const { changes } = await db.run('UPDATE app_factors SET last_step = ? WHERE id = ? AND last_step < ?', [r.step, f.app_id!, r.step]);
      if (changes !== 1) return { ok: false, reason: 'replayed' };
      if (f.u_fail_count !== 0) await resetUser(db, user);
      return { ok: true, factor: 'app' };
    }
  } else if (!fobTried && fobRefused) {
    return fobRefused;
  }
  const lockedUser = await recordFailure(db, 'users', user, now, policy.throttle);
  const lockedFob = fobTried && (await recordFailure(db, 'tokens', f.serial!, now, policy.throttle));
  if (lockedUser || lockedFob) {
    // A lockout is a state change: audited (rare, so off the hot path).
    await auditedTransaction(ctx, async (_tx, audit) => {
      const detail = { until: now + policy.throttle.lockoutSeconds, failures: policy.throttle.lockoutFailures };
      if (lockedUser) await audit({ actor, action: 'user.locked-out', subject: `user:${user}`, detail });
      if (lockedFob) await audit({ actor, action: 'token.locked-out', subject: f.serial!, detail: { ...detail, user } });
    });
  }
  return { ok: false, reason: 'mismatch' };
}

async function resetUser(db: DbExecutor, user: string): Promise<void> {
  await db.run('UPDATE users SET fail_count = 0, fail_last = NULL, locked_until = NULL WHERE user_id = ?', [user]);
}

/** The server's step for a profile at `now` (exported for tests and tools). */
export function currentStep(now: number, period: number, t0 = 0): number {
  return totpStep({ time: now, period, t0 });
}
