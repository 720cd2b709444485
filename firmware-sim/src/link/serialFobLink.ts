/**
 * The fob's end of a pty, opened with `serialport` like any serial device, as a {@link FobLink}.
 */
import { SerialPort } from 'serialport';
import { SimError } from '../errors.js';
import type { FobLink } from './fobLink.js';

export class SerialFobLink implements FobLink {
  readonly address: string;
  private readonly port: SerialPort;
  private listener: ((chunk: Uint8Array) => void) | null = null;

  private constructor(port: SerialPort, address: string) {
    this.port = port;
    this.address = address;
    port.on('data', (d: Buffer) => this.listener?.(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)));
    // A pty whose peer vanished reports errors; the fob just keeps listening, like a USB device.
    port.on('error', () => {});
  }

  /**
   * Opens `fobPath`; `address` is what the station opens (the other end).
   * @throws SimError PORT_FAILED when the port cannot be opened.
   */
  static open(fobPath: string, address: string): Promise<SerialFobLink> {
    return new Promise((resolve, reject) => {
      const port = new SerialPort({ path: fobPath, baudRate: 115_200, autoOpen: false });
      port.open((err) => {
        if (err) reject(new SimError('PORT_FAILED', `cannot open ${fobPath}: ${err.message}`, { cause: err }));
        else resolve(new SerialFobLink(port, address));
      });
    });
  }

  onData(listener: (chunk: Uint8Array) => void): void {
    this.listener = listener;
  }

  write(bytes: Uint8Array): void {
    if (this.port.isOpen) this.port.write(Buffer.from(bytes));
  }

  close(): Promise<void> {
    if (!this.port.isOpen) return Promise.resolve();
    return new Promise((resolve) => {
      this.port.drain(() => this.port.close(() => resolve()));
    });
  }
}
