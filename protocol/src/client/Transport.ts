/**
 * The Transport contract (DEVELOPERS.md "Client"): a byte stream to one fob, whatever carries
 * it: a serial port, a pty, TCP, or memory in tests. Types only, in the style of
 * node-serialport's binding interface; errors carry the flags callers test.
 */
import { ProtocolError } from '../errors.js';

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

/** A transport failure. Test the flags, not the message. */
export class TransportError extends ProtocolError {
  override readonly name: string = 'TransportError';
  /** The peer went away (cable pulled, port closed, process ended). */
  readonly disconnected: boolean;
  /** This side gave up (abort signal, close() while waiting). */
  readonly canceled: boolean;

  constructor(kind: 'disconnected' | 'canceled', message: string, options?: { cause?: unknown }) {
    super(kind === 'disconnected' ? 'DISCONNECTED' : 'CANCELED', message, options);
    this.disconnected = kind === 'disconnected';
    this.canceled = kind === 'canceled';
  }
}
