/**
 * `node --conditions=source --import tsx bench/portOpen.bench.ts`: what opening a fob's port
 * exclusively costs (issue 16.1). One open + close of a socat pty through the station's binding
 * with serialport's `lock: true` (a flock on open, what SerialPortTransport asks for) against the
 * same open without the lock (the baseline), in interleaved rounds in one run. The station opens a port once per fob, so the
 * difference is paid once per fob. Information only; no bar.
 *
 * Options: `--rounds N` (default 5), `--opens N` per round and contender (default 100), `--json`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SerialPort } from 'serialport';
import { PtyPair } from '../firmware-sim/src/link/ptyPair.js';
import { pollerDirectBinding } from '../provisioner/src/transport/pollerDirectBinding.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, opens: { type: 'string', default: '100' }, json: { type: 'boolean', default: false } } });
const rounds = Number(values.rounds);
const opens = Number(values.opens);

const dir = mkdtempSync(join(tmpdir(), 'fobkit-bench-port-'));
const pair = await PtyPair.open(join(dir, 'station'), join(dir, 'fob'));
const path = join(dir, 'station');

async function openClose(lock: boolean): Promise<void> {
  const p = new SerialPort({ binding: pollerDirectBinding, path, baudRate: 115_200, autoOpen: false, lock });
  await new Promise<void>((resolve, reject) => p.open((e) => (e ? reject(e) : resolve())));
  await new Promise<void>((resolve) => p.close(() => resolve()));
}
const locked = (): Promise<void> => openClose(true);
const unlocked = (): Promise<void> => openClose(false);

async function time(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < opens; i++) await fn();
  return (performance.now() - t0) / opens;
}

const results: { locked: number[]; unlocked: number[] } = { locked: [], unlocked: [] };
await time(locked);
await time(unlocked);
for (let r = 0; r < rounds; r++) {
  // Alternate the order so drift in the machine's load falls on both.
  if (r % 2 === 0) {
    results.locked.push(await time(locked));
    results.unlocked.push(await time(unlocked));
  } else {
    results.unlocked.push(await time(unlocked));
    results.locked.push(await time(locked));
  }
}
await pair.close();
rmSync(dir, { recursive: true, force: true });

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const out = { lockedMs: median(results.locked), unlockedMs: median(results.unlocked), ratio: median(results.locked) / median(results.unlocked), rounds, opens };
if (values.json) process.stdout.write(JSON.stringify(out) + '\n');
else {
  process.stdout.write(`open+close of a pty, median of ${rounds} rounds × ${opens}:\n`);
  process.stdout.write(`  exclusive (lock: true, flock)  ${out.lockedMs.toFixed(3)} ms\n`);
  process.stdout.write(`  without the lock (baseline)    ${out.unlockedMs.toFixed(3)} ms\n`);
  process.stdout.write(`  ratio ${out.ratio.toFixed(3)}\n`);
}
