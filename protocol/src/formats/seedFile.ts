/**
 * One door to every seed-file format, for importers and exporters that take a `--format` or
 * must recognise a file: detection, a size-bounded file read (refused by `stat` before a byte is
 * read), and parse/write by format name.
 */
import { open } from 'node:fs/promises';
import { SeedFileError } from '../errors.js';
import { DEFAULT_MAX_SEED_FILE_BYTES } from './_xml.js';
import { parseEntraCsv, writeEntraCsv, type WriteEntraCsvOptions } from './entraCsv.js';
import { parseOathCsv, writeOathCsv } from './oathCsv.js';
import { parsePamOathUsersfile, writePamOathUsersfile } from './pamOathUsersfile.js';
import { readPskc, type ReadPskcOptions } from './readPskc.js';
import { writePskc } from './writePskc.js';
import type { PskcKeyPackage, PskcMacFailure, PskcProtection, PskcSkippedPackage } from './pskcTypes.js';
import type { SeedRecord } from './seedRecord.js';

export type SeedFileFormat = 'pskc' | 'entra-csv' | 'oath-csv' | 'pam-oath';
export const SEED_FILE_FORMATS: readonly SeedFileFormat[] = ['pskc', 'entra-csv', 'oath-csv', 'pam-oath'];

/** Recognises a seed file by its first meaningful line; undefined when it is none of ours. */
export function detectSeedFileFormat(input: string | Uint8Array): SeedFileFormat | undefined {
  const head = (typeof input === 'string' ? input.slice(0, 4096) : Buffer.from(input.subarray(0, 4096)).toString('utf8')).replace(/^\ufeff/, '');
  if (/^\s*</.test(head)) return 'pskc';
  const first = head.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('#'));
  if (first === undefined) return undefined;
  if (/^"?upn"?\s*,\s*"?serial number"?/i.test(first)) return 'entra-csv';
  if (/^HOTP(\/\S*)?\s/.test(first)) return 'pam-oath';
  if (first.includes(',')) return 'oath-csv';
  return undefined;
}

/**
 * Reads a seed file, refusing one larger than `maxBytes` from its size before reading it.
 * @throws SeedFileError PSKC_INVALID/FORMAT_INVALID (by extension-free guess: PSKC when the
 *   name ends in .xml/.pskc*) when too large; Node's fs errors (ENOENT...) as they are.
 */
export async function readSeedFile(path: string, options: { maxBytes?: number } = {}): Promise<Buffer> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_SEED_FILE_BYTES;
  const handle = await open(path, 'r');
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new SeedFileError('FORMAT_INVALID', `${path} is not a regular file`);
    if (stat.size > maxBytes) {
      const code = /\.(xml|pskc\w*)$/i.test(path) ? 'PSKC_INVALID' : 'FORMAT_INVALID';
      throw new SeedFileError(code, `${path} is ${stat.size} bytes, over the limit of ${maxBytes} bytes (split the batch, or raise the limit)`);
    }
    // Read at most one byte past the limit, in case the file grows between stat and read.
    const buf = Buffer.alloc(Math.min(stat.size, maxBytes) + 1);
    let filled = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, filled, buf.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
      if (filled === buf.length) break;
    }
    if (filled > maxBytes) throw new SeedFileError('FORMAT_INVALID', `${path} grew past the limit of ${maxBytes} bytes while being read`);
    return buf.subarray(0, filled);
  } finally {
    await handle.close();
  }
}

export interface ParsedSeedFile {
  format: SeedFileFormat;
  protection: 'plaintext' | 'psk' | 'password';
  /** PSKC files give `PskcKeyPackage`s (a superset of `SeedRecord`). Zero the secrets when done. */
  records: Array<SeedRecord | PskcKeyPackage>;
  /** PSKC key packages that are not fob seeds (OCRA, odd lengths...). Always empty for CSV. */
  skipped: PskcSkippedPackage[];
  macFailures: PskcMacFailure[];
  /** Accepted oddities to report (PSKC: an empty MACMethod); absent or empty for the rest. */
  warnings?: string[];
}

/**
 * Parses a seed file of the given (or detected) format.
 * @throws SeedFileError FORMAT_INVALID when the format cannot be recognised, and whatever the
 *   format's reader throws.
 */
export function parseSeedFile(input: string | Uint8Array, options: ReadPskcOptions & { format?: SeedFileFormat } = {}): ParsedSeedFile {
  const format = options.format ?? detectSeedFileFormat(input);
  const bound = options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes };
  switch (format) {
    case 'pskc': {
      const r = readPskc(input, options);
      return { format, protection: r.protection, records: r.keys, skipped: r.skipped, macFailures: r.macFailures, warnings: r.warnings };
    }
    case 'entra-csv':
      return { format, protection: 'plaintext', records: parseEntraCsv(input, bound), skipped: [], macFailures: [] };
    case 'oath-csv':
      return { format, protection: 'plaintext', records: parseOathCsv(input, bound), skipped: [], macFailures: [] };
    case 'pam-oath':
      return { format, protection: 'plaintext', records: parsePamOathUsersfile(input, bound), skipped: [], macFailures: [] };
    default:
      throw new SeedFileError('FORMAT_INVALID', `unrecognised seed file: expected PSKC XML, an Entra or OATH CSV, or a pam_oath usersfile`);
  }
}

export interface WriteSeedFileOptions extends WriteEntraCsvOptions {
  /** PSKC only: how the secrets are protected. */
  protection?: PskcProtection;
  /** PSKC only: write secrets in the clear. */
  insecurePlaintext?: boolean;
  /** PSKC only: KeyContainer/@Id. */
  id?: string;
  randomBytes?: (n: number) => Uint8Array;
}

/**
 * Writes records in the named format. The CSV formats and the usersfile have no protection of
 * their own: their secrets are in the clear.
 * @throws what the format's writer throws (TypeError/RangeError naming the record).
 */
export function writeSeedFile(format: SeedFileFormat, records: ReadonlyArray<SeedRecord | PskcKeyPackage>, options: WriteSeedFileOptions = {}): string {
  switch (format) {
    case 'pskc':
      return writePskc({ keys: records as PskcKeyPackage[], ...options });
    case 'entra-csv':
      return writeEntraCsv(records, options);
    case 'oath-csv':
      return writeOathCsv(records);
    case 'pam-oath':
      return writePamOathUsersfile(records);
    default:
      throw new RangeError(`format must be one of ${SEED_FILE_FORMATS.join(', ')}, got ${String(format)}`);
  }
}

/** Whether a format's output carries secrets in the clear whatever the options. */
export function isPlaintextFormat(format: SeedFileFormat): boolean {
  return format !== 'pskc';
}
