import { describe, expect, it } from 'vitest';
import { MAX_ENCODED_FRAME_BYTES } from './constants.js';
import { runWireFuzz, STRATEGIES } from './_fuzzWire.js';

// The short run of `npm run fuzz:protocol` (which does a million inputs); a fixed seed keeps it reproducible.
describe('wire fuzz (short run)', () => {
  it('20,000 random and mutated inputs: only typed errors, bounded buffer, accepted values round-trip', () => {
    const report = runWireFuzz({ inputs: 20_000, seed: 20261127 });
    expect(report.inputs).toBe(20_000);
    expect(report.maxBufferedBytes).toBeLessThanOrEqual(MAX_ENCODED_FRAME_BYTES);
    for (const s of STRATEGIES) expect(report.byStrategy[s]).toBeGreaterThan(1000);
    // The run reaches every layer: frames pass, messages pass and fail validation, every drop reason occurs.
    expect(report.stream.frames).toBeGreaterThan(1000);
    expect(report.messages.ok).toBeGreaterThan(1000);
    expect(report.messages.rejected.BAD_MESSAGE).toBeGreaterThan(1000);
    expect(report.messages.rejected.UNKNOWN_MESSAGE).toBeGreaterThan(0);
    for (const k of ['badCobs', 'badCrc', 'oversize', 'short', 'badVersion'] as const) expect(report.stream[k]).toBeGreaterThan(0);
  });
});
