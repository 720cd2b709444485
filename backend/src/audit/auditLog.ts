/**
 * The append-only, hash-chained audit log. Entry n stores `hash = SHA-256(prev_hash || "\n" ||
 * canonical JSON [seq, at, actor, action, subject, detail])` with `prev_hash` the hash of entry
 * n-1 (64 zeros for the first), so changing, inserting or deleting any entry but the newest
 * breaks every later link. Deleting the newest entries leaves a shorter chain that still
 * verifies, so the head is published elsewhere (`fobkit-backend audit head`, and the server logs
 * it at start and once a day, see auditHeadLog.ts) and checked with `audit verify --expect-head`:
 * an entry with that hash (at that seq, with `--expect-seq`) must still be in the chain.
 * Appends happen inside the transaction of the change they record.
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
  | {
    ok: false;
    entries: number;
    seq: number;
    /**
     * gap/link/hash: the chain itself is broken at `seq`. head-missing: no entry (at `seq`, when
     * an expected seq was given) has the expected head hash. truncated: the chain ends before
     * the expected seq. Either of the last two means entries were removed from the end (or the
     * head was taken from another database).
     */
    reason: 'gap' | 'link' | 'hash' | 'head-missing' | 'truncated';
  };

export interface AuditAnchor {
  /** A head hash published earlier: an entry with this hash must still be in the chain. */
  expectHead?: string;
  /** The seq of that head; alone, the chain must have at least this many entries. */
  expectSeq?: number;
}

export const AUDIT_HASH_PATTERN = /^[0-9a-f]{64}$/;

/**
 * Walks the whole chain in order and, given an anchor published earlier, checks it is still
 * there. The hash is compared as it was published (lower-case hex); the empty log's head is
 * {@link GENESIS_HASH} at seq 0.
 * @throws RangeError when the anchor is malformed (not 64 lower-case hex digits, seq < 0).
 */
export async function verifyAuditChain(db: Db, anchor: AuditAnchor = {}): Promise<AuditVerifyResult> {
  const { expectHead, expectSeq } = anchor;
  if (expectHead !== undefined && !AUDIT_HASH_PATTERN.test(expectHead)) throw new RangeError('expected head must be 64 lower-case hex digits (as `audit head` prints it)');
  if (expectSeq !== undefined && (!Number.isSafeInteger(expectSeq) || expectSeq < 0)) throw new RangeError('expected seq must be a whole number, 0 or more');
  let prev = GENESIS_HASH;
  let expected = 1;
  let headSeen = expectHead === GENESIS_HASH && (expectSeq ?? 0) === 0;
  const page = 1000;
  for (;;) {
    const rows = await db.all<AuditEntry>('SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit_log WHERE seq >= ? ORDER BY seq LIMIT ?', [expected, page]);
    for (const r of rows) {
      if (r.seq !== expected) return { ok: false, entries: expected - 1, seq: expected, reason: 'gap' };
      if (r.prev_hash !== prev) return { ok: false, entries: expected - 1, seq: r.seq, reason: 'link' };
      if (hashAuditEntry(r) !== r.hash) return { ok: false, entries: expected - 1, seq: r.seq, reason: 'hash' };
      if (r.hash === expectHead && (expectSeq === undefined || expectSeq === r.seq)) headSeen = true;
      prev = r.hash;
      expected++;
    }
    if (rows.length < page) break;
  }
  // An entry numbered beyond a gap (the gap itself is caught above only when later rows exist).
  const beyond = await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM audit_log WHERE seq >= ?', [expected]);
  if ((beyond?.n ?? 0) > 0) return { ok: false, entries: expected - 1, seq: expected, reason: 'gap' };
  const entries = expected - 1;
  if (expectSeq !== undefined && entries < expectSeq) return { ok: false, entries, seq: expectSeq, reason: 'truncated' };
  if (expectHead !== undefined && !headSeen) return { ok: false, entries, seq: expectSeq ?? entries, reason: 'head-missing' };
  return { ok: true, entries, head: prev };
}

export interface AuditHead {
  /** The newest entry's seq; 0 for an empty log. */
  seq: number;
  /** Its hash; {@link GENESIS_HASH} for an empty log. */
  hash: string;
  /** Its time (Unix seconds); null for an empty log. */
  at: number | null;
}

/** The newest entry, to publish somewhere an attacker on the database cannot change. */
export async function readAuditHead(db: DbExecutor): Promise<AuditHead> {
  const row = await db.get<{ seq: number; hash: string; at: number }>('SELECT seq, hash, at FROM audit_log ORDER BY seq DESC LIMIT 1');
  return row ? { seq: row.seq, hash: row.hash, at: row.at } : { seq: 0, hash: GENESIS_HASH, at: null };
}
