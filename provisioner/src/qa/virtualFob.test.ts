import { describe, expect, it } from 'vitest';
import { generateTotp } from '@fobkit/protocol/otp';
import { VirtualFob } from './virtualFob.js';

describe('VirtualFob', () => {
  it('shows the RFC 6238 code at T=59 with a perfect clock', () => {
    const f = new VirtualFob({ serial: 'FK00000013', secret: new Uint8Array(Buffer.from('12345678901234567890')), digits: 8, period: 30, setAt: 0 });
    expect(f.code(59)).toBe('94287082');
    f.dispose();
  });

  it('drifts by ppm: +20 ppm is 311 s fast after 180 days, and its code is the one of its own clock', () => {
    const secret = new Uint8Array(20).fill(7);
    const f = new VirtualFob({ serial: 'FK00000013', secret: secret.slice(), driftPpm: 20, setAt: 1_800_000_000 });
    const t = 1_800_000_000 + 180 * 86_400;
    expect(f.offset(t)).toBeCloseTo(311.04, 2);
    expect(f.code(t)).toBe(generateTotp({ secret, time: f.rtc(t), period: 60 }));
    f.shiftClock(-311.04, t);
    expect(f.offset(t)).toBeCloseTo(0, 6);
    f.dispose();
    expect(f.seed.every((b) => b === 0)).toBe(true);
  });
});
