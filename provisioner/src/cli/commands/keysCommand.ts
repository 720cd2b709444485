/**
 * `fobkit keys`: the factory root and station certificates.
 *   keys root create --out DIR
 *   keys station issue --root DIR --name NAME --days N --out DIR
 *   keys station revoke --root DIR --id ID
 *   keys show FILE
 * Thin layer over provisioner/src/keys: parse arguments, call the operation, print. Private keys
 * are never printed.
 */
import type { Argv, CommandModule } from 'yargs';
import { confirmAction } from '../confirmAction.js';
import { createRoot, describeKeyFile, issueStation, readKeyFile, revokeStation, wipeKeyFile } from '../../keys/index.js';
import { withNumericOptions } from '../numericOptions.js';

interface Common {
  json?: boolean;
}

function print(json: boolean | undefined, result: Record<string, unknown>, lines: string[]): void {
  if (json) process.stdout.write(JSON.stringify({ ok: true, ...result }) + '\n');
  else process.stdout.write(lines.join('\n') + '\n');
}

const jsonOption = { json: { type: 'boolean', describe: 'print one JSON object', default: false } } as const;

const rootCreate: CommandModule<object, Common & { out: string }> = {
  command: 'create',
  describe: 'create a factory root key pair, an empty revocation list and a station registry in --out',
  builder: (y) => y.options({ out: { type: 'string', demandOption: true, describe: 'directory for the root files (created 0700)' }, ...jsonOption }) as unknown as Argv<Common & { out: string }>,
  handler: async (argv) => {
    const r = await createRoot({ dir: argv.out });
    print(argv.json, { fingerprint: r.fingerprint, files: r.files }, [
      `root key created, fingerprint ${r.fingerprint}`,
      `  private key  ${r.files.privateKey}  (0600: keep it offline, back it up)`,
      `  public key   ${r.files.publicKey}  (give to the fob factory)`,
      `  revocations  ${r.files.revocationList}  (give to every station)`,
    ]);
  },
};

const stationIssue: CommandModule<object, Common & { root: string; name: string; days: number; out: string }> = {
  command: 'issue',
  describe: 'issue a station key and certificate signed by the root',
  builder: (y) =>
    withNumericOptions(y, { days: { min: 1, max: 36_500, default: 365, describe: 'validity in days' } }).options({
      root: { type: 'string', demandOption: true, describe: 'root directory (from keys root create)' },
      name: { type: 'string', demandOption: true, describe: 'station name, e.g. "line-1"' },
      out: { type: 'string', demandOption: true, describe: 'directory for station.key.json' },
      ...jsonOption,
    }) as unknown as Argv<Common & { root: string; name: string; days: number; out: string }>,
  handler: async (argv) => {
    const r = await issueStation({ rootDir: argv.root, name: argv.name, days: argv.days, outDir: argv.out });
    const notAfter = new Date(r.notAfter * 1000).toISOString();
    print(argv.json, { id: r.id, name: r.name, fingerprint: r.fingerprint, rootFingerprint: r.rootFingerprint, notBefore: r.notBefore, notAfter: r.notAfter, file: r.file }, [
      `station certificate ${r.id} issued to "${r.name}", valid until ${notAfter}`,
      `  key file  ${r.file}  (0600)`,
      `  key fingerprint ${r.fingerprint}, root ${r.rootFingerprint}`,
    ]);
  },
};

const stationRevoke: CommandModule<object, Common & { root: string; id: number; yes: boolean }> = {
  command: 'revoke',
  describe: 'revoke a station certificate by id (writes a new revocation list, seq + 1)',
  builder: (y) =>
    withNumericOptions(y, { id: { min: 1, max: 4_294_967_295, demandOption: true, describe: 'station certificate id' } }).options({
      root: { type: 'string', demandOption: true, describe: 'root directory' },
      yes: { type: 'boolean', default: false, describe: 'do not ask for confirmation (needed without a terminal)' }, ...jsonOption,
    }) as unknown as Argv<Common & { root: string; id: number; yes: boolean }>,
  handler: async (argv) => {
    await confirmAction({ yes: argv.yes, question: `Revoke station certificate ${argv.id}? Fobs then refuse that station for good.`, consequence: `revoking station certificate ${argv.id} is final` });
    const r = await revokeStation({ rootDir: argv.root, id: argv.id });
    print(argv.json, { id: r.id, seq: r.seq, ids: r.ids, changed: r.changed, file: r.file }, [
      r.changed ? `station certificate ${r.id} revoked; revocation list seq ${r.seq} written to ${r.file}` : `station certificate ${r.id} was already revoked (list seq ${r.seq})`,
      `  distribute ${r.file} to every station: fobs learn of the revocation when a station next opens a session`,
    ]);
  },
};

const show: CommandModule<object, Common & { file: string }> = {
  command: 'show <file>',
  describe: 'describe a key, certificate, revocation list or registry file (never prints private keys)',
  builder: (y) => y.positional('file', { type: 'string', demandOption: true }).options(jsonOption) as unknown as Argv<Common & { file: string }>,
  handler: async (argv) => {
    const file = await readKeyFile(argv.file);
    const d = describeKeyFile(file);
    wipeKeyFile(file);
    print(argv.json, d, Object.entries(d).map(([k, v]) => `${k.padEnd(16)} ${typeof v === 'string' ? v : JSON.stringify(v)}`));
  },
};

export const keysCommand: CommandModule<object, never> = {
  command: 'keys <command>',
  describe: 'factory root key, station certificates and revocation',
  builder: (y) =>
    y
      .command({ command: 'root <command>', describe: 'the factory root key', builder: (r) => r.command(rootCreate as CommandModule).demandCommand(1), handler: () => undefined })
      .command({
        command: 'station <command>',
        describe: 'station certificates',
        builder: (s) => s.command(stationIssue as CommandModule).command(stationRevoke as CommandModule).demandCommand(1),
        handler: () => undefined,
      })
      .command(show as CommandModule)
      .demandCommand(1) as unknown as Argv<never>,
  handler: () => undefined,
};
