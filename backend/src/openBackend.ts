/**
 * Opens a backend: the database (migrated), the KEK keyring (created beside an SQLite file when
 * missing) and the registration key. The result's `ctx` is what every service operation takes;
 * it is also the entry point for tools in this package such as seed-file import/export.
 */
import { join, resolve } from 'node:path';
import { defaultDataDir, defaultDbSpec, ensureDataDir, prepareDefaultDataDir } from './dataDir.js';
import { ensureKeyringFile, loadKeyring, type Keyring } from './crypto/keyring.js';
import { createOtpKeyCache } from './crypto/otpKeyCache.js';
import { createAuthLog } from './audit/authLog.js';
import { BackendError } from './errors.js';
import { openDb, parseDbLocation, type DbLocation } from './store/db.js';
import { migrate } from './store/migrations.js';
import { DEFAULT_POLICY, type BackendContext, type BackendPolicy, type Clock } from './service/context.js';
import { ensureRegistrationKey } from './service/registrationKey.js';

/** The default database's file name, in the data directory (dataDir.ts). */
export const DEFAULT_SQLITE_PATH = 'fobkit-backend.db';

export interface OpenBackendOptions {
  /** `sqlite:PATH` or `postgres://…`; default `sqlite:<data dir>/fobkit-backend.db` (dataDir.ts). */
  db?: string;
  /** Default: `<sqlite path>.kek`, or `<data dir>/fobkit-backend.kek` for PostgreSQL. */
  kekFile?: string;
  /** Create the KEK file when missing (the server does; other commands do not). Default true. */
  createKek?: boolean;
  /**
   * False for commands that touch no secret (API keys, audit): the KEK file is then neither
   * read nor created, and the registration key is not checked. Default true.
   */
  useKek?: boolean;
  /** Unix seconds. Tests inject one; production uses the system clock. */
  clock?: Clock;
  policy?: Partial<BackendPolicy>;
  /**
   * How many factors' opened seeds validation keeps in memory (see crypto/otpKeyCache.ts);
   * 0 opens every seed per request. Default 100,000.
   */
  otpKeyCacheEntries?: number;
}

export interface Backend {
  ctx: BackendContext;
  location: DbLocation;
  kekFile: string;
  /** True when this open created the KEK file. */
  createdKek: boolean;
  close(): Promise<void>;
}

export function defaultKekFile(location: DbLocation): string {
  return location.dialect === 'sqlite' ? `${resolve(location.path)}.kek` : join(defaultDataDir(), 'fobkit-backend.kek');
}

export const systemClock: Clock = () => Date.now() / 1000;

const noKek = (): never => {
  throw new BackendError('CONFIG', 'this command was opened without the KEK file');
};
const noKeyring: Keyring = { currentId: '', ids: () => [], encrypt: noKek, decrypt: noKek, dispose: () => undefined };

export async function openBackend(options: OpenBackendOptions = {}): Promise<Backend> {
  const dbSpec = options.db ?? defaultDbSpec();
  prepareDefaultDataDir(dbSpec);
  const location = parseDbLocation(dbSpec);
  const kekFile = resolve(options.kekFile ?? defaultKekFile(location));
  // PostgreSQL's default KEK lives in the data directory; only the server creates it.
  if (location.dialect !== 'sqlite' && options.kekFile === undefined && options.useKek !== false && options.createKek !== false) ensureDataDir();
  const useKek = options.useKek !== false;
  const createdKek = !useKek || options.createKek === false ? false : ensureKeyringFile(kekFile);
  const keyring = useKek ? loadKeyring(kekFile) : noKeyring;
  const clock = options.clock ?? systemClock;
  const db = await openDb(location);
  try {
    await migrate(db, clock);
    const policy: BackendPolicy = { ...DEFAULT_POLICY, ...options.policy };
    const otpKeys = createOtpKeyCache({ maxEntries: options.otpKeyCacheEntries });
    const authLog = createAuthLog({ db, clock, retentionDays: policy.authLogDays });
    const ctx: BackendContext = { db, keyring, otpKeys, clock, policy, authLog };
    if (useKek) await ensureRegistrationKey(ctx);
    return {
      ctx,
      location,
      kekFile,
      createdKek,
      close: async () => {
        await authLog.close();
        otpKeys.clear();
        keyring.dispose();
        await db.close();
      },
    };
  } catch (e) {
    keyring.dispose();
    await db.close();
    throw e;
  }
}
