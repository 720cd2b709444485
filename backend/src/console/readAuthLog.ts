/**
 * The console's one way to the authentication log (a table another change adds, with
 * `GET /v1/users/{user}/auth-log`). Until that table exists this returns []; after the merge, point the query below at the real columns (or call that change's
 * service function) and nothing else in the console changes.
 */
import type { BackendContext } from '../service/context.js';

export interface AuthLogEntry {
  at: number;
  /** 'hardware' | 'app' | null when no factor decided. */
  factor: string | null;
  serial: string | null;
  ok: boolean;
  /** Why a refusal was refused (mismatch, replayed, locked-out, …); null on success. */
  reason: string | null;
}

export const AUTH_LOG_TABLE = 'auth_log';

export async function tableExists(ctx: BackendContext, table: string): Promise<boolean> {
  const row = ctx.db.dialect === 'sqlite'
    ? await ctx.db.get<{ n: string }>("SELECT name AS n FROM sqlite_master WHERE type = 'table' AND name = ?", [table])
    : await ctx.db.get<{ n: string | null }>('SELECT to_regclass(?)::text AS n', [table]);
  return row !== undefined && row.n !== null;
}

/** The user's newest authentication attempts, newest first; [] when the log does not exist yet. */
export async function readAuthLog(ctx: BackendContext, user: string, limit = 20): Promise<AuthLogEntry[]> {
  if (!(await tableExists(ctx, AUTH_LOG_TABLE))) return [];
  const rows = await ctx.db.all<Record<string, unknown>>(`SELECT * FROM ${AUTH_LOG_TABLE} WHERE user_id = ? ORDER BY at DESC LIMIT ?`, [user, limit]);
  return rows.map((r) => ({
    at: Number(r.at),
    factor: typeof r.factor === 'string' ? r.factor : null,
    serial: typeof r.serial === 'string' ? r.serial : null,
    ok: r.ok === true || r.ok === 1 || r.ok === '1',
    reason: typeof r.reason === 'string' ? r.reason : null,
  }));
}
