/**
 * `fobkit-sim --view`: every fob's LCD, countdown, battery and state in one table, redrawn in
 * place with ANSI escapes (cursor home + clear to end), a few times a second.
 */
import type { Simulator } from '../simulator.js';

const ESC = '\x1b[';
const BOLD = `${ESC}1m`;
const DIM = `${ESC}2m`;
const RED = `${ESC}31m`;
const GREEN = `${ESC}32m`;
const YELLOW = `${ESC}33m`;
const RESET = `${ESC}0m`;

/** One frame of the view as text (no cursor movement); `color` false for plain text. */
export function renderView(sim: Simulator, options: { color?: boolean; maxRows?: number } = {}): string {
  const c = options.color ?? true;
  const paint = (code: string, s: string) => (c ? code + s + RESET : s);
  const rows = sim.fobs.slice(0, options.maxRows ?? 200);
  const lines = [
    paint(BOLD, `fobkit-sim · ${sim.fobs.length} fob${sim.fobs.length === 1 ? '' : 's'} · ${new Date(sim.now() * 1000).toISOString().replace('.000', '')} · Ctrl-C to stop`),
    paint(DIM, ' #  hardware id       state       serial        LCD       next  battery        clock         port'),
  ];
  for (const f of rows) {
    const s = f.fob.status();
    const lcd = !s.powered ? paint(RED, 'OFF     ') : s.display.on ? paint(GREEN, s.display.text.padEnd(8)) : paint(DIM, '·'.repeat(6).padEnd(8));
    const next = s.display.on && s.display.remaining !== null ? `${String(s.display.remaining).padStart(3)}s` : '    ';
    const bat = `${s.batteryPct.toFixed(0).padStart(3)}% ${s.batteryLow ? paint(RED, 'LOW') : '   '} ${String(s.lifeDays).padStart(4)}d`;
    const clock = s.trueOffset !== null ? `${s.trueOffset >= 0 ? '+' : ''}${s.trueOffset.toFixed(1)}s` : paint(YELLOW, 'not set');
    const state = s.flash === 'recovered' ? paint(YELLOW, `${s.state}!`) : s.state;
    lines.push(
      `${String(f.index).padStart(2)}  ${f.hardwareId}  ${padAnsi(state, 10)}  ${(s.serial ?? '-').padEnd(12)}  ${lcd}  ${next}  ${bat}  ${padAnsi(clock, 12)}  ${f.address}${s.unresponsive ? paint(RED, ' (hung)') : ''}`,
    );
  }
  if (sim.fobs.length > rows.length) lines.push(paint(DIM, `… and ${sim.fobs.length - rows.length} more`));
  return lines.join('\n');
}

function padAnsi(s: string, width: number): string {
  // eslint-disable-next-line no-control-regex
  const visible = s.replace(/\x1b\[[0-9;]*m/g, '').length;
  return s + ' '.repeat(Math.max(0, width - visible));
}

/** Redraws the view on `out` every `intervalMs` until the returned stop function is called. */
export function startLiveView(sim: Simulator, out: NodeJS.WriteStream = process.stdout, intervalMs = 250): () => void {
  out.write(`${ESC}?25l${ESC}2J`);
  const draw = () => out.write(`${ESC}H${renderView(sim, { color: true, maxRows: Math.max(5, (out.rows ?? 50) - 3) }).split('\n').join(`${ESC}K\n`)}${ESC}K${ESC}J`);
  draw();
  const timer = setInterval(draw, intervalMs);
  return () => {
    clearInterval(timer);
    out.write(`${ESC}?25h\n`);
  };
}
