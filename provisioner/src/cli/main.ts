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
import { expandOathtoolArgv } from './commands/otpCommand.js';

type AnyCommand = CommandModule<object, never>;

/**
 * The command modules, loaded on demand: `fobkit otp` is typed at a support desk as often as
 * oathtool is, and loading every command first (serialport, SQLite, the whole protocol package)
 * tripled its start-up (bench:otp). Any other command, or none, loads them all (keep this list
 * sorted by name).
 */
async function loadCommands(first: string | undefined): Promise<AnyCommand[]> {
  if (first === 'otp') return [(await import('./commands/otpCommand.js')).otpCommand];
  const [app, assign, check, exp, inspect, keys, loginTest, otp, provision, qa, resync, token, unbind, unlock, user, wipe] = await Promise.all([
    import('./commands/appCommand.js'), import('./commands/assignCommand.js'), import('./commands/checkCommand.js'),
    import('./commands/exportCommand.js'), import('./commands/inspectCommand.js'), import('./commands/keysCommand.js'),
    import('./commands/loginTestCommand.js'), import('./commands/otpCommand.js'), import('./commands/provisionCommand.js'),
    import('./commands/qaCommand.js'), import('./commands/resyncCommand.js'), import('./commands/tokenCommand.js'),
    import('./commands/unbindCommand.js'), import('./commands/unlockCommand.js'), import('./commands/userCommand.js'),
    import('./commands/wipeCommand.js'),
  ]);
  return [
    app.appCommand, assign.assignCommand, check.checkCommand, exp.exportCommand, inspect.inspectCommand, keys.keysCommand,
    loginTest.loginTestCommand, otp.otpCommand, provision.provisionCommand, qa.qaCommand, resync.resyncCommand,
    token.tokenCommand, unbind.unbindCommand, unlock.unlockCommand, user.userCommand, wipe.wipeCommand,
  ] as unknown as AnyCommand[];
}

// src/cli/main.ts and dist/cli/main.js are both two levels below the package root; yargs' own
// guess looks beside process.argv[1] (the bin stub) and prints "unknown".
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const argv = expandOathtoolArgv(hideBin(process.argv));
const json = argv.includes('--json');
try {
  const commands = await loadCommands(argv.find((w) => !w.startsWith('-')));
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
