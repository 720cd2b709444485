/**
 * `fobkit otp` end to end: the built bin (`npm run build` first; CI builds in `npm ci`), spawned
 * as a user would, checking stdout, stderr and exit codes. The pure logic has its own unit tests
 * in provisioner/src/cli/commands/otpCommand.test.ts.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = fileURLToPath(new URL('../provisioner/bin/fobkit.js', import.meta.url));
const built = fileURLToPath(new URL('../provisioner/dist/cli/main.js', import.meta.url));
const RFC_HEX = '3132333435363738393031323334353637383930';

interface Run { code: number; stdout: string; stderr: string }

function fobkit(args: string[], input?: string): Promise<Run> {
  if (!existsSync(built)) throw new Error(`${built} is missing: run \`npm run build\` before the end-to-end tests`);
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [bin, ...args], { cwd: root, timeout: 20_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error);
      resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
    child.stdin!.end(input ?? '');
  });
}

function npx(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile('npx', ['--no-install', 'fobkit', ...args], { cwd: root, timeout: 30_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error);
      resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}

describe('fobkit otp (built bin)', () => {
  it('npx fobkit otp prints the RFC 6238 vector 94287082', async () => {
    const r = await npx(['otp', '--secret', RFC_HEX, '--time', '59', '--digits', '8', '--period', '30']);
    expect(r).toEqual({ code: 0, stdout: '94287082\n', stderr: '' });
  });

  it('base32, SHA-256, ISO time, stdin secret and HOTP', async () => {
    const [b32, iso, stdin, hotp] = await Promise.all([
      fobkit(['otp', '--secret', 'GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ', '--time', '1111111109', '--digits', '8', '--period', '30']),
      fobkit(['otp', '--secret', Buffer.from('12345678901234567890123456789012').toString('hex'), '--algorithm', 'sha256', '--time', '2009-02-13T23:31:30Z', '--digits', '8', '--period', '30']),
      fobkit(['otp', '--secret=-', '--time', '59', '--digits', '8', '--period', '30'], `${RFC_HEX}\n`),
      fobkit(['otp', '--secret', RFC_HEX, '--hotp', '--counter', '9']),
    ]);
    expect(b32).toEqual({ code: 0, stdout: '07081804\n', stderr: '' });
    expect(iso).toEqual({ code: 0, stdout: '91819424\n', stderr: '' });
    expect(stdin).toEqual({ code: 0, stdout: '94287082\n', stderr: '' });
    expect(hotp).toEqual({ code: 0, stdout: '520489\n', stderr: '' });
  });

  it('--window prints one line per step with its time; --json gives code, step and codes', async () => {
    const [text, json] = await Promise.all([
      fobkit(['otp', '--secret', RFC_HEX, '--time', '59', '--digits', '8', '--period', '30', '--window', '1']),
      fobkit(['otp', '--secret', RFC_HEX, '--time', '59', '--digits', '8', '--period', '30', '--window', '1', '--json']),
    ]);
    expect(text.code).toBe(0);
    expect(text.stdout.trimEnd().split('\n')).toEqual([
      'offset  code      step  from',
      '    -1  84755224     0  1970-01-01T00:00:00Z',
      '     0  94287082     1  1970-01-01T00:00:30Z  <',
      '    +1  37359152     2  1970-01-01T00:01:00Z',
    ]);
    expect(json.code).toBe(0);
    const lines = json.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    const body = JSON.parse(lines[0]!);
    expect(body).toMatchObject({ ok: true, code: '94287082', step: 1 });
    expect(body.codes).toEqual([
      { offset: -1, step: 0, code: '84755224', time: 0 },
      { offset: 0, step: 1, code: '94287082', time: 30 },
      { offset: 1, step: 2, code: '37359152', time: 60 },
    ]);
    expect(json.stdout).not.toContain(RFC_HEX);
  });

  const bad: [string, string[], RegExp][] = [
    ['odd hex', ['--secret', '31323334353637383930313233343536373839303'], /odd number of hex digits/],
    ['a bad base32 character', ['--secret', 'GEZDGNBVGY3TQOJ1GEZDGNBVGY3TQOJQ'], /invalid base32 character at position 16/],
    ['9 digits', ['--secret', RFC_HEX, '--digits', '9'], /--digits must be a whole number from 6 to 8/],
    ['a period of 0', ['--secret', RFC_HEX, '--period', '0'], /--period \(-s, --time-step-size\) must be a whole number from 1 to 3600/],
    ['a short secret', ['--secret', '31323334'], /secret must be 16 to 64 bytes, got 4/],
    ['an unknown option', ['--secret', RFC_HEX, '--digit', '8'], /Unknown argument/],
    ['a missing key', [], /give the key: fobkit otp \[options\] KEY/],
    ['both KEY and --secret', [RFC_HEX, '--secret', RFC_HEX], /give the key once/],
    ['a bad time step', ['--totp', '-s', '2x', RFC_HEX], /--period \(-s, --time-step-size\) must be/],
    ['--hotp with --totp', ['--hotp', '--totp', RFC_HEX], /give --hotp or --totp, not both/],
  ];
  it('bad input is one line on stderr and exit code 2, never a stack trace', async () => {
    const runs = await Promise.all(bad.map(([, args]) => fobkit(['otp', ...args])));
    runs.forEach((r, i) => {
      const [what, , message] = bad[i]!;
      expect(r.code, what).toBe(2);
      expect(r.stdout, what).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines, what).toHaveLength(1);
      expect(lines[0], what).toMatch(/^fobkit: error \[[A-Z_]+\]: /);
      expect(lines[0], what).toMatch(message);
      expect(r.stderr, what).not.toMatch(/GEZDGNBV|31323334353637/);
    });
  });

  it('with --json a bad input is one JSON error object, still exit 2', async () => {
    const r = await fobkit(['otp', '--secret', RFC_HEX, '--digits', '9', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({ ok: false, error: { code: 'INVALID_ARGUMENT', message: "--digits must be a whole number from 6 to 8, got '9'" } });
  });

  it("every example of `fobkit otp --help` runs, prints the code its description names, and prints what oathtool prints for the same line", { timeout: 120_000 }, async () => {
    const help = await fobkit(['otp', '--help']);
    expect(help.code).toBe(0);
    const section = help.stdout.split(/^Examples:$/m)[1]!.split(/\n\n/)[0]!;
    const examples = section.split('\n').filter((l) => l.trim()).map((l) => {
      const [command, description] = l.trim().split(/\s{2,}/);
      return { command: command!, description: description ?? '' };
    });
    expect(examples.length).toBeGreaterThanOrEqual(5);
    // A `fobkit` on the PATH that is the built bin, as an installed one would be.
    const binDir = mkdtempSync(join(tmpdir(), 'fobkit-bin-'));
    writeFileSync(join(binDir, 'fobkit'), `#!/bin/sh\nexec "${process.execPath}" "${bin}" "$@"\n`, { mode: 0o755 });
    const sh = (command: string): Promise<Run> => new Promise((resolve, reject) => {
      execFile('/bin/sh', ['-c', command], { cwd: root, timeout: 20_000, env: { ...process.env, PATH: `${binDir}:${process.env.PATH}` } }, (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') return reject(error);
        resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      });
    });
    try {
      for (const { command, description } of examples) {
        const r = await sh(command);
        expect(r, command).toMatchObject({ code: 0, stderr: '' });
        const expected = /(\d{6,8})$/.exec(description)?.[1];
        if (expected) expect(r.stdout.split('\n')[0], command).toBe(expected);
        if (!command.includes('--secret')) {
          const oath = await sh(command.replace('fobkit otp', 'oathtool'));
          expect(r.stdout, `${command} vs oathtool`).toBe(oath.stdout);
        }
      }
    } finally {
      rmSync(binDir, { recursive: true, force: true });
    }
  });

  it('--version prints the package version and a mistyped command gets a suggestion, exit 2', async () => {
    const version = JSON.parse(readFileSync(join(root, 'provisioner/package.json'), 'utf8')).version as string;
    expect(await fobkit(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    const typo = await fobkit(['inspet']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/^fobkit: error \[UNKNOWN_COMMAND\]: unknown command 'inspet'\. Did you mean inspect\?/);
    expect((await fobkit(['-h'])).stdout).toMatch(/fobkit otp \[key\]/);
  });
});
