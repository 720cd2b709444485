/**
 * A {@link Transport} over a serial port (a fob's USB CDC-ACM device, or a simulator's pty),
 * with node-serialport. Raw 8N1 at the configured baud rate (CDC-ACM ignores it; a real UART
 * would not). A port that goes away (cable pulled, pty closed) closes with a `disconnected`
 * TransportError; our own close() is silent.
 *
 * The port is opened exclusively (portLock.ts): a port another process holds is refused with
 * PORT_BUSY naming the holder; one that cannot be opened otherwise is PORT_UNAVAILABLE.
 */
import { SerialPort } from 'serialport';
import { TransportError, type Transport } from '@fobkit/protocol/client';
import { pollerDirectBinding } from './pollerDirectBinding.js';
import { isPortLockRefusal, portBusyError, portUnavailableError } from './portLock.js';

export interface SerialPortTransportOptions {
  path: string;
  /** Default 115200. */
  baudRate?: number;
}

export class SerialPortTransport implements Transport {
  readonly description: string;
  private readonly port: SerialPort;
  private readonly dataListeners = new Set<(chunk: Uint8Array) => void>();
  private readonly closeListeners = new Set<(error?: TransportError) => void>();
  private closing = false;
  private closed = false;

  constructor(options: SerialPortTransportOptions) {
    if (typeof options.path !== 'string' || options.path.length === 0) throw new TypeError('path is required');
    this.description = options.path;
    this.port = new SerialPort({ binding: pollerDirectBinding, path: options.path, baudRate: options.baudRate ?? 115_200, autoOpen: false, lock: true });
    this.port.on('data', (chunk: Buffer) => {
      const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      for (const l of [...this.dataListeners]) l(bytes);
    });
    this.port.on('close', (err?: Error & { disconnected?: boolean }) => this.finish(this.closing ? undefined : new TransportError('disconnected', `${this.description} went away${err ? `: ${err.message}` : ''}`, { cause: err })));
    this.port.on('error', (err: Error) => {
      if (!this.port.isOpen) return;
      this.finish(new TransportError('disconnected', `${this.description}: ${err.message}`, { cause: err }));
      this.port.close(() => undefined);
    });
  }

  get isOpen(): boolean {
    return this.port.isOpen && !this.closed;
  }

  private finish(error?: TransportError): void {
    if (this.closed) return;
    this.closed = true;
    for (const l of [...this.closeListeners]) l(error);
  }

  /** @throws BusyError PORT_BUSY when another process holds the port; StationError PORT_UNAVAILABLE when it cannot be opened. */
  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.port.open((err) => {
        if (err) reject(isPortLockRefusal(err) ? portBusyError(this.description, err) : portUnavailableError(this.description, err));
        else resolve();
      });
    });
  }

  write(bytes: Uint8Array): Promise<void> {
    if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array');
    if (!this.isOpen) return Promise.reject(new TransportError('disconnected', `${this.description} is closed`));
    return new Promise((resolve, reject) => {
      this.port.write(Buffer.from(bytes), (err) => {
        if (err) reject(new TransportError('disconnected', `write to ${this.description} failed: ${err.message}`, { cause: err }));
        else resolve();
      });
    });
  }

  onData(listener: (chunk: Uint8Array) => void): () => void {
    this.dataListeners.add(listener);
    return () => this.dataListeners.delete(listener);
  }

  onClose(listener: (error?: TransportError) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  close(): Promise<void> {
    this.closing = true;
    if (!this.port.isOpen) {
      this.finish();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.port.close(() => {
        this.finish();
        resolve();
      });
    });
  }
}
