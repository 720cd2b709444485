/**
 * The growing delay after failed authentications: the first few failures are free (a station
 * with a stale certificate retries), then each further failure doubles the wait, up to a cap, so
 * an attacker at the USB port gets a handful of guesses per hour. The streak is kept in flash (a
 * power cycle does not reset it); the moment of the last failure is kept in RAM, so after a
 * reboot the wait starts again from boot, as on a real MCU without a running clock of its own.
 */

export const FREE_AUTH_FAILURES = 3;
export const FIRST_DELAY_MS = 1_000;
export const MAX_DELAY_MS = 15 * 60_000;

/** The wait imposed after `streak` consecutive failures, milliseconds. */
export function authDelayMs(streak: number): number {
  if (streak <= FREE_AUTH_FAILURES) return 0;
  return Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (streak - FREE_AUTH_FAILURES - 1));
}

/** Milliseconds the station must still wait at true time `now`, or 0. */
export function authRetryAfterMs(streak: number, lastFailureAt: number, now: number): number {
  const wait = authDelayMs(streak) - (now - lastFailureAt) * 1000;
  return wait > 0 ? Math.ceil(wait) : 0;
}
