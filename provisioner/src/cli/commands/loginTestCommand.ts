/**
 * `fobkit login-test USER CODE`: try a login as the validating service would (POST
 * /v1/validate; needs a validator key). A code that works is consumed, as in a real login:
 * use the fob's next code for the real one. Exit codes: 0 accepted, 1 refused (with the
 * reason), 2 usage, 3 the backend could not be reached.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { EXIT_NEGATIVE, EXIT_OK } from '../cliErrors.js';
import { backendSettings, printJson, supportClient, userArgument, withBackend, withBackendOptions, type BackendArgs } from './_supportOptions.js';

interface LoginTestArgs extends BackendArgs {
  user: string;
  code: string;
}

const REASONS: Record<string, string> = {
  malformed: 'not a code: 6 to 8 digits',
  'no-factor': 'the user has no fob or app',
  disabled: "the user's fob is disabled (fobkit token enable SERIAL)",
  mismatch: 'wrong code, or the fob\'s clock is off (fobkit check SERIAL CODE)',
  replayed: 'that code was already used (a code is accepted once); wait for the next one',
  'rate-limited': 'too many failures just now; wait',
  'locked-out': 'locked out after repeated failures (fobkit unlock USER)',
};

async function runLoginTest(a: ArgumentsCamelCase<LoginTestArgs>): Promise<void> {
  const user = userArgument(a.user);
  const backend = supportClient(backendSettings(a));
  const r = await withBackend(() => backend.validate(user, String(a.code)));
  if (a.json) printJson({ user, ...r });
  else if (r.ok) process.stdout.write(`${user}: accepted (${r.factor}${r.serial ? ` ${r.serial}` : ''}); the code is now used\n`);
  else process.stdout.write(`${user}: refused (${r.reason}): ${REASONS[r.reason] ?? r.reason}${r.retryAfter ? `; retry after ${r.retryAfter} s` : ''}\n`);
  process.exitCode = r.ok ? EXIT_OK : EXIT_NEGATIVE;
}

export const loginTestCommand: CommandModule<object, LoginTestArgs> = {
  command: 'login-test <user> <code>',
  describe: 'try a login as the validating service would (validator key; consumes the code)',
  builder: (y: Argv<object>) =>
    withBackendOptions(y)
      .positional('user', { type: 'string', describe: 'the login name' })
      .positional('code', { type: 'string', describe: 'the code shown on the fob or app' }) as unknown as Argv<LoginTestArgs>,
  handler: runLoginTest,
};
