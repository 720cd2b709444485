/**
 * `fobkit-backend import FILE`: load a vendor's seed file (PSKC, Entra or OATH CSV, pam_oath
 * usersfile) for pre-seeded fobs into the backend's database.
 *
 *   fobkit-backend import FILE [--psk-file F | --password-file F] [--dry-run] [--mac-check soft]
 *       [--expect-period S] [--expect-digits N] [--expect-algorithm H] [--batch B]
 *       [--state available|pending] [--skip-problems] [--max-file-mb N] [--db …] [--json]
 *
 * Exit codes: 0 done (or a clean dry run), 1 problems found (nothing imported unless
 * --skip-problems), 2 unreadable file, wrong key/password, failed MAC, bad option, 3 could not
 * run (database, KEK file, file system).
 */
import { basename } from 'node:path';
import { readFile } from 'node:fs/promises';
import type { Argv, CommandModule } from 'yargs';
import { ProtocolError } from '@fobkit/protocol';
import { parsePasswordFile, parsePskFile, parseSeedFile, readSeedFile, SEED_FILE_FORMATS, type SeedFileFormat } from '@fobkit/protocol/formats';
import { OTP_ALGORITHMS, type OtpAlgorithm, type OtpDigits } from '@fobkit/protocol/otp';
import { backendErrorExitCode, cliActor, EXIT } from '../cli/_cliSupport.js';
import { BackendError } from '../errors.js';
import { openBackend } from '../openBackend.js';
import { applySeedImport, DEFAULT_EXPECTED_PROFILE, planSeedImport, wipeParsedSeedFile, type ImportPlanEntry } from './planSeedImport.js';
import { withNumericOptions } from '../cli/numericOptions.js';
import { defaultDbSpec } from '../dataDir.js';


interface ImportArgs {
  file: string;
  'psk-file'?: string;
  'password-file'?: string;
  'dry-run': boolean;
  'mac-check': 'strict' | 'soft';
  format: 'auto' | SeedFileFormat;
  'expect-period': number;
  'expect-digits': number;
  'expect-algorithm': string;
  batch?: string;
  state: 'available' | 'pending';
  'skip-problems': boolean;
  'max-file-mb': number;
  db: string;
  'kek-file'?: string;
  json: boolean;
}

class UsageError extends Error {}

function describeEntry(e: ImportPlanEntry): string {
  const profile = e.type === undefined ? '' : `${e.type.toUpperCase()} HMAC-${(e.algorithm ?? 'sha1').toUpperCase()} ${e.digits ?? '?'} digits${e.type === 'totp' ? ` ${e.period} s` : ''}`;
  const head = `  ${e.serial.padEnd(16)} ${profile.padEnd(32)}`;
  if (e.status !== 'problem') return `${head} ${e.status === 'new' ? 'new' : 'already imported'}`;
  return `${head} PROBLEM ${e.problems.map((p) => `${p.kind}: ${p.message}`).join('; ')}${e.line ? ` (line ${e.line})` : ''}`;
}

/** Exit code and one line for a failure (never a stack trace for the user's mistakes). */
function failure(e: unknown): { exit: number; code: string; message: string } {
  if (e instanceof UsageError) return { exit: EXIT.usage, code: 'USAGE', message: e.message };
  if (e instanceof ProtocolError) return { exit: EXIT.usage, code: e.code, message: e.message };
  if (e instanceof BackendError) return { exit: backendErrorExitCode(e), code: e.code, message: e.message };
  const err = e as { code?: string; message?: string };
  if (typeof err?.code === 'string' && /^E[A-Z]+$/.test(err.code)) return { exit: EXIT.cannotRun, code: err.code, message: err.message ?? String(e) };
  return { exit: EXIT.bug, code: 'INTERNAL', message: `bug: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}` };
}

async function runImport(a: ImportArgs): Promise<number> {
  const out = (obj: Record<string, unknown>, text: string): void => {
    process.stdout.write(a.json ? `${JSON.stringify(obj)}\n` : `${text}\n`);
  };
  if (a['psk-file'] && a['password-file']) throw new UsageError('give --psk-file or --password-file, not both');
  if (!OTP_ALGORITHMS.includes(a['expect-algorithm'] as OtpAlgorithm)) throw new UsageError(`--expect-algorithm must be one of ${OTP_ALGORITHMS.join(', ')}`);
  if (![6, 7, 8].includes(a['expect-digits'])) throw new UsageError('--expect-digits must be 6, 7 or 8');
  if (!Number.isInteger(a['expect-period']) || a['expect-period'] < 1 || a['expect-period'] > 3600) throw new UsageError('--expect-period must be 1 to 3600 seconds');

  if (!Number.isInteger(a['max-file-mb']) || a['max-file-mb'] < 1 || a['max-file-mb'] > 1024) throw new UsageError('--max-file-mb must be 1 to 1024');
  const maxBytes = a['max-file-mb'] * 1024 * 1024;
  const input = await readSeedFile(a.file, { maxBytes });
  const psk = a['psk-file'] ? parsePskFile(await readFile(a['psk-file'])) : undefined;
  const password = a['password-file'] ? parsePasswordFile(await readFile(a['password-file'])) : undefined;
  let parsed;
  try {
    parsed = parseSeedFile(input, {
      ...(a.format === 'auto' ? {} : { format: a.format }),
      ...(psk ? { psk } : {}), ...(password !== undefined ? { password } : {}), macCheck: a['mac-check'], maxBytes,
    });
  } finally {
    psk?.fill(0);
    input.fill(0);
  }
  try {
    const expected = { algorithm: a['expect-algorithm'] as OtpAlgorithm, digits: a['expect-digits'] as OtpDigits, period: a['expect-period'] };
    const backend = await openBackend({ db: a.db, ...(a['kek-file'] ? { kekFile: a['kek-file'] } : {}) });
    try {
      const plan = await planSeedImport(backend.ctx, parsed, expected);
      const fobs = plan.entries.length;
      out({ event: 'file', file: a.file, format: plan.format, protection: plan.protection, fobs, expected },
        `${basename(a.file)}: ${plan.format}, ${plan.protection === 'plaintext' ? 'unencrypted' : `${plan.protection}-protected`}, ${fobs} fob(s); expected profile HMAC-${expected.algorithm.toUpperCase()}, ${expected.digits} digits, ${expected.period} s`);
      for (const w of parsed.warnings ?? []) out({ event: 'warning', message: w }, `warning: ${w}`);
      for (const e of plan.entries) out({ event: 'fob', ...e }, describeEntry(e));
      const { counts } = plan;
      if (a['dry-run']) {
        out({ event: 'summary', dryRun: true, ...counts },
          `dry run: ${counts.new} would be imported, ${counts.alreadyImported} already imported, ${counts.problems} with problems; nothing written`);
        return counts.problems > 0 ? EXIT.negative : EXIT.ok;
      }
      if (counts.problems > 0 && !a['skip-problems']) {
        out({ event: 'summary', dryRun: false, imported: 0, ...counts },
          `${counts.problems} fob(s) with problems: nothing imported (fix the file or the expected profile, or pass --skip-problems to import the ${counts.new} clean ones)`);
        return EXIT.negative;
      }
      const batch = a.batch ?? basename(a.file).replace(/\.[^.]*$/, '').slice(0, 64);
      // Each fob is committed on its own: Ctrl-C (or SIGTERM) stops after the current one, and
      // whatever stops the run, it says how far it got; the same command again finishes it.
      const progress = { imported: 0, last: undefined as string | undefined };
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const resumeHint = 'run the same command again to import the rest (fobs already imported are recognised and left as they are)';
      let outcomes;
      try {
        outcomes = await applySeedImport(backend.ctx, cliActor(), plan, {
          batch, state: a.state, skipProblems: a['skip-problems'], signal: stop.signal,
          onOutcome: (o) => {
            if (o.result !== 'imported') return;
            progress.imported++;
            progress.last = o.serial;
            if (a.json) out({ event: 'imported', serial: o.serial }, '');
          },
        });
      } catch (e) {
        out({ event: 'interrupted', cause: 'error', imported: progress.imported, lastImported: progress.last ?? null, of: counts.new },
          `stopped by an error after importing ${progress.imported} of ${counts.new} new fob(s)${progress.last ? ` (in file order, up to ${progress.last})` : ''}; ${resumeHint}`);
        throw e;
      } finally {
        process.removeListener('SIGINT', onSignal);
        process.removeListener('SIGTERM', onSignal);
      }
      if (stop.signal.aborted) {
        out({ event: 'interrupted', cause: 'signal', imported: progress.imported, lastImported: progress.last ?? null, of: counts.new },
          `interrupted after importing ${progress.imported} of ${counts.new} new fob(s)${progress.last ? ` (in file order, up to ${progress.last})` : ''} into batch ${batch}; ${resumeHint}`);
        return EXIT.negative;
      }
      const imported = outcomes.filter((o) => o.result === 'imported').length;
      const failed = outcomes.filter((o) => o.result === 'failed');
      for (const f of failed) out({ event: 'import-failed', serial: f.serial, message: f.message }, `  ${f.serial.padEnd(16)} FAILED ${f.message}`);
      out({ event: 'summary', dryRun: false, imported, batch, unchanged: outcomes.length - imported - failed.length, failed: failed.length, skipped: counts.problems },
        `imported ${imported} fob(s) into batch ${batch} (state ${a.state}), ${outcomes.length - imported - failed.length} already there, ${failed.length} failed, ${counts.problems} skipped for problems`);
      return failed.length > 0 || counts.problems > 0 ? EXIT.negative : EXIT.ok;
    } finally {
      await backend.close();
    }
  } finally {
    wipeParsedSeedFile(parsed);
  }
}

export const importCommand: CommandModule<object, ImportArgs> = {
  command: 'import <file>',
  describe: 'import a seed file (PSKC, Entra/OATH CSV, pam_oath usersfile) of pre-seeded fobs',
  builder: (y: Argv<object>) => withNumericOptions(y, {
    'expect-period': { min: 1, max: 3600, default: DEFAULT_EXPECTED_PROFILE.period, describe: 'the time step the fobs must have, seconds' },
    'expect-digits': { min: 6, max: 8, default: DEFAULT_EXPECTED_PROFILE.digits, describe: 'the code length the fobs must have' },
    'max-file-mb': { min: 1, max: 1024, default: 10, describe: 'refuse a larger file before reading it (an encrypted PSKC fob is ~1.2 KB)' },
  })
    .positional('file', { type: 'string', demandOption: true, describe: 'the seed file' })
    .options({
      'psk-file': { type: 'string', describe: 'file with the PSKC pre-shared AES-128/192/256 key (32, 48 or 64 hex digits)' },
      'password-file': { type: 'string', describe: 'file whose first line is the PSKC password' },
      'dry-run': { type: 'boolean', default: false, describe: 'list what would be imported and every problem; write nothing' },
      'mac-check': { choices: ['strict', 'soft'] as const, default: 'strict' as const, describe: 'soft: read a file whose MACs fail, reporting each failure as a problem' },
      format: { choices: ['auto', ...SEED_FILE_FORMATS] as const, default: 'auto' as const },
      'expect-algorithm': { type: 'string', default: DEFAULT_EXPECTED_PROFILE.algorithm },
      batch: { type: 'string', describe: 'batch name (default: the file name)' },
      state: { choices: ['available', 'pending'] as const, default: 'available' as const },
      'skip-problems': { type: 'boolean', default: false, describe: 'import the clean fobs even when others have problems' },
      db: { type: 'string', default: defaultDbSpec(), describe: 'sqlite:PATH or postgres://user@host/db (default: in the data directory, see serve --help)' },
      'kek-file': { type: 'string', describe: 'KEK file (default: beside the SQLite file, or fobkit-backend.kek in the data directory)' },
      json: { type: 'boolean', default: false, describe: 'one JSON object per line' },
    }) as unknown as Argv<ImportArgs>,
  handler: async (a) => {
    try {
      process.exitCode = await runImport(a);
    } catch (e) {
      const f = failure(e);
      if (a.json) process.stdout.write(`${JSON.stringify({ event: 'error', code: f.code, message: f.message })}\n`);
      else process.stderr.write(`fobkit-backend: ${f.message}\n`);
      process.exitCode = f.exit;
    }
  },
};
