/**
 * `fobkit otp`: one-off HOTP/TOTP codes for QA and support, in two dialects.
 *   oathtool's:  fobkit otp [--hotp | --totp[=SHA256]] [-b] [-c N] [-s 30s] [-S TIME] [-N TIME]
 *                           [-d 6|7|8] [-w N] KEY          (KEY hex unless -b; `-` stdin, `@FILE`)
 *                the same defaults and output as oathtool(1): HOTP unless --totp, 30 s steps,
 *                -w N prints the N following codes too, one per line.
 *   fobkit's:    fobkit otp --secret <hex|base32> | --secret=- [--algorithm …] [--digits …]
 *                           [--period S] [--t0 S|ISO] [--time S|ISO] [--window N] [--hotp --counter N]
 *                the fob's defaults: TOTP, 60 s; --window N lists N steps either side as a table.
 * Both take --json. `computeOtpCodes` does the work as a pure function of the options and a clock
 * (so it is tested at any instant); the yargs module below only reads the key and prints. The
 * secret is never printed, and its decoded bytes are zeroed once the key state is derived.
 */
import { readFile } from 'node:fs/promises';
import type { Argv, CommandModule } from 'yargs';
import {
  createOtpKey, decodeBase32, decodeHex, DEFAULT_PERIOD, OTP_ALGORITHMS, stepStartTime, totpStep,
  type OtpAlgorithm, type OtpDigits,
} from '@fobkit/protocol/otp';
import { CliError, EXIT_USAGE } from '../cliErrors.js';

/** Largest --window: a day of 1 s steps either side still fits, and output stays bounded. */
export const MAX_OTP_WINDOW = 100_000;

export type SecretFormat = 'auto' | 'hex' | 'base32';

/** oathtool's defaults (its positional KEY) or the fob's (`--secret`); see the header. */
export type OtpDialect = 'oathtool' | 'fobkit';

/** oathtool's default time step (`-s`), where the fob's is 60 s. */
export const OATHTOOL_PERIOD = 30;

/** The options as typed on the command line (numbers still text, so they are parsed strictly). */
export interface OtpCommandInput {
  secret: string;
  /** Default 'fobkit'. */
  dialect?: OtpDialect;
  /** oathtool's --totp: TOTP even in its dialect (where HOTP is the default). */
  totp?: boolean;
  secretFormat?: SecretFormat;
  algorithm?: string;
  digits?: string;
  /** Seconds, or a duration with s, m or h (oathtool's `-s 1m`). */
  period?: string;
  t0?: string;
  /** Unix seconds, `@seconds`, ISO 8601 or `now`; default: the clock. */
  time?: string;
  window?: string;
  hotp?: boolean;
  counter?: string;
}

export interface OtpCodeLine {
  /** Steps (or counters) from the requested one. */
  offset: number;
  /** The TOTP step, or the HOTP counter. */
  step: number;
  code: string;
  /** TOTP only: Unix seconds at which the step begins. */
  time?: number;
}

export interface OtpCommandResult {
  mode: 'totp' | 'hotp';
  algorithm: OtpAlgorithm;
  digits: OtpDigits;
  /** TOTP only. */
  period?: number;
  t0?: number;
  /** TOTP only: the instant asked about, Unix seconds. */
  time?: number;
  /** The code at the requested step (or counter). */
  code: string;
  step: number;
  /** With --window: every code from -N to +N (steps below 0 have no code and are left out). */
  codes?: OtpCodeLine[];
}

const usage = (message: string): CliError => new CliError('INVALID_ARGUMENT', message, EXIT_USAGE);

/** A whole number from `min` to `max`, written as plain digits. */
function parseWhole(text: string | undefined, name: string, min: number, max: number, fallback: number): number {
  if (text === undefined) return fallback;
  const value = /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw usage(`--${name} must be a whole number from ${min} to ${max}, got '${text}'`);
  }
  return value;
}

const ISO_8601 = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * Unix seconds (fractions allowed), `@seconds` (GNU date's form, which oathtool users type) or an
 * ISO 8601 date or date-time, optionally followed by ` UTC` (oathtool's own output form). A
 * date-time without a zone is UTC (a support log line and a fob's clock are both UTC; local time
 * would differ per desk).
 */
export function parseTimeArgument(text: string, name: string): number {
  const t = text.trim().replace(/^@/, '').replace(/\s+(UTC|GMT)$/i, 'Z');
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  const m = ISO_8601.exec(t);
  const ms = m ? Date.parse(`${m[1]}T${m[2] ?? '00:00:00'}${m[3] ?? 'Z'}`) : Number.NaN;
  if (!Number.isFinite(ms) || ms < 0) {
    throw usage(`--${name} must be Unix seconds, @seconds or an ISO 8601 time such as 2026-03-01T12:00:00Z (not before 1970), got '${text}'`);
  }
  return ms / 1000;
}

/**
 * The secret's bytes. `auto`: hex when every character is a hex digit and there is an even
 * number of them (or it starts with `0x`), otherwise base32. Odd-length text that can only be
 * hex (it has 0, 1, 8 or 9) is reported as odd hex rather than as bad base32.
 */
export function decodeSecretArgument(text: string, format: SecretFormat = 'auto'): Uint8Array {
  if (format === 'hex') return decodeHex(text, 'secret');
  if (format === 'base32') return decodeBase32(text, 'secret');
  const compact = text.replace(/\s/g, '');
  if (/^0x/i.test(compact)) return decodeHex(compact.slice(2), 'secret');
  if (/^[0-9a-f]+$/i.test(compact)) {
    if (compact.length % 2 === 0) return decodeHex(compact, 'secret');
    if (/[0189]/.test(compact)) {
      throw new CliError('INVALID_ENCODING', `secret: odd number of hex digits (${compact.length}); use --secret-format base32 if it is base32`, EXIT_USAGE);
    }
  }
  return decodeBase32(text, 'secret');
}

/**
 * Computes the code(s) the options ask for.
 * @throws CliError INVALID_ARGUMENT / ProtocolError INVALID_ENCODING / RangeError on bad input
 *   (all exit code 2 through cliErrors.ts); messages never contain the secret.
 */
export function computeOtpCodes(input: OtpCommandInput, now: () => number): OtpCommandResult {
  const oathtool = input.dialect === 'oathtool';
  const algorithm = (input.algorithm ?? 'sha1').toLowerCase().replace('-', '') as OtpAlgorithm;
  if (!OTP_ALGORITHMS.includes(algorithm)) throw usage(`--algorithm must be one of ${OTP_ALGORITHMS.join(', ')}, got '${input.algorithm}'`);
  const digits = parseWhole(input.digits, 'digits', 6, 8, 6) as OtpDigits;
  const window = parseWhole(input.window, 'window', 0, MAX_OTP_WINDOW, 0);
  if (input.hotp && input.totp) throw usage('give --hotp or --totp, not both');
  // oathtool is HOTP (counter 0) unless told --totp; fobkit's fobs are TOTP.
  const hotp = input.hotp || (oathtool && !input.totp);
  if (hotp) {
    if (input.counter === undefined && !oathtool) throw usage('--hotp needs --counter N');
    for (const [name, value] of [['time', input.time], ['period', input.period], ['t0', input.t0]] as const) {
      if (value !== undefined) throw usage(`--${name} applies to TOTP, not to --hotp`);
    }
  } else if (input.counter !== undefined) {
    throw usage('--counter applies to --hotp');
  }
  const counter = hotp ? parseWhole(input.counter, 'counter', 0, Number.MAX_SAFE_INTEGER, 0) : 0;
  const period = parsePeriod(input.period, oathtool ? OATHTOOL_PERIOD : DEFAULT_PERIOD);
  const t0 = input.t0 === undefined ? 0 : parseTimeArgument(input.t0, 't0');
  const time = input.time === undefined || input.time.trim().toLowerCase() === 'now' ? now() : parseTimeArgument(input.time, 'time');
  const centre = hotp ? counter : totpStep({ time, period, t0 });

  const secret = decodeSecretArgument(input.secret, input.secretFormat);
  let key;
  try {
    key = createOtpKey({ secret, algorithm, digits });
  } finally {
    secret.fill(0);
  }
  try {
    const codes: OtpCodeLine[] = [];
    // oathtool's -w N: this code and the N after it; fobkit's --window N: N either side.
    for (let offset = oathtool ? 0 : -window; offset <= window; offset++) {
      const step = centre + offset;
      if (step < 0 || step > Number.MAX_SAFE_INTEGER) continue;
      const line: OtpCodeLine = { offset, step, code: key.codeAt(step) };
      if (!hotp) line.time = stepStartTime(step, period, t0);
      codes.push(line);
    }
    const current = codes.find((c) => c.offset === 0)!;
    const result: OtpCommandResult = hotp
      ? { mode: 'hotp', algorithm, digits, code: current.code, step: centre }
      : { mode: 'totp', algorithm, digits, period, t0, time, code: current.code, step: centre };
    if (input.window !== undefined) result.codes = codes;
    return result;
  } finally {
    key.dispose();
  }
}

const isoSeconds = (t: number): string => new Date(Math.floor(t) * 1000).toISOString().replace('.000Z', 'Z');

/** Seconds (1..3600), or a duration with s, m or h as oathtool's `-s` takes it. */
function parsePeriod(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const m = /^(\d+)([smh]?)$/i.exec(text.trim());
  const value = m ? Number(m[1]) * ({ '': 1, s: 1, m: 60, h: 3600 } as Record<string, number>)[m[2]!.toLowerCase()]! : Number.NaN;
  if (!Number.isSafeInteger(value) || value < 1 || value > 3600) {
    throw usage(`--period (-s, --time-step-size) must be a whole number from 1 to 3600 seconds (or 30s, 1m, 1h), got '${text}'`);
  }
  return value;
}

/**
 * The text output: the bare code; with a window, oathtool's dialect prints the bare codes one per
 * line (as oathtool does) and fobkit's one table line per step.
 */
export function formatOtpResult(result: OtpCommandResult, dialect: OtpDialect = 'fobkit'): string {
  if (!result.codes) return `${result.code}\n`;
  if (dialect === 'oathtool') return result.codes.map((c) => `${c.code}\n`).join('');
  const stepWidth = Math.max(4, ...result.codes.map((c) => String(c.step).length));
  const offsetWidth = Math.max(6, ...result.codes.map((c) => String(c.offset).length + 1));
  const header = `${'offset'.padStart(offsetWidth)}  ${'code'.padEnd(result.digits)}  ${(result.mode === 'hotp' ? 'counter' : 'step').padStart(stepWidth)}${result.mode === 'totp' ? '  from' : ''}`;
  const lines = result.codes.map((c) => {
    const offset = (c.offset > 0 ? `+${c.offset}` : String(c.offset)).padStart(offsetWidth);
    const from = c.time === undefined ? '' : `  ${isoSeconds(c.time)}`;
    return `${offset}  ${c.code}  ${String(c.step).padStart(stepWidth)}${from}${c.offset === 0 ? '  <' : ''}`;
  });
  return [header, ...lines].join('\n') + '\n';
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  for (const c of chunks) c.fill(0);
  return text;
}

/** The key as oathtool reads it: `-` from stdin, `@FILE` the first line of a file, else the text itself. */
async function readKeyArgument(text: string): Promise<string> {
  if (text === '-') return readStdin();
  if (!text.startsWith('@')) return text;
  let data: Buffer;
  try {
    data = await readFile(text.slice(1));
  } catch (e) {
    throw new CliError('FILE_UNREADABLE', `cannot read the key file ${text.slice(1)}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, EXIT_USAGE, { cause: e });
  }
  const first = data.toString('utf8').split(/\r?\n/)[0]!.trim();
  data.fill(0);
  return first;
}

/**
 * Two pieces of oathtool's syntax that yargs cannot express, rewritten by main.ts before parsing:
 * `--totp=SHA256` has an optional value (`--totp KEY` would swallow the key), so `--totp=X`
 * becomes `--totp --totp-algorithm X`; and yargs turns a bare `-` positional into an empty
 * string, so KEY `-` (stdin) becomes `--key-from-stdin`.
 */
export function expandOathtoolArgv(argv: readonly string[]): string[] {
  if (!argv.includes('otp')) return [...argv];
  return argv.flatMap((w, i) => {
    const m = /^--totp=(.*)$/i.exec(w);
    if (m) return ['--totp', '--totp-algorithm', m[1]!];
    if (w === '-' && argv[i - 1] === '--secret') return [];
    if (w === '--secret' && argv[i + 1] === '-') return ['--secret=-'];
    if (w === '-') return ['--key-from-stdin'];
    return [w];
  });
}

interface OtpArgs {
  key?: string;
  secret?: string;
  'secret-format'?: SecretFormat;
  base32: boolean;
  algorithm?: string;
  'totp-algorithm'?: string;
  'key-from-stdin': boolean;
  totp: boolean;
  digits?: string;
  'time-step-size'?: string;
  'start-time'?: string;
  now?: string;
  window?: string;
  hotp: boolean;
  counter?: string;
  json: boolean;
}

const RFC_KEY = '3132333435363738393031323334353637383930';

const otp: CommandModule<object, OtpArgs> = {
  command: 'otp [key]',
  describe: 'print the HOTP/TOTP code(s) for a key, like oathtool (QA and support)',
  builder: (y) =>
    y
      .positional('key', { type: 'string', describe: 'the key, hex unless -b (as oathtool); - reads it from stdin, @FILE from a file' })
      .options({
        totp: { type: 'boolean', default: false, describe: 'TOTP (time-based); --totp=SHA256 or --totp=SHA512 picks the hash, as in oathtool' },
        'totp-algorithm': { type: 'string', hidden: true },
        'key-from-stdin': { type: 'boolean', default: false, hidden: true },
        hotp: { type: 'boolean', default: false, describe: 'HOTP (RFC 4226): the default with KEY; with --secret it needs --counter' },
        base32: { alias: 'b', type: 'boolean', default: false, describe: 'KEY is base32, not hex' },
        counter: { alias: 'c', type: 'string', describe: 'the HOTP counter, 0..2^53-1 [default: 0 with KEY]' },
        'time-step-size': { alias: ['s', 'period'], type: 'string', describe: 'TOTP step: seconds 1..3600, or 30s, 1m [default: 30 with KEY, 60 (the fob) with --secret]' },
        'start-time': { alias: ['S', 't0'], type: 'string', describe: 'TOTP T0: Unix seconds, @seconds or ISO 8601 [default: 0]' },
        now: { alias: ['N', 'time'], type: 'string', describe: 'the instant: Unix seconds, @seconds, ISO 8601 (UTC unless a zone is given) or now [default: now]' },
        digits: { alias: 'd', type: 'string', describe: '6, 7 or 8 [default: 6]' },
        window: { alias: 'w', type: 'string', describe: `with KEY: also print the N following codes (as oathtool); with --secret: N steps either side as a table (0..${MAX_OTP_WINDOW})` },
        secret: { type: 'string', describe: "fobkit's form: the seed as hex or base32 (auto-detected); --secret=- reads it from stdin" },
        'secret-format': { choices: ['auto', 'hex', 'base32'] as const, describe: 'how the key is written [default: auto for --secret, hex for KEY]' },
        algorithm: { type: 'string', describe: 'sha1, sha256 or sha512 (the same as --totp=…) [default: sha1]' },
        json: { type: 'boolean', default: false, describe: 'print one JSON object: code, step and, with --window, codes' },
      })
      // Every example is run by test/otp-cli.test.ts; a number in the description is the output it
      // must print. No wrapping, so that each example stays one line a user can copy.
      .wrap(null)
      .example(`$0 otp --totp -N @59 -s 30s -d 8 ${RFC_KEY}`, 'RFC 6238 test vector: 94287082')
      .example(`$0 otp --totp=SHA256 -N @59 -d 8 3132333435363738393031323334353637383930313233343536373839303132`, 'SHA-256 vector: 46119246')
      .example(`$0 otp -b --totp -N "2009-02-13 23:31:30 UTC" -d 8 GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ`, 'base32 key, oathtool time: 89005924')
      .example(`$0 otp -c 5 -w 2 ${RFC_KEY}`, 'HOTP counters 5, 6 and 7: 254676')
      .example(`echo ${RFC_KEY} | $0 otp --totp -N @89 -`, 'key from stdin: 359152')
      .example(`$0 otp --secret JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP --window 2 --time 2026-03-01T12:00:00Z`, "fobkit's form: 60 s steps, two either side")
      .epilog(
        'With KEY the command line, defaults and output are oathtool\'s (HOTP unless --totp, 30 s steps, hex key). With --secret they are ' +
          'the fob\'s (TOTP, 60 s steps) and the secret is hex when every character is a hex digit and there is an even number of them ' +
          '(or it starts with 0x), otherwise base32 (RFC 4648; any case, spaces, dashes and = padding allowed); force either with ' +
          '--secret-format. Exit codes: 0 success, 2 bad input.',
      ) as unknown as Argv<OtpArgs>,
  handler: async (argv) => {
    for (const name of ['key', 'secret', 'algorithm', 'totp-algorithm', 'digits', 'time-step-size', 'start-time', 'now', 'window', 'counter'] as const) {
      if (Array.isArray(argv[name])) throw usage(`--${name} was given more than once`);
    }
    const key = argv['key-from-stdin'] ? (argv.key === undefined ? '-' : []) : argv.key;
    if (Array.isArray(key) || (key !== undefined && argv.secret !== undefined)) throw usage('give the key once: as KEY (oathtool) or as --secret, not both');
    if (key === undefined && argv.secret === undefined) throw usage('give the key: fobkit otp [options] KEY (hex, or base32 with -b), or --secret SEED; see fobkit otp --help');
    if (argv.algorithm !== undefined && argv['totp-algorithm'] !== undefined) throw usage('give the hash once: --totp=ALG or --algorithm');
    const dialect: OtpDialect = key !== undefined ? 'oathtool' : 'fobkit';
    const secret = key !== undefined ? await readKeyArgument(String(key)) : argv.secret === '-' ? await readStdin() : argv.secret!;
    const secretFormat: SecretFormat = argv.base32 ? 'base32' : argv['secret-format'] ?? (dialect === 'oathtool' ? 'hex' : 'auto');
    const result = computeOtpCodes(
      {
        secret, dialect, secretFormat, totp: argv.totp, hotp: argv.hotp,
        algorithm: argv['totp-algorithm'] ?? argv.algorithm, digits: argv.digits, period: argv['time-step-size'],
        t0: argv['start-time'], time: argv.now, window: argv.window, counter: argv.counter,
      },
      () => Date.now() / 1000,
    );
    process.stdout.write(argv.json ? JSON.stringify({ ok: true, ...result }) + '\n' : formatOtpResult(result, dialect));
  },
};

/** The `otp` command module, typed for main.ts's registry. */
export const otpCommand = otp as unknown as CommandModule<object, never>;
