/**
 * A fleet of simulated fobs in one process: each with its flash image, hardware-unique key and
 * battery-backed state in a state directory (or in memory), its link (pty via socat, TCP, or
 * memory) and its control handle. This is the library API behind `fobkit-sim` and its control
 * endpoint; tests and QA scripts use it directly.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { SimError } from './errors.js';
import { SimulationClock } from './clock/simulationClock.js';
import { DEFAULT_GEOMETRY, FileFlash, MemoryFlash, type FlashDevice } from './flash/flashDevice.js';
import { FlashStore, type PowerCut } from './flash/flashStore.js';
import { driftFromSeed } from './hardware/rtc.js';
import type { BatteryProfile } from './hardware/battery.js';
import type { LcdView } from './hardware/display.js';
import { TIMING_OFF, TIMING_REALISTIC, type TimingModel } from './timingModel.js';
import { Fob, type FobEvent, type FobHardwareSnapshot, type FobStatus } from './fob/fob.js';
import { FobEndpoint } from './fob/fobEndpoint.js';
import { MemoryFobLink, MemoryStationTransport, type FobLink } from './link/fobLink.js';
import { LinkFaults, type LinkFaultSpec } from './link/linkFaults.js';
import { PtyPair } from './link/ptyPair.js';
import { SerialFobLink } from './link/serialFobLink.js';
import { TcpFobLink } from './link/tcpFobLink.js';

export type SimTransport = 'memory' | 'pty' | 'tcp';

/** Fobs whose ports are set up at the same time. */
const START_CONCURRENCY = 8;

export interface SimulatorOptions {
  count: number;
  /** Factory root Ed25519 public key given to newly manufactured fobs (existing ones keep theirs). */
  rootPublicKey: Uint8Array;
  /** Where fobs live between runs; absent: everything in memory. */
  stateDir?: string;
  transport?: SimTransport;
  /** TCP: fob i listens on `tcpPort + i` (0: any free port). */
  tcpPort?: number;
  tcpHost?: string;
  /** Directory of the pty links (default: the state dir, else the OS temp dir). */
  ptyDir?: string;
  /** Drift of every new fob; default a seeded random value within ±20 ppm per fob. */
  driftPpm?: number;
  /** Seed for the per-fob drift (with the hardware id). */
  seed?: string;
  temperatureC?: number | null;
  /** The realistic timing model, or a custom one. */
  timing?: boolean | TimingModel;
  clock?: SimulationClock;
  batteryProfile?: BatteryProfile;
  displayTimeoutSeconds?: number;
  onEvent?: (index: number, event: FobEvent) => void;
  /** Tears a flash commit of the first boot (QA of interrupted manufacture; the power-cut matrix). */
  powerCutAtBoot?: PowerCut;
}

interface HardwareFile extends FobHardwareSnapshot {
  version: 1;
  hardwareId: string;
  rootPublicKey: string;
}

/** One fob of the fleet with its control operations. */
export class SimulatedFob {
  readonly index: number;
  readonly fob: Fob;
  readonly endpoint: FobEndpoint;
  readonly link: FobLink;
  /** What a station opens: a pty path, `tcp://host:port`, or `memory`. */
  readonly address: string;
  /** The /dev/pts device behind a pty link. */
  readonly device: string | null;
  private readonly pty: PtyPair | null;

  constructor(init: { index: number; fob: Fob; endpoint: FobEndpoint; link: FobLink; address: string; device: string | null; pty: PtyPair | null }) {
    this.index = init.index;
    this.fob = init.fob;
    this.endpoint = init.endpoint;
    this.link = init.link;
    this.address = init.address;
    this.device = init.device;
    this.pty = init.pty;
  }

  get hardwareId(): string {
    return this.fob.hardwareId;
  }

  press(): LcdView {
    return this.fob.press();
  }

  display(): LcdView {
    return this.fob.readDisplay();
  }

  status(): FobStatus & { address: string; link: LinkFaults['stats']; decoder: FobEndpoint['decoderStats'] } {
    return { ...this.fob.status(), address: this.address, link: { ...this.endpoint.faults.stats }, decoder: { ...this.endpoint.decoderStats } };
  }

  shiftClock(seconds: number): void {
    this.fob.shiftClock(seconds);
  }

  setDrift(ppm: number): void {
    this.fob.setDrift(ppm);
  }

  setTemperature(celsius: number | null): void {
    this.fob.setTemperature(celsius);
  }

  drainBattery(pct: number): void {
    this.fob.drainBattery(pct);
  }

  replaceBattery(): void {
    this.fob.replaceBattery();
  }

  cutPowerAtNextWrite(cut?: PowerCut): void {
    this.fob.cutPowerAtNextWrite(cut);
  }

  /** Power back on: RAM (session, partial frames) is lost; flash and the RTC survive. */
  restart(): void {
    this.endpoint.reset();
    this.fob.restart();
  }

  injectLinkFaults(spec: LinkFaultSpec): void {
    this.endpoint.faults.inject(spec);
  }

  clearLinkFaults(): void {
    this.endpoint.faults.clear();
  }

  setUnresponsive(unresponsive: boolean): void {
    this.fob.unresponsive = unresponsive;
  }

  /** For the memory transport: a `Transport` for a FobSession (open it first). */
  stationTransport(): MemoryStationTransport {
    if (!(this.link instanceof MemoryFobLink)) throw new TypeError(`fob ${this.index} is not on the memory transport`);
    return new MemoryStationTransport(this.link, `memory:fob-${this.index}`);
  }

  /** For the memory transport: a byte duplex a station (or RawStation) can use. */
  stationDuplex(): { write(bytes: Uint8Array): void; onData(listener: (chunk: Uint8Array) => void): () => void } {
    if (!(this.link instanceof MemoryFobLink)) throw new TypeError(`fob ${this.index} is not on the memory transport`);
    const link = this.link;
    return { write: (b) => link.toFob(b), onData: (l) => link.onStationData(l) };
  }

  async close(): Promise<void> {
    await this.endpoint.idle();
    await this.link.close();
    await this.pty?.close();
    this.fob.close();
  }
}

export class Simulator {
  readonly clock: SimulationClock;
  readonly fobs: SimulatedFob[];
  readonly stateDir: string | null;
  private closed = false;

  private constructor(clock: SimulationClock, fobs: SimulatedFob[], stateDir: string | null) {
    this.clock = clock;
    this.fobs = fobs;
    this.stateDir = stateDir;
  }

  /**
   * Starts `count` fobs, reloading those already in the state directory.
   * @throws SimError PTY_FAILED / PORT_FAILED / FLASH_IO when a fob cannot be set up (the ones
   *   already started are closed again); RangeError on bad options.
   */
  static async start(options: SimulatorOptions): Promise<Simulator> {
    const { count } = options;
    if (!Number.isInteger(count) || count < 1 || count > 100_000) throw new RangeError(`count must be 1..100000, got ${count}`);
    if (!(options.rootPublicKey instanceof Uint8Array) || options.rootPublicKey.length !== 32) throw new RangeError('rootPublicKey must be 32 bytes (Ed25519)');
    const transport = options.transport ?? 'memory';
    const stateDir = options.stateDir ? resolve(options.stateDir) : null;
    if (stateDir) {
      mkdirSync(stateDir, { recursive: true, mode: 0o700 });
      lockStateDir(stateDir);
    }
    const clock = options.clock ?? new SimulationClock();
    const timing = options.timing === true ? TIMING_REALISTIC : options.timing ? options.timing : TIMING_OFF;
    const slots: (SimulatedFob | undefined)[] = new Array(count);
    // Ports come up a few at a time (each pty is a socat process); memory fobs one after another.
    const parallel = transport === 'memory' ? 1 : START_CONCURRENCY;
    let next = 0;
    let failure: unknown = null;
    const worker = async () => {
      while (failure === null && next < count) {
        const i = next++;
        try {
          slots[i] = await startFob(i, options, transport, stateDir, clock, timing);
        } catch (e) {
          failure ??= e;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
    const fobs = slots.filter((f): f is SimulatedFob => f !== undefined);
    const sim = new Simulator(clock, fobs, stateDir);
    if (failure !== null) {
      await sim.close();
      throw failure;
    }
    return sim;
  }

  /** The fob at `index`. @throws SimError UNKNOWN_FOB. */
  fob(index: number): SimulatedFob {
    const f = this.fobs[index];
    if (!f) throw new SimError('UNKNOWN_FOB', `no fob ${index} (the fleet has ${this.fobs.length})`);
    return f;
  }

  /** Moves the simulation's true time (every fob's RTC follows at its own rate). */
  advanceTime(seconds: number): number {
    return this.clock.advance(seconds);
  }

  now(): number {
    return this.clock.now();
  }

  /** Closes every port, stops socat and flushes every flash image. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await Promise.all(this.fobs.map((f) => f.close()));
    } finally {
      if (this.stateDir) rmSync(join(this.stateDir, LOCK_FILE), { force: true });
    }
  }
}

async function startFob(index: number, o: SimulatorOptions, transport: SimTransport, stateDir: string | null, clock: SimulationClock, timing: TimingModel): Promise<SimulatedFob> {
  const base = stateDir ? join(stateDir, `fob-${index}`) : null;
  let flash: FlashDevice;
  let huk: Uint8Array;
  let hw: HardwareFile | null = null;
  if (base) {
    flash = new FileFlash(`${base}.flash`, DEFAULT_GEOMETRY);
    huk = loadOrCreateSecret(`${base}.huk`);
    hw = readHardwareFile(`${base}.hw.json`);
  } else {
    flash = new MemoryFlash(DEFAULT_GEOMETRY);
    huk = new Uint8Array(nodeRandomBytes(32));
  }
  const hardwareId = FlashStore.readHardwareId(flash) ?? (hw ? Buffer.from(hw.hardwareId, 'hex') : new Uint8Array(nodeRandomBytes(8)));
  const hwHex = Buffer.from(hardwareId).toString('hex');
  const rootPublicKey = hw ? new Uint8Array(Buffer.from(hw.rootPublicKey, 'hex')) : o.rootPublicKey;
  const driftPpm = o.driftPpm ?? driftFromSeed(`${o.seed ?? ''}/${hwHex}`);
  const saveHardware = base
    ? (snapshot: FobHardwareSnapshot) => writeJsonAtomic(`${base}.hw.json`, { version: 1, hardwareId: hwHex, rootPublicKey: Buffer.from(rootPublicKey).toString('hex'), ...snapshot } satisfies HardwareFile)
    : undefined;
  const fob = new Fob({
    index,
    flash,
    hardwareId,
    huk,
    clock,
    rootPublicKey,
    driftPpm,
    temperatureC: o.temperatureC ?? null,
    ...(hw ? { hardware: { rtc: hw.rtc, battery: hw.battery, presses: hw.presses } } : {}),
    ...(o.batteryProfile ? { batteryProfile: o.batteryProfile } : {}),
    ...(o.displayTimeoutSeconds ? { displayTimeoutSeconds: o.displayTimeoutSeconds } : {}),
    timing,
    ...(o.powerCutAtBoot ? { powerCutAtBoot: o.powerCutAtBoot } : {}),
    ...(saveHardware ? { onHardwareChange: saveHardware } : {}),
    ...(o.onEvent ? { onEvent: (e: FobEvent) => o.onEvent!(index, e) } : {}),
  });
  huk.fill(0);
  // Explicit crystal settings apply to reloaded fobs too (QA changing the conditions of a fleet).
  if (hw && o.driftPpm !== undefined) fob.setDrift(o.driftPpm);
  if (hw && o.temperatureC !== undefined) fob.setTemperature(o.temperatureC);
  saveHardware?.(fob.hardwareSnapshot());
  let link: FobLink;
  let pty: PtyPair | null = null;
  let device: string | null = null;
  try {
    if (transport === 'pty') {
      const dir = o.ptyDir ?? stateDir ?? join(process.env.TMPDIR ?? '/tmp', `fobkit-sim-${process.pid}`);
      mkdirSync(dir, { recursive: true });
      pty = await PtyPair.open(join(dir, `fob-${index}`), join(dir, `.fob-${index}.fob-end`));
      device = pty.devices[1] ?? null;
      link = await SerialFobLink.open(pty.fobPath, pty.stationPath);
    } else if (transport === 'tcp') {
      const port = o.tcpPort ? o.tcpPort + index : 0;
      link = await TcpFobLink.listen(port, o.tcpHost ?? '127.0.0.1');
    } else {
      link = new MemoryFobLink();
    }
  } catch (e) {
    await pty?.close();
    fob.close();
    throw e;
  }
  const endpoint = new FobEndpoint(fob, link);
  if (link instanceof TcpFobLink) link.onPlug = () => endpoint.reset();
  return new SimulatedFob({ index, fob, endpoint, link, address: link.address, device, pty });
}

const LOCK_FILE = 'sim.lock';

/**
 * One simulator per state directory: two processes writing the same flash images would corrupt
 * them. A lock left by a process that no longer runs is taken over.
 * @throws SimError FLASH_IO naming the process that holds the directory.
 */
function lockStateDir(dir: string): void {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new SimError('FLASH_IO', `cannot lock ${dir}`, { cause: e });
    }
    const holder = Number.parseInt(readFileSync(path, 'utf8'), 10);
    if (Number.isInteger(holder) && holder > 0 && isRunning(holder)) {
      throw new SimError('FLASH_IO', `${dir} is in use by another simulator (pid ${holder}${holder === process.pid ? ', this process: close the other Simulator first' : ''})`);
    }
    rmSync(path, { force: true });
  }
  throw new SimError('FLASH_IO', `cannot lock ${dir}`);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function loadOrCreateSecret(path: string): Uint8Array {
  if (existsSync(path)) {
    const b = readFileSync(path);
    if (b.length === 32) return new Uint8Array(b);
    throw new SimError('FLASH_IO', `${path} is not a 32-byte key`);
  }
  const key = new Uint8Array(nodeRandomBytes(32));
  writeFileSync(path, key, { mode: 0o600 });
  chmodSync(path, 0o600);
  return key;
}

function readHardwareFile(path: string): HardwareFile | null {
  if (!existsSync(path)) return null;
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as HardwareFile;
    if (parsed.version !== 1 || typeof parsed.hardwareId !== 'string' || !parsed.rtc || !parsed.battery) throw new Error('unexpected content');
    return parsed;
  } catch (cause) {
    throw new SimError('FLASH_IO', `cannot read ${path}`, { cause });
  }
}

function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 1) + '\n', { mode: 0o600 });
  renameSync(tmp, path);
}
