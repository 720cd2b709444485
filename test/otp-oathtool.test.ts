/**
 * Cross-check of the OTP core against oathtool (OATH Toolkit, Debian package `oathtool`), an
 * independent C implementation: 1,000 random TOTP cases (secret length 16..64, SHA-1/256/512,
 * 6..8 digits, period 1..3600 s, T0, time up to year 2200), each compared over three consecutive
 * steps (`--window 2`), plus 200 HOTP cases with counters across the whole safe-integer range.
 * Cases come from a seeded generator; a failure prints the seed (`FOBKIT_OATH_SEED=<n>` replays it).
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createOtpKey, encodeBase32, encodeHex, generateHotp, generateTotp, type OtpAlgorithm, type OtpDigits } from '@fobkit/protocol/otp';

const TOTP_CASES = 1000;
const HOTP_CASES = 200;
/** 2200-01-01T00:00:00Z. */
const YEAR_2200 = 7_258_118_400;
const PARALLEL = 4;
const seed = process.env.FOBKIT_OATH_SEED ? Number(process.env.FOBKIT_OATH_SEED) : Date.now() % 0x7fffffff;

const OATH_MODE: Record<OtpAlgorithm, string> = { sha1: 'SHA1', sha256: 'SHA256', sha512: 'SHA512' };

interface Base { secret: Uint8Array; algorithm: OtpAlgorithm; digits: OtpDigits }
interface TotpCase extends Base { period: number; t0: number; time: number }
interface HotpCase { secret: Uint8Array; digits: OtpDigits; counter: number }

const base = {
  secret: fc.integer({ min: 16, max: 64 }).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
  algorithm: fc.constantFrom<OtpAlgorithm>('sha1', 'sha256', 'sha512'),
  digits: fc.constantFrom<OtpDigits>(6, 7, 8),
};
const totpCase: fc.Arbitrary<TotpCase> = fc
  .record({
    ...base,
    period: fc.oneof(fc.constantFrom(30, 60), fc.integer({ min: 1, max: 3600 })),
    t0: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2_000_000_000 })),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map(({ at, ...c }) => ({ ...c, time: c.t0 + Math.floor(at * (YEAR_2200 - c.t0)) }));
// oathtool's HOTP mode is HMAC-SHA-1 only (RFC 4226); the other hashes are covered by the TOTP cases.
const hotpCase: fc.Arbitrary<HotpCase> = fc.record({
  secret: base.secret,
  digits: base.digits,
  counter: fc.oneof(
    fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER - 2 }),
    fc.constantFrom(2 ** 31 - 2, 2 ** 32 - 2, 2 ** 32, 2 ** 48 - 1, Number.MAX_SAFE_INTEGER - 2),
  ),
});

function oathtool(args: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile('oathtool', args, { timeout: 10_000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`oathtool ${args.slice(0, -1).join(' ')} failed: ${stderr.trim() || error.message}`));
      resolve(stdout.trim().split('\n'));
    });
  });
}

/** Runs `fn` over `items` with at most PARALLEL in flight, keeping order. */
async function mapLimited<T, R>(items: T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  return out;
}

const describeCase = (c: { secret: Uint8Array }): string =>
  JSON.stringify({ ...c, secret: `${c.secret.length} bytes` });

describe(`oathtool cross-check (seed ${seed})`, () => {
  beforeAll(() => {
    const probe = spawnSync('oathtool', ['--version'], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0) {
      throw new Error('oathtool is not installed: `apt-get install oathtool` (Debian package; .ci/run installs it). This cross-check never skips.');
    }
  });

  it(`agrees on ${TOTP_CASES} random TOTP cases × 3 steps, times up to 2200`, async () => {
    const cases = fc.sample(totpCase, { numRuns: TOTP_CASES, seed });
    const answers = await mapLimited(cases, (c) =>
      oathtool([`--totp=${OATH_MODE[c.algorithm]}`, '-d', String(c.digits), '-s', `${c.period}s`, '-S', `@${c.t0}`, '-N', `@${c.time}`, '-w', '2', encodeHex(c.secret)]),
    );
    let compared = 0;
    cases.forEach((c, i) => {
      const step = Math.floor((c.time - c.t0) / c.period);
      const key = createOtpKey({ secret: c.secret, algorithm: c.algorithm, digits: c.digits });
      const ours = [key.codeAt(step), key.codeAt(step + 1), key.codeAt(step + 2)];
      key.dispose();
      const oneShot = generateTotp({ secret: c.secret, time: c.time, period: c.period, t0: c.t0, algorithm: c.algorithm, digits: c.digits });
      expect({ oathtool: answers[i], oneShot }, `seed ${seed}, case ${i}: ${describeCase(c)}`).toEqual({ oathtool: ours, oneShot: ours[0] });
      compared += 3;
    });
    expect(compared).toBeGreaterThanOrEqual(3 * TOTP_CASES);
  });

  it(`agrees on ${HOTP_CASES} random HOTP cases × 3 counters across the safe-integer range (SHA-1)`, async () => {
    const cases = fc.sample(hotpCase, { numRuns: HOTP_CASES, seed: seed + 1 });
    const answers = await mapLimited(cases, (c) =>
      oathtool(['--hotp', '-d', String(c.digits), '-c', String(c.counter), '-w', '2', encodeHex(c.secret)]),
    );
    cases.forEach((c, i) => {
      const key = createOtpKey({ secret: c.secret, algorithm: 'sha1', digits: c.digits });
      const ours = [0, 1, 2].map((d) => key.codeAt(c.counter + d));
      key.dispose();
      expect(generateHotp({ secret: c.secret, counter: BigInt(c.counter), digits: c.digits })).toBe(ours[0]);
      expect(answers[i], `seed ${seed + 1}, case ${i}: ${describeCase(c)}`).toEqual(ours);
    });
  });
});

// `fobkit otp` takes oathtool's own command line (issue 17 item 5): the same arguments, given to
// both programs, print the same lines. Fewer cases than above: each is a Node process start.
const CLI_TOTP_CASES = 24;
const CLI_HOTP_CASES = 8;
const FOBKIT_BIN = fileURLToPath(new URL('../provisioner/bin/fobkit.js', import.meta.url));

function fobkitOtp(args: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [FOBKIT_BIN, 'otp', ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`fobkit otp ${args.slice(0, -1).join(' ')} failed: ${stderr.trim() || error.message}`));
      resolve(stdout.trim().split('\n'));
    });
  });
}

describe(`fobkit otp given oathtool's command line prints what oathtool prints (seed ${seed})`, () => {
  beforeAll(() => {
    if (!existsSync(fileURLToPath(new URL('../provisioner/dist/cli/main.js', import.meta.url)))) throw new Error('run `npm run build` first: this test runs the built fobkit');
  });

  it(`${CLI_TOTP_CASES} TOTP and ${CLI_HOTP_CASES} HOTP command lines, hex and base32 keys, with -w`, { timeout: 180_000 }, async () => {
    const totp = fc.sample(totpCase, { numRuns: CLI_TOTP_CASES, seed: seed + 2 }).map((c, i) => [
      i % 3 === 0 ? '--totp' : `--totp=${OATH_MODE[c.algorithm]}`, '-d', String(c.digits), '-s', i % 2 ? `${c.period}s` : String(c.period), '-S', `@${c.t0}`, '-N', `@${c.time}`,
      ...(i % 4 === 0 ? ['-w', '2'] : []),
      ...(i % 5 === 0 ? ['-b', encodeBase32(c.secret)] : [encodeHex(c.secret)]),
    ]);
    const hotp = fc.sample(hotpCase, { numRuns: CLI_HOTP_CASES, seed: seed + 3 }).map((c, i) => [
      ...(i % 2 ? ['--hotp'] : []), '-d', String(c.digits), '-c', String(c.counter), '-w', String(i % 3), encodeHex(c.secret),
    ]);
    const lines = [...totp, ...hotp];
    const [ours, theirs] = await Promise.all([mapLimited(lines, fobkitOtp), mapLimited(lines, oathtool)]);
    lines.forEach((args, i) => expect(ours[i], `seed ${seed}: fobkit otp ${args.slice(0, -1).join(' ')} KEY`).toEqual(theirs[i]));
  });
});
