/**
 * Bulk fixtures for benchmarks: many assigned fobs inserted straight into the tables in large
 * transactions (encrypted under the KEK like any other), without the per-fob audit entries a
 * real registration writes. Never used by the service itself.
 */
import { aad } from '../store/rows.js';
import { initialDrift } from '../otp/driftModel.js';
import type { BackendContext } from '../service/context.js';

export interface FixtureFob {
  serial: string;
  user: string;
  seed: Uint8Array;
}

export async function insertFixtureFobs(ctx: BackendContext, fobs: readonly FixtureFob[], provisionedAt: number, batchSize = 1000): Promise<void> {
  const drift = initialDrift(provisionedAt, 0, ctx.policy.drift);
  for (let i = 0; i < fobs.length; i += batchSize) {
    const batch = fobs.slice(i, i + batchSize);
    await ctx.db.transaction(async (tx) => {
      for (const f of batch) {
        const { kid, blob } = ctx.keyring.encrypt(f.seed, aad.tokenSeed(f.serial));
        await tx.run(
          `INSERT INTO tokens (serial, model, batch, source, seed_enc, kek_id, algorithm, digits, period, t0, provisioned_at, clock_offset,
            state, enabled, user_id, anchor_time, anchor_offset, anchor_err, rate_lo, rate_hi, created_at, updated_at)
           VALUES (?, 'FK-1', 'bench', 'import', ?, ?, 'sha1', 6, 60, 0, ?, 0, 'assigned', 1, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [f.serial, blob, kid, provisionedAt, f.user, drift.anchorTime, drift.anchorOffset, drift.anchorErr, drift.rateLo, drift.rateHi, provisionedAt, provisionedAt]);
        await tx.run('INSERT INTO users (user_id, created_at) VALUES (?, ?)', [f.user, provisionedAt]);
      }
    });
  }
}
