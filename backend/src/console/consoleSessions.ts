/**
 * Console sessions: a 32-byte random id in the cookie, only its SHA-256 in the database
 * (console_sessions, migration 5), so reading the table logs nobody in. A session ends after
 * `idleSeconds` without a request, after `absoluteSeconds` whatever happens, on logout, and when
 * its operator is disabled or changes password. The CSRF token of a session is derived from its
 * id (HMAC), so forms carry a per-session secret the server need not store.
 */
import { createHash, createHmac, randomBytes as nodeRandomBytes } from 'node:crypto';
import { constantTimeEqual } from '@fobkit/protocol/otp';
import type { BackendContext } from '../service/context.js';
import type { OperatorRole } from '../service/operatorStore.js';

export interface ConsoleSessionSettings {
  /** Default 900 (15 minutes). */
  idleSeconds: number;
  /** Default 43,200 (12 hours): a working day, then a new login. */
  absoluteSeconds: number;
}

export const DEFAULT_SESSION_SETTINGS: ConsoleSessionSettings = { idleSeconds: 900, absoluteSeconds: 43_200 };

export interface ConsoleSession {
  operator: string;
  role: OperatorRole;
  /** The synchronizer token every form of this session carries. */
  csrf: string;
  idHash: string;
}

const ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const hashId = (id: string): string => createHash('sha256').update(`fobkit-console-session\0${id}`).digest('hex');
const csrfFor = (id: string): string => createHmac('sha256', id).update('fobkit/console-csrf/v1').digest('base64url');

export async function createConsoleSession(ctx: BackendContext, operator: string, randomBytes: (n: number) => Uint8Array = nodeRandomBytes): Promise<{ id: string; csrf: string }> {
  const id = Buffer.from(randomBytes(32)).toString('base64url');
  const now = ctx.clock();
  await ctx.db.run('INSERT INTO console_sessions (id_hash, operator, created_at, last_seen) VALUES (?, ?, ?, ?)', [hashId(id), operator, now, now]);
  return { id, csrf: csrfFor(id) };
}

/** The live session of a cookie value, its last use moved to now; undefined when there is none. */
export async function readConsoleSession(ctx: BackendContext, id: string | undefined, settings: ConsoleSessionSettings): Promise<ConsoleSession | undefined> {
  if (!id || !ID_PATTERN.test(id)) return undefined;
  const idHash = hashId(id);
  const row = await ctx.db.get<{ operator: string; created_at: number; last_seen: number; role: OperatorRole; disabled_at: number | null }>(
    'SELECT s.operator, s.created_at, s.last_seen, o.role, o.disabled_at FROM console_sessions s JOIN operators o ON o.name = s.operator WHERE s.id_hash = ?', [idHash]);
  if (!row) return undefined;
  const now = ctx.clock();
  if (row.disabled_at !== null || now - row.last_seen > settings.idleSeconds || now - row.created_at > settings.absoluteSeconds || now < row.created_at) {
    await ctx.db.run('DELETE FROM console_sessions WHERE id_hash = ?', [idHash]);
    return undefined;
  }
  await ctx.db.run('UPDATE console_sessions SET last_seen = ? WHERE id_hash = ? AND last_seen < ?', [now, idHash, now]);
  return { operator: row.operator, role: row.role, csrf: csrfFor(id), idHash };
}

export async function endConsoleSession(ctx: BackendContext, session: ConsoleSession): Promise<void> {
  await ctx.db.run('DELETE FROM console_sessions WHERE id_hash = ?', [session.idHash]);
}

/** Drops sessions that can no longer be used (called now and then, on login). */
export async function pruneConsoleSessions(ctx: BackendContext, settings: ConsoleSessionSettings): Promise<void> {
  const now = ctx.clock();
  await ctx.db.run('DELETE FROM console_sessions WHERE last_seen < ? OR created_at < ?', [now - settings.idleSeconds, now - settings.absoluteSeconds]);
}

export function csrfMatches(session: ConsoleSession, token: string | null): boolean {
  return token !== null && constantTimeEqual(token, session.csrf);
}
