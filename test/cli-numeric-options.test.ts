/**
 * Every numeric option of every CLI has a range (issue 15 item 2: `--lockout-seconds 0` turned
 * throttling off, `--lockout-failures abc` never locked out, `--max-body-bytes -1` was accepted).
 * Table-driven through the built bins: each bad value is refused with INVALID_OPTION and exit 2
 * before anything runs (no database, port or file is touched: the commands get none that exist).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const BINS = {
  fobkit: join(root, 'provisioner/bin/fobkit.js'),
  'fobkit-sim': join(root, 'firmware-sim/bin/fobkit-sim.js'),
  'fobkit-backend': join(root, 'backend/bin/fobkit-backend.js'),
} as const;
type Bin = keyof typeof BINS;

// A scratch cwd, so that a command that wrongly ran would leave its files here, where the test sees them.
const cwd = mkdtempSync(join(tmpdir(), 'fobkit-numopt-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

function run(bin: Bin, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const built = join(root, bin === 'fobkit' ? 'provisioner' : bin === 'fobkit-sim' ? 'firmware-sim' : 'backend', 'dist/cli/main.js');
  if (!existsSync(built)) throw new Error(`${built} is missing: run \`npm run build\` first`);
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BINS[bin], ...args], { cwd, timeout: 20_000, env: { ...process.env, FOBKIT_DATA_DIR: join(cwd, 'data') } }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error);
      resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}

const missing = join(cwd, 'nothing-here');
// [bin, command words, option, bad values]
const TABLE: Array<[Bin, string[], string, string[]]> = [
  ['fobkit-backend', ['serve'], 'lockout-seconds', ['0', '-1', '59', '604801', 'abc', '1.5']],
  ['fobkit-backend', ['serve'], 'lockout-failures', ['abc', '0', '-3', '1001', '2.5']],
  ['fobkit-backend', ['serve'], 'max-body-bytes', ['-1', '0', '4095', '1048577', '1e99']],
  ['fobkit-backend', ['serve'], 'window', ['-1', '11', 'x']],
  ['fobkit-backend', ['serve'], 'key-cache', ['-1', '10000001', 'NaN']],
  ['fobkit-backend', ['import', missing], 'expect-period', ['0', '3601']],
  ['fobkit-backend', ['import', missing], 'expect-digits', ['5', '9']],
  ['fobkit-backend', ['import', missing], 'max-file-mb', ['0', '1025', '-1']],
  ['fobkit-sim', ['--state-dir', join(cwd, 'sim')], 'count', ['0', '-1', '10001', 'abc']],
  ['fobkit-sim', ['--count', '1', '--state-dir', join(cwd, 'sim')], 'tcp', ['-1', '65536', 'x']],
  ['fobkit-sim', ['--count', '1', '--state-dir', join(cwd, 'sim')], 'drift-ppm', ['501', '-501', 'abc']],
  ['fobkit-sim', ['--count', '1', '--state-dir', join(cwd, 'sim')], 'temperature', ['-41', '86']],
  ['fobkit-sim', ['--count', '1', '--state-dir', join(cwd, 'sim')], 'start-time', ['-1', '4294967296']],
  ['fobkit-sim', ['--count', '1', '--state-dir', join(cwd, 'sim')], 'display-timeout', ['0', '3601']],
  ['fobkit', ['provision', '--port', missing], 'count', ['0', '-1', 'x']],
  ['fobkit', ['provision', '--port', missing], 'poll-ms', ['0', '49', '60001']],
  ['fobkit', ['provision', '--port', missing], 'digits', ['5', '9']],
  ['fobkit', ['provision', '--port', missing], 'period', ['0', '3601']],
  ['fobkit', ['provision', '--port', missing], 't0', ['-1', '4294967296']],
  ['fobkit', ['provision', '--port', missing], 'serial-block', ['0', '1001']],
  ['fobkit', ['provision', '--port', missing], 'verify-times', ['2', '17']],
  ['fobkit', ['provision', '--port', missing], 'backend-wait', ['-1', '86401']],
  ['fobkit', ['provision', '--port', missing], 'fob-timeout-ms', ['49', '60001']],
  ['fobkit', ['inspect', '--port', missing], 'max-offset', ['0', '-5', '86401']],
  ['fobkit', ['keys', 'station', 'issue', '--root', missing, '--name', 'x', '--out', missing], 'days', ['0', '36501']],
  ['fobkit', ['keys', 'station', 'revoke', '--root', missing], 'id', ['0', 'abc', '4294967296']],
  ['fobkit', ['qa', 'fleet', '--days', '1'], 'count', ['0', '10001']],
  ['fobkit', ['qa', 'fleet', '--count', '1'], 'days', ['0', '3651']],
  ['fobkit', ['qa', 'fleet', '--count', '1', '--days', '1'], 'seed', ['-1', '4294967296']],
  ['fobkit', ['qa', 'conformance'], 'fobs', ['1', '101']],
];

const CASES = TABLE.flatMap(([bin, words, option, values]) => values.map((value) => ({ bin, words, option, value })));

// Concurrent: each case is a process start, and they share nothing.
describe.concurrent('numeric options out of range are refused with INVALID_OPTION, exit 2', () => {
  it.each(CASES)('$bin $words.0 --$option $value', async ({ bin, words, option, value }) => {
    const r = await run(bin, [...words, `--${option}`, value]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('INVALID_OPTION');
    expect(r.stderr).toContain(`--${option} must be`);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('--json answers carry the code too, and a value given twice is refused', async () => {
    const json = await run('fobkit-backend', ['serve', '--lockout-failures', 'abc', '--json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ code: 'INVALID_OPTION' });
    const twice = await run('fobkit', ['qa', 'fleet', '--count', '1', '--count', '2', '--days', '1', '--json']);
    expect(twice.code).toBe(2);
    expect(JSON.parse(twice.stdout)).toMatchObject({ ok: false, error: { code: 'INVALID_OPTION' } });
  });

});

describe.concurrent('conventions shared by the three CLIs (issue 17 item 5)', () => {
  it.each([['fobkit', 'provisioner'], ['fobkit-sim', 'firmware-sim'], ['fobkit-backend', 'backend']] as const)('%s: --version is the package version, -h is help', async (bin, pkg) => {
    const version = (JSON.parse(readFileSync(join(root, pkg, 'package.json'), 'utf8')) as { version: string }).version;
    expect(await run(bin, ['--version'])).toMatchObject({ code: 0, stdout: `${version}\n` });
    const help = await run(bin, ['-h']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--help/);
  });

  it('fobkit-backend: a mistyped command gets a suggestion, exit 2', async () => {
    const r = await run('fobkit-backend', ['serv']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Did you mean serve\?/);
  });
});

describe('after the refusals', () => {
  it('nothing was created by the refused commands', () => {
    expect(readdirSync(cwd)).toEqual([]);
  });
});
