import { describe, expect, it } from 'vitest';
import { ModelledTime } from './modelledTime.js';

describe('ModelledTime', () => {
  it('counts the answer from the end of the modelled work, not from when the host finished', () => {
    // Modelled work that ends 50 ms from now: the 1 ms USB frame out is due 51 ms from now.
    const ahead = new ModelledTime(performance.now() + 50);
    expect(ahead.remaining(1)).toBeGreaterThanOrEqual(50);
    expect(ahead.remaining(1)).toBeLessThanOrEqual(51);
  });

  it('adds nothing when the host is already past the modelled time', async () => {
    const behind = new ModelledTime(performance.now() - 100);
    expect(behind.remaining(1)).toBe(0);
    // The host took longer than 20 ms of modelled work: spending it takes no timer, and the next
    // step counts from now, not from the past.
    await behind.spend(20);
    expect(behind.remaining(5)).toBeGreaterThanOrEqual(4);
  });

  it('with the timing model off (0 ms) never waits', () => {
    const t = new ModelledTime(performance.now() + 1000);
    expect(t.remaining(0)).toBe(0);
    let settled = false;
    void t.spend(0).then(() => (settled = true));
    return Promise.resolve().then(() => expect(settled).toBe(true));
  });
});
