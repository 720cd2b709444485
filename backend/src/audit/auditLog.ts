/**
 * The append-only, hash-chained audit log. Entry n stores `hash = SHA-256(prev_hash || "\n" ||
 * canonical JSON [seq, at, actor, action, subject, detail])` with `prev_hash` the hash of entry
 * n-1 (64 zeros for the first), so changing, inserting or deleting any entry but the newest
 * breaks every later link. Record the head hash that `audit verify` prints somewhere else to
 * also detect a truncated tail. Appends happen inside the transaction of the change they record.
 */
import { createHash } from 'node:crypto';
import type { DbExecutor, Dialect, Db } from '../store/db.js';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditInput {
  /** The API key id, or `cli:<user>` for local commands. */
  actor: string;
  /** e.g. `token.register`, `token.assign`, `keys.create`. */
  action: string;
  /** The serial, `user:<id>`, `key:<id>`, … the entry is about. */
  subject: string | null;
  /** Non-secret facts about the change. */
  detail?: Record<string, unknown>;
}

export interface AuditEntry {
  seq: number;
  at: number;
  actor: string;
  action: string;
  subject: string | null;
  detail: string;
  prev_hash: string;
  hash: string;
}

export function hashAuditEntry(e: Omit<AuditEntry, 'hash'>): string {
  return createHash('sha256')
    .update(`${e.prev_hash}\n${JSON.stringify([e.seq, e.at, e.actor, e.action, e.subject, e.detail])}`)
    .digest('hex');
}

/** Appends one entry; call inside the transaction of the change it records. */
export async function appendAudit(tx: DbExecutor, dialect: Dialect, at: number, input: AuditInput): Promise<number> {
  // PostgreSQL: one writer at a time reads the head, even across backend processes. SQLite's
  // BEGIN IMMEDIATE already holds the database write lock.
  if (dialect === 'postgres') await tx.get('SELECT pg_advisory_xact_lock(7466002)');
  const head = await tx.get<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
  const entry = {
    seq: (head?.seq ?? 0) + 1,
    at,
    actor: input.actor,
    action: input.action,
    subject: input.subject,
    detail: JSON.stringify(input.detail ?? {}),
    prev_hash: head?.hash ?? GENESIS_HASH,
  };
  const hash = hashAuditEntry(entry);
  await tx.run('INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    [entry.seq, entry.at, entry.actor, entry.action, entry.subject, entry.detail, entry.prev_hash, hash]);
  return entry.seq;
}

export type AuditVerifyResult =
  | { ok: true; entries: number; head: string }
  | { ok: false; entries: number; seq: number; reason: 'gap' | 'link' | 'hash' };

/** Walks the whole chain in order. */
export async function verifyAuditChain(db: Db): Promise<AuditVerifyResult> {
  let prev = GENESIS_HASH;
  let expected = 1;
  const page = 1000;
  for (;;) {
    const rows = await db.all<AuditEntry>('SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit_log WHERE seq >= ? ORDER BY seq LIMIT ?', [expected, page]);
    for (const r of rows) {
      if (r.seq !== expected) return { ok: false, entries: expected - 1, seq: expected, reason: 'gap' };
      if (r.prev_hash !== prev) return { ok: false, entries: expected - 1, seq: r.seq, reason: 'link' };
      if (hashAuditEntry(r) !== r.hash) return { ok: false, entries: expected - 1, seq: r.seq, reason: 'hash' };
      prev = r.hash;
      expected++;
    }
    if (rows.length < page) break;
  }
  // An entry numbered beyond a gap (the gap itself is caught above only when later rows exist).
  const beyond = await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM audit_log WHERE seq >= ?', [expected]);
  if ((beyond?.n ?? 0) > 0) return { ok: false, entries: expected - 1, seq: expected, reason: 'gap' };
  return { ok: true, entries: expected - 1, head: prev };
}
