/**
 * Brute force under concurrency (issue 15, item 1): a burst of 500 wrong codes with the right
 * code at a random place in it, all in flight at once, against SQLite, one PostgreSQL backend,
 * and two PostgreSQL backends sharing one database. The throttle decision and the failure count
 * are one atomic step, so no more than the lockout limit of guesses is ever answered (a guess is
 * answered when its answer says whether it matched: `mismatch`, or ok), and once locked the
 * right code is refused like any other. The count comes from the answers themselves and, as
 * witnesses, from the fob's and the user's failure counters and from the auth log.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { randomInt } from 'node:crypto';
import { generateHotp } from '@fobkit/protocol/otp';
import { createTestDatabase, databaseKinds, registerFob, startTestBackend, testClock, type TestBackend, type TestDatabase } from '../backend/src/testing/harness.js';

const kinds = await databaseKinds('backend-throttle');
const PERIOD = 60;
const S = 30_000_000;
const START = S * PERIOD + 10;
const LIMIT = 10;
const BURST = 500;
// No growing delay before the limit: the burst is bounded by the lockout alone, the hardest case
// (with the default delays even fewer guesses are answered).
const POLICY = { throttle: { freeFailures: LIMIT, baseDelaySeconds: 1, maxDelaySeconds: 60, lockoutFailures: LIMIT, lockoutSeconds: 900 } };

type Answer = { ok: boolean; reason?: string };

const setups: { name: string; kind: 'sqlite' | 'postgres'; instances: number }[] = [
  { name: 'SQLite, one backend', kind: 'sqlite', instances: 1 },
  { name: 'SQLite, two backends on one file', kind: 'sqlite', instances: 2 },
  ...(kinds.includes('postgres') ? [{ name: 'PostgreSQL, one backend', kind: 'postgres' as const, instances: 1 }, { name: 'PostgreSQL, two backends on one database', kind: 'postgres' as const, instances: 2 }] : []),
];

describe.each(setups)('a burst of $name', ({ kind, instances }) => {
  let db: TestDatabase;
  const backends: TestBackend[] = [];
  afterAll(async () => {
    for (const b of backends) await b.close();
    await db?.cleanup();
  });

  it(`answers at most ${LIMIT} of ${BURST} concurrent wrong codes and refuses the right one while locked`, { timeout: 120_000 }, async () => {
    db = await createTestDatabase(kind);
    const clock = testClock(START);
    for (let i = 0; i < instances; i++) backends.push(await startTestBackend({ db, clock, policy: POLICY }));
    const [t] = backends as [TestBackend];
    const fob = await registerFob(t, { user: 'victim', provisionedAt: START - 3600 });
    const right = generateHotp({ secret: fob.seed, counter: S });
    const wrongs = new Set<string>();
    for (let d = -3; d <= 3; d++) wrongs.add(generateHotp({ secret: fob.seed, counter: S + d }));
    const codes: string[] = [];
    while (codes.length < BURST) {
      const c = String(randomInt(1_000_000)).padStart(6, '0');
      if (!wrongs.has(c)) codes.push(c);
    }
    // The right code somewhere after the first few: the ones before it reach the server first.
    const at = randomInt(5 * LIMIT, BURST + 1);
    codes.splice(at, 0, right);

    const answers = await Promise.all(codes.map(async (code, i): Promise<Answer> => {
      const res = await fetch(`${backends[i % instances]!.url}/v1/validate`, {
        method: 'POST', headers: { authorization: `Bearer ${t.keys.validator}`, 'content-type': 'application/json' }, body: JSON.stringify({ user: 'victim', code }),
      });
      expect(res.status).toBe(200);
      return (await res.json()) as Answer;
    }));

    const answered = answers.filter((a) => a.ok || a.reason === 'mismatch');
    expect(answered.length).toBeLessThanOrEqual(LIMIT);
    expect(answers[at]).toEqual({ ok: false, reason: 'locked-out', retryAfter: 900 });
    const refused = answers.filter((a) => !a.ok && a.reason !== 'mismatch');
    expect(new Set(refused.map((a) => a.reason))).toEqual(new Set(['locked-out']));
    expect(answered.length + refused.length).toBe(BURST + 1);

    // The database's counters: exactly the answered failures, on the user and on the fob.
    const user = await t.call<{ failures: { count: number; lockedUntil: number | null } }>('support', 'GET', '/v1/users/victim');
    expect(user.body.failures).toEqual({ count: answered.length, lastAt: START, lockedUntil: START + 900 });
    const token = await t.call<{ failures: { count: number; lockedUntil: number | null } }>('support', 'GET', `/v1/tokens/${fob.serial}`);
    expect(token.body.failures.count).toBe(answered.length);

    // The auth log's witness: every attempt recorded, only the answered ones as checked. Each
    // instance's read flushes its own buffer; the last read sees them all.
    let entries: { result: string; reason: string | null }[] = [];
    for (const b of [...backends].reverse()) entries = (await b.call<{ entries: typeof entries }>('support', 'GET', '/v1/users/victim/auth-log?limit=1000')).body.entries;
    expect(entries).toHaveLength(BURST + 1);
    expect(entries.filter((e) => e.result === 'ok' || e.reason === 'mismatch')).toHaveLength(answered.length);

    // Still locked: the right code alone is refused too, and accepted once the lockout is over.
    const again = await t.call('validator', 'POST', '/v1/validate', { user: 'victim', code: right });
    expect(again.body).toEqual({ ok: false, reason: 'locked-out', retryAfter: 900 });
    clock.advance(900);
    const later = generateHotp({ secret: fob.seed, counter: S + 15 });
    expect((await t.call('validator', 'POST', '/v1/validate', { user: 'victim', code: later })).body).toEqual({ ok: true, factor: 'hardware', serial: fob.serial });
  });
});
