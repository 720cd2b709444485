/**
 * The outbox: delivers journaled registrations and activations to the backend, retrying with
 * backoff for as long as it takes, across restarts (the items live in the journal). A port waits
 * for its own fob's item with {@link StationOutbox.waitForRegistration}; nothing is locked before
 * the backend has acknowledged the registration.
 */
import { BackendError } from '../errors.js';
import type { StationBackend } from '../backendApi/backendClient.js';
import { backoffDelayMs } from '../backendApi/retryWithBackoff.js';
import type { StationJournal } from '../journal/stationJournal.js';

export interface StationOutboxOptions {
  journal: StationJournal;
  backend: StationBackend;
  clock?: () => number;
  /** Retry delays for one item, from `baseDelayMs` doubling up to `maxDelayMs`. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Called after every attempt (the display shows the waiting count). */
  onChange?: () => void;
}

export type DeliveryResult = 'acknowledged' | 'timeout';

interface Waiter {
  resolve: (r: DeliveryResult) => void;
  reject: (e: unknown) => void;
}

/**
 * Deliveries in flight at once. Above the port count of any hub we know of: each port's fob waits
 * for its own registration and activation, so a lower cap would queue fobs that finished together
 * (sixteen in lockstep waited for two waves at 8) behind each other for no reason. Backoff, not
 * this cap, is what protects a struggling backend.
 */
const MAX_PARALLEL = 64;

export class StationOutbox {
  private readonly journal: StationJournal;
  private readonly backend: StationBackend;
  private readonly clock: () => number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly listeners = new Set<() => void>();
  private readonly regWaiters = new Map<number, Set<Waiter>>();
  private readonly actWaiters = new Map<string, Set<Waiter>>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = true;
  private lastError: string | undefined;

  constructor(options: StationOutboxOptions) {
    this.journal = options.journal;
    this.backend = options.backend;
    this.clock = options.clock ?? (() => Date.now() / 1000);
    this.baseDelayMs = options.baseDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 30_000;
    if (options.onChange) this.listeners.add(options.onChange);
  }

  /** The last delivery error, for the operator ("backend unreachable: ECONNREFUSED"). */
  get lastDeliveryError(): string | undefined {
    return this.lastError;
  }

  start(): void {
    this.stopped = false;
    this.kick();
  }

  /** Stops retrying (items stay in the journal); waits for attempts in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.all(this.inFlight.values());
  }

  /**
   * Starts an attempt for every due item not already in flight (at most MAX_PARALLEL at once);
   * each finished attempt kicks again, so one slow request never holds up another fob's.
   */
  kick(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const now = this.clock();
    const start = (key: string, job: () => Promise<void>): void => {
      if (this.inFlight.has(key) || this.inFlight.size >= MAX_PARALLEL) return;
      const p = job().finally(() => {
        this.inFlight.delete(key);
        for (const l of [...this.listeners]) l();
        this.kick();
      });
      this.inFlight.set(key, p);
    };
    for (const id of this.journal.dueRegistrationIds(now, MAX_PARALLEL)) start(`r${id}`, () => this.deliverRegistration(id));
    for (const serial of this.journal.dueActivationSerials(now, MAX_PARALLEL)) start(`a${serial}`, () => this.deliverActivation(serial));
    if (this.inFlight.size === 0) this.schedule();
  }

  /** Resolves when everything due has been attempted (tests, shutdown). */
  async flush(): Promise<void> {
    this.kick();
    while (this.inFlight.size > 0) await Promise.all(this.inFlight.values());
  }

  private schedule(): void {
    if (this.stopped) return;
    const next = [this.journal.nextRegistrationAttemptAt(), this.journal.nextActivationAttemptAt()].filter((t): t is number => t !== undefined);
    if (next.length === 0) return;
    const delayMs = Math.max(20, (Math.min(...next) - this.clock()) * 1000);
    this.timer = setTimeout(() => { this.timer = undefined; this.kick(); }, Math.min(delayMs, 60_000));
    this.timer.unref?.();
  }

  /** Calls `listener` after every delivery attempt. Returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private retryAt(attempts: number): number {
    return this.clock() + backoffDelayMs(attempts + 1, this.baseDelayMs, this.maxDelayMs) / 1000;
  }

  private async deliverRegistration(id: number): Promise<void> {
    const reg = this.journal.getRegistration(id);
    if (reg.status !== 'pending') return;
    try {
      // A registration leaves the station only once its release is on disk.
      await this.journal.flush();
      await this.backend.register(reg);
      this.journal.acknowledgeRegistration(id);
      this.lastError = undefined;
      this.settle(this.regWaiters, id, (w) => w.resolve('acknowledged'));
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      if (e instanceof BackendError && !e.retryable) {
        this.journal.rejectRegistration(id, msg);
        this.settle(this.regWaiters, id, (w) => w.reject(e));
      } else {
        this.lastError = msg;
        this.journal.failRegistrationAttempt(id, msg, this.retryAt(reg.attempts));
      }
    }
  }

  private async deliverActivation(serial: string): Promise<void> {
    const act = this.journal.getActivation(serial);
    if (!act || act.status !== 'pending') return;
    try {
      await this.backend.activate(serial);
      this.journal.acknowledgeActivation(serial);
      this.lastError = undefined;
      this.settle(this.actWaiters, serial, (w) => w.resolve('acknowledged'));
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      this.lastError = msg;
      // A refused activation is retried at the slowest pace: the fob is locked and registered,
      // only its availability waits, and an operator can see why in the journal.
      const attempts = e instanceof BackendError && !e.retryable ? 30 : act.attempts;
      this.journal.failActivationAttempt(serial, msg, this.retryAt(attempts));
    }
  }

  private settle<K>(map: Map<K, Set<Waiter>>, key: K, fn: (w: Waiter) => void): void {
    const set = map.get(key);
    if (!set) return;
    map.delete(key);
    for (const w of set) fn(w);
  }

  private wait<K>(map: Map<K, Set<Waiter>>, key: K, options: { signal?: AbortSignal; maxWaitMs: number }): Promise<DeliveryResult> {
    return new Promise<DeliveryResult>((resolve, reject) => {
      const set = map.get(key) ?? new Set<Waiter>();
      map.set(key, set);
      const done = (): void => {
        clearTimeout(t);
        options.signal?.removeEventListener('abort', onAbort);
        set.delete(w);
        if (set.size === 0 && map.get(key) === set) map.delete(key);
      };
      const w: Waiter = {
        resolve: (r) => { done(); resolve(r); },
        reject: (e) => { done(); reject(e); },
      };
      const t = setTimeout(() => w.resolve('timeout'), options.maxWaitMs);
      const onAbort = (): void => w.reject(options.signal!.reason);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      set.add(w);
      this.kick();
    });
  }

  /**
   * Waits until registration `id` is acknowledged ('acknowledged'), or `maxWaitMs` passes
   * ('timeout': it stays in the outbox).
   * @throws BackendError when the backend refused it for good (conflict, rejected, unauthorized).
   */
  async waitForRegistration(id: number, options: { signal?: AbortSignal; maxWaitMs: number }): Promise<DeliveryResult> {
    const reg = this.journal.getRegistration(id);
    if (reg.status === 'acknowledged') return 'acknowledged';
    if (reg.status === 'rejected') throw new BackendError('BACKEND_REJECTED', `backend refused the registration of ${reg.serial}: ${reg.lastError ?? ''}`, 0);
    if (reg.status !== 'pending') throw new TypeError(`registration #${id} is ${reg.status}, not pending`);
    return this.wait(this.regWaiters, id, options);
  }

  /** Waits until the activation of `serial` is acknowledged, or `maxWaitMs` passes. */
  async waitForActivation(serial: string, options: { signal?: AbortSignal; maxWaitMs: number }): Promise<DeliveryResult> {
    const act = this.journal.getActivation(serial);
    if (!act) throw new TypeError(`no activation is journaled for ${serial}`);
    if (act.status === 'acknowledged') return 'acknowledged';
    return this.wait(this.actWaiters, serial, options);
  }
}
