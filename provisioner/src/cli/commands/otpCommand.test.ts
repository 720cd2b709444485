/** `fobkit otp`'s pure part: option parsing, secret auto-detection, windows, output format. */
import { describe, expect, it } from 'vitest';
import { encodeBase32, generateHotp, isProtocolError } from '@fobkit/protocol';
import { CliError } from '../cliErrors.js';
import { computeOtpCodes, decodeSecretArgument, formatOtpResult, parseTimeArgument, type OtpCommandInput } from './otpCommand.js';

const RFC_HEX = '3132333435363738393031323334353637383930';
const RFC_BYTES = new TextEncoder().encode('12345678901234567890');
const clock = () => 1_111_111_109;
const run = (input: Partial<OtpCommandInput>) => computeOtpCodes({ secret: RFC_HEX, ...input }, clock);

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

describe("computeOtpCodes in oathtool's dialect (its positional KEY)", () => {
  const oath = (input: Partial<OtpCommandInput>) => computeOtpCodes({ secret: RFC_HEX, dialect: 'oathtool', ...input }, clock);

  it('is HOTP at counter 0 unless --totp, as oathtool', () => {
    expect(oath({})).toMatchObject({ mode: 'hotp', step: 0, code: '755224' });
    expect(oath({ counter: '5' })).toMatchObject({ mode: 'hotp', step: 5, code: '254676' });
  });

  it('TOTP steps are 30 s by default; -s takes 30s, 1m, 1h; -N and -S take @seconds and "… UTC"', () => {
    expect(oath({ totp: true, time: '@59', digits: '8' })).toMatchObject({ period: 30, code: '94287082' });
    expect(oath({ totp: true, time: '@120', period: '1m' }).code).toBe(oath({ totp: true, time: '120', period: '60' }).code);
    expect(oath({ totp: true, time: '@120', period: '1h' }).step).toBe(0);
    expect(oath({ totp: true, time: '2005-03-18 01:58:29 UTC', digits: '8' }).code).toBe('07081804');
    expect(oath({ totp: true, time: '@120', t0: '@60' }).step).toBe(2);
  });

  it('-w N lists this code and the N after it, printed bare one per line', () => {
    const r = oath({ counter: '5', window: '2' });
    expect(r.codes!.map((c) => c.offset)).toEqual([0, 1, 2]);
    expect(formatOtpResult(r, 'oathtool')).toBe('254676\n287922\n162583\n');
  });
});

describe('computeOtpCodes', () => {
  it('prints the RFC 6238 vector at time 59', () => {
    expect(run({ time: '59', digits: '8', period: '30' })).toEqual({
      mode: 'totp', algorithm: 'sha1', digits: 8, period: 30, t0: 0, time: 59, code: '94287082', step: 1,
    });
  });

  it('defaults to the fob profile (SHA-1, 6 digits, 60 s) at the clock', () => {
    const r = run({});
    expect(r).toMatchObject({ algorithm: 'sha1', digits: 6, period: 60, time: 1_111_111_109, step: Math.floor(1_111_111_109 / 60) });
    expect(r.code).toBe(generateHotp({ secret: RFC_BYTES, counter: Math.floor(1_111_111_109 / 60) }));
  });

  it('takes ISO 8601 times, UTC unless a zone is given, and T0', () => {
    expect(run({ time: '2005-03-18T01:58:29Z', period: '30', digits: '8' }).code).toBe('07081804');
    expect(run({ time: '2005-03-18 01:58:29', period: '30', digits: '8' }).code).toBe('07081804');
    expect(run({ time: '2005-03-18T02:58:29+01:00', period: '30', digits: '8' }).code).toBe('07081804');
    expect(parseTimeArgument('2026-01-01', 'time')).toBe(1_767_225_600);
    expect(parseTimeArgument('59.5', 'time')).toBe(59.5);
    // T0 shifts the steps: time 100 with T0 41 is step 1 at 30 s, the same as time 59 with T0 0.
    expect(run({ time: '100', t0: '41', period: '30', digits: '8' }).code).toBe('94287082');
  });

  it('SHA-256 and SHA-512 with their RFC 6238 seeds', () => {
    const seed256 = Buffer.from('12345678901234567890123456789012').toString('hex');
    const seed512 = Buffer.from('1234567890123456789012345678901234567890123456789012345678901234').toString('hex');
    expect(computeOtpCodes({ secret: seed256, algorithm: 'sha256', time: '59', period: '30', digits: '8' }, clock).code).toBe('46119246');
    expect(computeOtpCodes({ secret: seed512, algorithm: 'SHA512', time: '59', period: '30', digits: '8' }, clock).code).toBe('90693936');
  });

  it('--window lists steps -N..+N with their start times, leaving out steps before T0', () => {
    const r = run({ time: '59', digits: '8', period: '30', window: '2' });
    expect(r.code).toBe('94287082');
    expect(r.codes).toEqual([
      { offset: -1, step: 0, code: '84755224', time: 0 },
      { offset: 0, step: 1, code: '94287082', time: 30 },
      { offset: 1, step: 2, code: '37359152', time: 60 },
      { offset: 2, step: 3, code: '26969429', time: 90 },
    ]);
    expect(run({ window: '0' }).codes).toHaveLength(1);
  });

  it('--hotp --counter N, with windows over counters (RFC 4226 Appendix D)', () => {
    expect(run({ hotp: true, counter: '0' })).toEqual({ mode: 'hotp', algorithm: 'sha1', digits: 6, code: '755224', step: 0 });
    const r = run({ hotp: true, counter: '8', window: '1' });
    expect(r.codes!.map((c) => [c.step, c.code])).toEqual([[7, '162583'], [8, '399871'], [9, '520489']]);
    expect(r.codes![0]!.time).toBeUndefined();
    expect(run({ hotp: true, counter: String(Number.MAX_SAFE_INTEGER), window: '1' }).codes).toHaveLength(2);
  });

  it('formats the bare code, or a table with the requested step marked', () => {
    expect(formatOtpResult(run({ time: '59', digits: '8', period: '30' }))).toBe('94287082\n');
    const table = formatOtpResult(run({ time: '59', digits: '8', period: '30', window: '1' })).split('\n');
    expect(table).toEqual([
      'offset  code      step  from',
      '    -1  84755224     0  1970-01-01T00:00:00Z',
      '     0  94287082     1  1970-01-01T00:00:30Z  <',
      '    +1  37359152     2  1970-01-01T00:01:00Z',
      '',
    ]);
  });

  it.each([
    [{ digits: '9' }, /^--digits must be a whole number from 6 to 8, got '9'$/],
    [{ digits: '6.0' }, /^--digits/],
    [{ period: '0' }, /^--period \(-s, --time-step-size\) must be a whole number from 1 to 3600 seconds \(or 30s, 1m, 1h\), got '0'$/],
    [{ period: '2h' }, /^--period/],
    [{ hotp: true, totp: true, counter: '1' }, /^give --hotp or --totp, not both$/],
    [{ period: '-30' }, /^--period/],
    [{ window: '100001' }, /^--window/],
    [{ algorithm: 'md5' }, /^--algorithm must be one of sha1, sha256, sha512, got 'md5'$/],
    [{ time: 'yesterday' }, /^--time must be Unix seconds, @seconds or an ISO 8601 time/],
    [{ time: '1960-01-01' }, /^--time/],
    [{ t0: 'x' }, /^--t0/],
    [{ hotp: true }, /^--hotp needs --counter N$/],
    [{ counter: '5' }, /^--counter applies to --hotp$/],
    [{ hotp: true, counter: '5', time: '59' }, /^--time applies to TOTP, not to --hotp$/],
    [{ hotp: true, counter: '9007199254740992' }, /^--counter must be a whole number from 0 to 9007199254740991/],
  ] as [Partial<OtpCommandInput>, RegExp][])('rejects %j as a usage error (exit 2)', (input, message) => {
    const e = thrown(() => run(input));
    expect(e).toBeInstanceOf(CliError);
    expect((e as CliError).exitCode).toBe(2);
    expect(e.message).toMatch(message);
  });

  it('a time before T0 and a secret of the wrong size are RangeErrors (exit 2 via cliErrors)', () => {
    expect(thrown(() => run({ time: '10', t0: '20' }))).toBeInstanceOf(RangeError);
    expect(thrown(() => computeOtpCodes({ secret: '3132' }, clock)).message).toBe('secret must be 16 to 64 bytes, got 2');
  });
});

describe('decodeSecretArgument', () => {
  it('auto: even-length hex digits are hex, anything else base32', () => {
    expect(decodeSecretArgument(RFC_HEX)).toEqual(RFC_BYTES);
    expect(decodeSecretArgument(RFC_HEX.toUpperCase())).toEqual(RFC_BYTES);
    const b32 = encodeBase32(RFC_BYTES);
    expect(b32).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    expect(decodeSecretArgument(b32)).toEqual(RFC_BYTES);
    expect(decodeSecretArgument(b32.toLowerCase().replace(/(.{4})/g, '$1 '))).toEqual(RFC_BYTES);
    expect(decodeSecretArgument('gezd-gnbv-gy3t-qojq-gezd-gnbv-gy3t-qojq')).toEqual(RFC_BYTES);
    expect(decodeSecretArgument(`0x${RFC_HEX}`)).toEqual(RFC_BYTES);
    // Odd-length text of letters a-f and digits 2-7 is valid base32, so it is read as base32.
    expect(decodeSecretArgument('ABCDEFA')).toEqual(decodeSecretArgument('ABCDEFA', 'base32'));
  });

  it('--secret-format forces either reading', () => {
    expect(decodeSecretArgument('ABCDEF2345672345', 'hex')).toHaveLength(8);
    expect(decodeSecretArgument('ABCDEF2345672345', 'base32')).toHaveLength(10);
    expect(decodeSecretArgument('ABCDEF2345672345')).toHaveLength(8);
  });

  it('odd hex is named as such; a bad base32 character by position; neither echoes the secret', () => {
    const odd = thrown(() => decodeSecretArgument('31323'));
    expect(odd.message).toBe('secret: odd number of hex digits (5); use --secret-format base32 if it is base32');
    expect((odd as CliError).exitCode).toBe(2);
    const bad = thrown(() => decodeSecretArgument('GEZDGNBVGY3TQOJ1GEZDGNBVGY3TQOJQ'));
    expect(isProtocolError(bad, 'INVALID_ENCODING')).toBe(true);
    expect(bad.message).toBe('secret: invalid base32 character at position 16 (base32 has no 0, 1, 8 or 9)');
    expect(thrown(() => decodeSecretArgument('3132x3', 'hex')).message).toBe('secret: invalid hex character at position 5');
  });
});
