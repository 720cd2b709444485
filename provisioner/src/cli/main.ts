#!/usr/bin/env node
/**
 * The `fobkit` command line: factory, support and QA commands. Each command lives in
 * `commands/<name>Command.ts` and is registered below; errors from any of them go through the
 * one handler in cliErrors.ts.
 */
import yargs, { type CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { reportCliError, EXIT_USAGE } from './cliErrors.js';
import { appCommand } from './commands/appCommand.js';
import { assignCommand } from './commands/assignCommand.js';
import { checkCommand } from './commands/checkCommand.js';
import { inspectCommand } from './commands/inspectCommand.js';
import { qaCommand } from './commands/qaCommand.js';
import { resyncCommand } from './commands/resyncCommand.js';
import { unbindCommand } from './commands/unbindCommand.js';
import { wipeCommand } from './commands/wipeCommand.js';
import { exportCommand } from './commands/exportCommand.js';
import { keysCommand } from './commands/keysCommand.js';
import { loginTestCommand } from './commands/loginTestCommand.js';
import { tokenCommand } from './commands/tokenCommand.js';
import { unlockCommand } from './commands/unlockCommand.js';
import { userCommand } from './commands/userCommand.js';
import { otpCommand } from './commands/otpCommand.js';
import { provisionCommand } from './commands/provisionCommand.js';

// Registered commands, one per line (keep this list sorted by name).
const commands: CommandModule<object, never>[] = [
  appCommand,
  assignCommand as unknown as CommandModule<object, never>,
  checkCommand as unknown as CommandModule<object, never>,
  exportCommand as unknown as CommandModule<object, never>,
  inspectCommand as unknown as CommandModule<object, never>,
  keysCommand,
  loginTestCommand as unknown as CommandModule<object, never>,
  otpCommand,
  provisionCommand as unknown as CommandModule<object, never>,
  qaCommand,
  resyncCommand as unknown as CommandModule<object, never>,
  tokenCommand,
  unbindCommand as unknown as CommandModule<object, never>,
  unlockCommand as unknown as CommandModule<object, never>,
  userCommand,
  wipeCommand as unknown as CommandModule<object, never>,
];

const argv = hideBin(process.argv);
const json = argv.includes('--json');
try {
  await yargs(argv)
    .scriptName('fobkit')
    .command(commands as CommandModule[])
    .demandCommand(1, 'name a command; see fobkit --help')
    .strict()
    .fail((msg, err) => {
      // yargs' own parser and validation errors (YError) are usage mistakes, not bugs.
      if (err && err.name !== 'YError') throw err;
      throw Object.assign(new Error(msg || err?.message || 'invalid usage'), { code: 'USAGE', exitCode: EXIT_USAGE });
    })
    .help()
    .parseAsync();
} catch (e) {
  reportCliError(e, json);
}
