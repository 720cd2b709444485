/**
 * `fobkit user show USER`: a user's factors (fob, app), failures and lockout, and recent
 * logins (the backend's auth log, when it keeps one). Exit codes: 0 shown, 1 no such user,
 * 2 usage, 3 the backend could not be reached (or is not a fobkit backend).
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { showUser, type ShowUserResult } from '../../support/showUser.js';
import { CliError, EXIT_NEGATIVE } from '../cliErrors.js';
import { backendSettings, formatTime, printJson, supportClient, userArgument, withBackend, withBackendOptions, type BackendArgs } from './_supportOptions.js';

interface UserShowArgs extends BackendArgs {
  user: string;
  log: number;
}

export function formatUser(r: ShowUserResult): string[] {
  const u = r.user;
  const lines = [`user      ${u.user}${r.locked ? '  LOCKED OUT' : ''}`];
  if (r.fob) {
    lines.push(`fob       ${r.fob.serial}  ${r.fob.state}${r.fob.enabled ? '' : ' (disabled)'}; last used ${formatTime(r.fob.lastUsed)}; clock expected ${r.fob.drift.seconds >= 0 ? '+' : ''}${r.fob.drift.seconds} s; ${r.fob.failures.count} recent failures${r.fob.failures.lockedUntil ? `, locked until ${formatTime(r.fob.failures.lockedUntil)}` : ''}`);
  } else lines.push(`fob       none${u.fob ? ` (${u.fob.serial})` : ''}`);
  lines.push(u.app ? `app       ${u.app.id}${u.app.label ? ` "${u.app.label}"` : ''}, enrolled ${formatTime(u.app.createdAt)} (${u.app.algorithm}, ${u.app.digits} digits, ${u.app.period} s)` : 'app       none');
  lines.push(`failures  ${u.failures.count} recent${u.failures.lastAt ? `, last ${formatTime(u.failures.lastAt)}` : ''}${u.failures.lockedUntil ? `; locked out until ${formatTime(u.failures.lockedUntil)} (fobkit unlock ${u.user})` : ''}`);
  if (r.authLog === null) lines.push('logins    (this backend keeps no auth log: GET /v1/users/{user}/auth-log answered 404)');
  else if (r.authLog.length === 0) lines.push('logins    none recorded');
  else {
    lines.push('logins    newest first:');
    for (const e of r.authLog) lines.push(`  ${formatTime(e.at)}  ${e.result.padEnd(8)} ${e.factor ?? '-'}${e.serial ? ` ${e.serial}` : ''}${e.reason ? `  (${e.reason})` : ''}${e.source ? `  from ${e.source}` : ''}`);
  }
  return lines;
}

async function runUserShow(a: ArgumentsCamelCase<UserShowArgs>): Promise<void> {
  const user = userArgument(a.user);
  if (!Number.isInteger(a.log) || a.log < 1 || a.log > 1000) throw new RangeError('--log must be 1 to 1000 entries');
  const backend = supportClient(backendSettings(a));
  const r = await withBackend(() => showUser({ backend, user, logLimit: a.log }));
  if (!r) throw new CliError('NO_SUCH_USER', `the backend has no user ${user}`, EXIT_NEGATIVE);
  if (a.json) printJson({ ok: true, ...r });
  else for (const l of formatUser(r)) process.stdout.write(l + '\n');
}

const show: CommandModule<object, UserShowArgs> = {
  command: 'show <user>',
  describe: "a user's factors, failures, lockout and recent logins (support key)",
  builder: (y: Argv<object>) =>
    withBackendOptions(y)
      .positional('user', { type: 'string', describe: 'the login name' })
      .option('log', { type: 'number', default: 20, describe: 'how many recent logins to show' }) as unknown as Argv<UserShowArgs>,
  handler: runUserShow,
};

export const userCommand: CommandModule<object, never> = {
  command: 'user <command>',
  describe: 'support: look a user up',
  builder: (y) => y.command(show as unknown as CommandModule).demandCommand(1, "name a user command: show") as unknown as Argv<never>,
  handler: () => undefined,
};
