/**
 * Login throttling for the console, in memory (one process; a restart forgets, which costs an
 * attacker nothing they could not get by waiting). The console keeps one by operator name and
 * one by client address, so one name guessed from many addresses and many names from one
 * address are both slowed. The first `freeFailures` failures cost nothing; after that each failure
 * doubles a wait (from `baseDelaySeconds` up to `maxDelaySeconds`) during which every attempt
 * for that key is refused without checking the password. A success clears the name's count.
 */
import type { Clock } from '../service/context.js';

export interface LoginThrottlePolicy {
  freeFailures: number;
  baseDelaySeconds: number;
  maxDelaySeconds: number;
  /** Failures older than this are forgotten. */
  forgetSeconds: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottlePolicy = { freeFailures: 5, baseDelaySeconds: 2, maxDelaySeconds: 300, forgetSeconds: 3600 };
/** Bounded memory: past this many tracked keys the oldest are dropped. */
const MAX_KEYS = 10_000;

export interface LoginThrottle {
  /** Seconds to wait before `keys` may try again; 0 when they may try now. */
  retryAfter(keys: readonly string[]): number;
  failed(keys: readonly string[]): void;
  succeeded(keys: readonly string[]): void;
}

export function createLoginThrottle(clock: Clock, policy: LoginThrottlePolicy = DEFAULT_LOGIN_THROTTLE): LoginThrottle {
  const entries = new Map<string, { count: number; last: number; until: number }>();
  const live = (key: string, now: number) => {
    const e = entries.get(key);
    if (e && now - e.last > policy.forgetSeconds) {
      entries.delete(key);
      return undefined;
    }
    return e;
  };
  return {
    retryAfter(keys) {
      const now = clock();
      return Math.max(0, ...keys.map((k) => Math.ceil((live(k, now)?.until ?? 0) - now)));
    },
    failed(keys) {
      const now = clock();
      for (const k of keys) {
        const e = live(k, now) ?? { count: 0, last: now, until: 0 };
        e.count++;
        e.last = now;
        const over = e.count - policy.freeFailures;
        if (over > 0) e.until = now + Math.min(policy.maxDelaySeconds, policy.baseDelaySeconds * 2 ** Math.min(over - 1, 30));
        entries.delete(k);
        entries.set(k, e);
        if (entries.size > MAX_KEYS) entries.delete(entries.keys().next().value!);
      }
    },
    succeeded(keys) {
      for (const k of keys) entries.delete(k);
    },
  };
}
