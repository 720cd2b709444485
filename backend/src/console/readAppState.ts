/**
 * The console's one way to a user's app factor and its enrolment state. Today an app factor is
 * active from enrolment on; another change adds a pending state (enrolled, not yet confirmed
 * with a first code). This reads a `state` column when the row has one and says `active`
 * otherwise, so the console shows the right state before and after that change lands.
 */
import type { BackendContext } from '../service/context.js';

export interface AppFactorView {
  id: string;
  label: string | null;
  state: 'active' | 'pending' | string;
  algorithm: string;
  digits: number;
  period: number;
  createdAt: number;
}

export async function readAppState(ctx: BackendContext, user: string): Promise<AppFactorView | null> {
  // SELECT *: picks up the state column when it exists without naming it (never the seed: it is dropped below).
  const row = await ctx.db.get<Record<string, unknown>>('SELECT * FROM app_factors WHERE user_id = ? AND revoked_at IS NULL', [user]);
  if (!row) return null;
  return {
    id: String(row.id),
    label: typeof row.label === 'string' ? row.label : null,
    state: typeof row.state === 'string' ? row.state : 'active',
    algorithm: String(row.algorithm),
    digits: Number(row.digits),
    period: Number(row.period),
    createdAt: Number(row.created_at),
  };
}
