/**
 * Property tests (fast-check) for every seed format: what a writer writes, its reader reads back
 * unchanged, for any fob the format can carry (serials, names and free text with XML and CSV
 * metacharacters and non-ASCII); and every reader, fed arbitrary or mutated text, either
 * returns or throws a typed SeedFileError (never a TypeError or a hang).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SeedFileError } from '@fobkit/protocol';
import { encodeHex, type OtpAlgorithm, type OtpDigits } from '@fobkit/protocol/otp';
import {
  buildOtpauthUri, parseEntraCsv, parseOathCsv, parseOtpauthUri, parsePamOathUsersfile, readPskc,
  writeEntraCsv, writeOathCsv, writePamOathUsersfile, writePskc,
  type PskcKeyPackage, type PskcProtection, type SeedRecord,
} from '@fobkit/protocol/formats';

const secret = fc.uint8Array({ minLength: 16, maxLength: 64 });
const algorithm = fc.constantFrom<OtpAlgorithm>('sha1', 'sha256', 'sha512');
const digits = fc.constantFrom<OtpDigits>(6, 7, 8);
const period = fc.integer({ min: 1, max: 3600 });
const serial = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,23}$/);
/** Free text XML can carry: any Unicode except the control characters XML 1.0 forbids. */
const xmlText = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 })
  // eslint-disable-next-line no-control-regex
  .filter((s) => !/[\u0000-\u001f\ufffe\uffff]/.test(s) && s.trim() === s && s !== '');
const csvText = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).filter((s) => !/[\r\n]/.test(s) && s.trim() === s && s !== '');

function uniqueBySerial<T extends { serial: string }>(arb: fc.Arbitrary<T>, max = 5): fc.Arbitrary<T[]> {
  return fc.uniqueArray(arb, { minLength: 1, maxLength: max, selector: (r) => r.serial });
}

/** Every reader's contract on garbage: a result or a SeedFileError. */
function returnsOrSeedFileError(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof SeedFileError)) throw e;
  }
}

describe('PSKC', () => {
  const pkg: fc.Arbitrary<PskcKeyPackage> = fc.record({
    serial: xmlText,
    type: fc.constantFrom('totp' as const, 'hotp' as const),
    algorithm, digits, period, secret,
    counter: fc.integer({ min: 0, max: 2 ** 40 }),
    timeDrift: fc.integer({ min: -1000, max: 1000 }),
    manufacturer: fc.option(xmlText, { nil: undefined }),
    model: fc.option(xmlText, { nil: undefined }),
    issuer: fc.option(xmlText, { nil: undefined }),
    user: fc.option(xmlText, { nil: undefined }),
  }, { requiredKeys: ['serial', 'type', 'algorithm', 'digits', 'period', 'secret'] });
  const protection: fc.Arbitrary<PskcProtection | undefined> = fc.oneof(
    fc.constant(undefined),
    fc.uint8Array({ minLength: 16, maxLength: 16 }).map((key) => ({ kind: 'psk' as const, key })),
    xmlText.map((password) => ({ kind: 'password' as const, password, iterations: 1000 })),
  );

  it('writePskc → readPskc keeps every key and parameter', () => {
    fc.assert(fc.property(uniqueBySerial(pkg), protection, (keys, prot) => {
      const xml = prot ? writePskc({ keys, protection: prot }) : writePskc({ keys, insecurePlaintext: true });
      const r = readPskc(xml, prot?.kind === 'psk' ? { psk: prot.key } : prot?.kind === 'password' ? { password: prot.password } : {});
      expect(r.skipped).toEqual([]);
      expect(r.keys.map((k) => ({ ...k, secret: encodeHex(k.secret) }))).toEqual(keys.map((k) => ({
        serial: k.serial, keyId: k.serial, type: k.type, algorithm: k.algorithm, digits: k.digits, secret: encodeHex(k.secret),
        period: k.type === 'totp' ? k.period : 30,
        ...(k.type === 'totp' ? { time: 0, ...(k.timeDrift === undefined ? {} : { timeDrift: k.timeDrift }) } : { counter: k.counter ?? 0 }),
        ...(k.manufacturer === undefined ? {} : { manufacturer: k.manufacturer }),
        ...(k.model === undefined ? {} : { model: k.model }),
        ...(k.issuer === undefined ? {} : { issuer: k.issuer }),
        ...(k.user === undefined ? {} : { user: k.user }),
      })));
    }), { numRuns: 40 });
  });

  it('readPskc on arbitrary text and on mutated documents: a result or a SeedFileError', () => {
    const base = writePskc({ keys: [{ serial: 'FK00000013', type: 'totp', algorithm: 'sha1', digits: 6, period: 60, secret: new Uint8Array(20) }], protection: { kind: 'psk', key: new Uint8Array(16) } });
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => returnsOrSeedFileError(() => readPskc(s))), { numRuns: 200 });
    fc.assert(fc.property(fc.nat({ max: base.length - 1 }), fc.nat({ max: 40 }), fc.string({ maxLength: 20 }), (at, cut, insert) => {
      returnsOrSeedFileError(() => readPskc(base.slice(0, at) + insert + base.slice(at + cut), { psk: new Uint8Array(16), macCheck: 'soft' }));
    }), { numRuns: 300 });
  });
});

describe('Entra ID CSV', () => {
  const rec: fc.Arbitrary<SeedRecord> = fc.record({
    serial: csvText, user: csvText, secret, period: fc.constantFrom(30, 60), manufacturer: csvText, model: csvText,
  }).map((r) => ({ ...r, type: 'totp' as const, algorithm: 'sha1' as const, digits: 6 as const, t0: 0 }));
  it('round trips, with commas and quotes in any field', () => {
    fc.assert(fc.property(fc.array(rec, { maxLength: 6 }), (records) => {
      const back = parseEntraCsv(writeEntraCsv(records));
      expect(back.map((r) => ({ ...r, secret: encodeHex(r.secret) }))).toEqual(records.map((r) => ({ ...r, secret: encodeHex(r.secret) })));
    }), { numRuns: 100 });
  });
  it('arbitrary text: a result or a SeedFileError', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => returnsOrSeedFileError(() => parseEntraCsv(`upn,serial number,secret key,time interval,manufacturer,model\n${s}`))), { numRuns: 200 });
  });
});

describe('OATH CSV', () => {
  const rec: fc.Arbitrary<SeedRecord> = fc.record({ serial, secret, algorithm, digits, period, type: fc.constantFrom('totp' as const, 'hotp' as const) })
    .map((r) => (r.type === 'hotp' ? { ...r, period: 30, counter: 0, t0: 0 } : { ...r, t0: 0 }));
  it('round trips', () => {
    fc.assert(fc.property(fc.array(rec, { maxLength: 6 }), (records) => {
      const back = parseOathCsv(writeOathCsv(records));
      expect(back.map((r) => ({ ...r, secret: encodeHex(r.secret) }))).toEqual(records.map((r) => ({ ...r, secret: encodeHex(r.secret) })));
    }), { numRuns: 100 });
  });
  it('arbitrary text: a result or a SeedFileError', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => returnsOrSeedFileError(() => parseOathCsv(s))), { numRuns: 200 });
  });
});

describe('pam_oath usersfile', () => {
  const rec: fc.Arbitrary<SeedRecord> = fc.record({
    user: fc.stringMatching(/^[a-z_][a-z0-9._-]{0,15}$/), secret, digits,
    period: fc.constantFrom(30, 60), counter: fc.integer({ min: 0, max: 2 ** 40 }), type: fc.constantFrom('totp' as const, 'hotp' as const),
  }).map(({ counter, ...r }) => (r.type === 'hotp'
    ? { ...r, serial: r.user, algorithm: 'sha1' as const, period: 30, counter }
    : { ...r, serial: r.user, algorithm: 'sha1' as const, t0: 0 }));
  it('round trips', () => {
    fc.assert(fc.property(fc.array(rec, { maxLength: 6 }), (records) => {
      const back = parsePamOathUsersfile(writePamOathUsersfile(records));
      expect(back.map((r) => ({ ...r, secret: encodeHex(r.secret) }))).toEqual(records.map((r) => ({ ...r, secret: encodeHex(r.secret) })));
    }), { numRuns: 100 });
  });
  it('arbitrary text: a result or a SeedFileError', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => returnsOrSeedFileError(() => parsePamOathUsersfile(s))), { numRuns: 200 });
  });
});

describe('otpauth URIs', () => {
  const label = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).filter((s) => !s.includes(':') && s.trim() === s && s !== '');
  it('round trips, with any Unicode, spaces, & ? # % in issuer and account', () => {
    fc.assert(fc.property(
      fc.record({ type: fc.constantFrom('totp' as const, 'hotp' as const), account: label, issuer: fc.option(label, { nil: undefined }), secret, algorithm, digits: fc.constantFrom<OtpDigits>(6, 8), period, counter: fc.integer({ min: 0, max: 2 ** 40 }) }),
      (k) => {
        const key = k.issuer === undefined ? (({ issuer: _, ...rest }) => rest)(k) : k;
        const back = parseOtpauthUri(buildOtpauthUri(key));
        expect({ ...back, secret: encodeHex(back.secret) }).toEqual({
          ...key, secret: encodeHex(k.secret),
          ...(k.type === 'totp' ? { counter: undefined } : { period: 30 }),
        });
      },
    ), { numRuns: 200 });
  });
  it('arbitrary text: a result or a SeedFileError', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => returnsOrSeedFileError(() => parseOtpauthUri(`otpauth://totp/${s}`))), { numRuns: 200 });
  });
});
