/**
 * Bounded retries with exponential backoff and full jitter (the AWS architecture blog's
 * "full jitter": a fleet of stations that lost the network together does not come back in step).
 */

export interface BackoffOptions {
  /** Total attempts including the first. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Injected so tests need no real sleep. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  signal?: AbortSignal;
}

export function sleepMs(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = (): void => { clearTimeout(t); reject(signal!.reason); };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The delay before retry number `attempt` (1-based). */
export function backoffDelayMs(attempt: number, baseDelayMs: number, maxDelayMs: number, random: () => number = Math.random): number {
  const cap = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(attempt - 1, 20));
  return Math.round(cap / 2 + (random() * cap) / 2);
}

/**
 * Calls `fn` until it succeeds, `isRetryable(error)` is false, or the attempts are spent;
 * rethrows the last error.
 */
export async function retryWithBackoff<T>(fn: (attempt: number) => Promise<T>, isRetryable: (e: unknown) => boolean, options: BackoffOptions): Promise<T> {
  const { attempts, baseDelayMs, maxDelayMs, sleep = sleepMs, random = Math.random, signal } = options;
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > 100) throw new RangeError('attempts must be 1 to 100');
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (attempt >= attempts || !isRetryable(e) || signal?.aborted) throw e;
      await sleep(backoffDelayMs(attempt, baseDelayMs, maxDelayMs, random), signal);
    }
  }
}
