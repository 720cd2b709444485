/**
 * `fobkit assign SERIAL USER`: hand an available fob to a user. Exit codes: 0 assigned,
 * 1 the fob's state does not allow it (or the user has a fob), 2 usage, 3 backend unreachable.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { backendSettings, printJson, serialArgument, supportClient, withBackend, withBackendOptions, type BackendArgs } from './_supportOptions.js';

interface AssignArgs extends BackendArgs {
  serial: string;
  user: string;
}

async function runAssign(a: ArgumentsCamelCase<AssignArgs>): Promise<void> {
  const serial = serialArgument(a.serial);
  const backend = supportClient(backendSettings(a));
  const r = await withBackend(() => backend.assign(serial, String(a.user)));
  if (a.json) printJson({ ok: true, ...r });
  else process.stdout.write(`${r.serial}: ${r.state} to ${r.user ?? String(a.user)}\n`);
}

export const assignCommand: CommandModule<object, AssignArgs> = {
  command: 'assign <serial> <user>',
  describe: 'assign an available fob to a user',
  builder: (y: Argv<object>) =>
    withBackendOptions(y).positional('serial', { type: 'string' }).positional('user', { type: 'string', describe: 'the login name' }) as unknown as Argv<AssignArgs>,
  handler: runAssign,
};
