/**
 * Brute-force throttling, per fob and per user: the first few failures are free, then each
 * further attempt must wait a delay that doubles per failure (bounded), and after enough
 * failures the subject is locked out for a fixed time. Everything clears itself: a lockout ends
 * on its own and failures older than the lockout time are forgotten, so a stranger typing wrong
 * codes cannot deny a user service for longer than one lockout. A success resets the count.
 */

export interface ThrottlePolicy {
  /** Failures allowed before any delay. */
  freeFailures: number;
  /** The delay after the first failure beyond the free ones, doubling after each further one. */
  baseDelaySeconds: number;
  maxDelaySeconds: number;
  /** Failures (within the memory) that lock the subject out. */
  lockoutFailures: number;
  /** How long a lockout lasts; also how long a failure is remembered. */
  lockoutSeconds: number;
}

export interface ThrottleState {
  failCount: number;
  failLast: number | null;
  lockedUntil: number | null;
}

export type ThrottleVerdict = { allowed: true } | { allowed: false; reason: 'locked-out' | 'rate-limited'; retryAfter: number };

/** The failure count that still counts at `now` (old failures and ended lockouts are forgotten). */
export function liveFailures(s: ThrottleState, now: number, p: ThrottlePolicy): number {
  if (s.failCount === 0 || s.failLast === null) return 0;
  if (s.lockedUntil !== null && now >= s.lockedUntil) return 0;
  if (now - s.failLast >= p.lockoutSeconds) return 0;
  return s.failCount;
}

export function delayAfter(failures: number, p: ThrottlePolicy): number {
  if (failures <= p.freeFailures) return 0;
  return Math.min(p.maxDelaySeconds, p.baseDelaySeconds * 2 ** Math.min(30, failures - p.freeFailures - 1));
}

/** May an attempt be checked at `now`? */
export function throttleVerdict(s: ThrottleState, now: number, p: ThrottlePolicy): ThrottleVerdict {
  if (s.lockedUntil !== null && now < s.lockedUntil) return { allowed: false, reason: 'locked-out', retryAfter: Math.ceil(s.lockedUntil - now) };
  const n = liveFailures(s, now, p);
  if (n === 0 || s.failLast === null) return { allowed: true };
  const until = s.failLast + delayAfter(n, p);
  if (now < until) return { allowed: false, reason: 'rate-limited', retryAfter: Math.max(1, Math.ceil(until - now)) };
  return { allowed: true };
}
