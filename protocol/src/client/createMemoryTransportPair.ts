/**
 * Two Transports joined back to back in memory, for tests and the in-process simulator. Bytes
 * arrive asynchronously (a microtask later), in order, as written. A fault hook sees every chunk
 * and may pass, replace (corrupt, split, duplicate) or drop it, so tests can reproduce a noisy
 * cable deterministically.
 */
import { TransportError } from '../errors.js';
import type { Transport } from './Transport.js';

export type MemoryDirection = 'a->b' | 'b->a';
/** Returns the bytes to deliver (the chunk, a changed copy) or null to drop them. */
export type MemoryFault = (chunk: Uint8Array, direction: MemoryDirection) => Uint8Array | null;

export interface MemoryTransportPair {
  a: Transport;
  b: Transport;
  /** Replaces the fault hook (undefined: deliver everything). */
  setFault(fault: MemoryFault | undefined): void;
  /** Pulls the cable: both ends close with a `disconnected` TransportError. */
  disconnect(): void;
}

class MemoryTransport implements Transport {
  readonly description: string;
  peer!: MemoryTransport;
  #open = false;
  readonly #data = new Set<(chunk: Uint8Array) => void>();
  readonly #close = new Set<(error?: TransportError) => void>();
  readonly #pair: { fault: MemoryFault | undefined };
  readonly #direction: MemoryDirection;

  constructor(name: 'a' | 'b', pair: { fault: MemoryFault | undefined }) {
    this.description = `memory:${name}`;
    this.#pair = pair;
    this.#direction = name === 'a' ? 'a->b' : 'b->a';
  }

  get isOpen(): boolean {
    return this.#open;
  }

  async open(): Promise<void> {
    this.#open = true;
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array');
    if (!this.#open) throw new TransportError('disconnected', `${this.description} is closed`);
    const copy = Uint8Array.from(bytes);
    const delivered = this.#pair.fault ? this.#pair.fault(copy, this.#direction) : copy;
    if (delivered === null || delivered.length === 0) return;
    const peer = this.peer;
    queueMicrotask(() => peer.receive(delivered));
  }

  receive(chunk: Uint8Array): void {
    if (!this.#open) return; // nobody listening: bytes are lost, as on a real line
    for (const listener of [...this.#data]) listener(chunk);
  }

  onData(listener: (chunk: Uint8Array) => void): () => void {
    this.#data.add(listener);
    return () => this.#data.delete(listener);
  }

  onClose(listener: (error?: TransportError) => void): () => void {
    this.#close.add(listener);
    return () => this.#close.delete(listener);
  }

  async close(): Promise<void> {
    if (!this.#open) return;
    this.shut(undefined);
    this.peer.shut(new TransportError('disconnected', `${this.peer.description}: the other end closed`));
  }

  shut(error: TransportError | undefined): void {
    if (!this.#open) return;
    this.#open = false;
    for (const listener of [...this.#close]) listener(error);
  }
}

/** A connected pair; both ends start closed: call open() on each. */
export function createMemoryTransportPair(options: { fault?: MemoryFault } = {}): MemoryTransportPair {
  const shared = { fault: options.fault };
  const a = new MemoryTransport('a', shared);
  const b = new MemoryTransport('b', shared);
  a.peer = b;
  b.peer = a;
  return {
    a,
    b,
    setFault: (fault) => {
      shared.fault = fault;
    },
    disconnect: () => {
      a.shut(new TransportError('disconnected', 'memory:a: disconnected'));
      b.shut(new TransportError('disconnected', 'memory:b: disconnected'));
    },
  };
}
