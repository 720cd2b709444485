/**
 * `searchTokens`: support's list of fobs through GET /v1/tokens, following the cursor page by
 * page up to `max` rows (bounded: a search never pulls a whole fleet by accident). `term`
 * searches both ways a person names a fob: the start of its serial and its user.
 */
import type { SupportClient, TokenListItem, TokenQuery } from '../backendApi/supportClient.js';

export interface SearchTokensResult {
  tokens: TokenListItem[];
  /** The cursor to go on from, when `max` stopped the walk before the last page. */
  next: string | null;
}

const SERIALISH = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;

export async function searchTokens(o: { backend: SupportClient; query?: Omit<TokenQuery, 'limit'>; term?: string; max?: number }): Promise<SearchTokensResult> {
  const max = o.max ?? 100;
  if (!Number.isInteger(max) || max < 1 || max > 100_000) throw new RangeError('max must be 1 to 100000');
  if (o.term !== undefined) {
    const term = o.term.trim();
    if (term === '') throw new RangeError('the search term is empty');
    const queries: TokenQuery[] = [{ ...o.query, user: term }];
    if (SERIALISH.test(term)) queries.unshift({ ...o.query, prefix: term.toUpperCase() }, ...(term.toUpperCase() !== term ? [{ ...o.query, prefix: term }] : []));
    const seen = new Map<string, TokenListItem>();
    let next: string | null = null;
    for (const q of queries) {
      const r = await walk(o.backend, q, max);
      for (const t of r.tokens) seen.set(t.serial, t);
      next ??= r.next;
    }
    return { tokens: [...seen.values()].sort((a, b) => (a.serial < b.serial ? -1 : a.serial > b.serial ? 1 : 0)).slice(0, max), next };
  }
  return walk(o.backend, o.query ?? {}, max);
}

async function walk(backend: SupportClient, q: TokenQuery, max: number): Promise<SearchTokensResult> {
  const tokens: TokenListItem[] = [];
  let cursor = q.cursor;
  for (;;) {
    const page = await backend.listTokens({ ...q, cursor, limit: Math.min(500, max - tokens.length) });
    tokens.push(...page.tokens);
    if (!page.next) return { tokens, next: null };
    if (tokens.length >= max) return { tokens, next: page.next };
    cursor = page.next;
  }
}
