// The SeedFileError a seed-format call throws, for the formats-* suites. Not a test file itself.
import { expect } from 'vitest';
import { SeedFileError } from '@fobkit/protocol';

/** The SeedFileError `fn` throws (fails the test when it throws nothing or something else). */
export function seedFileError(fn: () => unknown): SeedFileError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SeedFileError);
    return e as SeedFileError;
  }
  throw new Error('expected a SeedFileError, nothing was thrown');
}
