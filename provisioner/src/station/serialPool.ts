/**
 * Serials for this station: blocks reserved at the backend (no other station gets them) and
 * kept in the journal, so a station that lost the network keeps serialising fobs from its stock,
 * and a serial, once assigned to a fob, is never given to another one, whatever happens.
 */
import { StationError, BackendError } from '../errors.js';
import type { StationBackend } from '../backendApi/backendClient.js';
import { backoffDelayMs, sleepMs } from '../backendApi/retryWithBackoff.js';
import type { StationJournal } from '../journal/stationJournal.js';

export interface SerialPoolOptions {
  journal: StationJournal;
  backend: StationBackend;
  /** Serials per reservation. */
  blockSize: number;
  /** Refill in the background when fewer than this many are free. */
  lowWater?: number;
}

export class SerialPool {
  private readonly journal: StationJournal;
  private readonly backend: StationBackend;
  private readonly blockSize: number;
  private readonly lowWater: number;
  private refilling: Promise<void> | undefined;

  constructor(options: SerialPoolOptions) {
    this.journal = options.journal;
    this.backend = options.backend;
    this.blockSize = options.blockSize;
    this.lowWater = options.lowWater ?? Math.max(1, Math.ceil(options.blockSize / 2));
  }

  get free(): number {
    return this.journal.freeSerialCount();
  }

  /** Reserves one block (single flight: concurrent callers share the request). */
  refill(signal?: AbortSignal): Promise<void> {
    this.refilling ??= (async () => {
      try {
        const serials = await this.backend.reserveSerials(this.blockSize, signal);
        this.journal.addReservedSerials(serials);
      } finally {
        this.refilling = undefined;
      }
    })();
    return this.refilling;
  }

  /** Tops the stock up when it is low; failures are ignored (the next assign retries). */
  refillIfLow(): void {
    if (this.free < this.lowWater && !this.refilling) this.refill().catch(() => undefined);
  }

  /**
   * The fob's serial: the one the journal already gives it, or a free one from the stock,
   * reserving a block first when the stock is empty. Waits for the backend while it is
   * unreachable, until `maxWaitMs`.
   * @throws StationError NO_SERIALS when none can be had in time; BackendError when the backend
   *   refuses (e.g. the API key lacks the station role).
   */
  async assign(fobId: number, options: { signal?: AbortSignal; maxWaitMs: number; onWaiting?: (why: string) => void }): Promise<string> {
    const deadline = Date.now() + options.maxWaitMs;
    for (let attempt = 1; ; attempt++) {
      const s = this.journal.assignSerial(fobId);
      if (s) {
        this.refillIfLow();
        return s;
      }
      try {
        await this.refill(options.signal);
        continue;
      } catch (e) {
        if (!(e instanceof BackendError && e.retryable)) throw e;
        if (Date.now() >= deadline) throw new StationError('NO_SERIALS', `no serial left in stock and the backend is unreachable: ${e.message}`, { cause: e });
        options.onWaiting?.(e.message);
        await sleepMs(Math.min(backoffDelayMs(attempt, 250, 10_000), Math.max(0, deadline - Date.now())), options.signal);
      }
    }
  }
}
