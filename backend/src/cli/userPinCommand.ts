/**
 * `fobkit-backend user pin <user> --pin-file F | --clear`: sets or clears a user's static PIN for
 * PIN + OTP logins, on the server, as `PUT`/`DELETE /v1/users/{user}/pin` do over HTTP. The PIN
 * comes from a file (its first line), never from the command line, where the process list and
 * shell history would show it. Audited as `cli:<login>`.
 */
import { readFile } from 'node:fs/promises';
import type { Argv, CommandModule } from 'yargs';
import { BackendError } from '../errors.js';
import { openBackend } from '../openBackend.js';
import { defaultDbSpec } from '../dataDir.js';
import { hasControlCharacter } from '../http/schema.js';
import { USER_PATTERN } from '../http/bodies.js';
import { clearUserPin, PIN_MAX_LENGTH, PIN_MIN_LENGTH, setUserPin } from '../service/userPin.js';
import { backendErrorExitCode, cliActor, EXIT } from './_cliSupport.js';

interface UserPinArgs {
  user: string;
  'pin-file'?: string;
  clear: boolean;
  db: string;
  'kek-file'?: string;
  json: boolean;
}

class UsageError extends Error {}

async function readPin(file: string): Promise<string> {
  const bytes = await readFile(file);
  const pin = bytes.toString('utf8').split(/\r?\n/)[0] ?? '';
  bytes.fill(0);
  if (pin.length < PIN_MIN_LENGTH || pin.length > PIN_MAX_LENGTH || hasControlCharacter(pin)) {
    throw new UsageError(`the PIN (first line of ${file}) must be ${PIN_MIN_LENGTH} to ${PIN_MAX_LENGTH} printable characters`);
  }
  return pin;
}

async function run(a: UserPinArgs): Promise<{ event: string; user: string; pin: boolean }> {
  if (!USER_PATTERN.test(a.user)) throw new UsageError('user must be 1 to 128 letters, digits or . _ @ + \\ -');
  if ((a['pin-file'] === undefined) === !a.clear) throw new UsageError('give --pin-file FILE to set the PIN, or --clear to remove it');
  const pin = a['pin-file'] !== undefined ? await readPin(a['pin-file']) : undefined;
  const b = await openBackend({ db: a.db, ...(a['kek-file'] ? { kekFile: a['kek-file'] } : {}) });
  try {
    const r = pin !== undefined ? await setUserPin(b.ctx, cliActor(), a.user, pin) : await clearUserPin(b.ctx, cliActor(), a.user);
    return { event: r.pin ? 'pin-set' : 'pin-cleared', ...r };
  } finally {
    await b.close();
  }
}

const pinCommand: CommandModule<object, UserPinArgs> = {
  command: 'pin <user>',
  describe: "set (--pin-file) or clear (--clear) a user's PIN for PIN + OTP logins",
  builder: (y: Argv<object>) => y
    .positional('user', { type: 'string', demandOption: true })
    .options({
      'pin-file': { type: 'string', describe: 'file whose first line is the PIN (4 to 64 characters)' },
      clear: { type: 'boolean', default: false, describe: 'remove the PIN: the code alone works again' },
      db: { type: 'string', default: defaultDbSpec(), describe: 'sqlite:PATH or postgres://user@host/db (default: in the data directory, see serve --help)' },
      'kek-file': { type: 'string', describe: 'KEK file (default: beside the SQLite file, or in the data directory)' },
      json: { type: 'boolean', default: false, describe: 'one JSON object' },
    }) as unknown as Argv<UserPinArgs>,
  handler: async (a) => {
    try {
      const r = await run(a);
      process.stdout.write(a.json ? `${JSON.stringify(r)}\n` : `${r.pin ? 'PIN set' : 'PIN cleared'} for ${r.user}\n`);
    } catch (e) {
      const exit = e instanceof UsageError ? EXIT.usage : e instanceof BackendError ? backendErrorExitCode(e) : (e as { code?: string }).code?.startsWith('E') ? EXIT.cannotRun : EXIT.bug;
      const message = e instanceof Error ? e.message : String(e);
      const code = e instanceof BackendError ? e.code : e instanceof UsageError ? 'USAGE' : 'ERROR';
      if (a.json) process.stdout.write(`${JSON.stringify({ event: 'error', code, message })}\n`);
      else process.stderr.write(`fobkit-backend: ${message}\n`);
      process.exitCode = exit;
    }
  },
};

/** `fobkit-backend user …`: per-user settings (today the PIN). */
export const userCommand: CommandModule = {
  command: 'user',
  describe: 'per-user settings: pin',
  builder: (y: Argv) => y.command(pinCommand).demandCommand(1),
  handler: () => undefined,
};
