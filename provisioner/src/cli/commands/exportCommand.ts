/**
 * `fobkit export --backend-url URL`: a batch's seeds as a file another validation backend
 * imports: PSKC (RFC 6030) for privacyIDEA, LinOTP, multiOTP, FreeRADIUS setups and vendors; the
 * Entra ID hardware OATH CSV; the privacyIDEA/LinOTP OATH CSV; a pam_oath usersfile.
 *
 *   fobkit export --backend-url URL (--api-key KEY | --api-key-file F) --batch B -o FILE
 *       --format pskc|entra-csv|oath-csv|pam-oath
 *       [--psk-file F | --password-file F | --insecure-plaintext] [--assigned-only] [--force] [--json]
 *
 * The backend (admin key; every fob exported is audited) seals each seed to a key pair made for
 * this one export, and the file is built here: the PSKC pre-shared key or password never leaves
 * this machine, and no seed crosses the network in the clear. The file is written 0600 through a
 * temporary file and a rename, so a failed export leaves nothing behind.
 */
import { readFile } from 'node:fs/promises';
import type { Argv, CommandModule } from 'yargs';
import { generateSealKeyPair, openSealed } from '@fobkit/protocol/session';
import {
  isPlaintextFormat, parsePasswordFile, parsePskFile, SEED_FILE_FORMATS, writeSeedFile,
  type PskcKeyPackage, type PskcProtection, type SeedFileFormat,
} from '@fobkit/protocol/formats';
import type { OtpAlgorithm, OtpDigits } from '@fobkit/protocol/otp';
import { BackendClient, decodeBase64Url } from '../../backendApi/backendClient.js';
import { writePrivateFile } from '../../files/writePrivateFile.js';
import { CliError, EXIT_UNAVAILABLE, EXIT_USAGE } from '../cliErrors.js';

const PAGE = 500;
/** A bound on one export (the backend pages; this stops a runaway loop). */
const MAX_FOBS = 1_000_000;

export interface ExportFromBackendOptions {
  url: string;
  apiKey: string;
  batch: string;
  format: SeedFileFormat;
  protection?: PskcProtection;
  insecurePlaintext?: boolean;
  /** Leave out fobs not assigned to a user (Entra and pam_oath need a user per line). */
  assignedOnly?: boolean;
  manufacturer?: string;
  fetch?: typeof fetch;
}

export interface ExportFromBackendResult {
  text: string;
  fobs: number;
  skippedUnassigned: string[];
  skippedRevoked: string[];
}

interface ExportedTokenJson {
  serial: string; model: string | null; user: string | null; algorithm: OtpAlgorithm; digits: OtpDigits;
  period: number; t0: number; driftSteps: number; sealedSecret: string;
}

/**
 * Fetches a batch, opens each seed and renders the file text (nothing written).
 * @throws CliError on a protection/format mismatch, StationError/BackendError from the backend,
 *   RangeError/TypeError from the format writer (a fob the format cannot carry, named).
 */
export async function exportFromBackend(o: ExportFromBackendOptions): Promise<ExportFromBackendResult> {
  if (o.format === 'pskc' && !o.protection && !o.insecurePlaintext) {
    throw new CliError('INVALID_ARGUMENT', 'a PSKC export needs --psk-file or --password-file (or --insecure-plaintext for a file that never leaves a protected system)', EXIT_USAGE);
  }
  // A CSV or usersfile has no encryption of its own: writing seeds in the clear must be asked
  // for, as for a plaintext PSKC (issue 17.10).
  if (isPlaintextFormat(o.format) && !o.insecurePlaintext && !o.protection) {
    throw new CliError('INVALID_ARGUMENT', `${o.format} carries the seeds in the clear (the format has no encryption): add --insecure-plaintext to confirm the file never leaves a protected system, or export PSKC with --psk-file or --password-file`, EXIT_USAGE);
  }
  if (o.format !== 'pskc' && o.protection) throw new CliError('INVALID_ARGUMENT', `--psk-file/--password-file protect PSKC only; ${o.format} has no encryption of its own`, EXIT_USAGE);
  const client = new BackendClient({ baseUrl: o.url, apiKey: o.apiKey, timeoutMs: 30_000, ...(o.fetch ? { fetch: o.fetch } : {}) });
  const { privateKey, publicKey } = generateSealKeyPair();
  const records: PskcKeyPackage[] = [];
  const skippedUnassigned: string[] = [];
  const skippedRevoked: string[] = [];
  try {
    let after: string | undefined;
    do {
      const { body } = await client.request<{ tokens?: ExportedTokenJson[]; next?: string | null; skippedRevoked?: string[] }>('POST', '/v1/exports', {
        batch: o.batch, format: o.format, recipientPublicKey: Buffer.from(publicKey).toString('base64url'), limit: PAGE, ...(after === undefined ? {} : { after }),
      });
      if (!Array.isArray(body.tokens)) throw new CliError('BACKEND_BAD_RESPONSE', 'the backend answered /v1/exports without a tokens list', EXIT_UNAVAILABLE);
      skippedRevoked.push(...(body.skippedRevoked ?? []));
      for (const t of body.tokens) {
        if (o.assignedOnly && !t.user) {
          skippedUnassigned.push(t.serial);
          continue;
        }
        let secret: Uint8Array;
        try {
          secret = openSealed({ recipientPrivateKey: privateKey, envelope: decodeBase64Url(t.sealedSecret, 'sealedSecret'), context: `export:${t.serial}` });
        } catch (cause) {
          throw new CliError('SEAL_FAILED', `the seed of ${t.serial} does not open with this export's key (context export:${t.serial})`, EXIT_UNAVAILABLE, { cause });
        }
        records.push({
          serial: t.serial, keyId: t.serial, secret, type: 'totp', algorithm: t.algorithm, digits: t.digits, period: t.period, t0: t.t0,
          timeDrift: t.driftSteps, manufacturer: o.manufacturer ?? 'fobkit',
          ...(t.model ? { model: t.model } : {}), ...(t.user ? { user: t.user } : {}),
          policy: { keyUsage: ['OTP'] },
        });
        if (records.length > MAX_FOBS) throw new CliError('INVALID_ARGUMENT', `more than ${MAX_FOBS} fobs in one export`, EXIT_USAGE);
      }
      after = body.next ?? undefined;
    } while (after !== undefined);
    if (records.length === 0) throw new CliError('NOTHING_TO_EXPORT', `batch ${o.batch} has no fob to export${skippedUnassigned.length ? ` (${skippedUnassigned.length} unassigned left out)` : ''}`, EXIT_USAGE);
    let text: string;
    try {
      text = writeSeedFile(o.format, records, {
        ...(o.protection ? { protection: o.protection } : { insecurePlaintext: true }), id: o.batch,
        ...(o.manufacturer ? { manufacturer: o.manufacturer } : {}),
      });
    } catch (e) {
      if (e instanceof TypeError && /no user/.test(e.message)) throw new CliError('INVALID_ARGUMENT', `${e.message} (or pass --assigned-only to leave unassigned fobs out)`, EXIT_USAGE, { cause: e });
      throw e;
    }
    return { text, fobs: records.length, skippedUnassigned, skippedRevoked };
  } finally {
    privateKey.fill(0);
    for (const r of records) r.secret.fill(0);
  }
}

interface ExportArgs {
  'backend-url'?: string;
  /** The old name of --backend-url, still accepted (hidden). */
  'from-backend'?: string;
  'api-key'?: string;
  'api-key-file'?: string;
  format: SeedFileFormat;
  batch: string;
  output: string;
  'psk-file'?: string;
  'password-file'?: string;
  'insecure-plaintext': boolean;
  'assigned-only': boolean;
  manufacturer?: string;
  force: boolean;
  json: boolean;
}

async function readApiKey(a: ExportArgs): Promise<string> {
  if (a['api-key'] && a['api-key-file']) throw new CliError('INVALID_ARGUMENT', 'give --api-key or --api-key-file, not both', EXIT_USAGE);
  if (a['api-key']) return a['api-key'];
  if (a['api-key-file']) return (await readFile(a['api-key-file'], 'utf8')).split(/\r?\n/)[0]!.trim();
  if (process.env.FOBKIT_API_KEY) return process.env.FOBKIT_API_KEY;
  throw new CliError('INVALID_ARGUMENT', 'an admin API key is needed: --api-key-file F (or --api-key KEY, or FOBKIT_API_KEY)', EXIT_USAGE);
}

export const exportCommand: CommandModule<object, ExportArgs> = {
  command: 'export',
  describe: 'export a batch of fobs from the backend as PSKC, Entra CSV, OATH CSV or a pam_oath usersfile',
  builder: (y: Argv<object>) => y.options({
    'backend-url': { type: 'string', describe: 'the backend URL, e.g. https://otp.example.com (FOBKIT_BACKEND_URL)' },
    'from-backend': { type: 'string', hidden: true, describe: 'deprecated name of --backend-url' },
    'api-key': { type: 'string', describe: 'an admin API key (visible in the process list: prefer --api-key-file)' },
    'api-key-file': { type: 'string', describe: 'file whose first line is an admin API key' },
    format: { choices: SEED_FILE_FORMATS, demandOption: true, describe: 'pskc | entra-csv | oath-csv | pam-oath' },
    batch: { type: 'string', demandOption: true, describe: 'the batch to export' },
    output: { alias: 'o', type: 'string', demandOption: true, describe: 'the file to write (mode 0600)' },
    'psk-file': { type: 'string', describe: 'PSKC: encrypt with this pre-shared AES-128, -192 or -256 key (32, 48 or 64 hex digits)' },
    'password-file': { type: 'string', describe: 'PSKC: encrypt with a key derived (PBKDF2) from the first line of this file' },
    'insecure-plaintext': { type: 'boolean', default: false, describe: 'write the seeds unencrypted: needed for a plaintext PSKC and for every CSV/usersfile format (they have no encryption)' },
    'assigned-only': { type: 'boolean', default: false, describe: 'leave out fobs not assigned to a user (Entra and pam_oath need one)' },
    manufacturer: { type: 'string', describe: 'manufacturer written into PSKC/Entra (default fobkit)' },
    force: { type: 'boolean', default: false, describe: 'replace an existing output file' },
    json: { type: 'boolean', default: false, describe: 'one JSON object' },
  }) as unknown as Argv<ExportArgs>,
  handler: async (a) => {
    if (a['psk-file'] && a['password-file']) throw new CliError('INVALID_ARGUMENT', 'give --psk-file or --password-file, not both', EXIT_USAGE);
    if ((a['psk-file'] || a['password-file']) && a['insecure-plaintext']) throw new CliError('INVALID_ARGUMENT', '--insecure-plaintext contradicts --psk-file/--password-file', EXIT_USAGE);
    const url = a['backend-url'] ?? a['from-backend'] ?? process.env['FOBKIT_BACKEND_URL'];
    if (!url) throw new CliError('INVALID_ARGUMENT', 'give --backend-url URL (or FOBKIT_BACKEND_URL)', EXIT_USAGE);
    const apiKey = await readApiKey(a);
    let protection: PskcProtection | undefined;
    if (a['psk-file']) protection = { kind: 'psk', key: parsePskFile(await readFile(a['psk-file'])) };
    if (a['password-file']) protection = { kind: 'password', password: parsePasswordFile(await readFile(a['password-file'])) };
    try {
      const r = await exportFromBackend({
        url, apiKey, batch: a.batch, format: a.format, insecurePlaintext: a['insecure-plaintext'], assignedOnly: a['assigned-only'],
        ...(protection ? { protection } : {}), ...(a.manufacturer ? { manufacturer: a.manufacturer } : {}),
      });
      try {
        await writePrivateFile(a.output, r.text, { mode: a.force ? 'replace' : 'create' });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new CliError('FILE_EXISTS', `${a.output} exists; pass --force to replace it`, EXIT_USAGE);
        throw e;
      }
      const protectionText = protection ? `${protection.kind === 'psk' ? 'pre-shared key' : 'password'}-protected` : 'SEEDS IN THE CLEAR';
      if (a.json) {
        process.stdout.write(`${JSON.stringify({ ok: true, file: a.output, format: a.format, batch: a.batch, fobs: r.fobs, protection: protection?.kind ?? 'plaintext', skippedUnassigned: r.skippedUnassigned, skippedRevoked: r.skippedRevoked })}\n`);
      } else {
        process.stdout.write(`exported ${r.fobs} fob(s) of batch ${a.batch} to ${a.output} (${a.format}, ${protectionText})\n`);
        if (r.skippedUnassigned.length) process.stdout.write(`left out ${r.skippedUnassigned.length} unassigned fob(s): ${r.skippedUnassigned.slice(0, 10).join(', ')}${r.skippedUnassigned.length > 10 ? ', …' : ''}\n`);
        if (r.skippedRevoked.length) process.stdout.write(`left out ${r.skippedRevoked.length} revoked fob(s): ${r.skippedRevoked.slice(0, 10).join(', ')}${r.skippedRevoked.length > 10 ? ', …' : ''}\n`);
      }
      if (isPlaintextFormat(a.format) || !protection) {
        process.stderr.write(`fobkit: warning: ${a.output} holds the seeds in the clear: move it only over a protected channel and delete it once imported\n`);
      }
    } finally {
      if (protection?.kind === 'psk') protection.key.fill(0);
    }
  },
};
