/**
 * The throttle of throttle.ts as SQL, so that the decision "may this attempt be answered?" and
 * the failure count are one atomic statement on the subject's row (a user or a fob). Reading the
 * count and then writing it as two statements let a concurrent burst all read "no failures"
 * (issue 15: 500 of 500 guesses answered on PostgreSQL). A conditional `UPDATE … WHERE <allowed>`
 * is atomic in both databases: SQLite runs one writer at a time and takes the write lock before
 * the statement reads; PostgreSQL locks the row and re-evaluates the WHERE on its newest version.
 *
 * The predicate mirrors `throttleVerdict` exactly (a test holds them together): locked until a
 * time → refused until then, and an ended lockout forgets every failure; otherwise failures older
 * than the lockout time are forgotten, and after the free ones each attempt waits the doubling
 * delay after the last failure. The policy's numbers are written into the SQL as literals (they
 * are numbers validated at start-up), so the text is the same for every request and the
 * drivers' prepared statements are reused; only `now` and the derived times are parameters.
 */
import type { Dialect, SqlValue } from '../store/db.js';
import { delayAfter, type ThrottlePolicy } from './throttle.js';

export type ThrottleTable = 'users' | 'tokens';

export interface ThrottleSql {
  /**
   * A predicate on the row of `alias` (e.g. `u.`; '' for the updated table itself): may an
   * attempt be answered at now? Takes {@link ThrottleSql.allowedParams} at its place.
   */
  allowed(alias: string): string;
  allowedParams(now: number): SqlValue[];
  /**
   * Counts one failure on the subject, only if an attempt is allowed now, starting the lockout
   * when the count reaches the limit. RETURNING fail_count, locked_until: no row means the attempt
   * was refused (nothing counted); a non-null locked_until means this failure began a lockout.
   */
  failure(table: ThrottleTable): { sql: string; params(now: number, id: string): SqlValue[] };
  /**
   * For the success statements: an EXISTS on the user's row being allowed now, locking that row
   * on PostgreSQL (FOR UPDATE) so a concurrent failure that locks the user out is seen.
   */
  userAllowed: string;
  userAllowedParams(now: number, user: string): SqlValue[];
}

function literal(n: number): string {
  if (!Number.isFinite(n)) throw new RangeError(`throttle policy value ${n} is not a finite number`);
  return String(n);
}

/**
 * The delay after `fail_count` failures, as a CASE over the counts whose delay still grows: it
 * doubles until its cap, and delayAfter stops doubling after 31 steps, so at most 32 arms and
 * an ELSE that is the delay of every larger count (even one above the lockout limit, which a
 * lowered `--lockout-failures` can leave behind).
 */
function delayCase(alias: string, p: ThrottlePolicy): string {
  const arms: string[] = [`WHEN ${alias}fail_count <= ${literal(p.freeFailures)} THEN 0`];
  let n = p.freeFailures + 1;
  for (; n <= p.freeFailures + 31 && delayAfter(n, p) < p.maxDelaySeconds; n++) arms.push(`WHEN ${alias}fail_count = ${n} THEN ${literal(delayAfter(n, p))}`);
  return `CASE ${arms.join(' ')} ELSE ${literal(delayAfter(n, p))} END`;
}

const cache = new WeakMap<ThrottlePolicy, Map<Dialect, ThrottleSql>>();

/** The throttle statements of one policy (built once per policy and dialect). */
export function throttleSql(p: ThrottlePolicy, dialect: Dialect): ThrottleSql {
  let byDialect = cache.get(p);
  if (!byDialect) cache.set(p, (byDialect = new Map()));
  let s = byDialect.get(dialect);
  if (!s) byDialect.set(dialect, (s = build(p, dialect)));
  return s;
}

function build(p: ThrottlePolicy, dialect: Dialect): ThrottleSql {
  // Parameters in order: now, forget (= now - lockoutSeconds), now.
  const allowed = (a: string): string =>
    `(CASE WHEN ${a}locked_until IS NOT NULL THEN ${a}locked_until <= ? ELSE (${a}fail_last IS NULL OR ${a}fail_last <= ? OR ${a}fail_last + ${delayCase(a, p)} <= ?) END)`;
  const allowedParams = (now: number): SqlValue[] => [now, now - p.lockoutSeconds, now];
  // (The CAST: PostgreSQL cannot infer a parameter's type from CASE … ELSE NULL; SQLite reads it as REAL.)
  // Within an allowed attempt, a set locked_until is an ended lockout: it forgets the failures.
  const forgotten = '(locked_until IS NOT NULL OR fail_last IS NULL OR fail_last <= ?)';
  const locks = p.lockoutFailures <= 1 ? '1 = 1' : `NOT ${forgotten} AND fail_count + 1 >= ${literal(p.lockoutFailures)}`;
  const locksParams = (now: number): SqlValue[] => (p.lockoutFailures <= 1 ? [] : [now - p.lockoutSeconds]);
  const failureStatements = new Map<ThrottleTable, { sql: string; params(now: number, id: string): SqlValue[] }>();
  for (const table of ['users', 'tokens'] as const) {
    const key = table === 'users' ? 'user_id' : 'serial';
    failureStatements.set(table, {
      sql: `UPDATE ${table} SET
        fail_count = CASE WHEN ${forgotten} THEN 1 ELSE fail_count + 1 END,
        locked_until = CASE WHEN ${locks} THEN CAST(? AS DOUBLE PRECISION) ELSE NULL END,
        fail_last = ?
      WHERE ${key} = ? AND ${allowed('')}
      RETURNING fail_count, locked_until`,
      params: (now, id) => [now - p.lockoutSeconds, ...locksParams(now), now + p.lockoutSeconds, now, id, ...allowedParams(now)],
    });
  }
  return {
    allowed,
    allowedParams,
    failure: (table) => failureStatements.get(table)!,
    userAllowed: `EXISTS (SELECT 1 FROM users u WHERE u.user_id = ? AND ${allowed('u.')}${dialect === 'postgres' ? ' FOR UPDATE' : ''})`,
    userAllowedParams: (now, user) => [user, ...allowedParams(now)],
  };
}
