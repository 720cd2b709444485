/**
 * The Microsoft Entra ID hardware OATH token CSV (Entra admin center, "OATH tokens" upload):
 * `upn,serial number,secret key,time interval,manufacturer,model`, one token per row, the secret
 * in base32. Entra takes TOTP with HMAC-SHA1, 6 digits and a 30 or 60 s step; the file has no
 * column for anything else, so a fob outside that is refused rather than written wrong.
 */
import { SeedFileError } from '../errors.js';
import { encodeBase32 } from '../otp/base32.js';
import { csvField, decodeSecretField, integerField, numberedLines, splitCsvLine, wipeOnError } from './_lines.js';
import { assertSeedRecord, describeRecord, type SeedRecord } from './seedRecord.js';

export const ENTRA_CSV_HEADER = 'upn,serial number,secret key,time interval,manufacturer,model';
const COLUMNS = ENTRA_CSV_HEADER.split(',');
/** The time steps Entra ID accepts. */
export const ENTRA_PERIODS: readonly number[] = [30, 60];

export interface WriteEntraCsvOptions {
  /** Used for records without `manufacturer`. Default 'fobkit'. */
  manufacturer?: string;
  /** Used for records without `model`. Default 'fobkit TOTP fob'. */
  model?: string;
}

/**
 * Writes the upload CSV (header, then one row per fob, CRLF line ends as Excel writes them).
 * @throws TypeError/RangeError naming the record: no `user` (Entra assigns each token to a UPN
 *   on upload), not TOTP/SHA-1/6 digits, a step other than 30/60 s, or a line break in a field.
 */
export function writeEntraCsv(records: readonly SeedRecord[], options: WriteEntraCsvOptions = {}): string {
  const rows = [ENTRA_CSV_HEADER];
  records.forEach((r, i) => {
    const where = describeRecord(i, r);
    assertSeedRecord(r, where);
    if (r.type !== 'totp') throw new RangeError(`${where}: Entra ID hardware OATH tokens are TOTP only`);
    if (r.algorithm !== 'sha1') throw new RangeError(`${where}: the Entra CSV has no hash column, so only HMAC-SHA1 fobs can be listed (got ${r.algorithm})`);
    if (r.digits !== 6) throw new RangeError(`${where}: Entra ID takes 6-digit codes (got ${r.digits})`);
    if (!ENTRA_PERIODS.includes(r.period)) throw new RangeError(`${where}: Entra ID takes a 30 or 60 s time interval (got ${r.period})`);
    if ((r.t0 ?? 0) !== 0) throw new RangeError(`${where}: the Entra CSV can only carry T0 = 0`);
    if (!r.user) throw new TypeError(`${where}: no user (UPN); Entra assigns every uploaded token to a user, so assign the fob first`);
    const fields = [r.user, r.serial, encodeBase32(r.secret), String(r.period), r.manufacturer ?? options.manufacturer ?? 'fobkit', r.model ?? options.model ?? 'fobkit TOTP fob'];
    for (const f of fields) if (/[\r\n]/.test(f)) throw new RangeError(`${where}: a field contains a line break`);
    rows.push(fields.map(csvField).join(','));
  });
  return `${rows.join('\r\n')}\r\n`;
}

/**
 * Reads an Entra CSV back. Every record is TOTP, HMAC-SHA1, 6 digits.
 * @throws SeedFileError FORMAT_INVALID with the line: a wrong header, a row without six fields,
 *   an empty UPN or serial, a secret that is not base32 or not 16..64 bytes, a bad interval.
 */
export function parseEntraCsv(input: string | Uint8Array, options: { maxBytes?: number } = {}): SeedRecord[] {
  const lines = numberedLines(input, { ...options, comments: false });
  if (lines.length === 0) throw new SeedFileError('FORMAT_INVALID', 'empty file: expected the header line ' + ENTRA_CSV_HEADER);
  const header = splitCsvLine(lines[0]!).map((h) => h.toLowerCase());
  if (header.length !== COLUMNS.length || header.some((h, i) => h !== COLUMNS[i])) {
    throw new SeedFileError('FORMAT_INVALID', `expected the header "${ENTRA_CSV_HEADER}"`, { line: lines[0]!.line });
  }
  const records: SeedRecord[] = [];
  wipeOnError(records, () => {
    for (const l of lines.slice(1)) {
      const f = splitCsvLine(l);
      if (f.length !== COLUMNS.length) throw new SeedFileError('FORMAT_INVALID', `expected ${COLUMNS.length} fields (${ENTRA_CSV_HEADER}), found ${f.length}`, { line: l.line });
      const [upn, serial, secretText, interval, manufacturer, model] = f as [string, string, string, string, string, string];
      if (upn === '') throw new SeedFileError('FORMAT_INVALID', 'empty upn', { line: l.line });
      if (serial === '') throw new SeedFileError('FORMAT_INVALID', 'empty serial number', { line: l.line });
      const period = integerField(interval, 'time interval', 1, 3600, l.line);
      const record: SeedRecord = {
        serial, user: upn, type: 'totp', algorithm: 'sha1', digits: 6, period, t0: 0,
        secret: decodeSecretField(secretText, 'base32', 'secret key', l.line),
      };
      if (manufacturer !== '') record.manufacturer = manufacturer;
      if (model !== '') record.model = model;
      records.push(record);
    }
  });
  return records;
}
