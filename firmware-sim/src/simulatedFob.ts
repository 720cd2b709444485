/**
 * One fob of a simulated fleet with its control operations (the library side of the control
 * endpoint): button and display, clock, drift and temperature, battery, power cuts, link faults.
 */
import type { LcdView } from './hardware/display.js';
import type { PowerCut } from './flash/flashStore.js';
import type { Fob, FobStatus } from './fob/fob.js';
import type { FobEndpoint } from './fob/fobEndpoint.js';
import { MemoryFobLink, MemoryStationTransport, type FobLink } from './link/fobLink.js';
import type { LinkFaults, LinkFaultSpec } from './link/linkFaults.js';
import type { PtyPair } from './link/ptyPair.js';

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

