/**
 * The throttle's atomic steps as validation uses them (the SQL is in otp/throttleSql.ts): count
 * a wrong code only when an attempt is allowed, explain a refused compare-and-set, reset the
 * user after a success. Every answer that says whether a code matched goes through one of these
 * statements or the compare-and-sets that carry the same predicate.
 */
import type { DbExecutor } from '../store/db.js';
import { throttleVerdict, type ThrottlePolicy } from '../otp/throttle.js';
import { throttleSql, type ThrottleTable } from '../otp/throttleSql.js';
import { auditedTransaction, type BackendContext } from './context.js';
import type { ValidateResult } from './validate.js';

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
export async function countFailure(ctx: BackendContext, user: string, serial: string | null, now: number, actor: string): Promise<ValidateResult | undefined> {
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
export async function successRefusal(ctx: BackendContext, user: string, serial: string | null, now: number): Promise<ValidateResult> {
  const p = ctx.policy.throttle;
  return (await throttleRefusal(ctx.db, 'users', user, now, p))
    ?? (serial !== null ? await throttleRefusal(ctx.db, 'tokens', serial, now, p) : undefined)
    ?? { ok: false, reason: 'replayed' };
}

export async function resetUser(ctx: BackendContext, user: string, now: number): Promise<void> {
  // Not over a lockout that a concurrent failure began after this success.
  const t = throttleSql(ctx.policy.throttle, ctx.db.dialect);
  await ctx.db.run(`UPDATE users SET fail_count = 0, fail_last = NULL, locked_until = NULL WHERE user_id = ? AND ${t.allowed('')}`, [user, ...t.allowedParams(now)]);
}
