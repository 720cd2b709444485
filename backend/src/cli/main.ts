#!/usr/bin/env node
/**
 * The `fobkit-backend` command line: serve, keys create|list|revoke, operators add|list|disable|passwd,
 * kek rotate, audit verify|head, user pin, import.
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
import { AUDIT_HASH_PATTERN, readAuditHead, verifyAuditChain, type AuditHead } from '../audit/auditLog.js';
import { startAuditHeadLog } from '../audit/auditHeadLog.js';
import { openDb, parseDbLocation } from '../store/db.js';
import { migrate } from '../store/migrations.js';
import { DEFAULT_POLICY, type BackendPolicy } from '../service/context.js';
import { importCommand } from '../interop/importCommand.js';
import { userCommand } from './userPinCommand.js';
import { backendErrorExitCode, cliActor, EXIT } from './_cliSupport.js';
import { addOperator, disableOperator, listOperators, OPERATOR_ROLES, setOperatorPassword } from '../service/operatorStore.js';
import { readPassword } from './_readPassword.js';
import { confirmAction, ConfirmationDeclined } from './confirmAction.js';
import { withNumericOptions } from './numericOptions.js';
import { defaultDbSpec, prepareDefaultDataDir } from '../dataDir.js';

function print(json: boolean, obj: Record<string, unknown>, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(obj)}\n` : `${text}\n`);
}

/** One line for an audit head: published by `audit head` and logged by `serve` (see audit/auditHeadLog.ts). */
function printAuditHead(json: boolean, h: AuditHead): void {
  print(json, { event: 'audit-head', ...h }, `audit head: seq ${h.seq} hash ${h.hash}${h.at === null ? ' (empty log)' : ` at ${new Date(h.at * 1000).toISOString()}`}`);
}

const yesOption = { type: 'boolean', default: false, describe: 'do not ask for confirmation (needed without a terminal)' } as const;

function fail(e: unknown, json: boolean): never {
  let code: number = EXIT.bug;
  let message = e instanceof Error ? e.message : String(e);
  if (e instanceof BackendError) code = backendErrorExitCode(e);
  else if (e instanceof ConfirmationDeclined) code = EXIT.negative;
  else if (e instanceof Error && /ECONNREFUSED|ENOENT|EACCES|SQLITE_CANTOPEN|unable to open|does not exist|password authentication/i.test(`${e.message} ${(e as { code?: string }).code ?? ''}`)) code = EXIT.cannotRun;
  if (code === EXIT.bug) message = `bug: ${message}`;
  if (json) process.stdout.write(`${JSON.stringify({ event: 'error', code: e instanceof BackendError ? e.code : e instanceof ConfirmationDeclined ? 'ABORTED' : 'ERROR', message })}\n`);
  else process.stderr.write(`fobkit-backend: ${e instanceof BackendError ? `error [${e.code}]: ` : ''}${message}\n`);
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
  db: { type: 'string', default: defaultDbSpec(), describe: 'sqlite:PATH or postgres://user@host/db (default: in $FOBKIT_DATA_DIR, else $XDG_DATA_HOME/fobkit or ~/.local/share/fobkit)' },
  'kek-file': { type: 'string', describe: 'KEK file (default: beside the SQLite file, or fobkit-backend.kek in the data directory)' },
  json: { type: 'boolean', default: false, describe: 'one JSON object per line' },
} as const;

try {
  await yargs(hideBin(process.argv))
  .scriptName('fobkit-backend')
  .version(BACKEND_VERSION)
  .command('serve', 'run the HTTP API', (y) => withNumericOptions(y, {
    window: { min: 0, max: 10, default: DEFAULT_POLICY.window, describe: 'steps accepted either side of a fob\'s predicted step' },
    // Below 1 failure or 60 s the throttle is off in all but name (issue 15: 0 and -1 turned it off).
    'lockout-failures': { min: 1, max: 1000, default: DEFAULT_POLICY.throttle.lockoutFailures, describe: 'wrong codes in a row that lock a user or fob out' },
    'lockout-seconds': { min: 60, max: 604_800, default: DEFAULT_POLICY.throttle.lockoutSeconds, describe: 'how long a lockout lasts' },
    'max-body-bytes': { min: 4096, max: 1_048_576, default: 16384, describe: 'largest request body accepted' },
    'key-cache': { min: 0, max: 10_000_000, default: DEFAULT_OTP_KEY_CACHE_ENTRIES, describe: 'factors whose opened seed validation keeps in memory, about 0.6 KiB each (0: open every seed per request)' },
    'auth-log-days': { min: 1, max: 3650, default: DEFAULT_POLICY.authLogDays, describe: 'days the auth log keeps each validation' },
    'app-enrol-minutes': { min: 1, max: 10_080, default: DEFAULT_POLICY.appEnrolSeconds / 60, describe: 'minutes a new app enrolment waits for its first code' },
    'console-idle-minutes': { min: 1, max: 1440, default: 15, describe: 'console sessions end after this long without a request' },
    'console-max-hours': { min: 0.25, max: 168, fraction: true, default: 12, describe: 'console sessions end this long after login, whatever happens' },
  }).options({
    ...dbOptions,
    listen: { type: 'string', default: '127.0.0.1:8700', describe: 'host:port (port 0: any free port)' },
    'test-clock': { type: 'boolean', default: false, describe: 'QA only: let admin keys set the server clock (POST /v1/test/clock)' },
    console: { type: 'boolean', default: true, describe: 'serve the helpdesk console under /console/ (--no-console: API only)' },
    'console-secure-cookies': { type: 'boolean', default: false, describe: 'mark the console cookie Secure: set it when operators reach the console over HTTPS (a TLS proxy in front)' },
  }), async (a) => {
    try {
      const consoleOptions = a.console
        ? { secureCookies: a['console-secure-cookies'], sessions: { idleSeconds: a['console-idle-minutes'] * 60, absoluteSeconds: a['console-max-hours'] * 3600 } }
        : false as const;
      const policy: Partial<BackendPolicy> = { window: a.window, authLogDays: a['auth-log-days'], appEnrolSeconds: a['app-enrol-minutes'] * 60, throttle: { ...DEFAULT_POLICY.throttle, lockoutFailures: a['lockout-failures'], lockoutSeconds: a['lockout-seconds'] } };
      const testClock = a['test-clock'] ? createSettableClock() : undefined;
      const running = await startServer({ db: a.db, kekFile: a['kek-file'], listen: a.listen, policy, maxBodyBytes: a['max-body-bytes'], otpKeyCacheEntries: a['key-cache'], console: consoleOptions, ...(testClock ? { clock: testClock.clock, extraRoutes: testClockRoutes(testClock) } : {}) });
      const { backend } = running;
      const consoleUrl = a.console ? `${running.url}/console/` : null;
      print(a.json, { event: 'ready', url: running.url, consoleUrl, db: backend.ctx.db.description, kekFile: backend.kekFile, createdKek: backend.createdKek, pid: process.pid, version: BACKEND_VERSION, testClock: testClock !== undefined },
        `fobkit-backend ${BACKEND_VERSION} listening on ${running.url} (${backend.ctx.db.description}, KEK ${backend.kekFile}${backend.createdKek ? ', created' : ''})${testClock ? ' with the TEST CLOCK (QA only)' : ''}${consoleUrl ? `\nhelpdesk console: ${consoleUrl} (operators: fobkit-backend operators add NAME --role support|admin)` : ''}`);
      const headLog = await startAuditHeadLog({ db: backend.ctx.db, log: (h) => printAuditHead(a.json, h), logError: (m) => process.stderr.write(`${m}\n`) });
      const stop = (): void => {
        headLog.stop();
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
    .command('revoke <id>', 'revoke a key (servers stop accepting it within 5 s)', (y2) => y2.options({ ...dbOptions, yes: yesOption }).positional('id', { type: 'string', demandOption: true }), (a) => withBackend(a.json, { db: a.db, useKek: false }, async (b) => {
      await confirmAction({ yes: a.yes, question: `Revoke API key ${a.id}? Whatever uses it stops working.`, consequence: `revoking API key ${a.id} is final` });
      await revokeApiKey(b.ctx, cliActor(), a.id);
      print(a.json, { event: 'key-revoked', id: a.id }, `revoked ${a.id}`);
    }))
    .demandCommand(1))
  .command('operators', 'people who log in to the helpdesk console', (y) => y
    .command('add <name>', 'add an operator; the password is read from the terminal or standard input, never the command line', (y2) => y2.options({
      ...dbOptions,
      role: { choices: OPERATOR_ROLES, demandOption: true },
    }).positional('name', { type: 'string', demandOption: true }), (a) => withBackend(a.json, { db: a.db, useKek: false }, async (b) => {
      const op = await addOperator(b.ctx, cliActor(), { name: a.name, role: a.role, password: await readPassword() });
      print(a.json, { event: 'operator-added', name: op.name, role: op.role }, `added operator ${op.name} (${op.role})`);
    }))
    .command('list', 'list operators (never the password hashes)', (y2) => y2.options(dbOptions), (a) => withBackend(a.json, { db: a.db, useKek: false }, async (b) => {
      const ops = await listOperators(b.ctx);
      if (a.json) print(true, { event: 'operators', operators: ops }, '');
      else for (const o of ops) process.stdout.write(`${o.name.padEnd(20)}  ${o.role.padEnd(7)}  ${o.disabledAt === null ? 'active' : 'disabled'}\n`);
    }))
    .command('disable <name>', 'disable an operator (their console sessions end at once)', (y2) => y2.options(dbOptions).positional('name', { type: 'string', demandOption: true }), (a) => withBackend(a.json, { db: a.db, useKek: false }, async (b) => {
      await disableOperator(b.ctx, cliActor(), a.name);
      print(a.json, { event: 'operator-disabled', name: a.name }, `disabled operator ${a.name}`);
    }))
    .command('passwd <name>', 'set a new password (and with --role a new role); their console sessions end', (y2) => y2.options({
      ...dbOptions,
      role: { choices: OPERATOR_ROLES },
    }).positional('name', { type: 'string', demandOption: true }), (a) => withBackend(a.json, { db: a.db, useKek: false }, async (b) => {
      await setOperatorPassword(b.ctx, cliActor(), a.name, await readPassword(), a.role);
      print(a.json, { event: 'operator-password-set', name: a.name, ...(a.role ? { role: a.role } : {}) }, `password of ${a.name} set${a.role ? `, role ${a.role}` : ''}`);
    }))
    .demandCommand(1))
  .command('kek', 'key-encryption key', (y) => y
    .command('rotate', 're-encrypt every secret at rest under a new KEK', (y2) => y2.options({ ...dbOptions, yes: yesOption }), (a) => withBackend(a.json, { db: a.db, kekFile: a['kek-file'], createKek: false }, async (b) => {
      await confirmAction({ yes: a.yes, question: `Rotate the KEK in ${b.kekFile}? Every seed is re-encrypted and the old key removed from the file (keep a backup of the file first).`, consequence: 'rotating the KEK rewrites every secret at rest' });
      // b.kekFile: the --kek-file given, or the default beside the database, resolved.
      const r = await rotateKek(b.ctx, b.kekFile, cliActor());
      print(a.json, { event: 'kek-rotated', ...r }, `KEK rotated to ${r.newKekId}: ${r.rewrapped} secrets re-encrypted, retired ${r.retired.join(', ')}`);
    }))
    .demandCommand(1))
  .command('audit', 'the audit log', (y) => y
    .command('verify', 'check the hash chain of the audit log (and that a head published earlier is still in it)', (y2) => y2.options({
      db: dbOptions.db,
      json: dbOptions.json,
      'expect-head': { type: 'string', describe: 'a head hash published earlier (audit head, or the server log): it must still be in the chain' },
      'expect-seq': { type: 'number', describe: 'the seq of that head; alone: the chain must have at least this many entries' },
    }), async (a) => {
      try {
        const anchor = { expectHead: a['expect-head'], expectSeq: a['expect-seq'] };
        if (anchor.expectHead !== undefined && !AUDIT_HASH_PATTERN.test(anchor.expectHead)) throw new BackendError('INVALID_REQUEST', '--expect-head must be 64 lower-case hex digits, as audit head prints it');
        if (anchor.expectSeq !== undefined && (!Number.isSafeInteger(anchor.expectSeq) || anchor.expectSeq < 0)) throw new BackendError('INVALID_REQUEST', '--expect-seq must be a whole number, 0 or more');
        const db = await openDb(parseDbLocation(a.db));
        try {
          await migrate(db);
          const r = await verifyAuditChain(db, anchor);
          if (r.ok) print(a.json, { event: 'audit-verified', ...r }, `audit log intact: ${r.entries} entries, head ${r.head}${anchor.expectHead ? ', published head found' : ''}`);
          else if (r.reason === 'head-missing' || r.reason === 'truncated') {
            print(a.json, { event: 'audit-broken', ...r }, `audit log BROKEN: the published head${anchor.expectSeq === undefined ? '' : ` (seq ${anchor.expectSeq})`} is not in it (${r.reason}); the ${r.entries} entries there verify, so entries were removed from the end`);
          } else print(a.json, { event: 'audit-broken', ...r }, `audit log BROKEN at entry ${r.seq} (${r.reason}); ${r.entries} entries before it verify`);
          if (!r.ok) process.exitCode = EXIT.negative;
        } finally {
          await db.close();
        }
      } catch (e) {
        fail(e, a.json);
      }
    })
    .command('head', 'print the newest entry { seq, hash, at } to publish elsewhere (for audit verify --expect-head)', (y2) => y2.options({ db: dbOptions.db, json: dbOptions.json }), async (a) => {
      try {
        prepareDefaultDataDir(a.db);
        const db = await openDb(parseDbLocation(a.db));
        try {
          await migrate(db);
          printAuditHead(a.json, await readAuditHead(db));
        } finally {
          await db.close();
        }
      } catch (e) {
        fail(e, a.json);
      }
    })
    .demandCommand(1))
  .command(importCommand)
  .command(userCommand)
  .strict()
  .demandCommand(1)
  .recommendCommands()
  .fail((msg, err, y) => {
    if (err) fail(err, false);
    void y;
    process.stderr.write(`fobkit-backend: ${msg} (see fobkit-backend --help)\n`);
    process.exit(EXIT.usage);
  })
  .help()
  .alias('h', 'help')
  .parseAsync();
} catch (e) {
  // Errors thrown before a handler runs (a numeric option out of range) arrive here.
  fail(e, process.argv.includes('--json'));
}
