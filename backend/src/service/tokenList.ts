/**
 * GET /v1/tokens: support's list and search of fobs, by serial prefix, user, state and batch,
 * in serial order, a page at a time (the cursor is the last serial of the page). Rows carry
 * what support decides with, never seed material.
 */
import { BackendError } from '../errors.js';
import { TOKEN_STATES, type TokenState } from '../store/rows.js';
import type { BackendContext } from './context.js';

export const MAX_TOKEN_PAGE = 500;
const DEFAULT_TOKEN_PAGE = 50;
const SERIALISH = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;

export interface TokenListQuery {
  prefix?: string;
  user?: string;
  state?: TokenState;
  batch?: string;
  limit: number;
  cursor?: string;
}

export interface TokenListItem {
  serial: string;
  model: string | null;
  batch: string | null;
  state: TokenState;
  enabled: boolean;
  user: string | null;
  provisionedAt: number;
  lastUsed: number | null;
}

/** Reads and checks the query string. @throws BackendError INVALID_REQUEST */
export function parseTokenListQuery(q: URLSearchParams, userPattern: RegExp): TokenListQuery {
  const bad = (m: string): never => {
    throw new BackendError('INVALID_REQUEST', m);
  };
  for (const k of q.keys()) if (!['prefix', 'user', 'state', 'batch', 'limit', 'cursor'].includes(k)) bad(`unknown query parameter '${k}' (prefix, user, state, batch, limit, cursor)`);
  const get = (k: string): string | undefined => q.get(k) ?? undefined;
  const out: TokenListQuery = { limit: DEFAULT_TOKEN_PAGE };
  const prefix = get('prefix');
  if (prefix !== undefined && prefix !== '') out.prefix = SERIALISH.test(prefix) ? prefix : bad('prefix must be the start of a serial: letters, digits, _ . -');
  const user = get('user');
  if (user !== undefined) out.user = userPattern.test(user) ? user : bad('user must be 1 to 128 letters, digits or . _ @ + \\ -');
  const state = get('state');
  if (state !== undefined) out.state = (TOKEN_STATES as readonly string[]).includes(state) ? (state as TokenState) : bad(`state must be one of ${TOKEN_STATES.join(', ')}`);
  const batch = get('batch');
  if (batch !== undefined) out.batch = batch.length >= 1 && batch.length <= 64 && !/\p{Cc}/u.test(batch) ? batch : bad('batch must be 1 to 64 printable characters');
  const limit = get('limit');
  if (limit !== undefined) {
    const n = Number(limit);
    out.limit = Number.isInteger(n) && n >= 1 && n <= MAX_TOKEN_PAGE ? n : bad(`limit must be 1 to ${MAX_TOKEN_PAGE}`);
  }
  const cursor = get('cursor');
  if (cursor !== undefined && cursor !== '') out.cursor = SERIALISH.test(cursor) ? cursor : bad('cursor must be a serial (the last one of the previous page)');
  return out;
}

export async function listTokens(ctx: BackendContext, q: TokenListQuery): Promise<{ tokens: TokenListItem[]; next: string | null }> {
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (q.prefix !== undefined) {
    // substr, not LIKE: LIKE's case rules differ between SQLite and PostgreSQL.
    where.push('substr(serial, 1, ?) = ?');
    args.push(q.prefix.length, q.prefix);
  }
  const add = (clause: string, value: string | undefined): void => {
    if (value === undefined) return;
    where.push(clause);
    args.push(value);
  };
  add('user_id = ?', q.user);
  add('state = ?', q.state);
  add('batch = ?', q.batch);
  add('serial > ?', q.cursor);
  const rows = await ctx.db.all<{ serial: string; model: string | null; batch: string | null; state: TokenState; enabled: number; user_id: string | null; provisioned_at: number; last_used: number | null }>(
    `SELECT serial, model, batch, state, enabled, user_id, provisioned_at, last_used FROM tokens${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY serial LIMIT ?`,
    [...args, q.limit + 1]);
  const page = rows.slice(0, q.limit);
  return {
    tokens: page.map((r) => ({ serial: r.serial, model: r.model, batch: r.batch, state: r.state, enabled: r.enabled === 1, user: r.user_id, provisionedAt: r.provisioned_at, lastUsed: r.last_used })),
    next: rows.length > q.limit ? page[page.length - 1]!.serial : null,
  };
}
