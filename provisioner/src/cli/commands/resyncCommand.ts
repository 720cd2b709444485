/**
 * `fobkit resync SERIAL CODE1 CODE2`: re-anchor the backend's view of a fob's clock with two
 * consecutive codes. Exit codes: 0 resynced, 1 the codes do not match (or were used), 2 usage,
 * 3 the backend could not be reached.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { EXIT_NEGATIVE, EXIT_OK } from '../cliErrors.js';
import { backendSettings, printJson, serialArgument, supportClient, withBackend, withBackendOptions, type BackendArgs } from './_supportOptions.js';

interface ResyncArgs extends BackendArgs {
  serial: string;
  code1: string;
  code2: string;
}

async function runResync(a: ArgumentsCamelCase<ResyncArgs>): Promise<void> {
  const serial = serialArgument(a.serial);
  const backend = supportClient(backendSettings(a));
  const r = await withBackend(() => backend.resync(serial, String(a.code1), String(a.code2)));
  if (a.json) printJson({ serial, ...r });
  else if (r.ok) process.stdout.write(`${serial}: resynced; the backend now expects the fob's clock ${r.offsetSeconds >= 0 ? '+' : ''}${r.offsetSeconds} s (${r.offsetSteps >= 0 ? '+' : ''}${r.offsetSteps} steps) off\n`);
  else process.stdout.write(`${serial}: not resynced (${r.reason}): ${r.reason === 'replayed' ? 'the fob had already used one of these codes for a login or a resync (a code is accepted once); ask for two new consecutive codes' : 'ask for two codes shown one after the other, and check the serial'}\n`);
  process.exitCode = r.ok ? EXIT_OK : EXIT_NEGATIVE;
}

export const resyncCommand: CommandModule<object, ResyncArgs> = {
  command: 'resync <serial> <code1> <code2>',
  describe: "re-establish a fob's clock offset on the backend from two consecutive codes",
  builder: (y: Argv<object>) =>
    withBackendOptions(y)
      .positional('serial', { type: 'string' })
      .positional('code1', { type: 'string', describe: 'a code shown' })
      .positional('code2', { type: 'string', describe: 'the next code shown' }) as unknown as Argv<ResyncArgs>,
  handler: runResync,
};
