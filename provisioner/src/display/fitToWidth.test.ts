/** Lines cut to the terminal's width: columns, not UTF-16 units (issue 17 item 8). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { displayWidth, fitToWidth } from './fitToWidth.js';

describe('fitToWidth', () => {
  it('leaves a line that fits alone and cuts a longer one with an ellipsis', () => {
    expect(fitToWidth('/dev/ttyACM0  done', 80)).toBe('/dev/ttyACM0  done');
    expect(fitToWidth('abcdefghij', 10)).toBe('abcdefghij');
    expect(fitToWidth('abcdefghijk', 10)).toBe('abcdefghi…');
  });

  it('counts wide characters as two columns and escape sequences as none', () => {
    expect(displayWidth('漢字ab')).toBe(6);
    expect(fitToWidth('漢字漢字漢字', 7)).toBe('漢字漢…');
    expect(displayWidth('\x1b[31mred\x1b[0m')).toBe(3);
    expect(fitToWidth('\x1b[31mredredred\x1b[0m', 5)).toBe('\x1b[31mredr…\x1b[0m');
    expect(displayWidth('e\u0301')).toBe(1);
  });

  it('never returns more columns than asked (property)', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), fc.integer({ min: 1, max: 120 }), (s, cols) => {
      expect(displayWidth(fitToWidth(s, cols))).toBeLessThanOrEqual(cols);
    }));
  });
});
