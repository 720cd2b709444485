/**
 * `fobkit unlock USER`: clear a user's (and their fob's) failure count and lockout, after
 * support made sure who is asking. Exit codes: 0 unlocked, 1 no such user, 2 usage, 3 the
 * backend could not be reached.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { CliError, EXIT_NEGATIVE } from '../cliErrors.js';
import { backendSettings, printJson, supportClient, userArgument, withBackend, withBackendOptions, type BackendArgs } from './_supportOptions.js';
import { isNotFound } from '../../backendApi/supportClient.js';

interface UnlockArgs extends BackendArgs {
  user: string;
}

async function runUnlock(a: ArgumentsCamelCase<UnlockArgs>): Promise<void> {
  const user = userArgument(a.user);
  const backend = supportClient(backendSettings(a));
  const r = await withBackend(() => backend.unlockUser(user).catch((e: unknown) => {
    if (isNotFound(e)) throw new CliError('NO_SUCH_USER', `the backend has no user ${user}`, EXIT_NEGATIVE);
    throw e;
  }));
  if (a.json) printJson({ ok: true, ...r });
  else process.stdout.write(`${user}: unlocked (failures cleared${r.fob ? `, also on ${r.fob.serial}` : ''}); they can log in again\n`);
}

export const unlockCommand: CommandModule<object, UnlockArgs> = {
  command: 'unlock <user>',
  describe: "clear a user's failures and lockout, and their fob's (support key)",
  builder: (y: Argv<object>) => withBackendOptions(y).positional('user', { type: 'string', describe: 'the login name' }) as unknown as Argv<UnlockArgs>,
  handler: runUnlock,
};
