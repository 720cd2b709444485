/**
 * A fleet of simulated fobs in one process: each with its flash image, hardware-unique key and
 * battery-backed state in a state directory (or in memory), its link (pty via socat, TCP, or
 * memory) and its control handle. This is the library API behind `fobkit-sim` and its control
 * endpoint; tests and QA scripts use it directly.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { SimError } from './errors.js';
import { SimulationClock } from './clock/simulationClock.js';
import { DEFAULT_GEOMETRY, FileFlash, MemoryFlash, type FlashDevice } from './flash/flashDevice.js';
import { FlashStore, type PowerCut } from './flash/flashStore.js';
import { driftFromSeed } from './hardware/rtc.js';
import type { BatteryProfile } from './hardware/battery.js';
import { TIMING_OFF, TIMING_REALISTIC, type TimingModel } from './timingModel.js';
import { Fob, type FobEvent, type FobHardwareSnapshot } from './fob/fob.js';
import { FobEndpoint } from './fob/fobEndpoint.js';
import { MemoryFobLink, type FobLink } from './link/fobLink.js';
import { PtyPair } from './link/ptyPair.js';
import { SerialFobLink } from './link/serialFobLink.js';
import { TcpFobLink } from './link/tcpFobLink.js';
import { SimulatedFob } from './simulatedFob.js';
import { LOCK_FILE, loadOrCreateSecret, lockStateDir, readHardwareFile, writeJsonAtomic, type HardwareFile } from './_stateDir.js';

export { SimulatedFob };

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

