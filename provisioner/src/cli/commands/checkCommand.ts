/**
 * `fobkit check SERIAL CODE [CODE2]`: the codes a user reads off a fob support cannot touch.
 * Exit codes: 0 the code matches, 1 it does not, 2 usage (a serial with a bad check digit is
 * refused before anything is sent), 3 the backend could not be reached.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { checkCodes } from '../../support/checkCodes.js';
import { EXIT_NEGATIVE, EXIT_OK } from '../cliErrors.js';
import { backendSettings, printJson, serialArgument, supportClient, withBackend, withBackendOptions, type BackendArgs } from './_supportOptions.js';

interface CheckArgs extends BackendArgs {
  serial: string;
  code: string;
  code2?: string;
}

async function runCheck(a: ArgumentsCamelCase<CheckArgs>): Promise<void> {
  const serial = serialArgument(a.serial);
  const backend = supportClient(backendSettings(a));
  const r = await withBackend(() => checkCodes({ backend, serial, code: String(a.code), ...(a.code2 !== undefined ? { code2: String(a.code2) } : {}) }));
  if (a.json) printJson(r);
  else if (r.ok) {
    process.stdout.write(`${serial}: code matches at ${r.offsetSteps >= 0 ? '+' : ''}${r.offsetSteps} steps (${r.offsetSeconds >= 0 ? '+' : ''}${r.offsetSeconds} s)${r.consecutive ? ', second code is the next one' : ''}; ${r.state}\nnext: ${r.next}\n`);
  } else {
    process.stdout.write(`${serial}: ${r.reason === 'mismatch' ? 'code does NOT match' : r.reason}\nnext: ${r.next}\n`);
  }
  process.exitCode = r.ok ? EXIT_OK : EXIT_NEGATIVE;
}

export const checkCommand: CommandModule<object, CheckArgs> = {
  command: 'check <serial> <code> [code2]',
  describe: "does a code read off a fob match, and how far is the fob's clock off (a day either side; consumes nothing)",
  builder: (y: Argv<object>) =>
    withBackendOptions(y)
      .positional('serial', { type: 'string', describe: 'serial on the back of the fob' })
      .positional('code', { type: 'string', describe: 'the code shown' })
      .positional('code2', { type: 'string', describe: 'the next code shown (optional)' }) as unknown as Argv<CheckArgs>,
  handler: runCheck,
};
