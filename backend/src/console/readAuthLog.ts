/**
 * The console's one way to the authentication log (backend/src/audit/authLog.ts, the same
 * entries as `GET /v1/users/{user}/auth-log`), shaped for the user page.
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

/** The user's newest authentication attempts, newest first. */
export async function readAuthLog(ctx: BackendContext, user: string, limit = 20): Promise<AuthLogEntry[]> {
  const entries = await ctx.authLog.list({ user }, limit);
  return entries.map((e) => ({ at: e.at, factor: e.factor === 'none' ? null : e.factor, serial: e.serial, ok: e.result === 'ok', reason: e.reason }));
}
