/**
 * The station loop: finds the ports (explicit, `auto` by USB id, or watched as fobs come and go),
 * runs {@link provisionFob} on every port in parallel, keeps the outbox delivering, and returns a
 * summary. Everything the operator sees comes out as {@link StationEvent}s; printing is the CLI's.
 */
import type { UsbId } from '../config/stationConfig.js';
import { StationError } from '../errors.js';
import { sleepMs } from '../backendApi/retryWithBackoff.js';
import { provisionFob, type FobPipelineSettings, type ProvisionOutcome, type ProvisionStepEvent } from '../operations/provisionFob.js';
import type { ProvisioningSession } from '../operations/provisioningSession.js';
import { listFobPorts, presentPaths, type ListPorts } from './listFobPorts.js';
import { OpeningExchanges } from './openingExchanges.js';

/** An open connection to one fob. */
export interface FobConnection {
  session: ProvisioningSession;
  close(): Promise<void>;
}

export type StationEvent =
  | ProvisionStepEvent
  | { type: 'port'; port: string; state: 'attached' | 'detached' | 'open-failed'; reason?: string; code?: string; at: number }
  | { type: 'fob'; port: string; result: ProvisionOutcome; elapsed: number; at: number }
  | { type: 'outbox'; waitingRegistrations: number; waitingActivations: number; lastError?: string; at: number };

export interface FobResult {
  port: string;
  result: ProvisionOutcome;
  elapsed: number;
}

export interface StationSummary {
  done: number;
  failed: number;
  skipped: number;
  interrupted: number;
  waiting: number;
  results: FobResult[];
  waitingRegistrations: number;
  waitingActivations: number;
  elapsed: number;
}

export interface RunStationOptions extends FobPipelineSettings {
  ports: { kind: 'explicit'; paths: string[] } | { kind: 'auto'; usb: readonly UsbId[] };
  watch: boolean;
  /** Stop after this many fobs are done (watch mode); also the ETA's target. */
  count?: number;
  /** Port-list poll interval in watch mode. Default 500 ms. */
  pollMs?: number;
  /** Before retrying a port whose fob went away but whose path stayed. Default 2 s. */
  retryInterruptedMs?: number;
  connect: (port: string, signal: AbortSignal) => Promise<FobConnection>;
  listPorts?: ListPorts;
  onEvent?: (e: StationEvent) => void;
  /** Stop taking new fobs (watch mode ends; ports in progress finish). */
  stopSignal?: AbortSignal;
  /** Abort everything now (ports in progress are interrupted; the journal resumes them). */
  abortSignal?: AbortSignal;
}

/**
 * Runs the station until every port is handled (or, with `watch`, until `count` fobs are done
 * or `stopSignal` fires).
 * @throws StationError NO_PORTS when there is nothing to provision; JOURNAL_FAILED when the journal fails.
 */
export async function runStation(o: RunStationOptions): Promise<StationSummary> {
  const clock = o.clock ?? (() => Date.now() / 1000);
  // Durations come from the monotonic clock, in fractions of a millisecond: the wall clock can be
  // stepped (NTP) while a fob is on the line. An injected clock (tests) serves for both.
  const monotonic = o.clock ?? (() => performance.now() / 1000);
  const emit = o.onEvent ?? (() => undefined);
  const openings = o.openings ?? new OpeningExchanges();
  const started = monotonic();
  const results: FobResult[] = [];
  const busy = new Map<string, Promise<unknown>>();
  const abort = new AbortController();
  o.abortSignal?.addEventListener('abort', () => abort.abort(o.abortSignal!.reason), { once: true });
  let fatal: unknown;

  const emitOutbox = (): void => {
    emit({ type: 'outbox', waitingRegistrations: o.journal.pendingRegistrationCount(), waitingActivations: o.journal.pendingActivationCount(), lastError: o.outbox.lastDeliveryError, at: clock() });
  };

  const listPresent = async (): Promise<string[]> =>
    o.ports.kind === 'explicit' ? (o.watch ? presentPaths(o.ports.paths) : [...o.ports.paths]) : listFobPorts(o.ports.usb, o.listPorts);

  /** Records a port's outcome and reports it. */
  function finish(port: string, result: ProvisionOutcome, t0: number): ProvisionOutcome {
    const elapsed = monotonic() - t0;
    results.push({ port, result, elapsed });
    emit({ type: 'fob', port, result, elapsed, at: clock() });
    return result;
  }

  async function work(port: string): Promise<ProvisionOutcome> {
    const t0 = monotonic();
    emit({ type: 'port', port, state: 'attached', at: clock() });
    let conn: FobConnection;
    try {
      conn = await o.connect(port, abort.signal);
    } catch (e) {
      // The transport's message already names the port and why (PORT_BUSY names the holder).
      const reason = (e as Error).message;
      const code = typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : 'PORT_UNAVAILABLE';
      emit({ type: 'port', port, state: 'open-failed', reason, code, at: clock() });
      return finish(port, { outcome: 'interrupted', step: 'hello', reason, openFailed: code }, t0);
    }
    let result: ProvisionOutcome;
    try {
      result = await provisionFob({ ...o, session: conn.session, port, onEvent: (e) => emit(e), signal: abort.signal, openings });
    } catch (e) {
      fatal ??= e;
      abort.abort(e);
      result = { outcome: 'interrupted', step: 'hello', reason: (e as Error).message };
    } finally {
      await conn.close().catch(() => undefined);
    }
    finish(port, result, t0);
    emitOutbox();
    return result;
  }

  const doneCount = (): number => results.filter((r) => r.result.outcome === 'done').length;

  let lastWaiting = '';
  const unsubscribe = o.outbox.onChange(() => {
    const now = `${o.journal.pendingRegistrationCount()}/${o.journal.pendingActivationCount()}/${o.outbox.lastDeliveryError ?? ''}`;
    if (now !== lastWaiting) {
      lastWaiting = now;
      emitOutbox();
    }
  });
  o.outbox.start();
  emitOutbox();
  try {
    if (!o.watch) {
      const ports = await listPresent();
      if (ports.length === 0) throw new StationError('NO_PORTS', o.ports.kind === 'auto' ? `no fob found on USB (looking for ${o.ports.usb.map((u) => `${u.vendorId}:${u.productId}`).join(', ')}); plug one in or use --watch` : 'no port given: use --port PATH or --ports auto');
      await Promise.all(ports.map((p) => work(p)));
    } else {
      // handled: finished ports, not taken again until they disappear (or, when the fob was lost
      // but the path stayed, until a retry delay passed).
      const handled = new Map<string, number>();
      const pollMs = o.pollMs ?? 500;
      while (!o.stopSignal?.aborted && !abort.signal.aborted && !(o.count !== undefined && doneCount() >= o.count)) {
        let present: string[];
        try {
          present = await listPresent();
        } catch {
          present = [...busy.keys()];
        }
        const set = new Set(present);
        for (const p of [...handled.keys()]) {
          if (!set.has(p)) {
            handled.delete(p);
            emit({ type: 'port', port: p, state: 'detached', at: clock() });
          }
        }
        const now = clock();
        for (const p of present) {
          const until = handled.get(p);
          if (busy.has(p) || (until !== undefined && until > now)) continue;
          handled.delete(p);
          const job = work(p).then((r) => {
            busy.delete(p);
            handled.set(p, r.outcome === 'interrupted' ? clock() + (o.retryInterruptedMs ?? 2000) / 1000 : Number.POSITIVE_INFINITY);
          });
          busy.set(p, job);
        }
        await sleepMs(pollMs, o.stopSignal).catch(() => undefined);
      }
    }
    await Promise.all(busy.values());
    if (fatal) throw fatal;
    await o.outbox.flush();
    emitOutbox();
  } finally {
    unsubscribe();
  }
  const count = (k: ProvisionOutcome['outcome']): number => results.filter((r) => r.result.outcome === k).length;
  return {
    done: count('done'), failed: count('failed'), skipped: count('skipped'), interrupted: count('interrupted'), waiting: count('waiting'),
    results, waitingRegistrations: o.journal.pendingRegistrationCount(), waitingActivations: o.journal.pendingActivationCount(), elapsed: monotonic() - started,
  };
}
