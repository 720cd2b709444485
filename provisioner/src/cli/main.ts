#!/usr/bin/env node
/**
 * The `fobkit` command line: factory, support and QA commands. Each command lives in
 * `commands/<name>Command.ts` and is registered below; errors from any of them go through the
 * one handler in cliErrors.ts.
 */
import { readFileSync } from 'node:fs';
import yargs, { type CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { reportCliError, EXIT_USAGE } from './cliErrors.js';
import { assignCommand } from './commands/assignCommand.js';
import { checkCommand } from './commands/checkCommand.js';
import { inspectCommand } from './commands/inspectCommand.js';
import { qaCommand } from './commands/qaCommand.js';
import { resyncCommand } from './commands/resyncCommand.js';
import { unbindCommand } from './commands/unbindCommand.js';
import { wipeCommand } from './commands/wipeCommand.js';
import { exportCommand } from './commands/exportCommand.js';
import { keysCommand } from './commands/keysCommand.js';
import { expandOathtoolArgv, otpCommand } from './commands/otpCommand.js';
import { provisionCommand } from './commands/provisionCommand.js';

// Registered commands, one per line (keep this list sorted by name).
const commands: CommandModule<object, never>[] = [
  assignCommand as unknown as CommandModule<object, never>,
  checkCommand as unknown as CommandModule<object, never>,
  exportCommand as unknown as CommandModule<object, never>,
  inspectCommand as unknown as CommandModule<object, never>,
  keysCommand,
  otpCommand,
  provisionCommand as unknown as CommandModule<object, never>,
  qaCommand,
  resyncCommand as unknown as CommandModule<object, never>,
  unbindCommand as unknown as CommandModule<object, never>,
  wipeCommand as unknown as CommandModule<object, never>,
];

// src/cli/main.ts and dist/cli/main.js are both two levels below the package root; yargs' own
// guess looks beside process.argv[1] (the bin stub) and prints "unknown".
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const argv = expandOathtoolArgv(hideBin(process.argv));
const json = argv.includes('--json');
try {
  await yargs(argv)
    .scriptName('fobkit')
    .command(commands as CommandModule[])
    .demandCommand(1, 'name a command; see fobkit --help')
    .recommendCommands()
    .strict()
    .fail((msg, err) => {
      // yargs' own parser and validation errors (YError) are usage mistakes, not bugs.
      if (err && err.name !== 'YError') throw err;
      // recommendCommands() reports only "Did you mean X?": name what was typed too.
      if (!err && msg?.startsWith('Did you mean')) {
        throw Object.assign(new Error(`unknown command '${argv.filter((w) => !w.startsWith('-')).slice(0, 2).join(' ')}'. ${msg} (see fobkit --help)`), { code: 'UNKNOWN_COMMAND', exitCode: EXIT_USAGE });
      }
      throw Object.assign(new Error(msg || err?.message || 'invalid usage'), { code: 'USAGE', exitCode: EXIT_USAGE });
    })
    .version(VERSION)
    .help()
    .alias('h', 'help')
    .parseAsync();
} catch (e) {
  reportCliError(e, json);
}
