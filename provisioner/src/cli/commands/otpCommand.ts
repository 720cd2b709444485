/**
 * `fobkit otp`: one-off HOTP/TOTP codes for QA and support, as handy as oathtool.
 *   fobkit otp --secret <hex|base32> | --secret=- [--algorithm sha1|sha256|sha512] [--digits 6|7|8]
 *              [--period S] [--t0 S|ISO] [--time S|ISO] [--window N] [--hotp --counter N] [--json]
 * `computeOtpCodes` does the work as a pure function of the options and a clock (so it is tested
 * at any instant); the yargs module below only reads stdin for `--secret=-` and prints. The secret
 * is never printed, and its decoded bytes are zeroed once the key state is derived.
 */
import type { Argv, CommandModule } from 'yargs';
import {
  createOtpKey, decodeBase32, decodeHex, DEFAULT_PERIOD, OTP_ALGORITHMS, stepStartTime, totpStep,
  type OtpAlgorithm, type OtpDigits,
} from '@fobkit/protocol/otp';
import { CliError, EXIT_USAGE } from '../cliErrors.js';

/** Largest --window: a day of 1 s steps either side still fits, and output stays bounded. */
export const MAX_OTP_WINDOW = 100_000;

export type SecretFormat = 'auto' | 'hex' | 'base32';

/** The options as typed on the command line (numbers still text, so they are parsed strictly). */
export interface OtpCommandInput {
  secret: string;
  secretFormat?: SecretFormat;
  algorithm?: string;
  digits?: string;
  period?: string;
  t0?: string;
  /** Unix seconds or ISO 8601; default: the clock. */
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
 * Unix seconds (fractions allowed) or an ISO 8601 date or date-time. A date-time without a zone
 * is UTC (a support log line and a fob's clock are both UTC; local time would differ per desk).
 */
export function parseTimeArgument(text: string, name: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  const m = ISO_8601.exec(t);
  const ms = m ? Date.parse(`${m[1]}T${m[2] ?? '00:00:00'}${m[3] ?? 'Z'}`) : Number.NaN;
  if (!Number.isFinite(ms) || ms < 0) {
    throw usage(`--${name} must be Unix seconds or an ISO 8601 time such as 2026-03-01T12:00:00Z (not before 1970), got '${text}'`);
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
  const algorithm = (input.algorithm ?? 'sha1').toLowerCase().replace('-', '') as OtpAlgorithm;
  if (!OTP_ALGORITHMS.includes(algorithm)) throw usage(`--algorithm must be one of ${OTP_ALGORITHMS.join(', ')}, got '${input.algorithm}'`);
  const digits = parseWhole(input.digits, 'digits', 6, 8, 6) as OtpDigits;
  const window = parseWhole(input.window, 'window', 0, MAX_OTP_WINDOW, 0);
  if (input.hotp) {
    if (input.counter === undefined) throw usage('--hotp needs --counter N');
    for (const [name, value] of [['time', input.time], ['period', input.period], ['t0', input.t0]] as const) {
      if (value !== undefined) throw usage(`--${name} applies to TOTP, not to --hotp`);
    }
  } else if (input.counter !== undefined) {
    throw usage('--counter applies to --hotp');
  }
  const counter = input.hotp ? parseWhole(input.counter, 'counter', 0, Number.MAX_SAFE_INTEGER, 0) : 0;
  const period = parseWhole(input.period, 'period', 1, 3600, DEFAULT_PERIOD);
  const t0 = input.t0 === undefined ? 0 : parseTimeArgument(input.t0, 't0');
  const time = input.time === undefined ? now() : parseTimeArgument(input.time, 'time');
  const centre = input.hotp ? counter : totpStep({ time, period, t0 });

  const secret = decodeSecretArgument(input.secret, input.secretFormat);
  let key;
  try {
    key = createOtpKey({ secret, algorithm, digits });
  } finally {
    secret.fill(0);
  }
  try {
    const codes: OtpCodeLine[] = [];
    for (let offset = -window; offset <= window; offset++) {
      const step = centre + offset;
      if (step < 0 || step > Number.MAX_SAFE_INTEGER) continue;
      const line: OtpCodeLine = { offset, step, code: key.codeAt(step) };
      if (!input.hotp) line.time = stepStartTime(step, period, t0);
      codes.push(line);
    }
    const current = codes.find((c) => c.offset === 0)!;
    const result: OtpCommandResult = input.hotp
      ? { mode: 'hotp', algorithm, digits, code: current.code, step: centre }
      : { mode: 'totp', algorithm, digits, period, t0, time, code: current.code, step: centre };
    if (input.window !== undefined) result.codes = codes;
    return result;
  } finally {
    key.dispose();
  }
}

const isoSeconds = (t: number): string => new Date(Math.floor(t) * 1000).toISOString().replace('.000Z', 'Z');

/** The text output: the bare code, or with a window one line per step. */
export function formatOtpResult(result: OtpCommandResult): string {
  if (!result.codes) return `${result.code}\n`;
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

interface OtpArgs {
  secret: string;
  'secret-format': SecretFormat;
  algorithm: string;
  digits?: string;
  period?: string;
  t0?: string;
  time?: string;
  window?: string;
  hotp: boolean;
  counter?: string;
  json: boolean;
}

const otp: CommandModule<object, OtpArgs> = {
  command: 'otp',
  describe: 'print the TOTP/HOTP code(s) for a secret (QA and support; like oathtool)',
  builder: (y) =>
    y
      .options({
        secret: { type: 'string', demandOption: true, describe: "the seed as hex or base32; --secret=- reads it from stdin (keeps it out of the process list)" },
        'secret-format': { choices: ['auto', 'hex', 'base32'] as const, default: 'auto' as const, describe: 'auto: hex if all hex digits of even length, else base32' },
        algorithm: { type: 'string', default: 'sha1', describe: 'sha1, sha256 or sha512' },
        digits: { type: 'string', describe: '6, 7 or 8 [default: 6]' },
        period: { type: 'string', describe: 'TOTP step in seconds, 1..3600 [default: 60, the fob default]' },
        t0: { type: 'string', describe: 'TOTP T0, Unix seconds or ISO 8601 [default: 0]' },
        time: { type: 'string', describe: 'the instant, Unix seconds or ISO 8601 (UTC unless a zone is given) [default: now]' },
        window: { type: 'string', describe: `also list the codes N steps before and after (0..${MAX_OTP_WINDOW}), one per line` },
        hotp: { type: 'boolean', default: false, describe: 'HOTP (RFC 4226) instead of TOTP; needs --counter' },
        counter: { type: 'string', describe: 'the HOTP counter, 0..2^53-1' },
        json: { type: 'boolean', default: false, describe: 'print one JSON object: code, step and, with --window, codes' },
      })
      .example('$0 otp --secret 3132333435363738393031323334353637383930 --time 59 --digits 8 --period 30', 'RFC 6238 test vector: 94287082')
      .example('$0 otp --secret JBSWY3DPEHPK3PXP --window 2 --time 2026-03-01T12:00:00Z', 'codes two steps either side of an instant')
      .example('printf %s "$SEED" | $0 otp --secret=- --hotp --counter 7', 'HOTP, secret from stdin')
      .epilog(
        'Secret format: with --secret-format auto (the default) the secret is hex when every character is a hex digit and there is an ' +
          'even number of them (or it starts with 0x), otherwise base32 (RFC 4648; any case, spaces, dashes and = padding allowed). Force either with ' +
          '--secret-format. Exit codes: 0 success, 2 bad input.',
      ) as unknown as Argv<OtpArgs>,
  handler: async (argv) => {
    for (const name of ['secret', 'algorithm', 'digits', 'period', 't0', 'time', 'window', 'counter'] as const) {
      if (Array.isArray(argv[name])) throw usage(`--${name} was given more than once`);
    }
    const secret = argv.secret === '-' ? await readStdin() : argv.secret;
    const result = computeOtpCodes(
      { ...argv, secret, secretFormat: argv['secret-format'] },
      () => Date.now() / 1000,
    );
    process.stdout.write(argv.json ? JSON.stringify({ ok: true, ...result }) + '\n' : formatOtpResult(result));
  },
};

/** The `otp` command module, typed for main.ts's registry. */
export const otpCommand = otp as unknown as CommandModule<object, never>;
