/**
 * Support's tools on one fob: `check` (does this code match, and at what offset, over a wide
 * window, consuming nothing) and `resync` (two consecutive codes re-anchor the drift model).
 */
import { createOtpKey, MAX_VERIFY_WINDOW, totpStep, verifyTotp, constantTimeEqual } from '@fobkit/protocol/otp';
import { BackendError } from '../errors.js';
import { anchorOnStep, expectedOffsetSteps } from '../otp/driftModel.js';
import { formatUsedSteps, readStepLedger, resyncAt, stepStanding } from '../otp/stepLedger.js';
import { auditedTransaction, type BackendContext } from './context.js';
import { clearQuarantine, getTokenRow, openTokenSeed } from './tokens.js';

/**
 * What a login with the checked code would meet now: `ok`; `used` (that step was accepted
 * before: refused for good); `superseded` (never used, but older than the last accepted step:
 * the fob's clock went back; a resync fixes it); `outside-window` (not where validation looks
 * for this fob: a resync fixes it).
 */
export type LoginOutlook = 'ok' | 'used' | 'superseded' | 'outside-window';

export type CheckResult =
  | { ok: true; offsetSteps: number; offsetSeconds: number; step: number; state: string; expectedOffsetSteps: number; login: LoginOutlook }
  | { ok: false; reason: 'malformed' | 'mismatch' };

function searchWindow(ctx: BackendContext, period: number): number {
  return Math.min(MAX_VERIFY_WINDOW, Math.ceil(ctx.policy.checkWindowSeconds / period));
}

function stepAt(time: number, period: number, t0: number): number {
  if (time < t0) throw new BackendError('INVALID_REQUEST', `time ${time} is before the token's t0 ${t0}`);
  return totpStep({ time, period, t0 });
}

/**
 * POST /v1/tokens/{serial}/check. Touches no counter and consumes no step; a match on a
 * quarantined fob clears the quarantine (the fob is proven to be the one in hand and working).
 * `step`: the step the code was made at, when the caller read it off the fob; only that step is
 * checked (still within the day either side of `time`). Over the whole day, another seed's
 * six-digit code matches some step about 3 times in 1,000: a caller that knows the step must not
 * take such a collision for this fob.
 */
export async function checkCode(ctx: BackendContext, actor: string, serial: string, code: string, time?: number, step?: number): Promise<CheckResult> {
  const row = await getTokenRow(ctx.db, serial);
  const at = time ?? ctx.clock();
  const now = stepAt(at, row.period, row.t0);
  const window = searchWindow(ctx, row.period);
  const seed = openTokenSeed(ctx, row);
  const key = createOtpKey({ secret: seed, algorithm: row.algorithm, digits: row.digits });
  seed.fill(0);
  let r;
  try {
    const only = step === undefined ? { window } : { window: 0, expectedOffset: step - now };
    r = step !== undefined && Math.abs(step - now) > window
      ? ({ ok: false, reason: 'mismatch' } as const)
      : verifyTotp({ secret: key, code, time: at, period: row.period, t0: row.t0, ...only });
  } finally {
    key.dispose();
  }
  await auditedTransaction(ctx, async (_tx, audit) => {
    await audit({ actor, action: 'token.check', subject: serial, detail: r.ok ? { ok: true, offsetSteps: r.delta } : { ok: false, reason: r.reason } });
  });
  if (!r.ok) return r;
  const state = row.state === 'quarantined' ? (await clearQuarantine(ctx, actor, serial)).state : row.state;
  const drift = { anchorTime: row.anchor_time, anchorOffset: row.anchor_offset, anchorErr: row.anchor_err, rateLo: row.rate_lo, rateHi: row.rate_hi };
  const expected = expectedOffsetSteps(drift, at, row, ctx.policy.drift);
  const standing = stepStanding(readStepLedger(row), r.step);
  const login: LoginOutlook = standing === 'used' || standing === 'forgotten' ? 'used' : standing === 'superseded' ? 'superseded'
    : Math.abs(r.delta - expected) > ctx.policy.window ? 'outside-window' : 'ok';
  return { ok: true, offsetSteps: r.delta, offsetSeconds: r.delta * row.period, step: r.step, state, expectedOffsetSteps: expected, login };
}

export type ResyncResult =
  | { ok: true; offsetSteps: number; offsetSeconds: number }
  | { ok: false; reason: 'malformed' | 'mismatch' | 'replayed' };

/**
 * POST /v1/tokens/{serial}/resync: finds the step s (nearest now first, within the check
 * window) where code1 is the code of s and code2 of s+1; re-anchors the drift model there and
 * consumes both steps, so the two codes can never be replayed.
 *
 * The fob's clock may have been moved back (support set it to true time after it ran ahead and
 * was used): s may then lie below the last accepted step, and the resync moves the step ledger
 * back to s+1, so the fob's next codes work at once. Steps the fob had already accepted stay
 * refused (otp/stepLedger.ts): a resync whose codes were used is `replayed`.
 *
 * `clockOffset`: the fob's clock minus true time, measured by a caller that has the fob in hand
 * (fobkit inspect reads it over USB). Two codes only prove the fob was inside step s+1 at some
 * moment (a band of a period and the entry lag wide, whose middle is not the fob's offset);
 * a measured offset that lies inside that band anchors the drift model to it, so the
 * backend then expects where the fob really is.
 */
export async function resyncToken(ctx: BackendContext, actor: string, serial: string, code1: string, code2: string, clockOffset?: number): Promise<ResyncResult> {
  const row = await getTokenRow(ctx.db, serial);
  if (row.state === 'revoked') throw new BackendError('INVALID_STATE', `token ${serial} is revoked: cannot resync`);
  const valid = (c: string): boolean => typeof c === 'string' && c.length === row.digits && /^[0-9]+$/.test(c);
  if (!valid(code1) || !valid(code2)) return { ok: false, reason: 'malformed' };
  const now = ctx.clock();
  const serverStep = stepAt(now, row.period, row.t0);
  const seed = openTokenSeed(ctx, row);
  const key = createOtpKey({ secret: seed, algorithm: row.algorithm, digits: row.digits });
  seed.fill(0);
  let found: number | undefined;
  try {
    const w = searchWindow(ctx, row.period);
    for (let i = 0; i <= 2 * w && found === undefined; i++) {
      const d = i === 0 ? 0 : i % 2 === 1 ? -((i + 1) >> 1) : i >> 1;
      const s = serverStep + d;
      if (s < 0) continue;
      if (constantTimeEqual(key.codeAt(s), code1) && constantTimeEqual(key.codeAt(s + 1), code2)) found = s;
    }
  } finally {
    key.dispose();
  }
  if (found === undefined) {
    await auditedTransaction(ctx, (_tx, audit) => audit({ actor, action: 'token.resync', subject: serial, detail: { ok: false, reason: 'mismatch' } }));
    return { ok: false, reason: 'mismatch' };
  }
  const first = found;
  const last = found + 1;
  const drift = anchorOnStep(last, now, row, ctx.policy.drift);
  const measured = clockOffset !== undefined && clockOffset >= drift.anchorOffset - drift.anchorErr - ctx.policy.drift.provisioningErrorSeconds
    && clockOffset <= drift.anchorOffset + drift.anchorErr + ctx.policy.drift.provisioningErrorSeconds;
  if (measured) Object.assign(drift, { anchorOffset: clockOffset, anchorErr: ctx.policy.drift.provisioningErrorSeconds });
  return auditedTransaction(ctx, async (tx, audit) => {
    // Read again inside the transaction: the compare-and-set below applies to this ledger only.
    const current = await getTokenRow(tx, serial);
    const ledger = readStepLedger(current);
    const refused = [first, last].map((s) => stepStanding(ledger, s)).find((st) => st === 'used' || st === 'forgotten');
    const rewound = last <= ledger.last;
    let changes = 0;
    if (!refused) {
      const next = resyncAt(ledger, first);
      ({ changes } = await tx.run(
        `UPDATE tokens SET last_step = ?, used_steps = ?, used_floor = ?, last_used = ?, anchor_time = ?, anchor_offset = ?, anchor_err = ?, rate_lo = ?, rate_hi = ?,
          fail_count = 0, fail_last = NULL, locked_until = NULL, updated_at = ? WHERE serial = ? AND last_step = ? AND used_steps = ? AND used_floor = ?`,
        [next.last, formatUsedSteps(next.used), next.floor, now, drift.anchorTime, drift.anchorOffset, drift.anchorErr, drift.rateLo, drift.rateHi, now,
          serial, current.last_step, current.used_steps, current.used_floor]));
    }
    const offsetSteps = last - serverStep;
    if (changes !== 1) {
      await audit({ actor, action: 'token.resync', subject: serial, detail: { ok: false, reason: 'replayed' } });
      return { ok: false, reason: 'replayed' } as const;
    }
    await audit({ actor, action: 'token.resync', subject: serial, detail: { ok: true, offsetSteps, ...(rewound ? { rewoundFrom: ledger.last } : {}), ...(measured ? { measuredOffset: clockOffset } : {}) } });
    return { ok: true, offsetSteps, offsetSeconds: measured ? Math.round(clockOffset * 10) / 10 : offsetSteps * row.period } as const;
  });
}
