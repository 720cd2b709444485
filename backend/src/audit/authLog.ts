/**
 * The auth log: one entry per validation, for support ("why was I refused?"): when, which user,
 * which factor, the fob's serial, ok or refused and why, and the source address the integration
 * passed. Never the code. Unlike the audit log it is not a hash chain and not append-only: it is
 * a support aid with a bounded life (`--auth-log-days`, pruned by the writer).
 *
 * Validation is the hot path, so entries are buffered in memory and written in batches, one
 * transaction per batch with multi-row INSERTs of fixed sizes (so the drivers reuse a handful of
 * prepared statements): a write per validation would cost about as much as the validation's own
 * UPDATE. The price is that a crash loses the entries of the last flush interval (200 ms), and
 * that a reader on another instance sees an entry after that instance's next flush; a read on the
 * same instance flushes first. The buffer is bounded: when the database cannot take entries, the
 * oldest are dropped and counted, never the validation slowed or failed.
 */
import type { Db, SqlValue } from '../store/db.js';
import type { Clock } from '../service/context.js';

export type AuthFactor = 'hardware' | 'app' | 'none';

export interface AuthLogEntry {
  at: number;
  user: string;
  factor: AuthFactor;
  serial: string | null;
  result: 'ok' | 'refused';
  /** The refusal's reason (ValidateFailure); null when ok. */
  reason: string | null;
  /** The client's address as the integration reported it, when it did. */
  source: string | null;
}

export interface AuthLog {
  /** Buffers one entry (never throws, never waits). */
  record(entry: AuthLogEntry): void;
  /** Writes what is buffered now. */
  flush(): Promise<void>;
  /** Newest first, after flushing this instance's buffer. */
  list(filter: { user: string } | { serial: string }, limit: number): Promise<AuthLogEntry[]>;
  /** Entries dropped because the database could not take them (since start). */
  readonly dropped: number;
  /** Flushes and stops the timer. */
  close(): Promise<void>;
}

export interface AuthLogOptions {
  db: Db;
  clock: Clock;
  /** Entries older than this are deleted. */
  retentionDays: number;
  /** How long an entry may wait in memory. Default 200 ms. */
  flushMs?: number;
  /** Buffered entries beyond which the oldest are dropped. Default 20,000. */
  maxBuffered?: number;
}

export const AUTH_LOG_MAX_LIMIT = 1000;
/** Rows per INSERT, largest first; every batch is written with these few statement texts. */
const CHUNKS = [64, 16, 4, 1] as const;
const COLUMNS = '(at, user_id, factor, serial, result, reason, source)';
/** Pruning deletes at most this many rows per statement, so it never holds the write lock long. */
const PRUNE_BATCH = 5000;
const PRUNE_EVERY_SECONDS = 3600;
/** A batch this large is written at once instead of waiting for the timer. */
const FLUSH_AT = 512;

const insertSql = new Map(CHUNKS.map((n) => [n, `INSERT INTO auth_log ${COLUMNS} VALUES ${Array.from({ length: n }, () => '(?, ?, ?, ?, ?, ?, ?)').join(', ')}`]));

interface Row { at: number; user_id: string; factor: AuthFactor; serial: string | null; result: 'ok' | 'refused'; reason: string | null; source: string | null }

export function createAuthLog(options: AuthLogOptions): AuthLog {
  const { db, clock } = options;
  const flushMs = options.flushMs ?? 200;
  const maxBuffered = options.maxBuffered ?? 20_000;
  const retentionSeconds = options.retentionDays * 86_400;
  let buffer: AuthLogEntry[] = [];
  let dropped = 0;
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> | undefined;
  let nextPruneAt = 0;

  const write = async (entries: AuthLogEntry[]): Promise<void> => {
    await db.transaction(async (tx) => {
      let i = 0;
      for (const n of CHUNKS) {
        for (; entries.length - i >= n; i += n) {
          const params: SqlValue[] = [];
          for (let j = i; j < i + n; j++) {
            const e = entries[j]!;
            params.push(e.at, e.user, e.factor, e.serial, e.result, e.reason, e.source);
          }
          await tx.run(insertSql.get(n)!, params);
        }
      }
    });
  };

  const prune = async (): Promise<void> => {
    const now = clock();
    if (now < nextPruneAt) return;
    const { changes } = await db.run(`DELETE FROM auth_log WHERE id IN (SELECT id FROM auth_log WHERE at < ? LIMIT ${PRUNE_BATCH})`, [now - retentionSeconds]);
    // A full batch: more to delete, at the next flush; else not for an hour.
    nextPruneAt = changes === PRUNE_BATCH ? now : now + PRUNE_EVERY_SECONDS;
  };

  const flushOnce = async (): Promise<void> => {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    const entries = buffer;
    buffer = [];
    try {
      if (entries.length > 0) await write(entries);
      await prune();
    } catch {
      // Back in front of what arrived meanwhile, within the bound; retried by the next flush.
      buffer = entries.concat(buffer);
      if (buffer.length > maxBuffered) {
        dropped += buffer.length - maxBuffered;
        buffer = buffer.slice(buffer.length - maxBuffered);
      }
      schedule();
    }
  };

  const flush = async (): Promise<void> => {
    // One write at a time; a flush asked for meanwhile writes what came after it.
    while (writing) await writing;
    writing = flushOnce().finally(() => {
      writing = undefined;
    });
    await writing;
  };

  function schedule(): void {
    if (timer || buffer.length === 0) return;
    timer = setTimeout(() => void flush(), flushMs);
    timer.unref();
  }

  return {
    record(entry) {
      buffer.push(entry);
      if (buffer.length > maxBuffered) {
        buffer.shift();
        dropped++;
      }
      if (buffer.length >= FLUSH_AT && !writing) void flush();
      else schedule();
    },
    flush,
    async list(filter, limit) {
      await flush();
      const [column, value] = 'user' in filter ? ['user_id', filter.user] : ['serial', filter.serial];
      const rows = await db.all<Row>(`SELECT at, user_id, factor, serial, result, reason, source FROM auth_log WHERE ${column} = ? ORDER BY at DESC, id DESC LIMIT ?`,
        [value, Math.max(1, Math.min(AUTH_LOG_MAX_LIMIT, limit))]);
      return rows.map((r) => ({ at: r.at, user: r.user_id, factor: r.factor, serial: r.serial, result: r.result, reason: r.reason, source: r.source }));
    },
    get dropped() {
      return dropped;
    },
    async close() {
      await flush();
      if (timer) clearTimeout(timer);
    },
  };
}
