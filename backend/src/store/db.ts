/**
 * The one storage interface the backend runs on: a few query primitives and a transaction, with
 * an SQLite and a PostgreSQL implementation. SQL is written once with `?` placeholders in the
 * common subset of both dialects (RETURNING, ON CONFLICT, partial indexes); only the migrations
 * differ per dialect. Integers come back as JS numbers from both.
 */
import { BackendError } from '../errors.js';

export type SqlValue = string | number | null | Buffer;
export type Dialect = 'sqlite' | 'postgres';

export interface DbExecutor {
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  /**
   * The first row as an array of its columns in SELECT order. For the validation hot path: a
   * wide row costs the drivers markedly less as an array than as an object with named keys.
   */
  values<T extends readonly unknown[]>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
}

export interface Db extends DbExecutor {
  readonly dialect: Dialect;
  /** The URL with any password removed, for logs. */
  readonly description: string;
  /**
   * Runs `fn` in one transaction (SQLite: BEGIN IMMEDIATE, so writers queue instead of failing;
   * PostgreSQL: one pooled connection). Rolls back when `fn` throws.
   * On SQLite, `fn` must do no I/O other than through `tx`.
   */
  transaction<T>(fn: (tx: DbExecutor) => Promise<T>): Promise<T>;
  /** Runs a script of several statements (migrations). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

export type DbLocation = { dialect: 'sqlite'; path: string } | { dialect: 'postgres'; url: string };

/**
 * `sqlite:PATH` (also `sqlite://PATH` and a bare path) or `postgres://…`/`postgresql://…`.
 * @throws BackendError CONFIG on anything else.
 */
export function parseDbLocation(spec: string): DbLocation {
  if (/^postgres(ql)?:\/\//.test(spec)) return { dialect: 'postgres', url: spec };
  const path = spec.startsWith('sqlite://') ? spec.slice('sqlite://'.length) : spec.startsWith('sqlite:') ? spec.slice('sqlite:'.length) : spec;
  if (path === '' || /^[a-z]+:\/\//i.test(path)) throw new BackendError('CONFIG', `--db must be sqlite:PATH or postgres://..., got '${spec}'`);
  return { dialect: 'sqlite', path };
}

/** Opens the database (the driver is loaded only for the dialect in use). */
export async function openDb(location: DbLocation): Promise<Db> {
  if (location.dialect === 'sqlite') {
    const { openSqliteDb } = await import('./sqliteDb.js');
    return openSqliteDb(location.path);
  }
  const { openPostgresDb } = await import('./postgresDb.js');
  return openPostgresDb(location.url);
}
