/**
 * The line-based seed formats: Entra ID hardware OATH CSV, the privacyIDEA/LinOTP OATH CSV,
 * the pam_oath usersfile, otpauth:// URIs (checked against otplib), format detection and the
 * one-door parse/write. Every malformed line is refused with its line number and without the
 * secret in the message.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateSync, generateURI } from 'otplib';
import { seedFileError } from './_seedFileError.js';
import { encodeBase32, encodeHex, generateHotp, generateTotp } from '@fobkit/protocol/otp';
import {
  buildOtpauthUri, detectSeedFileFormat, ENTRA_CSV_HEADER, parseEntraCsv, parseOathCsv, parseOtpauthUri,
  parsePamOathUsersfile, parsePasswordFile, parsePskFile, parseSeedFile, readSeedFile, writeEntraCsv, writeOathCsv,
  writePamOathUsersfile, writePskc, writeSeedFile,
  type SeedRecord,
} from '@fobkit/protocol/formats';

function fob(serial: string, extra: Partial<SeedRecord> = {}): SeedRecord {
  return { serial, type: 'totp', algorithm: 'sha1', digits: 6, period: 60, t0: 0, secret: new Uint8Array(randomBytes(20)), ...extra };
}

describe('Entra ID hardware OATH CSV', () => {
  it('writes the header and base32 rows Entra uploads, and reads them back', () => {
    const records = [
      fob('FK00000013', { user: 'alice@contoso.com', manufacturer: 'fobkit', model: 'FK-1' }),
      fob('FK00000021', { user: 'bob@contoso.com', period: 30 }),
    ];
    const csv = writeEntraCsv(records);
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe('upn,serial number,secret key,time interval,manufacturer,model');
    expect(lines[1]).toBe(`alice@contoso.com,FK00000013,${encodeBase32(records[0]!.secret)},60,fobkit,FK-1`);
    expect(lines[2]).toBe(`bob@contoso.com,FK00000021,${encodeBase32(records[1]!.secret)},30,fobkit,fobkit TOTP fob`);
    const back = parseEntraCsv(csv);
    expect(back.map((r) => [r.user, r.serial, encodeHex(r.secret), r.period])).toEqual(records.map((r) => [r.user, r.serial, encodeHex(r.secret), r.period]));
  });

  it('refuses fobs Entra cannot take, naming the record', () => {
    expect(() => writeEntraCsv([fob('A', { user: 'u@x' }), fob('B', { user: 'v@x', algorithm: 'sha256' })])).toThrow(/record 2 \(B\).*HMAC-SHA1/);
    expect(() => writeEntraCsv([fob('A', { user: 'u@x', digits: 8 })])).toThrow(/6-digit/);
    expect(() => writeEntraCsv([fob('A', { user: 'u@x', period: 45 })])).toThrow(/30 or 60/);
    expect(() => writeEntraCsv([fob('A')])).toThrow(/no user \(UPN\)/);
    expect(() => writeEntraCsv([fob('A', { user: 'u@x', type: 'hotp' })])).toThrow(/TOTP only/);
  });

  it('quotes fields that need it and reads quoted fields', () => {
    const r = fob('FK00000013', { user: 'alice@contoso.com', manufacturer: 'Acme, Inc.', model: 'Say "hi"' });
    const back = parseEntraCsv(writeEntraCsv([r]))[0]!;
    expect([back.manufacturer, back.model]).toEqual(['Acme, Inc.', 'Say "hi"']);
  });

  it('malformed rows: line numbers, never the secret', () => {
    const secret = encodeBase32(randomBytes(20));
    const bad = [ENTRA_CSV_HEADER, `a@x,S1,${secret},60,m,x`, '', `b@x,S2,${secret.slice(0, -1)}0,60,m,x`].join('\n');
    const e = seedFileError(() => parseEntraCsv(bad));
    expect(e.code).toBe('FORMAT_INVALID');
    expect(e.line).toBe(4);
    expect(e.message).toMatch(/^line 4: secret key: invalid base32 character at position 32 \(base32 has no 0, 1, 8 or 9\)/);
    expect(e.message).not.toContain(secret.slice(0, 8));
    expect(seedFileError(() => parseEntraCsv(`upn,serial,secret\n`)).message).toMatch(/^line 1: expected the header/);
    expect(seedFileError(() => parseEntraCsv(`${ENTRA_CSV_HEADER}\na@x,S1,${secret},60,m\n`)).message).toMatch(/^line 2: expected 6 fields/);
    expect(seedFileError(() => parseEntraCsv(`${ENTRA_CSV_HEADER}\na@x,S1,${secret},sixty,m,x\n`)).message).toMatch(/^line 2: time interval must be a whole number/);
    expect(seedFileError(() => parseEntraCsv(`${ENTRA_CSV_HEADER}\na@x,S1,"${secret},60,m,x\n`)).message).toMatch(/^line 2: unterminated quoted field 3/);
    expect(seedFileError(() => parseEntraCsv(`${ENTRA_CSV_HEADER}\na@x,S1,${encodeBase32(randomBytes(10))},60,m,x\n`)).message).toMatch(/^line 2: secret key: 10-byte secret/);
  });
});

describe('privacyIDEA / LinOTP OATH CSV', () => {
  it('writes serial, hex seed, type, digits, period[, hash] and reads it back', () => {
    const records = [
      fob('FK00000013'),
      fob('V-2', { algorithm: 'sha256', digits: 8, period: 30, secret: new Uint8Array(randomBytes(32)) }),
      fob('V-3', { type: 'hotp', counter: 0, period: 30 }),
    ];
    const csv = writeOathCsv(records, { comment: 'batch 7' });
    expect(csv.split('\n').slice(0, 4)).toEqual([
      '# batch 7',
      `FK00000013, ${encodeHex(records[0]!.secret)}, totp, 6, 60`,
      `V-2, ${encodeHex(records[1]!.secret)}, totp, 8, 30, sha256`,
      `V-3, ${encodeHex(records[2]!.secret)}, hotp, 6`,
    ]);
    expect(parseOathCsv(csv).map((r) => [r.serial, encodeHex(r.secret), r.type, r.digits, r.period, r.algorithm])).toEqual(
      records.map((r) => [r.serial, encodeHex(r.secret), r.type, r.digits, r.period, r.algorithm]),
    );
  });

  it('applies the importers\' defaults for missing columns', () => {
    const seed = encodeHex(randomBytes(20));
    expect(parseOathCsv(`tok1, ${seed}\n`)[0]).toMatchObject({ serial: 'tok1', type: 'hotp', digits: 6, algorithm: 'sha1', counter: 0 });
    expect(parseOathCsv(`tok2, ${seed}, TOTP, 8\n`)[0]).toMatchObject({ type: 'totp', digits: 8, period: 30 });
  });

  it('malformed lines: line numbers', () => {
    const seed = encodeHex(randomBytes(20));
    expect(seedFileError(() => parseOathCsv(`# c\ntok1, ${seed}, totp, 6, 60\ntok2, ${seed}, ocra, OCRA-1:HOTP-SHA1-6:QN08\n`)).message).toMatch(/^line 3: type "ocra" is not a fob seed/);
    expect(seedFileError(() => parseOathCsv(`tok1, ${seed}z, totp\n`)).message).toMatch(/^line 1: seed: invalid hex character at position 41/);
    expect(seedFileError(() => parseOathCsv(`tok1, ${seed}, totp, 9\n`)).message).toMatch(/^line 1: digits 9 is outside 6..8/);
    expect(seedFileError(() => parseOathCsv(`tok1\n`)).message).toMatch(/^line 1: expected "serial, seed/);
    expect(seedFileError(() => parseOathCsv(`tok1, ${seed}, totp, 6, 60, md5\n`)).message).toMatch(/unsupported hash "md5"/);
    expect(() => writeOathCsv([fob('has,comma')])).toThrow(/comma/);
    expect(() => writeOathCsv([fob('H', { type: 'hotp', counter: 5 })])).toThrow(/no counter column/);
  });
});

describe('pam_oath usersfile', () => {
  it('writes HOTP/T60/6 user - hexsecret and reads it back', () => {
    const records = [fob('FK00000013', { user: 'alice' }), fob('FK00000021', { user: 'bob', period: 30, digits: 8 }), fob('V-3', { user: 'carol', type: 'hotp', counter: 9 })];
    const text = writePamOathUsersfile(records);
    expect(text.split('\n').slice(1, 4)).toEqual([
      `HOTP/T60/6\talice\t-\t${encodeHex(records[0]!.secret)}`,
      `HOTP/T30/8\tbob\t-\t${encodeHex(records[1]!.secret)}`,
      `HOTP/E/6\tcarol\t-\t${encodeHex(records[2]!.secret)}\t9`,
    ]);
    const back = parsePamOathUsersfile(text);
    expect(back.map((r) => [r.user, encodeHex(r.secret), r.type, r.digits, r.type === 'totp' ? r.period : r.counter])).toEqual([
      ['alice', encodeHex(records[0]!.secret), 'totp', 6, 60], ['bob', encodeHex(records[1]!.secret), 'totp', 8, 30], ['carol', encodeHex(records[2]!.secret), 'hotp', 6, 9],
    ]);
  });

  it('refuses what liboath cannot read, and malformed lines by number', () => {
    expect(() => writePamOathUsersfile([fob('A', { user: 'a', period: 45 })])).toThrow(/30 or 60/);
    expect(() => writePamOathUsersfile([fob('A', { user: 'a', algorithm: 'sha256' })])).toThrow(/HMAC-SHA1 only/);
    expect(() => writePamOathUsersfile([fob('A')])).toThrow(/no user/);
    expect(() => writePamOathUsersfile([fob('A', { user: 'a b' })])).toThrow(/whitespace/);
    const seed = encodeHex(randomBytes(20));
    expect(seedFileError(() => parsePamOathUsersfile(`# x\nHOTP/T60/6 alice - ${seed}\nTOTP bob - ${seed}\n`)).message).toMatch(/^line 3: unknown token type "TOTP"/);
    expect(seedFileError(() => parsePamOathUsersfile(`HOTP/T60/6 alice -\n`)).message).toMatch(/^line 1: expected "TYPE USER PASSWORD HEXSECRET"/);
  });
});

describe('otpauth:// key URIs', () => {
  it('builds what authenticator apps read, and otplib computes the same codes from it', () => {
    const secret = new Uint8Array(randomBytes(20));
    const uri = buildOtpauthUri({ type: 'totp', issuer: 'Example Corp', account: 'alice@example.com', secret, algorithm: 'sha1', digits: 6, period: 30 });
    expect(uri).toBe(`otpauth://totp/Example%20Corp:alice%40example.com?secret=${encodeBase32(secret)}&issuer=Example%20Corp&algorithm=SHA1&digits=6&period=30`);
    const parsed = parseOtpauthUri(uri);
    expect(parsed).toMatchObject({ type: 'totp', issuer: 'Example Corp', account: 'alice@example.com', algorithm: 'sha1', digits: 6, period: 30 });
    const t = 1_790_000_000;
    expect(generateSync({ secret: encodeBase32(parsed.secret), epoch: t, period: 30 })).toBe(generateTotp({ secret, time: t, period: 30 }));
  });

  it('parses URIs otplib generates (TOTP and HOTP)', () => {
    const secret = new Uint8Array(randomBytes(32));
    const totp = parseOtpauthUri(generateURI({ issuer: 'ACME', label: 'bob', secret: encodeBase32(secret), algorithm: 'sha256', digits: 8, period: 60 }));
    expect(totp).toMatchObject({ type: 'totp', issuer: 'ACME', account: 'bob', algorithm: 'sha256', digits: 8, period: 60 });
    expect(encodeHex(totp.secret)).toBe(encodeHex(secret));
    const hotp = parseOtpauthUri(generateURI({ strategy: 'hotp', issuer: 'ACME', label: 'carol', secret: encodeBase32(secret), counter: 5 }));
    expect(hotp).toMatchObject({ type: 'hotp', account: 'carol', counter: 5 });
    expect(generateHotp({ secret: hotp.secret, counter: 5 })).toBe(generateHotp({ secret, counter: 5 }));
  });

  it('refuses malformed URIs with a reason and without the secret', () => {
    const s = encodeBase32(randomBytes(20));
    expect(() => parseOtpauthUri(`https://totp/a?secret=${s}`)).toThrow(/expected otpauth:\/\//);
    expect(() => parseOtpauthUri(`otpauth://motp/a?secret=${s}`)).toThrow(/type "motp"/);
    expect(() => parseOtpauthUri('otpauth://totp/a?issuer=x')).toThrow(/no secret/);
    expect(() => parseOtpauthUri(`otpauth://totp/A:a?secret=${s}&issuer=B`)).toThrow(/contradicts/);
    expect(() => parseOtpauthUri(`otpauth://hotp/a?secret=${s}`)).toThrow(/counter/);
    expect(() => parseOtpauthUri(`otpauth://totp/a?secret=${s}&digits=10`)).toThrow(/digits 10/);
    const e = seedFileError(() => parseOtpauthUri(`otpauth://totp/a?secret=${s.slice(0, 10)}1${s.slice(11)}`));
    expect(e.message).not.toContain(s.slice(0, 10));
    expect(() => buildOtpauthUri({ type: 'totp', issuer: 'a:b', account: 'x', secret: new Uint8Array(20), algorithm: 'sha1', digits: 6, period: 30 })).toThrow(/issuer/);
  });
});

describe('detection and the one-door API', () => {
  const records = [fob('FK00000013', { user: 'alice@example.com' })];
  it('recognises each format and parses it', () => {
    const files = {
      pskc: writePskc({ keys: records, insecurePlaintext: true }),
      'entra-csv': writeEntraCsv(records),
      'oath-csv': writeOathCsv(records),
      'pam-oath': writePamOathUsersfile(records),
    } as const;
    for (const [format, text] of Object.entries(files)) {
      expect(detectSeedFileFormat(text)).toBe(format);
      expect(detectSeedFileFormat(Buffer.from(`\ufeff${text}`))).toBe(format);
      const parsed = parseSeedFile(text);
      expect(parsed.format).toBe(format);
      expect(encodeHex(parsed.records[0]!.secret)).toBe(encodeHex(records[0]!.secret));
      expect(writeSeedFile(format as keyof typeof files, records, { insecurePlaintext: true }).length).toBeGreaterThan(0);
    }
    expect(detectSeedFileFormat('hello world')).toBeUndefined();
    expect(seedFileError(() => parseSeedFile('hello world')).message).toMatch(/unrecognised seed file/);
  });
});

describe('key and password files', () => {
  it('a PSK file holds 32 hex digits (separators allowed) or 16 raw bytes', () => {
    const key = randomBytes(16);
    for (const text of [key.toString('hex'), `${key.toString('hex').toUpperCase()}\n`, `0x${key.toString('hex')}`, key.toString('hex').match(/../g)!.join(':')]) {
      expect(encodeHex(parsePskFile(Buffer.from(text)))).toBe(key.toString('hex'));
    }
    const raw = Buffer.from('00112233445566778899aabbccddee7f', 'hex');
    expect(encodeHex(parsePskFile(raw))).toBe(raw.toString('hex'));
    expect(seedFileError(() => parsePskFile(Buffer.from('0011'))).message).toMatch(/32, 48 or 64 hex digits, or 16, 24 or 32 raw bytes \(found 4 bytes\)/);
  });

  it('a PSK file may hold an AES-192 or AES-256 key too (48 or 64 hex digits, 24 or 32 raw bytes)', () => {
    for (const n of [24, 32]) {
      const key = Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + 200) & 0xff));
      expect(encodeHex(parsePskFile(Buffer.from(`${key.toString('hex')}\n`)))).toBe(key.toString('hex'));
      expect(encodeHex(parsePskFile(key))).toBe(key.toString('hex'));
    }
    // 32 characters that are all hex digits are an AES-128 key in hex, not 32 raw bytes.
    expect(parsePskFile(Buffer.from('00112233445566778899aabbccddeeff'))).toHaveLength(16);
    expect(seedFileError(() => parsePskFile(Buffer.from('00'.repeat(20)))).code).toBe('FORMAT_INVALID');
    expect(seedFileError(() => parsePskFile(Buffer.from(randomBytes(28).toString('hex')))).code).toBe('FORMAT_INVALID');
  });

  it('a password file: the first line, exactly', () => {
    expect(parsePasswordFile(Buffer.from(' pass word \r\nsecond line'))).toBe(' pass word ');
    expect(seedFileError(() => parsePasswordFile(Buffer.from('\nx'))).message).toMatch(/empty/);
  });

  it('readSeedFile refuses a directory and reads a file within the bound', async () => {
    await expect(readSeedFile(tmpdir())).rejects.toMatchObject({ code: 'FORMAT_INVALID', message: expect.stringMatching(/not a regular file/) });
    const dir = mkdtempSync(join(tmpdir(), 'fobkit-seedfile-'));
    try {
      const path = join(dir, 'x.csv');
      writeFileSync(path, 'a'.repeat(100));
      expect((await readSeedFile(path, { maxBytes: 100 })).length).toBe(100);
      await expect(readSeedFile(path, { maxBytes: 99 })).rejects.toMatchObject({ code: 'FORMAT_INVALID', message: expect.stringMatching(/100 bytes, over the limit of 99 bytes/) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
