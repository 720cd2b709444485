/**
 * Runs the conformance scenarios against a backend and collects one row per scenario:
 * passed, failed (with what was seen) or skipped (with why). Never throws for a scenario's
 * failure; throws only when the backend cannot be used at all (keys, connection) or is refused.
 *
 * A backend without the test clock is taken for a production one (issue 17 item 7): the suite
 * creates fobs and users there, and half its scenarios cannot run, so it is refused unless the
 * caller allows it. Whatever the run created is retired at the end (QaBackend.cleanUp).
 */
import { BackendError } from '../errors.js';
import { QaBackend, ScenarioSkip, type QaBackendOptions } from './qaBackend.js';
import { SCENARIOS, ScenarioFailure, type Scenario } from './conformanceScenarios.js';
import { seededRandom } from './_random.js';

export type ConformanceResult = 'passed' | 'failed' | 'skipped';

/** The backend has no test clock and the caller did not allow a production backend. */
export class ProductionBackendRefused extends Error {
  override readonly name = 'ProductionBackendRefused';
  readonly code = 'PRODUCTION_BACKEND';
}

export interface ConformanceRow {
  scenario: string;
  expectation: string;
  result: ConformanceResult;
  detail: string;
  seconds: number;
}

export interface ConformanceReport {
  backend: string;
  testClock: boolean;
  /** What the run retired at its end. */
  cleanup: { fobsRevoked: number; users: number; failed: number };
  rows: ConformanceRow[];
  passed: number;
  failed: number;
  skipped: number;
}

export interface RunConformanceOptions extends QaBackendOptions {
  /** Fobs in the ±20 ppm scenario (default 4). */
  fobs?: number;
  /** PRNG seed for login times (default 1). */
  seed?: number;
  /** Only scenarios whose name contains one of these comma-separated texts (case-insensitive). */
  only?: string;
  onRow?: (row: ConformanceRow) => void;
  /** Run against a backend without the test clock (taken for production). Default false. */
  allowProduction?: boolean;
  scenarios?: Scenario[];
}

/** The next day, 09:00:17 UTC: a morning, 17 s into a step. */
function morning(now: number): number {
  return (Math.floor(now / 86_400) + 1) * 86_400 + 9 * 3600 + 17;
}

export async function runConformance(o: RunConformanceOptions): Promise<ConformanceReport> {
  const fobs = o.fobs ?? 4;
  if (!Number.isInteger(fobs) || fobs < 2 || fobs > 100) throw new RangeError('--fobs must be an integer from 2 to 100');
  const env = await QaBackend.connect(o);
  if (!env.hasTestClock && !o.allowProduction) {
    throw new ProductionBackendRefused(
      `${env.baseUrl} has no test clock${env.admin ? '' : ' (or no admin key was given)'}: it looks like a production backend. ` +
        'qa conformance registers fobs and users there, and the scenarios that move time would be skipped. ' +
        'Run it against `fobkit-backend serve --test-clock` with an admin key, or pass --allow-production to run it anyway.',
    );
  }
  const base = morning(Date.now() / 1000);
  const rows: ConformanceRow[] = [];
  const wanted = (o.only ?? '').split(',').map((w) => w.trim().toLowerCase()).filter(Boolean);
  const list = (o.scenarios ?? SCENARIOS).filter((s) => wanted.length === 0 || wanted.some((w) => s.name.toLowerCase().includes(w)));
  try {
    for (const [i, s] of list.entries()) {
      const started = Date.now();
      let result: ConformanceResult;
      let detail: string;
      if (s.needsClock && !env.hasTestClock) {
        result = 'skipped';
        detail = env.admin ? 'backend has no test clock' : 'backend has no test clock (or no admin key was given)';
      } else if (s.needsAdmin && !env.admin) {
        result = 'skipped';
        detail = 'needs an admin key';
      } else {
        try {
          if (env.hasTestClock) await env.at(base);
          detail = await s.run({ env, fobs, random: seededRandom((o.seed ?? 1) * 1000 + i), base });
          result = 'passed';
        } catch (e) {
          if (e instanceof ScenarioSkip) {
            result = 'skipped';
            detail = e.message;
          } else {
            result = 'failed';
            detail = e instanceof ScenarioFailure ? e.message : e instanceof BackendError ? `${e.code}: ${e.message}` : `unexpected error: ${(e as Error).message}`;
          }
        }
      }
      const row = { scenario: s.name, expectation: s.expectation, result, detail, seconds: (Date.now() - started) / 1000 };
      rows.push(row);
      o.onRow?.(row);
    }
  } finally {
    await env.release().catch(() => undefined);
  }
  const cleanup = await env.cleanUp();
  const count = (r: ConformanceResult) => rows.filter((x) => x.result === r).length;
  return { backend: env.baseUrl, testClock: env.hasTestClock, cleanup, rows, passed: count('passed'), failed: count('failed'), skipped: count('skipped') };
}
