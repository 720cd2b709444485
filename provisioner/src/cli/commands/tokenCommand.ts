/**
 * `fobkit token enable|disable|revoke SERIAL` and `fobkit token list|search`: support's fob
 * actions that needed curl. `revoke` is final and asks for confirmation on a terminal (`--yes`
 * skips it; without a terminal it is required). `list` filters by serial prefix, user, state
 * and batch; `search TERM` finds fobs whose serial starts with TERM or whose user is TERM.
 * Exit codes: 0 done (a list, even empty), 1 the fob's state does not allow it / no such fob /
 * not confirmed, 2 usage, 3 the backend could not be reached.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import type { TokenListItem, TokenState } from '../../backendApi/supportClient.js';
import { searchTokens, type SearchTokensResult } from '../../support/searchTokens.js';
import { confirmAction } from '../confirmAction.js';
import { backendSettings, formatTime, printJson, serialArgument, supportClient, userArgument, withBackend, withBackendOptions, type BackendArgs } from './_supportOptions.js';

interface ChangeArgs extends BackendArgs {
  serial: string;
  reason?: string;
  yes: boolean;
}

const STATES: TokenState[] = ['pending', 'available', 'assigned', 'quarantined', 'revoked'];

function change(action: 'enable' | 'disable' | 'revoke'): CommandModule<object, ChangeArgs> {
  const describe = {
    enable: 'enable a disabled fob again',
    disable: 'disable a fob: it keeps its state and user but validates nothing until enabled',
    revoke: 'revoke a fob for good (asks for confirmation; --yes skips it)',
  }[action];
  return {
    command: `${action} <serial>`,
    describe,
    builder: (y: Argv<object>) => {
      const b = withBackendOptions(y)
        .positional('serial', { type: 'string' })
        .option('reason', { type: 'string', describe: 'why, kept in the audit log' });
      return (action === 'revoke' ? b.option('yes', { type: 'boolean', default: false, describe: 'do not ask for confirmation (needed without a terminal)' }) : b) as unknown as Argv<ChangeArgs>;
    },
    handler: async (a: ArgumentsCamelCase<ChangeArgs>) => {
      const serial = serialArgument(a.serial);
      const reason = a.reason === undefined ? undefined : String(a.reason);
      const backend = supportClient(backendSettings(a));
      if (action === 'revoke') {
        const before = await withBackend(() => backend.getToken(serial));
        await confirmAction({
          yes: a.yes,
          question: `Revoke ${serial}${before?.user ? ` (${before.user}'s fob)` : ''} for good? Its codes are refused from now on and it cannot be reassigned.`,
          consequence: `revoking ${serial} is final`,
        });
      }
      const r = await withBackend(() => (action === 'revoke' ? backend.revoke(serial, reason) : backend.setEnabled(serial, action === 'enable', reason)));
      if (a.json) printJson({ ok: true, ...r });
      else process.stdout.write(`${r.serial}: ${action === 'revoke' ? 'revoked' : r.enabled ? 'enabled' : 'disabled'}; ${r.state}${r.user ? ` (${r.user})` : ''}\n`);
    },
  };
}

export function formatTokenList(r: SearchTokensResult): string[] {
  if (r.tokens.length === 0) return ['no fobs match'];
  const row = (t: TokenListItem): string => `${t.serial.padEnd(12)} ${(t.state + (t.enabled ? '' : '*')).padEnd(12)} ${(t.user ?? '-').padEnd(20)} ${(t.batch ?? '-').padEnd(14)} ${formatTime(t.lastUsed)}`;
  const lines = [`${'SERIAL'.padEnd(12)} ${'STATE'.padEnd(12)} ${'USER'.padEnd(20)} ${'BATCH'.padEnd(14)} LAST USED`, ...r.tokens.map(row)];
  if (r.tokens.some((t) => !t.enabled)) lines.push('(* disabled)');
  if (r.next) lines.push(`more: go on with --cursor ${r.next}`);
  return lines;
}

interface ListArgs extends BackendArgs {
  prefix?: string;
  user?: string;
  state?: TokenState;
  batch?: string;
  max: number;
  cursor?: string;
}

function print(a: BackendArgs, r: SearchTokensResult): void {
  if (a.json) printJson({ ok: true, ...r });
  else for (const l of formatTokenList(r)) process.stdout.write(l + '\n');
}

const listOptions = <T>(y: Argv<T>) =>
  withBackendOptions(y)
    .option('state', { type: 'string', choices: STATES, describe: 'only fobs in this state' })
    .option('batch', { type: 'string', describe: 'only fobs of this batch' })
    .option('max', { type: 'number', default: 100, describe: 'at most this many rows (pages are followed)' });

const list: CommandModule<object, ListArgs> = {
  command: 'list',
  describe: 'list fobs, by serial prefix, user, state and batch (support key)',
  builder: (y: Argv<object>) =>
    listOptions(y)
      .option('prefix', { type: 'string', describe: 'serials starting with this' })
      .option('user', { type: 'string', describe: "the user's fobs" })
      .option('cursor', { type: 'string', describe: 'go on after this serial (a previous list\'s "more")' }) as unknown as Argv<ListArgs>,
  handler: async (a: ArgumentsCamelCase<ListArgs>) => {
    const backend = supportClient(backendSettings(a));
    const query = {
      ...(a.prefix !== undefined ? { prefix: String(a.prefix) } : {}),
      ...(a.user !== undefined ? { user: userArgument(a.user) } : {}),
      ...(a.state !== undefined ? { state: a.state } : {}),
      ...(a.batch !== undefined ? { batch: String(a.batch) } : {}),
      ...(a.cursor !== undefined ? { cursor: String(a.cursor) } : {}),
    };
    print(a, await withBackend(() => searchTokens({ backend, query, max: a.max })));
  },
};

interface SearchArgs extends ListArgs {
  term: string;
}

const search: CommandModule<object, SearchArgs> = {
  command: 'search <term>',
  describe: 'find fobs whose serial starts with TERM or whose user is TERM (support key)',
  builder: (y: Argv<object>) => listOptions(y).positional('term', { type: 'string', describe: 'a serial or its start, or a user' }) as unknown as Argv<SearchArgs>,
  handler: async (a: ArgumentsCamelCase<SearchArgs>) => {
    const backend = supportClient(backendSettings(a));
    const query = { ...(a.state !== undefined ? { state: a.state } : {}), ...(a.batch !== undefined ? { batch: String(a.batch) } : {}) };
    print(a, await withBackend(() => searchTokens({ backend, term: String(a.term), query, max: a.max })));
  },
};

export const tokenCommand: CommandModule<object, never> = {
  command: 'token <command>',
  describe: 'support: enable, disable, revoke, list and search fobs',
  builder: (y) =>
    y
      .command(change('enable') as unknown as CommandModule)
      .command(change('disable') as unknown as CommandModule)
      .command(change('revoke') as unknown as CommandModule)
      .command(list as unknown as CommandModule)
      .command(search as unknown as CommandModule)
      .demandCommand(1, 'name a token command: enable, disable, revoke, list, search') as unknown as Argv<never>,
  handler: () => undefined,
};
