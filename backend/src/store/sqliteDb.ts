/**
 * SQLite through better-sqlite3: WAL journal with synchronous=NORMAL (durable across process
 * crashes; the last commits may be lost on power loss, the usual WAL trade-off) and a busy
 * timeout so several processes on one file queue for the write lock, and a page cache large
 * enough for the token table of a big deployment. better-sqlite3 is
 * synchronous; prepared statements are cached per SQL text.
 */
import { closeSync, fchmodSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Db, DbExecutor, SqlValue } from './db.js';

/**
 * Creates the database file 0600 when it does not exist yet, whatever the umask: it holds the
 * wrapped seeds and the audit log. SQLite gives its WAL and shared-memory files the mode of the
 * database file (unixOpen's findCreateFileMode), so they follow. An existing file keeps the
 * mode its owner gave it.
 */
function createPrivateFile(path: string): void {
  if (path === ':memory:' || path === '') return;
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw e;
  }
  try {
    fchmodSync(fd, 0o600);
  } finally {
    closeSync(fd);
  }
}

export function openSqliteDb(path: string): Db {
  createPrivateFile(path);
  const db = new Database(path);
  // The busy timeout first: switching to WAL takes a lock, and a process starting beside another
  // one that is migrating must queue for it rather than fail with "database is locked".
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // A big deployment's token table stays in memory: 64 MiB of page cache (the default is
  // 2 MiB), and reads of pages not cached yet go through a memory map instead of a read()
  // per page (measured: 100,000 fobs loaded round-robin ran at half the rate of 1,000 without).
  db.pragma('cache_size = -65536');
  db.pragma('mmap_size = 1073741824');
  db.pragma('foreign_keys = ON');
  const cache = new Map<string, Database.Statement>();
  const rawCache = new Map<string, Database.Statement>();
  const prepare = (sql: string, raw = false): Database.Statement => {
    const c = raw ? rawCache : cache;
    let s = c.get(sql);
    if (!s) {
      s = db.prepare(sql);
      if (raw) s.raw(true);
      c.set(sql, s);
    }
    return s;
  };
  const exec: DbExecutor = {
    all: async <T>(sql: string, params: readonly SqlValue[] = []) => prepare(sql).all(...params) as T[],
    get: async <T>(sql: string, params: readonly SqlValue[] = []) => prepare(sql).get(...params) as T | undefined,
    values: async <T extends readonly unknown[]>(sql: string, params: readonly SqlValue[] = []) => prepare(sql, true).get(...params) as T | undefined,
    run: async (sql: string, params: readonly SqlValue[] = []) => ({ changes: prepare(sql).run(...params).changes }),
  };
  // Transactions are serialised in this process; BEGIN IMMEDIATE serialises them across processes.
  let queue: Promise<unknown> = Promise.resolve();
  return {
    dialect: 'sqlite',
    description: `sqlite:${path}`,
    ...exec,
    transaction<T>(fn: (tx: DbExecutor) => Promise<T>): Promise<T> {
      const run = async (): Promise<T> => {
        db.exec('BEGIN IMMEDIATE');
        try {
          const result = await fn(exec);
          db.exec('COMMIT');
          return result;
        } catch (e) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw e;
        }
      };
      const p = queue.then(run, run);
      queue = p.catch(() => undefined);
      return p;
    },
    exec: async (sql) => {
      db.exec(sql);
    },
    close: async () => {
      db.close();
    },
  };
}
