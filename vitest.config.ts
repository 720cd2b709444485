import { defineConfig } from 'vitest/config';
import { SummaryReporter } from './vitest.summaryReporter.js';

// Tests import sibling packages through the `source` export condition, so `npm test` runs
// against the TypeScript sources without a build step; the built `dist` is exercised by the
// end-to-end tests in test/ that spawn the real command-line programs.
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
  test: {
    include: ['protocol/src/**/*.test.ts', 'firmware-sim/src/**/*.test.ts', 'provisioner/src/**/*.test.ts', 'backend/src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', new SummaryReporter()],
  },
});
