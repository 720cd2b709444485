/**
 * Prints one plain closing line, `tests: N passed, N failed, N skipped`, after vitest's own
 * summary, so CI logs state the outcome in a form any log reader understands.
 *
 * The line must never disagree with vitest's exit code (issue 17 item 9: a beforeAll that threw
 * left every test "skipped", and the line said "0 failed" while vitest exited 1). So `failed`
 * counts failed tests plus every failure outside a test: a module or suite that failed (collect
 * error, throwing hook) without a failed test to show for it, and each unhandled error or
 * rejection; if vitest still ends the run as failed with none of those, that is one more. Those
 * extra failures are named on a line of their own above the closing line, and so are the notes
 * of tests skipped with `ctx.skip(note)` (why a test did not run, e.g. not root).
 */
import type { Reporter, SerializedError, TestModule, TestRunEndReason, TestSuite } from 'vitest/node';

export interface RunCounts {
  passed: number;
  failed: number;
  skipped: number;
  /** What failed outside tests, one short line each. */
  outside: string[];
  /** Distinct skip notes with how many tests each. */
  skipNotes: Map<string, number>;
}

/** The counts of {@link SummaryReporter}; exported for its test. */
export function countRun(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>, reason: TestRunEndReason): RunCounts {
  const counts: RunCounts = { passed: 0, failed: 0, skipped: 0, outside: [], skipNotes: new Map() };
  for (const mod of testModules) {
    let failedHere = 0;
    for (const t of mod.children.allTests()) {
      const result = t.result();
      if (result.state === 'passed') counts.passed++;
      else if (result.state === 'failed') {
        counts.failed++;
        failedHere++;
      } else {
        counts.skipped++;
        if (result.state === 'skipped' && result.note) counts.skipNotes.set(result.note, (counts.skipNotes.get(result.note) ?? 0) + 1);
      }
    }
    if (failedHere > 0) continue;
    // A suite or module that failed with no failed test: a hook threw or the file did not load.
    const failedSuites = [...mod.children.allSuites()].filter((s: TestSuite) => s.state() === 'failed');
    if (mod.state() === 'failed' || failedSuites.length > 0) {
      const firstError = mod.errors()[0] ?? failedSuites.flatMap((s) => s.errors())[0];
      counts.outside.push(`${mod.moduleId}: ${firstError?.message?.split('\n')[0] ?? 'failed outside its tests'}`);
    }
  }
  for (const e of unhandledErrors) counts.outside.push(`unhandled error: ${e.message?.split('\n')[0] ?? String(e)}`);
  if (reason === 'failed' && counts.failed === 0 && counts.outside.length === 0) counts.outside.push('the run failed (see vitest\'s output above)');
  counts.failed += counts.outside.length;
  return counts;
}

export class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>, reason: TestRunEndReason): void {
    const c = countRun(testModules, unhandledErrors, reason);
    let text = '\n';
    for (const line of c.outside) text += `failed outside a test: ${line}\n`;
    for (const [note, n] of c.skipNotes) text += `skipped ${n} test(s): ${note}\n`;
    process.stdout.write(`${text}tests: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped\n`);
  }
}
