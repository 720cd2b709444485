import { describe, expect, it } from 'vitest';
import { formatSerial, parseSerial } from '@fobkit/protocol/serial';
import { generateTotp } from '@fobkit/protocol';

describe('workspace wiring', () => {
  it('resolves sibling packages from source', () => {
    expect(typeof generateTotp).toBe('function');
  });
  it('serial check digits catch single-digit errors and adjacent transpositions', () => {
    const s = formatSerial(1234567);
    expect(parseSerial(s).ok).toBe(true);
    const digits = s.slice(2);
    for (let i = 0; i < digits.length; i++) {
      for (let d = 0; d <= 9; d++) {
        if (String(d) === digits[i]) continue;
        const typo = 'FK' + digits.slice(0, i) + d + digits.slice(i + 1);
        expect(parseSerial(typo).ok).toBe(false);
      }
      if (i + 1 < digits.length && digits[i] !== digits[i + 1]) {
        const swapped = 'FK' + digits.slice(0, i) + digits[i + 1] + digits[i] + digits.slice(i + 2);
        expect(parseSerial(swapped)).toMatchObject({ ok: false, reason: 'check-digit' });
      }
    }
  });
});
