#!/usr/bin/env node
/**
 * The `fobkit-backend` command line: serve, keys create|list|revoke, kek rotate, audit verify.
 * Exit codes (DEVELOPERS.md): 0 success, 1 negative result (audit chain broken), 2 usage or bad
 * input, 3 could not run (database, KEK file, port), 70 bug.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { BackendError } from '../errors.js';
import { ROLES, type Role } from '../crypto/apiKeys.js';
import { DEFAULT_OTP_KEY_CACHE_ENTRIES } from '../crypto/otpKeyCache.js';
import { BACKEND_VERSION } from '../version.js';
import { openBackend, type Backend, type OpenBackendOptions } from '../openBackend.js';
import { startServer } from '../http/startServer.js';
import { createSettableClock, testClockRoutes } from '../http/testClockRoute.js';
import { createApiKey, listApiKeys, revokeApiKey } from '../service/apiKeyStore.js';
import { rotateKek } from '../service/rotateKek.js';
import { verifyAuditChain } from '../audit/auditLog.js';
import { openDb, parseDbLocation } from '../store/db.js';
import { migrate } from '../store/migrations.js';
import { DEFAULT_POLICY, type BackendPolicy } from '../service/context.js';
import { importCommand } from '../interop/importCommand.js';
import { backendErrorExitCode, cliActor, EXIT } from './_cliSupport.js';

function print(json: boolean, obj: Record<string, unknown>, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(obj)}\n` : `${text}\n`);
}

function fail(e: unknown, json: boolean): never {
  let code: number = EXIT.bug;
  let message = e instanceof Error ? e.message : String(e);
  if (e instanceof BackendError) code = backendErrorExitCode(e);
  else if (e instanceof Error && /ECONNREFUSED|ENOENT|EACCES|SQLITE_CANTOPEN|unable to open|does not exist|password authentication/i.test(`${e.message} ${(e as { code?: string }).code ?? ''}`)) code = EXIT.cannotRun;
  if (code === EXIT.bug) message = `bug: ${message}`;
  if (json) process.stdout.write(`${JSON.stringify({ event: 'error', code: e instanceof BackendError ? e.code : 'ERROR', message })}\n`);
  else process.stderr.write(`fobkit-backend: ${message}\n`);
  process.exit(code);
}

/** Opens the backend for one command, runs `command` and closes it; any failure ends the process through {@link fail}. */
async function withBackend(json: boolean, options: OpenBackendOptions, command: (b: Backend) => Promise<void>): Promise<void> {
  try {
    const b = await openBackend(options);
    try {
      await command(b);
    } finally {
      await b.close();
    }
  } catch (e) {
    fail(e, json);
  }
}

const dbOptions = {
  db: { type: 'string', default: 'sqlite:fobkit-backend.db', describe: 'sqlite:PATH or postgres://user@host/db' },
  'kek-file': { type: 'string', describe: 'KEK file (default: beside the SQLite file, or ./fobkit-backend.kek)' },
  json: { type: 'boolean', default: false, describe: 'one JSON object per line' },
} as const;

await yargs(hideBin(process.argv))
  .scriptName('fobkit-backend')
  .version(BACKEND_VERSION)
  .command('serve', 'run the HTTP API', (y) => y.options({
    ...dbOptions,
    listen: { type: 'string', default: '127.0.0.1:8700', describe: 'host:port (port 0: any free port)' },
    window: { type: 'number', default: DEFAULT_POLICY.window, describe: 'steps accepted either side of a fob\'s predicted step' },
    'lockout-failures': { type: 'number', default: DEFAULT_POLICY.throttle.lockoutFailures },
    'lockout-seconds': { type: 'number', default: DEFAULT_POLICY.throttle.lockoutSeconds },
    'max-body-bytes': { type: 'number', default: 16384 },
    'key-cache': { type: 'number', default: DEFAULT_OTP_KEY_CACHE_ENTRIES, describe: 'factors whose opened seed validation keeps in memory, about 0.6 KiB each (0: open every seed per request)' },
    'auth-log-days': { type: 'number', default: DEFAULT_POLICY.authLogDays, describe: 'days the auth log keeps each validation (1 to 3650)' },
    'app-enrol-minutes': { type: 'number', default: DEFAULT_POLICY.appEnrolSeconds / 60, describe: 'minutes a new app enrolment waits for its first code (1 to 10080)' },
    'test-clock': { type: 'boolean', default: false, describe: 'QA only: let admin keys set the server clock (POST /v1/test/clock)' },
  }), async (a) => {
    try {
      if (!Number.isInteger(a.window) || a.window < 0 || a.window > 10) throw new BackendError('INVALID_REQUEST', '--window must be an integer from 0 to 10');
      if (!Number.isSafeInteger(a['key-cache']) || a['key-cache'] < 0) throw new BackendError('INVALID_REQUEST', '--key-cache must be a whole number of entries, 0 or more');
      if (!Number.isInteger(a['auth-log-days']) || a['auth-log-days'] < 1 || a['auth-log-days'] > 3650) throw new BackendError('INVALID_REQUEST', '--auth-log-days must be an integer from 1 to 3650');
      if (!Number.isInteger(a['app-enrol-minutes']) || a['app-enrol-minutes'] < 1 || a['app-enrol-minutes'] > 10_080) throw new BackendError('INVALID_REQUEST', '--app-enrol-minutes must be an integer from 1 to 10080 (a week)');
      const policy: Partial<BackendPolicy> = { window: a.window, authLogDays: a['auth-log-days'], appEnrolSeconds: a['app-enrol-minutes'] * 60, throttle: { ...DEFAULT_POLICY.throttle, lockoutFailures: a['lockout-failures'], lockoutSeconds: a['lockout-seconds'] } };
      const testClock = a['test-clock'] ? createSettableClock() : undefined;
      const running = await startServer({ db: a.db, kekFile: a['kek-file'], listen: a.listen, policy, maxBodyBytes: a['max-body-bytes'], otpKeyCacheEntries: a['key-cache'], ...(testClock ? { clock: testClock.clock, extraRoutes: testClockRoutes(testClock) } : {}) });
      const { backend } = running;
      print(a.json, { event: 'ready', url: running.url, db: backend.ctx.db.description, kekFile: backend.kekFile, createdKek: backend.createdKek, pid: process.pid, version: BACKEND_VERSION, testClock: testClock !== undefined },
        `fobkit-backend ${BACKEND_VERSION} listening on ${running.url} (${backend.ctx.db.description}, KEK ${backend.kekFile}${backend.createdKek ? ', created' : ''})${testClock ? ' with the TEST CLOCK (QA only)' : ''}`);
      const stop = (): void => {
        void running.close().then(() => process.exit(0), () => process.exit(EXIT.cannotRun));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    } catch (e) {
      fail(e, a.json);
    }
  })
  .command('keys', 'manage API keys', (y) => y
    .command('create', 'make a key; prints it once (only its hash is stored)', (y2) => y2.options({
      ...dbOptions,
      role: { choices: ROLES, demandOption: true },
      label: { type: 'string', describe: 'who or what uses it' },
    }), (a) => withBackend(a.json, { db: a.db, useKek: false }, async (b) => {
      const k = await createApiKey(b.ctx, cliActor(), a.role as Role, a.label);
      print(a.json, { event: 'key-created', id: k.id, role: k.role, key: k.token }, `${k.token}\n(role ${k.role}, id ${k.id}: store it now, it is not shown again)`);
    }))
    .command('list', 'list keys (never the secrets)', (y2) => y2.options(dbOptions), (a) => withBackend(a.json, { db: a.db, useKek: false }, async (b) => {
      const keys = await listApiKeys(b.ctx);
      if (a.json) print(true, { event: 'keys', keys }, '');
      else for (const k of keys) process.stdout.write(`${k.id}  ${k.role.padEnd(9)}  ${k.revokedAt ? 'revoked' : 'active '}  ${k.label ?? ''}\n`);
    }))
    .command('revoke <id>', 'revoke a key (servers stop accepting it within 5 s)', (y2) => y2.options(dbOptions).positional('id', { type: 'string', demandOption: true }), (a) => withBackend(a.json, { db: a.db, useKek: false }, async (b) => {
      await revokeApiKey(b.ctx, cliActor(), a.id);
      print(a.json, { event: 'key-revoked', id: a.id }, `revoked ${a.id}`);
    }))
    .demandCommand(1))
  .command('kek', 'key-encryption key', (y) => y
    .command('rotate', 're-encrypt every secret at rest under a new KEK', (y2) => y2.options(dbOptions), (a) => withBackend(a.json, { db: a.db, kekFile: a['kek-file'], createKek: false }, async (b) => {
      // b.kekFile: the --kek-file given, or the default beside the database, resolved.
      const r = await rotateKek(b.ctx, b.kekFile, cliActor());
      print(a.json, { event: 'kek-rotated', ...r }, `KEK rotated to ${r.newKekId}: ${r.rewrapped} secrets re-encrypted, retired ${r.retired.join(', ')}`);
    }))
    .demandCommand(1))
  .command('audit', 'the audit log', (y) => y
    .command('verify', 'check the hash chain of the audit log', (y2) => y2.options({ db: dbOptions.db, json: dbOptions.json }), async (a) => {
      try {
        const db = await openDb(parseDbLocation(a.db));
        try {
          await migrate(db);
          const r = await verifyAuditChain(db);
          if (r.ok) print(a.json, { event: 'audit-verified', ...r }, `audit log intact: ${r.entries} entries, head ${r.head}`);
          else print(a.json, { event: 'audit-broken', ...r }, `audit log BROKEN at entry ${r.seq} (${r.reason}); ${r.entries} entries before it verify`);
          if (!r.ok) process.exitCode = EXIT.negative;
        } finally {
          await db.close();
        }
      } catch (e) {
        fail(e, a.json);
      }
    })
    .demandCommand(1))
  .command(importCommand)
  .strict()
  .demandCommand(1)
  .fail((msg, err, y) => {
    if (err) fail(err, false);
    void y;
    process.stderr.write(`fobkit-backend: ${msg} (see fobkit-backend --help)\n`);
    process.exit(EXIT.usage);
  })
  .help()
  .parseAsync();
