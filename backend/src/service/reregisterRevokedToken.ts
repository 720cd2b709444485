/**
 * Refurbishing a returned fob (issue 16.7): the fob keeps its serial through WIPE (SPEC.md), so
 * the factory station registers a new seed under the same serial. The backend takes it only
 * when the serial's token is `revoked` (support's deliberate act: `fobkit wipe --revoke`, or
 * `POST /v1/tokens/{serial}/revoke`); any other state keeps answering 409 CONFLICT to a different
 * seed, so a station can never overwrite a fob in use. The token starts over as a new one
 * (`pending`, enabled, no user, no drift, failure or replay history); the old seed is gone, and
 * the audit log keeps the story (`token.reregister`, with the state it came from). The revoked
 * serial is released from its reservation: the re-registering key becomes its owner
 * (`owner_key`), so only it (or an admin) activates the refurbished fob.
 */
import type { OtpProfile } from './tokens.js';
import { aad, type TokenRow } from '../store/rows.js';
import type { DbExecutor } from '../store/db.js';
import { initialDrift } from '../otp/driftModel.js';
import type { BackendContext } from './context.js';

export interface ReregisterInput extends OtpProfile {
  serial: string;
  secret: Uint8Array;
  model?: string;
  batch?: string;
  provisionedAt: number;
  clockOffset: number;
}

/**
 * Replaces the revoked token's seed and profile inside the caller's transaction.
 * @returns false when the row is no longer revoked (raced): the caller compares again.
 */
export async function reregisterRevokedToken(ctx: BackendContext, tx: DbExecutor, existing: TokenRow, input: ReregisterInput, ownerKey: string): Promise<boolean> {
  if (existing.state !== 'revoked') return false;
  const now = ctx.clock();
  const { kid, blob } = ctx.keyring.encrypt(input.secret, aad.tokenSeed(input.serial));
  const drift = initialDrift(input.provisionedAt, input.clockOffset, ctx.policy.drift);
  const { changes } = await tx.run(
    `UPDATE tokens SET model = ?, batch = ?, source = 'station', seed_enc = ?, kek_id = ?, algorithm = ?, digits = ?, period = ?, t0 = ?,
       provisioned_at = ?, clock_offset = ?, state = 'pending', enabled = 1, user_id = NULL, last_step = -1, used_steps = '', used_floor = -1, last_used = NULL,
       anchor_time = ?, anchor_offset = ?, anchor_err = ?, rate_lo = ?, rate_hi = ?, fail_count = 0, fail_last = NULL, locked_until = NULL, owner_key = ?, updated_at = ?
     WHERE serial = ? AND state = 'revoked'`,
    [input.model ?? existing.model, input.batch ?? existing.batch, blob, kid, input.algorithm, input.digits, input.period, input.t0,
      input.provisionedAt, input.clockOffset, drift.anchorTime, drift.anchorOffset, drift.anchorErr, drift.rateLo, drift.rateHi, ownerKey, now, input.serial],
  );
  // The held copy of the old seed (validation's key cache) must not outlive it.
  if (changes === 1) ctx.otpKeys.forget(aad.tokenSeed(input.serial));
  return changes === 1;
}
