/**
 * The station's live display on a real terminal (issue 17 item 8): tmux at 80 columns runs
 * `fobkit provision` on two simulated fobs whose port names are far wider than the terminal.
 * Before the fix each redraw of a wrapped line left copies in the scrollback, and the final
 * screen listed every fob twice. Read back with capture-pane (the whole history): no line
 * wrapped (the capture joined at wraps has as many lines as the plain one), each port and each
 * serial appears exactly once, and the summary is there.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Simulator } from '@fobkit/firmware-sim';
import { ROOT, setUpStationRig, tearDownStationRig, type BackendProcess, type StationKeys } from './provision-harness.js';

const SOCKET = `fobkit-display-${process.pid}`; // a private tmux server, killed at the end
const tmux = (...args: string[]): string => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });

let dir: string;
let keys: StationKeys;
let backend: BackendProcess;
let sim: Simulator | undefined;

beforeAll(async () => {
  if (spawnSync('tmux', ['-V']).status !== 0) throw new Error('tmux is not installed (apt-get install tmux): this test never skips');
  ({ dir, keys, backend } = await setUpStationRig('fobkit-display-'));
}, 120_000);
afterAll(async () => {
  spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
  await sim?.close();
  await tearDownStationRig({ dir, backend });
});

const shQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

it('at 80 columns no line wraps, and each port and each fob appears once', { timeout: 150_000 }, async () => {
  const stateDir = join(dir, 'fobs');
  sim = await Simulator.start({ count: 2, rootPublicKey: keys.rootPublicKey, stateDir, transport: 'pty' });
  const portDir = join(dir, 'by-id');
  mkdirSync(portDir);
  const ports = sim.fobs.map((f, i) => {
    const p = join(portDir, `usb-fobkit_FK-1_a-port-name-far-wider-than-the-eighty-column-terminal-it-is-shown-on-port-${i}`);
    symlinkSync(f.address, p);
    return p;
  });
  const bin = join(ROOT, 'provisioner/bin/fobkit.js');
  const args = ['provision', '--backend-url', backend.url, '--station-key', keys.stationKeyFile, '--journal', join(dir, 'station', 'journal.db'), '--labels', join(dir, 'station', 'labels.jsonl'), ...ports.flatMap((p) => ['--port', p])];
  const command = `env FOBKIT_API_KEY=${shQuote(backend.keys.station)} ${shQuote(process.execPath)} ${[bin, ...args].map(shQuote).join(' ')}; echo FOBKIT-EXIT=$?; sleep 3600`;
  tmux('new-session', '-d', '-s', 'station', '-x', '80', '-y', '50', command);

  // Wait for the run to end, as the operator would: by reading the screen.
  const deadline = Date.now() + 120_000;
  let screen = '';
  while (!/FOBKIT-EXIT=\d+/.test(screen)) {
    if (Date.now() > deadline) throw new Error(`provision did not finish; screen:\n${screen}`);
    await new Promise((r) => setTimeout(r, 200));
    screen = tmux('capture-pane', '-p', '-t', 'station');
  }
  const lines = (joined: boolean): string[] => tmux('capture-pane', '-p', '-S', '-', '-E', '-', ...(joined ? ['-J'] : []), '-t', 'station').replace(/\n+$/, '').split('\n');
  const plain = lines(false);
  const joined = lines(true);
  const text = joined.join('\n');
  expect(text, text).toMatch(/FOBKIT-EXIT=0/);
  expect(joined.length, `a line wrapped:\n${text}`).toBe(plain.length);
  expect(Math.max(...plain.map((l) => l.length))).toBeLessThanOrEqual(80);

  const serials = [...new Set(text.match(/FK\d{8}/g) ?? [])];
  expect(serials).toHaveLength(2);
  for (const s of serials) expect(text.split(s).length - 1, `${s} on screen:\n${text}`).toBe(1);
  for (const i of [0, 1]) expect(text.split(`-it-is-shown-on-port-${i}`).length - 1, `port ${i} on screen:\n${text}`).toBe(1);
  expect(text).toMatch(/^summary: 2 done, 0 failed/m);
});
