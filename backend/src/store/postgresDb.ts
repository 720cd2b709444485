/**
 * PostgreSQL through `pg`: a small pool; BIGINT and NUMERIC come back as JS numbers (every
 * integer we store fits in 2^53). Placeholders `?` are rewritten to `$n` once per SQL text.
 */
import pg from 'pg';
import type { Db, DbExecutor, SqlValue } from './db.js';

const INT8_OID = 20;
const NUMERIC_OID = 1700;

const rewritten = new Map<string, string>();
function toPg(sql: string): string {
  let s = rewritten.get(sql);
  if (s === undefined) {
    let n = 0;
    s = sql.replace(/\?/g, () => `$${++n}`);
    rewritten.set(sql, s);
  }
  return s;
}

/** Statements on the pool or on one transaction's client; `values` asks pg for array rows. */
function executor(conn: pg.Pool | pg.PoolClient): DbExecutor {
  const q = (text: string, values: SqlValue[], rowMode?: 'array'): Promise<pg.QueryResult> =>
    rowMode ? conn.query({ text, values, rowMode }) : conn.query(text, values);
  return {
    all: async <T>(sql: string, params: readonly SqlValue[] = []) => (await q(toPg(sql), [...params])).rows as T[],
    get: async <T>(sql: string, params: readonly SqlValue[] = []) => (await q(toPg(sql), [...params])).rows[0] as T | undefined,
    values: async <T extends readonly unknown[]>(sql: string, params: readonly SqlValue[] = []) => (await q(toPg(sql), [...params], 'array')).rows[0] as T | undefined,
    run: async (sql: string, params: readonly SqlValue[] = []) => ({ changes: (await q(toPg(sql), [...params])).rowCount ?? 0 }),
  };
}

export async function openPostgresDb(url: string, poolSize = 10): Promise<Db> {
  const types = {
    getTypeParser: (oid: number, format?: string) => {
      if (oid === INT8_OID || oid === NUMERIC_OID) return (v: string) => Number(v);
      return pg.types.getTypeParser(oid, format as 'text');
    },
  };
  const pool = new pg.Pool({ connectionString: url, max: poolSize, types: types as pg.CustomTypesConfig });
  // An idle client losing its connection must not crash the server; the next query reconnects.
  pool.on('error', () => undefined);
  await pool.query('SELECT 1');
  const description = url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
  return {
    dialect: 'postgres',
    description,
    ...executor(pool),
    async transaction<T>(fn: (tx: DbExecutor) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(executor(client));
        await client.query('COMMIT');
        return result;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        client.release();
      }
    },
    exec: async (sql) => {
      await pool.query(sql);
    },
    close: () => pool.end(),
  };
}
