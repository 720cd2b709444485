/**
 * The drift model is sound: for a fob whose clock really is linear within the bounds, every
 * accepted code keeps the true offset and rate inside the learnt intervals (so the model never
 * re-anchors on honest data), and the prediction converges.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { totpStep } from '@fobkit/protocol/otp';
import { expectedOffsetSeconds, initialDrift, learnFromStep, type DriftPolicy } from './driftModel.js';

const policy: DriftPolicy = { maxDriftPpm: 100, maxExtrapolationSeconds: 1800, entryLagSeconds: 15, provisioningErrorSeconds: 2 };
const profile = { period: 60, t0: 0 };

describe('learnFromStep', () => {
  it('keeps the true offset and rate inside the learnt intervals', () => {
    fc.assert(fc.property(
      fc.double({ min: -1.9, max: 1.9, noNaN: true }),
      fc.double({ min: -99e-6, max: 99e-6, noNaN: true }),
      fc.array(fc.tuple(fc.double({ min: 600, max: 20 * 86_400, noNaN: true }), fc.double({ min: 0, max: 15, noNaN: true })), { minLength: 1, maxLength: 40 }),
      (a, r, gaps) => {
        const p0 = 1_800_000_000;
        let state = initialDrift(p0, 0, policy);
        // The station measured `0` while the truth is `a` (within its ±2 s).
        let t = p0;
        for (const [gap, lag] of gaps) {
          t += gap;
          const shownAt = t - lag; // the person read the code `lag` seconds before it arrived
          const step = totpStep({ time: shownAt + a + r * (shownAt - p0), period: 60 });
          state = learnFromStep(state, step, t, profile, policy);
          expect(state.anchorTime).toBe(p0); // never re-anchored
          expect(Math.abs(state.anchorOffset - a)).toBeLessThanOrEqual(state.anchorErr + 1e-6);
          expect(r).toBeGreaterThanOrEqual(state.rateLo - 1e-12);
          expect(r).toBeLessThanOrEqual(state.rateHi + 1e-12);
        }
      },
    ), { numRuns: 300 });
  });

  it('predicts a +20 ppm fob to within a step after two months of daily use, six months on', () => {
    const p0 = 1_800_000_000;
    const r = 20e-6;
    let state = initialDrift(p0, 0, policy);
    let x = 12345;
    const rnd = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let day = 1; day <= 60; day++) {
      const t = p0 + day * 86_400 + rnd() * 28_800;
      state = learnFromStep(state, totpStep({ time: t + r * (t - p0), period: 60 }), t, profile, policy);
    }
    const later = p0 + 240 * 86_400;
    expect(Math.abs(expectedOffsetSeconds(state, later, policy) - r * (later - p0))).toBeLessThan(60);
  });

  it('re-anchors on a code the model cannot explain (the fob clock was reset)', () => {
    const p0 = 1_800_000_000;
    const state = learnFromStep(initialDrift(p0, 0, policy), totpStep({ time: p0 + 86_400 + 3600, period: 60 }), p0 + 86_400, profile, policy);
    expect(state.anchorTime).toBe(p0 + 86_400);
    expect(state.anchorOffset).toBeGreaterThan(3500);
  });
});
