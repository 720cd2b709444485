/**
 * The OATH token CSV that privacyIDEA and LinOTP import ("OATH CSV"):
 * `serial, seed, type, digits, period[, hash]`, the seed in hex, `#` comment lines. Their
 * importers split on bare commas with no quoting, so a serial containing a comma is refused.
 * Defaults when a column is missing, as those importers apply them: type hotp, 6 digits, 30 s,
 * sha1.
 */
import { SeedFileError } from '../errors.js';
import { encodeHex } from '../otp/hex.js';
import type { OtpAlgorithm, OtpDigits } from '../otp/otpOptions.js';
import { decodeSecretField, integerField, numberedLines, wipeOnError } from './_lines.js';
import { assertSeedRecord, describeRecord, type SeedRecord } from './seedRecord.js';

/**
 * One line per fob. TOTP: `serial, hex, totp, digits, period`; HOTP: `serial, hex, hotp, digits`;
 * `, hash` is appended when the hash is not SHA-1 (for HOTP the period column is then written as
 * 30, which importers ignore for HOTP).
 * @throws TypeError/RangeError naming the record: a bad record, a comma, `#` or whitespace
 *   problem in the serial, a T0 other than 0, or a HOTP counter other than 0 (no column for it).
 */
export function writeOathCsv(records: readonly SeedRecord[], options: { comment?: string } = {}): string {
  const lines: string[] = [];
  if (options.comment !== undefined) {
    for (const c of options.comment.split(/\r?\n/)) lines.push(`# ${c}`);
  }
  records.forEach((r, i) => {
    const where = describeRecord(i, r);
    assertSeedRecord(r, where);
    if (/[,\s]/.test(r.serial) || r.serial.startsWith('#')) throw new RangeError(`${where}: the OATH CSV cannot carry a serial with a comma, whitespace or a leading #`);
    if ((r.t0 ?? 0) !== 0) throw new RangeError(`${where}: the OATH CSV can only carry T0 = 0`);
    if (r.type === 'hotp' && (r.counter ?? 0) !== 0) throw new RangeError(`${where}: the OATH CSV has no counter column (counter ${r.counter})`);
    const fields = [r.serial, encodeHex(r.secret), r.type, String(r.digits)];
    if (r.type === 'totp' || r.algorithm !== 'sha1') fields.push(String(r.type === 'totp' ? r.period : 30));
    if (r.algorithm !== 'sha1') fields.push(r.algorithm);
    lines.push(fields.join(', '));
  });
  return `${lines.join('\n')}\n`;
}

/**
 * Reads an OATH CSV.
 * @throws SeedFileError FORMAT_INVALID with the line: fewer than two or more than six fields, an
 *   unknown type (OCRA and others are not fob seeds) or hash, a bad seed, digits or period.
 */
export function parseOathCsv(input: string | Uint8Array, options: { maxBytes?: number } = {}): SeedRecord[] {
  const records: SeedRecord[] = [];
  wipeOnError(records, () => {
    for (const l of numberedLines(input, { ...options, comments: true })) {
      const f = l.text.split(',').map((s) => s.trim());
      if (f.length < 2 || f.length > 6) throw new SeedFileError('FORMAT_INVALID', `expected "serial, seed, type, digits, period[, hash]", found ${f.length} field(s)`, { line: l.line });
      const [serial, seed, typeText = 'hotp', digitsText = '6', periodText = '30', hashText = 'sha1'] = f.map((s, i) => (s === '' && i >= 2 ? undefined : s)) as string[];
      if (!serial) throw new SeedFileError('FORMAT_INVALID', 'empty serial', { line: l.line });
      const type = typeText!.toLowerCase();
      if (type !== 'totp' && type !== 'hotp') throw new SeedFileError('FORMAT_INVALID', `type ${JSON.stringify(type)} is not a fob seed (expected totp or hotp)`, { line: l.line });
      const algorithm = hashText!.toLowerCase().replace(/^hmac-?/, '').replace('-', '') as OtpAlgorithm;
      if (algorithm !== 'sha1' && algorithm !== 'sha256' && algorithm !== 'sha512') throw new SeedFileError('FORMAT_INVALID', `unsupported hash ${JSON.stringify(hashText)} (sha1, sha256 or sha512)`, { line: l.line });
      const digits = integerField(digitsText!, 'digits', 6, 8, l.line) as OtpDigits;
      const period = integerField(periodText!, 'period', 1, 3600, l.line);
      const record: SeedRecord = { serial, type, algorithm, digits, period, t0: 0, secret: decodeSecretField(seed ?? '', 'hex', 'seed', l.line) };
      if (type === 'hotp') record.counter = 0;
      records.push(record);
    }
  });
  return records;
}
