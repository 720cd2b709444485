/**
 * The console's search: users by any part of their name (case-insensitive), fobs by serial
 * prefix, narrowed by batch and state. Bounded: at most `limit` of each.
 */
import type { BackendContext } from '../service/context.js';
import type { TokenState } from '../store/rows.js';

export interface SearchQuery {
  q: string;
  state?: TokenState;
  batch?: string;
  limit?: number;
}

export interface SearchResult {
  users: { user: string; serial: string | null; lockedUntil: number | null }[];
  tokens: { serial: string; state: TokenState; enabled: boolean; user: string | null; batch: string | null; model: string | null; lastUsed: number | null }[];
  /** True when a list was cut at the limit. */
  more: boolean;
}

/** LIKE with the user's text taken literally (its % and _ are not wildcards). */
const likeText = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export async function searchDirectory(ctx: BackendContext, query: SearchQuery): Promise<SearchResult> {
  const limit = query.limit ?? 50;
  const q = query.q.trim();
  const now = ctx.clock();
  const users = q === '' || query.state || query.batch ? [] : await ctx.db.all<{ user_id: string; serial: string | null; locked_until: number | null }>(
    `SELECT u.user_id, t.serial, u.locked_until FROM users u LEFT JOIN tokens t ON t.user_id = u.user_id AND t.state = 'assigned'
     WHERE LOWER(u.user_id) LIKE ? ESCAPE '\\' ORDER BY u.user_id LIMIT ?`, [`%${likeText(q.toLowerCase())}%`, limit + 1]);
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (q !== '') {
    // A serial prefix, or the user a fob is assigned to.
    where.push("(UPPER(serial) LIKE ? ESCAPE '\\' OR LOWER(COALESCE(user_id, '')) LIKE ? ESCAPE '\\')");
    params.push(`${likeText(q.toUpperCase())}%`, `%${likeText(q.toLowerCase())}%`);
  }
  if (query.state) {
    where.push('state = ?');
    params.push(query.state);
  }
  if (query.batch) {
    where.push('batch = ?');
    params.push(query.batch);
  }
  const tokens = where.length === 0 ? [] : await ctx.db.all<{ serial: string; state: TokenState; enabled: number; user_id: string | null; batch: string | null; model: string | null; last_used: number | null }>(
    `SELECT serial, state, enabled, user_id, batch, model, last_used FROM tokens WHERE ${where.join(' AND ')} ORDER BY serial LIMIT ?`, [...params, limit + 1]);
  return {
    users: users.slice(0, limit).map((u) => ({ user: u.user_id, serial: u.serial, lockedUntil: u.locked_until !== null && u.locked_until > now ? u.locked_until : null })),
    tokens: tokens.slice(0, limit).map((t) => ({ serial: t.serial, state: t.state, enabled: t.enabled === 1, user: t.user_id, batch: t.batch, model: t.model, lastUsed: t.last_used })),
    more: users.length > limit || tokens.length > limit,
  };
}
