/**
 * The closing line of vitest.summaryReporter.ts never disagrees with vitest's exit code (issue 17
 * item 9): real vitest runs of small fixtures (test/fixtures/reporter) whose failures are outside
 * any test — a file that does not load, a beforeAll that throws, an unhandled rejection — each
 * exit 1 and say so in `N failed`; a clean run with a skipped test exits 0 and prints the skip's
 * reason.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const config = fileURLToPath(new URL('./fixtures/reporter/vitest.config.ts', import.meta.url));
const vitest = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));

function runFixture(fixture: string): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [vitest, 'run', '--config', config], { cwd: root, timeout: 120_000, env: { ...process.env, FIXTURE: fixture, CI: '' } }, (error, stdout) => {
      if (error && typeof error.code !== 'number') return reject(error);
      resolve({ code: error ? (error.code as number) : 0, stdout });
    });
  });
}

const closing = (stdout: string) => {
  const m = /^tests: (\d+) passed, (\d+) failed, (\d+) skipped$/m.exec(stdout);
  if (!m) throw new Error(`no closing line in:\n${stdout}`);
  return { passed: Number(m[1]), failed: Number(m[2]), skipped: Number(m[3]) };
};

describe.concurrent('the summary line agrees with the exit code', { timeout: 150_000 }, () => {
  it('a file that fails to load is a failure', async () => {
    const r = await runFixture('load-fails');
    expect(r.code).toBe(1);
    expect(closing(r.stdout).failed).toBe(1);
    expect(r.stdout).toMatch(/failed outside a test: .*load-fails\.fixture\.ts: .*fails while it is collected/);
  });

  it('a beforeAll that throws is a failure, though its tests never ran', async () => {
    const r = await runFixture('hook-fails');
    expect(r.code).toBe(1);
    expect(closing(r.stdout)).toMatchObject({ passed: 0, failed: 1 });
    expect(r.stdout).toMatch(/failed outside a test: .*hook-fails\.fixture\.ts: .*needs something/);
  });

  it('an unhandled rejection is a failure, though every test passed', async () => {
    const r = await runFixture('unhandled');
    expect(r.code).toBe(1);
    expect(closing(r.stdout)).toEqual({ passed: 1, failed: 1, skipped: 0 });
    expect(r.stdout).toMatch(/failed outside a test: unhandled error: .*rejects unhandled/);
  });

  it('a clean run exits 0 with 0 failed, and a skipped test says why', async () => {
    const r = await runFixture('passes');
    expect(r.code).toBe(0);
    expect(closing(r.stdout)).toEqual({ passed: 1, failed: 0, skipped: 1 });
    expect(r.stdout).toContain('skipped 1 test(s): this fixture pretends not to be root');
  });
});
