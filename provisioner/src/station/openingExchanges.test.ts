import { describe, expect, it } from 'vitest';
import { OpeningExchanges } from './openingExchanges.js';

describe('OpeningExchanges', () => {
  it('settles once every fob that began its opening exchanges has them out', async () => {
    const openings = new OpeningExchanges();
    await openings.settled(); // nobody opening: at once
    const a = openings.begin();
    const b = openings.begin();
    let settled = false;
    const waiting = openings.settled().then(() => (settled = true));
    a();
    a(); // idempotent: a second call does not count for b
    await Promise.resolve();
    expect(settled).toBe(false);
    b();
    await waiting;
    expect(settled).toBe(true);
  });
});
