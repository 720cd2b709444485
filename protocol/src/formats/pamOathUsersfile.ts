/**
 * The usersfile of OATH Toolkit's pam_oath / liboath (the mod-authn-otp format):
 * `TYPE USER PASSWORD HEXSECRET [COUNTER [LASTOTP [TIME]]]`, whitespace separated, `#` comments.
 * TYPE is `HOTP[/E][/digits]` for events and `HOTP/T<step>[/digits]` for time-based tokens.
 * liboath 2.6 knows only the steps 30 and 60 and only HMAC-SHA1, so those are all we write.
 * pam_oath rewrites the file after each login (counter, last OTP, time): it must stay writable
 * by the PAM service, and readable by nobody else.
 */
import { SeedFileError } from '../errors.js';
import { encodeHex } from '../otp/hex.js';
import type { OtpDigits } from '../otp/otpOptions.js';
import { decodeSecretField, integerField, numberedLines, wipeOnError } from './_lines.js';
import { assertSeedRecord, describeRecord, type SeedRecord } from './seedRecord.js';

/** The TOTP steps liboath's usersfile parser accepts. */
export const PAM_OATH_PERIODS: readonly number[] = [30, 60];
const USER = /^[^\s#]+$/;
const TYPE = /^HOTP(?:\/(E|T(\d{1,4})))?(?:\/(\d))?$/;

export interface WritePamOathOptions {
  /** The usersfile password column: '-' no password (default), '+' checked by another module. */
  password?: '-' | '+';
}

/**
 * One line per fob: `HOTP/T60/6 user - hexsecret` (TOTP) or `HOTP/E/6 user - hexsecret [counter]`.
 * @throws TypeError/RangeError naming the record: no `user` (or one with whitespace or `#`), a
 *   hash other than SHA-1, a TOTP step other than 30/60 s, a T0 other than 0.
 */
export function writePamOathUsersfile(records: readonly SeedRecord[], options: WritePamOathOptions = {}): string {
  const password = options.password ?? '-';
  if (password !== '-' && password !== '+') throw new RangeError("password must be '-' or '+'");
  const lines = ['# pam_oath usersfile written by fobkit. Keep it mode 0600: it holds the seeds in the clear.'];
  records.forEach((r, i) => {
    const where = describeRecord(i, r);
    assertSeedRecord(r, where);
    if (!r.user) throw new TypeError(`${where}: no user; a usersfile line maps a login name to a seed, so assign the fob first`);
    if (!USER.test(r.user)) throw new RangeError(`${where}: user name must not contain whitespace or '#'`);
    if (r.algorithm !== 'sha1') throw new RangeError(`${where}: pam_oath's usersfile is HMAC-SHA1 only (got ${r.algorithm})`);
    if (r.type === 'totp') {
      if (!PAM_OATH_PERIODS.includes(r.period)) throw new RangeError(`${where}: pam_oath takes a 30 or 60 s step only (got ${r.period})`);
      if ((r.t0 ?? 0) !== 0) throw new RangeError(`${where}: pam_oath assumes T0 = 0`);
      lines.push(`HOTP/T${r.period}/${r.digits}\t${r.user}\t${password}\t${encodeHex(r.secret)}`);
    } else {
      const counter = r.counter ?? 0;
      lines.push(`HOTP/E/${r.digits}\t${r.user}\t${password}\t${encodeHex(r.secret)}${counter > 0 ? `\t${counter}` : ''}`);
    }
  });
  return `${lines.join('\n')}\n`;
}

/**
 * Reads a usersfile, including lines pam_oath has updated (extra counter/OTP/time columns); a
 * HOTP `counter` is the next one to use. The file has no serial numbers: `serial` is the user name.
 * @throws SeedFileError FORMAT_INVALID with the line: fewer than four fields, an unknown type,
 *   a bad hex secret or counter.
 */
export function parsePamOathUsersfile(input: string | Uint8Array, options: { maxBytes?: number } = {}): SeedRecord[] {
  const records: SeedRecord[] = [];
  wipeOnError(records, () => {
    for (const l of numberedLines(input, { ...options, comments: true })) {
      const f = l.text.trim().split(/\s+/);
      if (f.length < 4) throw new SeedFileError('FORMAT_INVALID', `expected "TYPE USER PASSWORD HEXSECRET", found ${f.length} field(s)`, { line: l.line });
      const [typeText, user, , secretText, counterText, lastOtp] = f as [string, string, string, string, string | undefined, string | undefined];
      const m = TYPE.exec(typeText);
      if (!m) throw new SeedFileError('FORMAT_INVALID', `unknown token type ${JSON.stringify(typeText)} (expected HOTP, HOTP/E/6, HOTP/T30/6, HOTP/T60/6 ...)`, { line: l.line });
      const digits = m[3] === undefined ? 6 : integerField(m[3], 'digits', 6, 8, l.line);
      if (m[2] !== undefined) {
        const period = integerField(m[2], 'time step', 1, 3600, l.line);
        const secret = decodeSecretField(secretText, 'hex', 'secret', l.line);
        records.push({ serial: user, user, type: 'totp', algorithm: 'sha1', digits: digits as OtpDigits, period, t0: 0, secret });
      } else {
        // liboath records the counter of the last accepted code next to that code; without a
        // last code the column is where validation starts. Either way: the next counter to use.
        const stored = counterText === undefined ? 0 : integerField(counterText, 'counter', 0, Number.MAX_SAFE_INTEGER - 1, l.line);
        const counter = lastOtp === undefined ? stored : stored + 1;
        const secret = decodeSecretField(secretText, 'hex', 'secret', l.line);
        records.push({ serial: user, user, type: 'hotp', algorithm: 'sha1', digits: digits as OtpDigits, period: 30, counter, secret });
      }
    }
  });
  return records;
}
