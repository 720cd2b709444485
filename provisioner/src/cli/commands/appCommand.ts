/**
 * `fobkit app enrol USER` and `fobkit app show USER`: the authenticator-app factor (admin key
 * for enrol, support for show). Enrol prints the otpauth:// URI once (it carries the secret:
 * show it to the user as a QR code, never store it). The new app is pending until its first
 * code validates, which revokes the user's previous app; since that ends the old phone's logins,
 * replacing an app asks for confirmation on a terminal (`--yes` skips it).
 * Exit codes: 0 done, 1 no such user (show) or not confirmed, 2 usage, 3 the backend could not
 * be reached.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { CliError, EXIT_NEGATIVE } from '../cliErrors.js';
import { confirmAction } from '../confirmAction.js';
import { backendSettings, formatTime, printJson, supportClient, userArgument, withBackend, withBackendOptions, type BackendArgs } from './_supportOptions.js';

interface EnrolArgs extends BackendArgs {
  user: string;
  label?: string;
  yes: boolean;
}

const enrol: CommandModule<object, EnrolArgs> = {
  command: 'enrol <user>',
  describe: "enrol the user's authenticator app; prints the otpauth URI once (admin key)",
  builder: (y: Argv<object>) =>
    withBackendOptions(y)
      .positional('user', { type: 'string', describe: 'the login name' })
      .option('label', { type: 'string', describe: 'e.g. "iPhone"' })
      .option('yes', { type: 'boolean', default: false, describe: 'replace an enrolled app without asking' }) as unknown as Argv<EnrolArgs>,
  handler: async (a: ArgumentsCamelCase<EnrolArgs>) => {
    const user = userArgument(a.user);
    const backend = supportClient(backendSettings(a));
    if (!a.yes) {
      // Only a replacement is destructive; reading the user needs support rights, which an admin key has.
      const existing = await withBackend(() => backend.getUser(user));
      if (existing?.app) {
        await confirmAction({
          yes: false,
          question: `${user} already has an app (${existing.app.label ?? existing.app.id}, enrolled ${formatTime(existing.app.createdAt)}). Replace it? The old one stops working once the new one's first code is accepted.`,
          consequence: `${user} already has an app: the new one replaces it once its first code is accepted`,
        });
      }
    }
    const r = await withBackend(() => backend.enrolApp(user, a.label === undefined ? undefined : String(a.label)));
    if (a.json) printJson({ ok: true, user, ...r });
    else {
      const until = r.expiresAt ? ` until ${formatTime(r.expiresAt)}` : '';
      process.stdout.write(`${user}: app ${r.id} enrolled, pending${until}: its first accepted code makes it the user's app${r.replaces ? ` and revokes ${r.replaces}` : ''}\n`);
      process.stdout.write(`scan or type this into the authenticator app; it is shown once and holds the secret:\n${r.otpauthUri}\n`);
    }
  },
};

interface ShowArgs extends BackendArgs {
  user: string;
}

const show: CommandModule<object, ShowArgs> = {
  command: 'show <user>',
  describe: "the user's enrolled app (never its secret; support key)",
  builder: (y: Argv<object>) => withBackendOptions(y).positional('user', { type: 'string', describe: 'the login name' }) as unknown as Argv<ShowArgs>,
  handler: async (a: ArgumentsCamelCase<ShowArgs>) => {
    const user = userArgument(a.user);
    const backend = supportClient(backendSettings(a));
    const u = await withBackend(() => backend.getUser(user));
    if (!u) throw new CliError('NO_SUCH_USER', `the backend has no user ${user}`, EXIT_NEGATIVE);
    if (a.json) printJson({ ok: true, user, app: u.app });
    else process.stdout.write(u.app ? `${user}: app ${u.app.id}${u.app.label ? ` "${u.app.label}"` : ''}, enrolled ${formatTime(u.app.createdAt)} (${u.app.algorithm}, ${u.app.digits} digits, ${u.app.period} s)\n` : `${user}: no app enrolled (fobkit app enrol ${user}, admin key)\n`);
  },
};

export const appCommand: CommandModule<object, never> = {
  command: 'app <command>',
  describe: "support: the user's authenticator-app factor",
  builder: (y) => y.command(enrol as unknown as CommandModule).command(show as unknown as CommandModule).demandCommand(1, 'name an app command: enrol, show') as unknown as Argv<never>,
  handler: () => undefined,
};
