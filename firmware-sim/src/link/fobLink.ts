import { TransportError, type Transport } from '@fobkit/protocol/client';

/**
 * The fob's side of a byte link (its USB CDC endpoint): bytes in from the station, bytes out.
 * Implemented over a pty end opened with `serialport`, a TCP socket, or an in-memory pipe.
 */
export interface FobLink {
  /** Bytes the station sent. One listener; set once by the endpoint. */
  onData(listener: (chunk: Uint8Array) => void): void;
  /** Bytes to the station. Never throws: a write to a closed link is dropped (the cable is out). */
  write(bytes: Uint8Array): void;
  close(): Promise<void>;
  /** Where a station connects (`/tmp/fobs/fob-0`, `tcp://127.0.0.1:7000`, `memory`). */
  readonly address: string;
}

/** An in-memory link: `toFob` delivers station bytes; `onStationData` receives the fob's. */
export class MemoryFobLink implements FobLink {
  readonly address = 'memory';
  private listener: ((chunk: Uint8Array) => void) | null = null;
  private readonly stationListeners = new Set<(chunk: Uint8Array) => void>();
  private closed = false;

  onData(listener: (chunk: Uint8Array) => void): void {
    this.listener = listener;
  }

  write(bytes: Uint8Array): void {
    if (this.closed) return;
    const copy = bytes.slice();
    for (const l of this.stationListeners) l(copy);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stationListeners.clear();
  }

  /** The station writes `bytes` to the fob. */
  toFob(bytes: Uint8Array): void {
    if (!this.closed) this.listener?.(bytes.slice());
  }

  /** The station listens for the fob's bytes. Returns an unsubscribe. */
  onStationData(listener: (chunk: Uint8Array) => void): () => void {
    this.stationListeners.add(listener);
    return () => this.stationListeners.delete(listener);
  }
}

/**
 * The station's end of a {@link MemoryFobLink} as a `Transport` (@fobkit/protocol/client), so a
 * `FobSession` talks to an in-process fob exactly as to a serial port. Delivery is synchronous in
 * both directions, which keeps a thousand in-process fobs cheap.
 */
export class MemoryStationTransport implements Transport {
  readonly description: string;
  private readonly link: MemoryFobLink;
  private open_ = false;
  private unsubscribe: (() => void) | null = null;
  private readonly dataListeners = new Set<(chunk: Uint8Array) => void>();
  private readonly closeListeners = new Set<(error?: TransportError) => void>();

  constructor(link: MemoryFobLink, description = 'memory:fob') {
    this.link = link;
    this.description = description;
  }

  get isOpen(): boolean {
    return this.open_;
  }

  async open(): Promise<void> {
    if (this.open_) return;
    this.open_ = true;
    this.unsubscribe = this.link.onStationData((chunk) => {
      for (const l of [...this.dataListeners]) l(chunk);
    });
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (!this.open_) throw new TransportError('disconnected', `${this.description} is closed`);
    this.link.toFob(bytes);
  }

  onData(listener: (chunk: Uint8Array) => void): () => void {
    this.dataListeners.add(listener);
    return () => this.dataListeners.delete(listener);
  }

  onClose(listener: (error?: TransportError) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  async close(): Promise<void> {
    if (!this.open_) return;
    this.open_ = false;
    this.unsubscribe?.();
    for (const l of [...this.closeListeners]) l();
  }
}
