/**
 * The Transport contract (DEVELOPERS.md "Client"): a byte stream to one fob, whatever carries
 * it: a serial port, a pty, TCP, or memory in tests. Types only, in the style of
 * node-serialport's binding interface; errors (TransportError, in ../errors.ts) carry the flags
 * callers test.
 */
import type { TransportError } from '../errors.js';

export interface Transport {
  /** For messages: "/dev/ttyACM0", "tcp:127.0.0.1:7001", "memory:a". */
  readonly description: string;
  readonly isOpen: boolean;
  /** Opens the stream. @throws TransportError when it cannot be opened. */
  open(): Promise<void>;
  /** Queues bytes for the peer. @throws TransportError (disconnected) when closed. */
  write(bytes: Uint8Array): Promise<void>;
  /** Subscribes to received chunks (arbitrary boundaries). Returns the unsubscribe function. */
  onData(listener: (chunk: Uint8Array) => void): () => void;
  /**
   * Subscribes to the end of the stream: `error` is set (disconnected) when it was not this
   * side's close(). Returns the unsubscribe function.
   */
  onClose(listener: (error?: TransportError) => void): () => void;
  /** Closes the stream; idempotent. */
  close(): Promise<void>;
}
