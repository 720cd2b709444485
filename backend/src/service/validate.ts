/**
 * POST /v1/validate: is this the user's code now? The hot path: one SELECT (the user and their
 * assigned fob), the OTP window, and one compare-and-set UPDATE on success; the app factor is
 * read only when the fob does not decide.
 *
 * The rules, in order: a malformed code is refused before anything; a throttled user or fob is
 * refused without looking at the code (that is what makes throttling work); the fob is tried
 * in a small window around its predicted step, the app in a small window around now; a match
 * is accepted only if its step is fresh: newer than the last accepted step of that factor and
 * never accepted before (a fob's step ledger, otp/stepLedger.ts, which a support resync may move
 * back after the fob's clock was), by a compare-and-set UPDATE, atomic in both databases, so
 * two concurrent requests with one code (even on two backend processes) give exactly one
 * success; a mismatch counts a failure on the user and on the fob.
 *
 * The SELECT's throttle check is only the cheap common case. What bounds guessing is that every
 * answer that says whether a code matched goes through one atomic statement on the subject's
 * row (otp/throttleSql.ts): `mismatch` only when the conditional failure UPDATE counted it, ok
 * only when the compare-and-set also found the fob and the user not throttled. A request that
 * loses that race is answered with the throttle's refusal, matching or not, so a burst of
 * concurrent guesses (on any number of backend instances) gets at most the lockout limit answered.
 *
 * A user with a PIN (userPin.ts) types it in front of the code: the PIN is checked once the
 * throttle allows an attempt, and a wrong PIN (or the code alone) is a `mismatch` counted on the
 * user, never saying which part was wrong.
 */
import { totpStep, verifyTotp, type OtpAlgorithm, type OtpDigits } from '@fobkit/protocol/otp';
import { aad } from '../store/rows.js';
import type { OtpKeySource } from '../crypto/otpKeyCache.js';
import { expectedOffsetSteps, learnFromStep } from '../otp/driftModel.js';
import { acceptStep, formatUsedSteps, readStepLedger, stepStanding } from '../otp/stepLedger.js';
import { throttleVerdict } from '../otp/throttle.js';
import { throttleSql } from '../otp/throttleSql.js';
import type { BackendContext } from './context.js';
import { countFailure, resetUser, successRefusal } from './_attemptThrottle.js';
import { loadAppFactors, matchesRevokedApp, tryAppFactors, type AppAttempt } from './_appFactors.js';
import { codeAfterPin } from './userPin.js';
import type { DbExecutor } from '../store/db.js';

export type ValidateFailure = 'malformed' | 'no-factor' | 'disabled' | 'mismatch' | 'revoked-device' | 'replayed' | 'rate-limited' | 'locked-out';

export type ValidateResult =
  | { ok: true; factor: 'hardware'; serial: string }
  | { ok: true; factor: 'app' }
  | { ok: false; reason: ValidateFailure; retryAfter?: number };

/** The user and their assigned fob, as an array in SELECT order (see DbExecutor.values: the hot path). */
type FobRow = readonly [
  uFailCount: number, uFailLast: number | null, uLockedUntil: number | null,
  serial: string | null, seedEnc: Buffer | null, kekId: string | null, algorithm: OtpAlgorithm | null, digits: OtpDigits | null,
  period: number | null, t0: number | null, enabled: number | null, lastStep: number | null, usedSteps: string | null, usedFloor: number | null,
  anchorTime: number | null, anchorOffset: number | null, anchorErr: number | null, rateLo: number | null, rateHi: number | null,
  failCount: number | null, failLast: number | null, lockedUntil: number | null, pinHash: string | null,
];

const FOB_SQL = `SELECT u.fail_count, u.fail_last, u.locked_until,
  t.serial, t.seed_enc, t.kek_id, t.algorithm, t.digits, t.period, t.t0, t.enabled, t.last_step, t.used_steps, t.used_floor,
  t.anchor_time, t.anchor_offset, t.anchor_err, t.rate_lo, t.rate_hi, t.fail_count, t.fail_last, t.locked_until, u.pin_hash
FROM users u LEFT JOIN tokens t ON t.user_id = u.user_id AND t.state = 'assigned'
WHERE u.user_id = ?`;

/** A factor's stored seed, as the key cache takes it: opened through the keyring on a miss. */
function seedSource(ctx: BackendContext, id: string, kid: string, blob: Buffer, algorithm: OtpAlgorithm, digits: OtpDigits): OtpKeySource {
  return { id, kid, blob, algorithm, digits, open: () => ctx.keyring.decrypt(kid, blob, id) };
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

export interface ValidateOptions {
  /** The client's address as the integration reports it; recorded in the auth log. */
  source?: string;
}

/**
 * `input` is the code, or the user's PIN followed by the code. `actor` (the validator's key id)
 * is recorded when a failure starts a lockout. Every call is recorded in the auth log (never the
 * code or the PIN).
 */
export async function validateCode(ctx: BackendContext, user: string, input: string, actor = 'system', options: ValidateOptions = {}): Promise<ValidateResult> {
  const { result, factor, serial } = await decideCode(ctx, user, input, actor);
  ctx.authLog.record({ at: ctx.clock(), user, factor, serial, result: result.ok ? 'ok' : 'refused', reason: result.ok ? null : result.reason, source: options.source ?? null });
  return result;
}

/** {@link validateCode} with what the auth log needs: which factor decided, and the user's fob. */
export async function decideCode(ctx: BackendContext, user: string, input: string, actor = 'system'): Promise<ValidateOutcome> {
  const none = (result: ValidateResult, serial: string | null = null): ValidateOutcome => ({ result, factor: 'none', serial });
  // Too short to carry a PIN: a code or nothing, decided before any query.
  if (input.length <= 8 && !CODE.test(input)) return none({ ok: false, reason: 'malformed' });
  const { db, policy } = ctx;
  const now = ctx.clock();
  const t = throttleSql(policy.throttle, db.dialect);
  const f = await db.values<FobRow>(FOB_SQL, [user]);
  if (!f) return none({ ok: false, reason: 'no-factor' });
  const [
    uFailCount, uFailLast, uLockedUntil,
    serial, tSeedEnc, tKekId, tAlgorithm, tDigits, tPeriod, tT0, tEnabled, tLastStep, tUsedSteps, tUsedFloor,
    anchorTime, anchorOffset, anchorErr, rateLo, rateHi, tFailCount, tFailLast, tLockedUntil, pinHash,
  ] = f;
  // The app factor is read only when the fob cannot decide (most logins are a fob's right code):
  // here when there is no fob, else below, after the fob did not match.
  const appsWithoutFob = serial === null ? await loadAppFactors(ctx, user, now) : undefined;
  if (appsWithoutFob?.length === 0) return none({ ok: false, reason: 'no-factor' });

  // A throttled user or fob is refused here without looking at the code, the common case; the
  // atomic steps below refuse what a concurrent request throttled since this SELECT.
  const userVerdict = throttleVerdict({ failCount: uFailCount, failLast: uFailLast, lockedUntil: uLockedUntil }, now, policy.throttle);
  if (!userVerdict.allowed) return none({ ok: false, reason: userVerdict.reason, retryAfter: userVerdict.retryAfter }, serial);
  // The OTP part; null after a wrong PIN, which then checks no factor and counts a failure below
  // (on the user only: the fob was not tried).
  const code = pinHash === null ? input : await codeAfterPin(pinHash, input, serial !== null ? tDigits! : appsWithoutFob![0]!.digits);
  if (pinHash === null && !CODE.test(input)) return none({ ok: false, reason: 'malformed' }, serial);

  let fobTried = false;
  let fobRefused: ValidateResult | undefined;
  if (serial !== null) {
    const hardware = (result: ValidateResult): ValidateOutcome => ({ result, factor: 'hardware', serial });
    const fobVerdict = throttleVerdict({ failCount: tFailCount!, failLast: tFailLast, lockedUntil: tLockedUntil }, now, policy.throttle);
    if (tEnabled !== 1) fobRefused = { ok: false, reason: 'disabled' };
    else if (!fobVerdict.allowed) fobRefused = { ok: false, reason: fobVerdict.reason, retryAfter: fobVerdict.retryAfter };
    else if (code !== null && code.length === tDigits && now >= tT0!) {
      fobTried = true;
      const profile = { period: tPeriod!, t0: tT0! };
      const drift = { anchorTime: anchorTime!, anchorOffset: anchorOffset!, anchorErr: anchorErr!, rateLo: rateLo!, rateHi: rateHi! };
      const source = seedSource(ctx, aad.tokenSeed(serial), tKekId!, tSeedEnc!, tAlgorithm!, tDigits);
      const expectedOffset = expectedOffsetSteps(drift, now, profile, policy.drift);
      const r = ctx.otpKeys.use(source, (key) => verifyTotp({ secret: key, code, time: now, period: profile.period, t0: profile.t0, window: policy.window, expectedOffset }));
      if (r.ok) {
        const learnt = learnFromStep(drift, r.step, now, profile, policy.drift);
        const taken = await acceptFobStep(db, user, serial, r.step, { last_step: tLastStep!, used_steps: tUsedSteps!, used_floor: tUsedFloor! },
          [now, learnt.anchorTime, learnt.anchorOffset, learnt.anchorErr, learnt.rateLo, learnt.rateHi], t, now);
        if (taken === 'replayed') return hardware({ ok: false, reason: 'replayed' });
        if (taken === 'refused') return hardware(await successRefusal(ctx, user, serial, now));
        if (uFailCount !== 0) await resetUser(ctx, user, now);
        return hardware({ ok: true, factor: 'hardware', serial });
      }
    }
  }
  const apps = serial === null ? appsWithoutFob! : await loadAppFactors(ctx, user, now);
  const app: AppAttempt = code === null ? { tried: false } : await tryAppFactors(ctx, actor, user, apps, code, now, uFailCount !== 0);
  if (app.tried && app.result) return { result: app.result, factor: 'app', serial };
  if (code !== null && !app.tried && !fobTried && fobRefused) return { result: fobRefused, factor: 'hardware', serial };
  // No active factor matched: a failure, answered only when it was counted. Then a code of a
  // recently revoked app is told apart from a typo.
  const refusal = await countFailure(ctx, user, fobTried ? serial : null, now, actor);
  const factor = fobTried ? 'hardware' : app.tried ? 'app' : 'none';
  if (refusal) return { result: refusal, factor, serial };
  if (code !== null && await matchesRevokedApp(ctx, user, code, now)) return { result: { ok: false, reason: 'revoked-device' }, factor: 'app', serial };
  return { result: { ok: false, reason: 'mismatch' }, factor, serial };
}

type LedgerRow = { last_step: number; used_steps: string; used_floor: number };

/**
 * The replay check and the compare-and-set (otp/stepLedger.ts): a step is taken only when it is
 * fresh in the ledger, and the UPDATE applies only to the ledger read and only while neither the
 * fob nor the user is throttled (a concurrent burst of wrong codes may have locked either since
 * the SELECT), so of two concurrent requests with one code exactly one succeeds (even on two
 * backend processes). The loser of a race between two different fresh steps reads the ledger
 * again (a few times at most); an unchanged ledger means the throttle refused: `refused`.
 */
async function acceptFobStep(db: DbExecutor, user: string, serial: string, step: number, read: LedgerRow, rest: number[],
  t: ReturnType<typeof throttleSql>, now: number): Promise<'accepted' | 'replayed' | 'refused'> {
  let row = read;
  for (let attempt = 0; attempt < 3; attempt++) {
    const ledger = readStepLedger(row);
    if (stepStanding(ledger, step) !== 'fresh') return 'replayed';
    const next = acceptStep(ledger, step);
    const { changes } = await db.run(
      `UPDATE tokens SET last_step = ?, used_steps = ?, used_floor = ?, last_used = ?, anchor_time = ?, anchor_offset = ?, anchor_err = ?, rate_lo = ?, rate_hi = ?,
         fail_count = 0, fail_last = NULL, locked_until = NULL
       WHERE serial = ? AND last_step = ? AND used_steps = ? AND used_floor = ? AND ${t.allowed('')} AND ${t.userAllowed}`,
      [next.last, formatUsedSteps(next.used), next.floor, ...rest, serial, row.last_step, row.used_steps, row.used_floor,
        ...t.allowedParams(now), ...t.userAllowedParams(now, user)]);
    if (changes === 1) return 'accepted';
    const again = await db.get<LedgerRow>('SELECT last_step, used_steps, used_floor FROM tokens WHERE serial = ?', [serial]);
    if (!again) return 'replayed';
    if (again.last_step === row.last_step && again.used_steps === row.used_steps && again.used_floor === row.used_floor) return 'refused';
    row = again;
  }
  return 'refused';
}

/** The server's step for a profile at `now` (exported for tests and tools). */
export function currentStep(now: number, period: number, t0 = 0): number {
  return totpStep({ time: now, period, t0 });
}
