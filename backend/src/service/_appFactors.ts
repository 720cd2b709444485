/**
 * The app factor in validation: the user's active app and a pending enrolment (users.ts), and
 * the recently revoked apps that let a refusal say `revoked-device` instead of `mismatch`.
 *
 * "Only the last registered device is valid", as a user understands it: a new enrolment is
 * pending and the working app stays valid until the new one's first code validates; that
 * validation makes it active and revokes the previous one in one transaction. A pending
 * enrolment lapses after `--app-enrol-minutes`.
 */
import { verifyTotp, type OtpAlgorithm, type OtpDigits } from '@fobkit/protocol/otp';
import type { VerifyTotpResult } from '@fobkit/protocol/otp';
import { aad } from '../store/rows.js';
import { throttleSql } from '../otp/throttleSql.js';
import { auditedTransaction, type BackendContext } from './context.js';
import { resetUser, successRefusal } from './_attemptThrottle.js';
import type { ValidateResult } from './validate.js';

export interface AppFactor {
  id: string;
  seed_enc: Buffer;
  kek_id: string;
  algorithm: OtpAlgorithm;
  digits: OtpDigits;
  period: number;
  last_step: number;
  /** Null: active; else pending until then. */
  pending_until: number | null;
}

/** The active app first, then a pending enrolment that has not lapsed. */
export async function loadAppFactors(ctx: BackendContext, user: string, now: number): Promise<AppFactor[]> {
  const rows = await ctx.db.all<AppFactor>(
    'SELECT id, seed_enc, kek_id, algorithm, digits, period, last_step, pending_until FROM app_factors WHERE user_id = ? AND revoked_at IS NULL AND (pending_until IS NULL OR pending_until > ?)',
    [user, now]);
  return rows.sort((a, b) => (a.pending_until === null ? 0 : 1) - (b.pending_until === null ? 0 : 1));
}

export type AppAttempt = { tried: false } | { tried: true; result?: ValidateResult };

/**
 * Tries the code on the user's apps. `result` is the answer when one matched (accepted, or
 * refused as replayed or throttled); absent when none matched.
 */
export async function tryAppFactors(ctx: BackendContext, actor: string, user: string, apps: readonly AppFactor[], code: string, now: number, userHadFailures: boolean): Promise<AppAttempt> {
  let tried = false;
  for (const a of apps) {
    if (code.length !== a.digits) continue;
    tried = true;
    const source = { id: aad.appSeed(a.id), kid: a.kek_id, blob: a.seed_enc, algorithm: a.algorithm, digits: a.digits, open: () => ctx.keyring.decrypt(a.kek_id, a.seed_enc, aad.appSeed(a.id)) };
    const r: VerifyTotpResult = ctx.otpKeys.use(source, (key) => verifyTotp({ secret: key, code, time: now, period: a.period, window: ctx.policy.appWindow }));
    if (!r.ok) continue;
    if (r.step <= a.last_step) return { tried, result: { ok: false, reason: 'replayed' } };
    const accepted = a.pending_until === null ? await acceptActive(ctx, user, a, r.step, now) : await activatePending(ctx, actor, user, a, r.step, now);
    if (!accepted) return { tried, result: await successRefusal(ctx, user, null, now) };
    if (userHadFailures) await resetUser(ctx, user, now);
    return { tried, result: { ok: true, factor: 'app' } };
  }
  return { tried };
}

/** The compare-and-set of the active app, under the user's throttle (as the fob's). */
async function acceptActive(ctx: BackendContext, user: string, a: AppFactor, step: number, now: number): Promise<boolean> {
  const t = throttleSql(ctx.policy.throttle, ctx.db.dialect);
  const { changes } = await ctx.db.run(`UPDATE app_factors SET last_step = ? WHERE id = ? AND last_step < ? AND revoked_at IS NULL AND pending_until IS NULL AND ${t.userAllowed}`,
    [step, a.id, step, ...t.userAllowedParams(now, user)]);
  return changes === 1;
}

/**
 * The first code of a pending enrolment: revoke the active app and make this one active, in one
 * transaction (the previous one first: one active app per user is a unique index). Nothing
 * changes unless this app is still pending and unexpired, the step is new and the user is not
 * throttled.
 */
async function activatePending(ctx: BackendContext, actor: string, user: string, a: AppFactor, step: number, now: number): Promise<boolean> {
  const t = throttleSql(ctx.policy.throttle, ctx.db.dialect);
  const NOT_NOW = Symbol('not now');
  let revoked: string | null = null;
  try {
    await auditedTransaction(ctx, async (tx, audit) => {
      const prev = await tx.get<{ id: string }>('SELECT id FROM app_factors WHERE user_id = ? AND revoked_at IS NULL AND pending_until IS NULL', [user]);
      if (prev) await tx.run('UPDATE app_factors SET revoked_at = ? WHERE id = ?', [now, prev.id]);
      const { changes } = await tx.run(
        `UPDATE app_factors SET last_step = ?, pending_until = NULL WHERE id = ? AND last_step < ? AND revoked_at IS NULL AND pending_until > ? AND ${t.userAllowed}`,
        [step, a.id, step, now, ...t.userAllowedParams(now, user)]);
      if (changes !== 1) throw NOT_NOW;
      revoked = prev?.id ?? null;
      await audit({ actor, action: 'app.activate', subject: `user:${user}`, detail: { id: a.id, revokedPrevious: revoked } });
    });
  } catch (e) {
    if (e === NOT_NOW) return false;
    throw e;
  }
  if (revoked) ctx.otpKeys.forget(aad.appSeed(revoked));
  return true;
}

/** How many of the user's most recently revoked apps a refused code is compared with, and for how long after revocation. */
export const REVOKED_DEVICES_CHECKED = 3;
export const REVOKED_DEVICE_DAYS = 90;

/**
 * Did the code come from one of the user's recently revoked apps? Asked only after the code
 * matched no active factor, so support can tell an old phone from a typo. The seeds are opened
 * for this and zeroed at once (revoked seeds are never cached); the compares are constant-time
 * (verifyTotp).
 */
export async function matchesRevokedApp(ctx: BackendContext, user: string, code: string, now: number): Promise<boolean> {
  const rows = await ctx.db.all<{ id: string; seed_enc: Buffer; kek_id: string; algorithm: OtpAlgorithm; digits: OtpDigits; period: number }>(
    `SELECT id, seed_enc, kek_id, algorithm, digits, period FROM app_factors WHERE user_id = ? AND revoked_at IS NOT NULL AND revoked_at > ?
     ORDER BY revoked_at DESC LIMIT ${REVOKED_DEVICES_CHECKED}`,
    [user, now - REVOKED_DEVICE_DAYS * 86_400]);
  let found = false;
  for (const r of rows) {
    if (code.length !== r.digits) continue;
    const seed = ctx.keyring.decrypt(r.kek_id, r.seed_enc, aad.appSeed(r.id));
    try {
      // Every candidate is compared, match or not, so the time taken does not say which one.
      if (verifyTotp({ secret: seed, algorithm: r.algorithm, digits: r.digits, code, time: now, period: r.period, window: ctx.policy.appWindow }).ok) found = true;
    } finally {
      seed.fill(0);
    }
  }
  return found;
}
