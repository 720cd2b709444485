/**
 * `fobkit-sim` as a user runs it (the built bin): four fobs on ptys print four openable paths
 * and a ready line; the control endpoint presses buttons and moves time; SIGTERM closes every
 * port and flushes flash; a second run reloads the same fobs; TCP mode serves one port per fob.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { connect } from 'node:net';
import { FobSession, TransportError, type Transport } from '@fobkit/protocol/client';
import { parseKeyFile } from '@fobkit/protocol/session';
import { SerialPortTransport } from '../provisioner/src/transport/serialPortTransport.js';

const BIN = join(import.meta.dirname, '..', 'firmware-sim', 'bin', 'fobkit-sim.js');
const FOBKIT = join(import.meta.dirname, '..', 'provisioner', 'bin', 'fobkit.js');
const root = mkdtempSync(join(tmpdir(), 'fobkit-sim-cli-'));
const children: ChildProcess[] = [];

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

interface Run {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  ready: Record<string, unknown>;
  exited: Promise<number | null>;
  next: () => Promise<Record<string, unknown>>;
}

/** Starts the bin and collects its JSON lines up to the ready line. */
async function start(args: string[]): Promise<Run> {
  if (!existsSync(join(import.meta.dirname, '..', 'firmware-sim', 'dist', 'cli', 'main.js'))) throw new Error('firmware-sim is not built: run npm run build');
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const queue: Record<string, unknown>[] = [];
  const waiters: ((l: Record<string, unknown>) => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const obj = JSON.parse(line) as Record<string, unknown>;
    const w = waiters.shift();
    if (w) w(obj);
    else queue.push(obj);
  });
  const next = () =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const q = queue.shift();
      if (q) return resolve(q);
      waiters.push(resolve);
      void exited.then((code) => reject(new Error(`fobkit-sim exited (${code}) early: ${stderr}`)));
    });
  const lines: Record<string, unknown>[] = [];
  for (;;) {
    const l = await next();
    if (l.event === 'ready') return { child, lines, ready: l, exited, next };
    lines.push(l);
  }
}

async function control(url: string, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(url + path, { method, ...(body ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) });
  return (await res.json()) as Record<string, unknown>;
}

describe('fobkit-sim', () => {
  const stateDir = join(root, 'fobs');

  it('--count 4 --pty --json prints four openable port paths, a ready line, and stops cleanly on SIGTERM', async () => {
    const run = await start(['--count', '4', '--pty', '--state-dir', stateDir, '--json', '--control', '127.0.0.1:0', '--start-time', '1800000000']);
    expect(run.lines).toHaveLength(4);
    expect(run.lines.map((l) => l.index)).toEqual([0, 1, 2, 3]);
    expect(run.ready).toMatchObject({ event: 'ready', count: 4, transport: 'pty' });
    for (const l of run.lines) {
      expect(l).toMatchObject({ event: 'fob', state: 'blank', hardwareId: expect.stringMatching(/^[0-9a-f]{16}$/) });
      const transport = new SerialPortTransport({ path: l.path as string });
      await transport.open();
      const session = new FobSession({ transport });
      expect(await session.hello()).toMatchObject({ state: 'blank' });
      session.close();
      await transport.close();
    }
    // The development root is a `fobkit keys` root directory: a station certified from it gets in.
    expect(run.ready).toMatchObject({ rootDir: join(stateDir, 'sim-root'), rootKeyFile: join(stateDir, 'sim-root', 'root.pub.json') });
    const issue = spawnSync(process.execPath, [FOBKIT, 'keys', 'station', 'issue', '--root', run.ready.rootDir as string, '--name', 'qa', '--days', '30', '--out', join(root, 'qa'), '--json'], { encoding: 'utf8' });
    expect(issue.status, issue.stderr).toBe(0);
    const stationKey = parseKeyFile(readFileSync(join(root, 'qa', 'station.key.json'), 'utf8'));
    if (stationKey.type !== 'fobkit-station-key') throw new Error('not a station key');
    const port = new SerialPortTransport({ path: run.lines[3]!.path as string });
    await port.open();
    const station = new FobSession({ transport: port });
    await station.setTime(Date.now() / 1000);
    await station.beginSession({ privateKey: stationKey.privateKey, certificate: stationKey.certificate });
    expect(await station.setSerial('FK00000013')).toMatchObject({ state: 'serialised' });
    station.close();
    await port.close();

    const url = run.ready.control as string;
    expect(await control(url, 'POST', '/v1/fobs/2/press')).toMatchObject({ on: true, text: '------' });
    expect(await control(url, 'POST', '/v1/time', { advance: 86_400 })).toMatchObject({ now: 1_800_086_400, mode: 'manual' });
    expect(await control(url, 'GET', '/v1/fobs/2')).toMatchObject({ presses: 1, state: 'blank', timeValid: false });
    expect(await control(url, 'POST', '/v1/fobs/9/press')).toMatchObject({ error: { code: 'UNKNOWN_FOB' } });
    expect(await control(url, 'POST', '/v1/fobs/1/battery', { pct: 500 })).toMatchObject({ error: { code: 'BAD_REQUEST' } });

    run.child.kill('SIGTERM');
    const after: Record<string, unknown>[] = [];
    do after.push(await run.next());
    while (after.at(-1)!.event !== 'stopped');
    expect(after.at(-1)).toMatchObject({ event: 'stopped', count: 4 });
    expect(after).toContainEqual({ event: 'state', index: 3, state: 'serialised', serial: 'FK00000013' });
    expect(after).toContainEqual(expect.objectContaining({ event: 'press', index: 2, view: expect.objectContaining({ text: '------' }) }));
    expect(await run.exited).toBe(0);
    for (const l of run.lines) expect(existsSync(l.path as string)).toBe(false);

    // A second run reloads the same fobs (hardware ids, press counters) from the state dir.
    const again = await start(['--count', '4', '--pty', '--state-dir', stateDir, '--json', '--control', '127.0.0.1:0']);
    expect(again.lines.map((l) => l.hardwareId)).toEqual(run.lines.map((l) => l.hardwareId));
    expect(await control(again.ready.control as string, 'GET', '/v1/fobs/2')).toMatchObject({ presses: 1 });
    again.child.kill('SIGINT');
    expect(await again.exited).toBe(0);
  });

  it('--tcp serves one port per fob', async () => {
    const run = await start(['--count', '2', '--tcp', '0', '--state-dir', join(root, 'tcp'), '--json']);
    for (const l of run.lines) {
      expect(l.port).toEqual(expect.any(Number));
      const transport = await tcpTransport(l.port as number);
      const session = new FobSession({ transport });
      expect(await session.hello()).toMatchObject({ state: 'blank' });
      session.close();
      await transport.close();
    }
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  });

  it('exits 2 on a usage error', async () => {
    const child = spawn(process.execPath, [BIN, '--count', '0', '--state-dir', join(root, 'x')], { stdio: 'ignore' });
    children.push(child);
    expect(await new Promise((r) => child.once('exit', r))).toBe(2);
  });
});

/** A minimal Transport over TCP for the test. */
async function tcpTransport(port: number): Promise<Transport> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const closeListeners = new Set<(e?: TransportError) => void>();
  socket.on('close', () => closeListeners.forEach((l) => l()));
  return {
    description: `tcp:${port}`,
    get isOpen() {
      return !socket.destroyed;
    },
    open: async () => {},
    write: async (b) => void socket.write(b),
    onData: (l) => {
      const h = (d: Buffer) => l(new Uint8Array(d));
      socket.on('data', h);
      return () => socket.off('data', h);
    },
    onClose: (l) => {
      closeListeners.add(l);
      return () => closeListeners.delete(l);
    },
    close: async () => void socket.destroy(),
  };
}
