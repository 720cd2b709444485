/**
 * The SQL throttle (throttleSql.ts) and the JavaScript one (throttle.ts) must agree: the atomic
 * statements decide, the JavaScript explains a refusal (reason, retryAfter) and gates the common
 * case before any write. Every combination of count, age of the last failure and lockout, run in
 * a real (in-memory) SQLite database.
 */
import { describe, expect, it } from 'vitest';
import { openSqliteDb } from '../store/sqliteDb.js';
import { throttleSql } from './throttleSql.js';
import { liveFailures, throttleVerdict, type ThrottlePolicy } from './throttle.js';

const POLICIES: ThrottlePolicy[] = [
  { freeFailures: 3, baseDelaySeconds: 1, maxDelaySeconds: 60, lockoutFailures: 10, lockoutSeconds: 900 },
  { freeFailures: 0, baseDelaySeconds: 0.5, maxDelaySeconds: 5, lockoutFailures: 4, lockoutSeconds: 30 },
  { freeFailures: 10, baseDelaySeconds: 1, maxDelaySeconds: 60, lockoutFailures: 10, lockoutSeconds: 900 },
  { freeFailures: 0, baseDelaySeconds: 1, maxDelaySeconds: 60, lockoutFailures: 1, lockoutSeconds: 60 },
];
const NOW = 1_000_000;

describe.each(POLICIES)('throttleSql with %o', (p) => {
  it('allows exactly what throttleVerdict allows, and counts a failure as the old recordFailure did', async () => {
    const db = openSqliteDb(':memory:');
    await db.exec('CREATE TABLE users (user_id TEXT PRIMARY KEY, fail_count INTEGER NOT NULL, fail_last REAL, locked_until REAL)');
    const t = throttleSql(p, 'sqlite');
    const f = t.failure('users');
    const ages = [null, 0, 0.25, 0.5, 1, 1.5, 2, 3, 4, 7.9, 8, 16, 31.9, 32, 59, 60, 61, p.lockoutSeconds - 0.001, p.lockoutSeconds, p.lockoutSeconds + 1];
    const locks = [null, NOW - 1, NOW, NOW + 0.001, NOW + 100];
    let n = 0;
    for (let count = 0; count <= p.lockoutFailures + 1; count++) {
      for (const age of ages) {
        for (const locked of locks) {
          const state = { failCount: age === null ? 0 : count, failLast: age === null ? null : NOW - age, lockedUntil: locked };
          const id = `u${n++}`;
          await db.run('INSERT INTO users VALUES (?, ?, ?, ?)', [id, state.failCount, state.failLast, state.lockedUntil]);
          const verdict = throttleVerdict(state, NOW, p);
          const sqlAllowed = await db.get(`SELECT 1 AS a FROM users WHERE user_id = ? AND ${t.allowed('')}`, [id, ...t.allowedParams(NOW)]);
          expect({ state, allowed: sqlAllowed !== undefined }).toEqual({ state, allowed: verdict.allowed });
          const row = await db.get<{ fail_count: number; locked_until: number | null }>(f.sql, f.params(NOW, id));
          if (!verdict.allowed) {
            expect(row).toBeUndefined();
            continue;
          }
          const expected = liveFailures(state, NOW, p) + 1;
          expect({ state, row }).toEqual({ state, row: { fail_count: expected, locked_until: expected >= p.lockoutFailures ? NOW + p.lockoutSeconds : null } });
        }
      }
    }
    await db.close();
  });
});
