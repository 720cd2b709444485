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
 * two concurrent requests with one code (even on two backend processes) give exactly one success; a mismatch counts a
 * failure on the user and on the fob.
 *
 * A user with a PIN (userPin.ts) types it in front of the code: the PIN is checked once the
 * throttle allows an attempt, and a wrong PIN (or the code alone) is a `mismatch` counted on the
 * user, never saying which part was wrong.
 */
import { totpStep, verifyTotp, type OtpAlgorithm, type OtpDigits } from '@fobkit/protocol/otp';
import type { DbExecutor } from '../store/db.js';
import { aad } from '../store/rows.js';
import type { OtpKeySource } from '../crypto/otpKeyCache.js';
import { expectedOffsetSteps, learnFromStep } from '../otp/driftModel.js';
import { acceptStep, formatUsedSteps, readStepLedger, stepStanding } from '../otp/stepLedger.js';
import { throttleVerdict, type ThrottlePolicy } from '../otp/throttle.js';
import { auditedTransaction, type BackendContext } from './context.js';
import { codeAfterPin } from './userPin.js';

export type ValidateFailure = 'malformed' | 'no-factor' | 'disabled' | 'mismatch' | 'replayed' | 'rate-limited' | 'locked-out';

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

/** The user's active app factor. */
type AppRow = readonly [id: string, seedEnc: Buffer, kekId: string, algorithm: OtpAlgorithm, digits: OtpDigits, period: number, lastStep: number];

const APP_SQL = 'SELECT id, seed_enc, kek_id, algorithm, digits, period, last_step FROM app_factors WHERE user_id = ? AND revoked_at IS NULL';

/** A factor's stored seed, as the key cache takes it: opened through the keyring on a miss. */
function seedSource(ctx: BackendContext, id: string, kid: string, blob: Buffer, algorithm: OtpAlgorithm, digits: OtpDigits): OtpKeySource {
  return { id, kid, blob, algorithm, digits, open: () => ctx.keyring.decrypt(kid, blob, id) };
}

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

/**
 * `input` is the code, or the user's PIN followed by the code. `actor` (the validator's key id) is
 * recorded when a failure starts a lockout.
 */
export async function validateCode(ctx: BackendContext, user: string, input: string, actor = 'system'): Promise<ValidateResult> {
  // Too short to carry a PIN: a code or nothing, decided before any query.
  if (input.length <= 8 && !CODE.test(input)) return { ok: false, reason: 'malformed' };
  const { db, policy } = ctx;
  const now = ctx.clock();
  const f = await db.values<FobRow>(FOB_SQL, [user]);
  if (!f) return { ok: false, reason: 'no-factor' };
  const [
    uFailCount, uFailLast, uLockedUntil,
    serial, tSeedEnc, tKekId, tAlgorithm, tDigits, tPeriod, tT0, tEnabled, tLastStep, tUsedSteps, tUsedFloor,
    anchorTime, anchorOffset, anchorErr, rateLo, rateHi, tFailCount, tFailLast, tLockedUntil, pinHash,
  ] = f;
  // The app factor is read only when the fob cannot decide (most logins are a fob's right code):
  // here when there is no fob, else below, after the fob did not match.
  const appWithoutFob = serial === null ? await db.values<AppRow>(APP_SQL, [user]) : undefined;
  if (serial === null && !appWithoutFob) return { ok: false, reason: 'no-factor' };

  const userVerdict = throttleVerdict({ failCount: uFailCount, failLast: uFailLast, lockedUntil: uLockedUntil }, now, policy.throttle);
  if (!userVerdict.allowed) return { ok: false, reason: userVerdict.reason, retryAfter: userVerdict.retryAfter };
  // The OTP part; null after a wrong PIN, which then checks no factor and counts a failure below.
  const code = pinHash === null ? input : await codeAfterPin(pinHash, input, serial !== null ? tDigits! : appWithoutFob![4]);
  if (pinHash === null && !CODE.test(input)) return { ok: false, reason: 'malformed' };

  let fobTried = false;
  let fobRefused: ValidateResult | undefined;
  if (serial !== null) {
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
        const accepted = await acceptFobStep(db, serial, r.step, { last_step: tLastStep!, used_steps: tUsedSteps!, used_floor: tUsedFloor! },
          [now, learnt.anchorTime, learnt.anchorOffset, learnt.anchorErr, learnt.rateLo, learnt.rateHi]);
        if (!accepted) return { ok: false, reason: 'replayed' };
        if (uFailCount !== 0) await resetUser(db, user);
        return { ok: true, factor: 'hardware', serial };
      }
    }
  }
  const a = serial === null ? appWithoutFob : await db.values<AppRow>(APP_SQL, [user]);
  if (code !== null && a && code.length === a[4]) {
    const [appId, aSeedEnc, aKekId, aAlgorithm, aDigits, aPeriod, aLastStep] = a;
    const source = seedSource(ctx, aad.appSeed(appId), aKekId, aSeedEnc, aAlgorithm, aDigits);
    const r = ctx.otpKeys.use(source, (key) => verifyTotp({ secret: key, code, time: now, period: aPeriod, window: policy.appWindow }));
    if (r.ok) {
      if (r.step <= aLastStep) return { ok: false, reason: 'replayed' };
      const { changes } = await db.run('UPDATE app_factors SET last_step = ? WHERE id = ? AND last_step < ?', [r.step, appId, r.step]);
      if (changes !== 1) return { ok: false, reason: 'replayed' };
      if (uFailCount !== 0) await resetUser(db, user);
      return { ok: true, factor: 'app' };
    }
  } else if (!fobTried && fobRefused) {
    return fobRefused;
  }
  const lockedUser = await recordFailure(db, 'users', user, now, policy.throttle);
  const lockedFob = fobTried && (await recordFailure(db, 'tokens', serial!, now, policy.throttle));
  if (lockedUser || lockedFob) {
    // A lockout is a state change: audited (rare, so off the hot path).
    await auditedTransaction(ctx, async (_tx, audit) => {
      const detail = { until: now + policy.throttle.lockoutSeconds, failures: policy.throttle.lockoutFailures };
      if (lockedUser) await audit({ actor, action: 'user.locked-out', subject: `user:${user}`, detail });
      if (lockedFob) await audit({ actor, action: 'token.locked-out', subject: serial!, detail: { ...detail, user } });
    });
  }
  return { ok: false, reason: 'mismatch' };
}

type LedgerRow = { last_step: number; used_steps: string; used_floor: number };

/**
 * The replay check and the compare-and-set (otp/stepLedger.ts): a step is taken only when it is
 * fresh in the ledger, and the UPDATE applies only to the ledger read, so of two concurrent
 * requests with one code exactly one succeeds (even on two backend processes). The loser of a
 * race between two different fresh steps reads the ledger again (a few times at most).
 */
async function acceptFobStep(db: DbExecutor, serial: string, step: number, read: LedgerRow, rest: number[]): Promise<boolean> {
  let row = read;
  for (let attempt = 0; attempt < 3; attempt++) {
    const ledger = readStepLedger(row);
    if (stepStanding(ledger, step) !== 'fresh') return false;
    const next = acceptStep(ledger, step);
    const { changes } = await db.run(
      `UPDATE tokens SET last_step = ?, used_steps = ?, used_floor = ?, last_used = ?, anchor_time = ?, anchor_offset = ?, anchor_err = ?, rate_lo = ?, rate_hi = ?,
         fail_count = 0, fail_last = NULL, locked_until = NULL WHERE serial = ? AND last_step = ? AND used_steps = ? AND used_floor = ?`,
      [next.last, formatUsedSteps(next.used), next.floor, ...rest, serial, row.last_step, row.used_steps, row.used_floor]);
    if (changes === 1) return true;
    const again = await db.get<LedgerRow>('SELECT last_step, used_steps, used_floor FROM tokens WHERE serial = ?', [serial]);
    if (!again) return false;
    row = again;
  }
  return false;
}

async function resetUser(db: DbExecutor, user: string): Promise<void> {
  await db.run('UPDATE users SET fail_count = 0, fail_last = NULL, locked_until = NULL WHERE user_id = ?', [user]);
}

/** The server's step for a profile at `now` (exported for tests and tools). */
export function currentStep(now: number, period: number, t0 = 0): number {
  return totpStep({ time: now, period, t0 });
}
