/**
 * Publishes the audit log's head to the server's own log, at start and then once a day, so that
 * whoever keeps those logs (journald, a log collector) holds anchors an attacker with only
 * database access cannot rewrite. `fobkit-backend audit verify --expect-head HASH --expect-seq N`
 * with a logged head then catches entries deleted from the end of the chain.
 */
import { readAuditHead, type AuditHead } from './auditLog.js';
import type { DbExecutor } from '../store/db.js';

export const AUDIT_HEAD_LOG_SECONDS = 86_400;

export interface AuditHeadLogTimers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export interface AuditHeadLogOptions {
  db: DbExecutor;
  /** Gets each head as it is read. */
  log: (head: AuditHead) => void;
  /** Where a failed read is reported (the database may be down for a while); never fatal. */
  logError?: (message: string) => void;
  /** Default one day. */
  intervalSeconds?: number;
  /** Injected by tests; the interval never keeps the process alive. */
  timers?: AuditHeadLogTimers;
}

const nodeTimers: AuditHeadLogTimers = {
  setInterval: (fn, ms) => setInterval(fn, ms).unref(),
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
};

/**
 * Logs the head now and every `intervalSeconds`. Resolves once the first head is logged (so a
 * start-up log shows it right after the ready line); `stop()` ends the schedule.
 */
export async function startAuditHeadLog(options: AuditHeadLogOptions): Promise<{ stop(): void }> {
  const { db, log, logError = () => undefined, intervalSeconds = AUDIT_HEAD_LOG_SECONDS, timers = nodeTimers } = options;
  if (!Number.isFinite(intervalSeconds) || intervalSeconds <= 0) throw new RangeError('intervalSeconds must be a positive number');
  const once = async (): Promise<void> => {
    try {
      log(await readAuditHead(db));
    } catch (e) {
      logError(`fobkit-backend: could not read the audit head: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  await once();
  const handle = timers.setInterval(() => void once(), intervalSeconds * 1000);
  return { stop: () => timers.clearInterval(handle) };
}
