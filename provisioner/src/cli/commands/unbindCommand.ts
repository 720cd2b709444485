/**
 * `fobkit unbind SERIAL --reason TEXT`: take a fob from its user (lost, returned, broken); its
 * codes stop working at once and it is quarantined until a support check proves it again.
 * Asks for confirmation on a terminal (`--yes` skips it; without a terminal it is required).
 * Exit codes: 0 unbound, 1 the fob is not assigned (or not confirmed), 2 usage, 3 backend unreachable.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { CliError, EXIT_NEGATIVE } from '../cliErrors.js';
import { confirmAction } from '../confirmAction.js';
import { backendSettings, printJson, serialArgument, supportClient, withBackend, withBackendOptions, type BackendArgs } from './_supportOptions.js';

interface UnbindArgs extends BackendArgs {
  serial: string;
  reason: string;
  yes: boolean;
}

async function runUnbind(a: ArgumentsCamelCase<UnbindArgs>): Promise<void> {
  const serial = serialArgument(a.serial);
  const backend = supportClient(backendSettings(a));
  const before = await withBackend(() => backend.getToken(serial));
  if (!before) throw new CliError('NOT_REGISTERED', `the backend has no fob ${serial}`, EXIT_NEGATIVE);
  await confirmAction({
    yes: a.yes,
    question: `Unbind ${serial} from ${before.user ?? 'its user'}? Their codes stop working at once.`,
    consequence: `unbinding ${serial} stops ${before.user ?? 'its user'}'s codes at once`,
  });
  const r = await withBackend(() => backend.unbind(serial, String(a.reason)));
  if (a.json) printJson({ ok: true, ...r, previousUser: before?.user ?? null });
  else process.stdout.write(`${r.serial}: unbound from ${before.user ?? 'its user'} (${String(a.reason)}); now ${r.state}: its codes are refused\n`);
}

export const unbindCommand: CommandModule<object, UnbindArgs> = {
  command: 'unbind <serial>',
  describe: 'take a fob from its user (lost, returned): its codes stop working',
  builder: (y: Argv<object>) =>
    withBackendOptions(y)
      .positional('serial', { type: 'string' })
      .option('reason', { type: 'string', demandOption: true, describe: 'why (lost, returned, broken…), kept in the audit log' })
      .option('yes', { type: 'boolean', default: false, describe: 'do not ask for confirmation (needed without a terminal)' }) as unknown as Argv<UnbindArgs>,
  handler: runUnbind,
};
