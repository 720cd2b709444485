/**
 * Cuts a line to a terminal's width, so that the live display's cursor arithmetic (one line per
 * row) holds: a line wider than the terminal wraps onto two rows, the redraw moves up too few,
 * and every redraw leaves a copy in the scrollback (issue 17 item 8). Widths are counted in
 * terminal columns: ANSI escape sequences take none, East Asian wide and fullwidth characters and
 * most emoji take two, combining marks none (the common cases of wcwidth(3), without its tables).
 */

// CSI sequences (colours, cursor moves) and OSC strings (titles, links): escape bytes are the point.
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07/y;
const ELLIPSIS = '…';

/** Columns one code point takes. */
export function charWidth(cp: number): number {
  if (cp === 0 || cp < 32 || (cp >= 0x7f && cp < 0xa0)) return 0;
  if ((cp >= 0x300 && cp <= 0x36f) || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0xfe00 && cp <= 0xfe0f)) return 0;
  if (
    (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0x303e) || (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) || (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  ) return 2;
  return 1;
}

/** Columns `text` takes on a terminal. */
export function displayWidth(text: string): number {
  let width = 0;
  for (let i = 0; i < text.length;) {
    ANSI.lastIndex = i;
    const m = ANSI.exec(text);
    if (m) {
      i += m[0].length;
      continue;
    }
    const cp = text.codePointAt(i)!;
    width += charWidth(cp);
    i += cp > 0xffff ? 2 : 1;
  }
  return width;
}

/**
 * `text` if it fits in `columns`, else cut to `columns - 1` and an ellipsis. Escape sequences
 * are kept (and a reset added after a cut, so that a colour does not run on).
 */
export function fitToWidth(text: string, columns: number): string {
  if (columns < 1) return '';
  if (displayWidth(text) <= columns) return text;
  let out = '';
  let width = 0;
  let sawEscape = false;
  for (let i = 0; i < text.length;) {
    ANSI.lastIndex = i;
    const m = ANSI.exec(text);
    if (m) {
      out += m[0];
      sawEscape = true;
      i += m[0].length;
      continue;
    }
    const cp = text.codePointAt(i)!;
    const w = charWidth(cp);
    if (width + w > columns - 1) break;
    out += String.fromCodePoint(cp);
    width += w;
    i += cp > 0xffff ? 2 : 1;
  }
  return `${out}${ELLIPSIS}${sawEscape ? '\x1b[0m' : ''}`;
}
