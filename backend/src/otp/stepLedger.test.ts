import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { acceptStep, formatUsedSteps, parseUsedSteps, resyncAt, stepStanding, USED_STEPS_KEPT, type StepLedger } from './stepLedger.js';

const empty: StepLedger = { last: -1, floor: -1, used: [] };

describe('stepLedger', () => {
  it('a rewind re-allows the steps never used, and none of those used', () => {
    let l = acceptStep(empty, 110);
    l = acceptStep(l, 112);
    expect(stepStanding(l, 103)).toBe('superseded');
    l = resyncAt(l, 102);
    expect(l.last).toBe(103);
    expect([104, 110, 111, 112, 113].map((s) => stepStanding(l, s))).toEqual(['fresh', 'used', 'fresh', 'used', 'fresh']);
    expect(() => resyncAt(l, 109)).toThrow(RangeError);
    expect(() => acceptStep(l, 110)).toThrow(RangeError);
  });

  it(`remembers ${USED_STEPS_KEPT} steps; older ones count as used through the floor`, () => {
    let l = empty;
    for (let s = 1; s <= USED_STEPS_KEPT + 3; s++) l = acceptStep(l, s * 2);
    expect(l.used).toHaveLength(USED_STEPS_KEPT);
    expect(l.floor).toBe(6);
    expect(stepStanding(l, 5)).toBe('forgotten');
    expect(() => resyncAt(l, 6)).toThrow(RangeError);
    expect(() => resyncAt(l, 7)).toThrow(RangeError); // 8 is used
    const back = resyncAt(l, 1000);
    expect(back.floor).toBeGreaterThan(6);
    expect(stepStanding(back, 8)).not.toBe('fresh');
  });

  it('property: no sequence of logins and resyncs accepts a step twice', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 80 })), { maxLength: 120 }), (ops) => {
      let l = empty;
      const accepted = new Set<number>();
      for (const [isResync, s] of ops) {
        if (isResync) {
          const ok = ![s, s + 1].some((x) => ['used', 'forgotten'].includes(stepStanding(l, x)));
          if (!ok) continue;
          for (const x of [s, s + 1]) {
            if (accepted.has(x)) return false;
            accepted.add(x);
          }
          l = resyncAt(l, s);
        } else if (stepStanding(l, s) === 'fresh') {
          if (accepted.has(s)) return false;
          accepted.add(s);
          l = acceptStep(l, s);
        }
        if (l.floor > l.last) return false;
        l = { ...l, used: parseUsedSteps(formatUsedSteps(l.used)) };
      }
      return true;
    }));
  });
});
