/**
 * Test and benchmark support (not part of the published API): databases to run the same suite
 * against (an SQLite file, and a fresh PostgreSQL database that is dropped afterwards), an
 * in-process server with a settable clock, API keys for every role, and fob registration the
 * way a station does it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sealToRecipient } from '@fobkit/protocol/session';
import { createApiKey } from '../service/apiKeyStore.js';
import { startServer, type RunningServer } from '../http/startServer.js';
import type { BackendPolicy } from '../service/context.js';
import type { Role } from '../crypto/apiKeys.js';

export const PG_ADMIN_URL = process.env.FOBKIT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** True when PostgreSQL answers. */
export async function pgReachable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

export interface TestDatabase {
  kind: 'sqlite' | 'postgres';
  /** The --db value. */
  spec: string;
  /** A directory for the KEK file and other temp files. */
  dir: string;
  cleanup(): Promise<void>;
}

export async function createTestDatabase(kind: 'sqlite' | 'postgres'): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'fobkit-backend-'));
  if (kind === 'sqlite') {
    return { kind, spec: `sqlite:${join(dir, 'backend.db')}`, dir, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `fobkit_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    kind,
    spec: url.toString(),
    dir,
    cleanup: async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The database kinds a suite runs on: SQLite always; PostgreSQL when reachable, and always
 * under CI=true (where an unreachable server then fails the suite instead of skipping).
 */
export async function databaseKinds(suite: string): Promise<('sqlite' | 'postgres')[]> {
  if (process.env.CI === 'true' || (await pgReachable())) return ['sqlite', 'postgres'];
  process.stdout.write(`${suite}: PostgreSQL at ${PG_ADMIN_URL} is not reachable; skipping the PostgreSQL run (CI=true runs it)\n`);
  return ['sqlite'];
}

export interface TestClock {
  (): number;
  set(t: number): void;
  advance(seconds: number): void;
}

export function testClock(start: number): TestClock {
  let now = start;
  const c = (() => now) as TestClock;
  c.set = (t) => {
    now = t;
  };
  c.advance = (s) => {
    now += s;
  };
  return c;
}

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  body: T;
}

export interface TestBackend {
  db: TestDatabase;
  running: RunningServer;
  url: string;
  clock: TestClock;
  keys: Record<Role, string>;
  keyIds: Record<Role, string>;
  /** Calls the API as `role` (or with no key when role is null). */
  call<T = Record<string, unknown>>(role: Role | null, method: string, path: string, body?: unknown): Promise<ApiResponse<T>>;
  close(): Promise<void>;
}

export async function startTestBackend(options: { db: TestDatabase; clock?: TestClock; policy?: Partial<BackendPolicy> }): Promise<TestBackend> {
  const clock = options.clock ?? testClock(Date.now() / 1000);
  const running = await startServer({ db: options.db.spec, kekFile: join(options.db.dir, 'backend.kek'), listen: '127.0.0.1:0', clock, policy: options.policy, logError: () => undefined });
  const keys = {} as Record<Role, string>;
  const keyIds = {} as Record<Role, string>;
  for (const role of ['station', 'support', 'validator', 'admin'] as const) {
    const k = await createApiKey(running.backend.ctx, 'test', role);
    keys[role] = k.token;
    keyIds[role] = k.id;
  }
  const call = async <T>(role: Role | null, method: string, path: string, body?: unknown): Promise<ApiResponse<T>> => {
    const headers: Record<string, string> = {};
    if (role) headers.authorization = `Bearer ${keys[role]}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${running.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
  };
  return { db: options.db, running, url: running.url, clock, keys, keyIds, call, close: () => running.close() };
}

export interface RegisteredFob {
  serial: string;
  seed: Uint8Array;
}

/** Reserves a serial, seals a fresh seed to the registration key and registers it (pending). */
export async function registerFob(t: TestBackend, options: { seed?: Uint8Array; clockOffset?: number; provisionedAt?: number; period?: number; activate?: boolean; user?: string } = {}): Promise<RegisteredFob> {
  const reg = await t.call<{ kid: string; publicKey: string }>('station', 'GET', '/v1/registration-key');
  const reserved = await t.call<{ serials: string[] }>('station', 'POST', '/v1/serials/reserve', { count: 1 });
  const serial = reserved.body.serials[0]!;
  const seed = options.seed ?? new Uint8Array(randomBytes(20));
  const sealed = sealToRecipient({ recipientPublicKey: new Uint8Array(Buffer.from(reg.body.publicKey, 'base64url')), plaintext: seed, context: `seed:${serial}` });
  const r = await t.call('station', 'POST', '/v1/tokens', {
    serial, model: 'FK-1', sealedSecret: Buffer.from(sealed).toString('base64url'), kid: reg.body.kid, algorithm: 'sha1', digits: 6,
    period: options.period ?? 60, t0: 0, batch: 'B1', provisionedAt: options.provisionedAt ?? t.clock(), clockOffset: options.clockOffset ?? 0,
  });
  if (r.status !== 201) throw new Error(`register failed: ${r.status} ${JSON.stringify(r.body)}`);
  if (options.activate !== false || options.user) await t.call('station', 'POST', `/v1/tokens/${serial}/activate`);
  if (options.user) {
    const a = await t.call('support', 'POST', `/v1/tokens/${serial}/assign`, { user: options.user });
    if (a.status !== 200) throw new Error(`assign failed: ${a.status} ${JSON.stringify(a.body)}`);
  }
  return { serial, seed };
}
