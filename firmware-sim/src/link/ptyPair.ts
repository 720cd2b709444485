/**
 * A pseudo-terminal pair made by socat (`pty,raw,echo=0,link=…` twice): the station opens
 * `stationPath` with `serialport` exactly as it would open /dev/ttyACM0; the fob opens `fobPath`.
 * socat survives a station closing and reopening its end; {@link PtyPair.close} stops it and
 * removes both links.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { SimError } from '../errors.js';

/** Starts socat with the arguments, stops it when stdin closes or on SIGTERM, exits with socat. */
// (Background jobs of a non-interactive sh read /dev/null, hence the pipe is kept on fd 3.)
const WATCHDOG = 'command -v socat >/dev/null || exit 127; exec 3<&0; socat "$@" & s=$!; trap \'kill $s 2>/dev/null\' TERM; (read _ <&3; kill $s 2>/dev/null) & wait $s';

/** How long socat may take to create both ptys. */
export const PTY_START_TIMEOUT_MS = 10_000;

export class PtyPair {
  readonly stationPath: string;
  readonly fobPath: string;
  /** The /dev/pts devices behind the links. */
  readonly devices: string[];
  private readonly child: ChildProcess;
  private exited: Promise<void>;

  private constructor(child: ChildProcess, stationPath: string, fobPath: string, devices: string[], exited: Promise<void>) {
    this.child = child;
    this.stationPath = stationPath;
    this.fobPath = fobPath;
    this.devices = devices;
    this.exited = exited;
  }

  /**
   * Starts socat and waits until both ptys exist.
   * @throws SimError PTY_FAILED when socat is missing, fails, or does not come up in time.
   */
  static async open(stationPath: string, fobPath: string): Promise<PtyPair> {
    for (const p of [stationPath, fobPath]) rmSync(p, { force: true });
    // socat runs under a small sh watchdog that holds a pipe from us: when the simulator ends in
    // any way (even SIGKILL) the pipe closes, `read` returns and socat is stopped, so no orphaned
    // socat keeps a pty alive.
    const child = spawn('sh', ['-c', WATCHDOG, 'fobkit-sim-pty', '-d', '-d', `pty,raw,echo=0,link=${fobPath}`, `pty,raw,echo=0,link=${stationPath}`], { stdio: ['pipe', 'ignore', 'pipe'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const devices: string[] = [];
    await new Promise<void>((resolve, reject) => {
      let log = '';
      const fail = (msg: string, cause?: unknown) => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new SimError('PTY_FAILED', msg, { cause }));
      };
      const timer = setTimeout(() => fail(`socat did not create a pty pair within ${PTY_START_TIMEOUT_MS} ms: ${log.trim().slice(-300)}`), PTY_START_TIMEOUT_MS);
      child.once('error', (e: NodeJS.ErrnoException) => fail(`cannot start socat: ${e.message}`, e));
      const early = (code: number | null) =>
        fail(code === 127 ? 'socat is not installed (apt-get install socat): it creates the pseudo-terminals' : `socat exited (${code}) before the ptys were ready: ${log.trim().slice(-300)}`);
      child.once('exit', early);
      child.stderr!.on('data', (d: Buffer) => {
        if (log.length < 4096) log += d.toString();
        for (const m of d.toString().matchAll(/PTY is (\S+)/g)) devices.push(m[1]!);
        if (/starting data transfer loop/.test(log)) {
          clearTimeout(timer);
          child.off('exit', early);
          resolve();
        }
      });
    });
    child.stderr!.resume();
    return new PtyPair(child, stationPath, fobPath, devices, exited);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Stops socat (SIGTERM, then SIGKILL after 2 s) and removes the links. Idempotent. */
  async close(): Promise<void> {
    if (this.running) {
      this.child.stdin?.end();
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
      await this.exited;
      clearTimeout(timer);
    }
    for (const p of [this.stationPath, this.fobPath]) rmSync(p, { force: true });
  }
}
