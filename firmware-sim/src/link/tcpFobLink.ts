/**
 * A fob on a TCP port (a remote QA rig): one station connection at a time, as one USB host; a
 * new connection takes over from the previous one. Each connection is a fresh plug-in (the
 * endpoint forgets its session).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { SimError } from '../errors.js';
import type { FobLink } from './fobLink.js';

export class TcpFobLink implements FobLink {
  readonly address: string;
  readonly port: number;
  private readonly server: Server;
  private socket: Socket | null = null;
  private listener: ((chunk: Uint8Array) => void) | null = null;
  /** Called when a station connects or disconnects (the endpoint resets its session). */
  onPlug: ((plugged: boolean) => void) | null = null;

  private constructor(server: Server, host: string, port: number) {
    this.server = server;
    this.port = port;
    this.address = `tcp://${host}:${port}`;
    server.on('connection', (s) => this.accept(s));
  }

  /**
   * Listens on `host:port` (port 0: any free port).
   * @throws SimError PORT_FAILED when the port is taken.
   */
  static listen(port: number, host = '127.0.0.1'): Promise<TcpFobLink> {
    return new Promise((resolve, reject) => {
      const server = createServer({ noDelay: true });
      server.once('error', (e) => reject(new SimError('PORT_FAILED', `cannot listen on ${host}:${port}: ${e.message}`, { cause: e })));
      server.listen(port, host, () => {
        const addr = server.address();
        resolve(new TcpFobLink(server, host, typeof addr === 'object' && addr ? addr.port : port));
      });
    });
  }

  private accept(s: Socket): void {
    // One USB host at a time: a new connection replaces the old one (whose station may have died
    // without closing, leaving a half-open connection that would otherwise block the fob forever).
    const old = this.socket;
    this.socket = s;
    old?.destroy();
    s.setNoDelay(true);
    this.onPlug?.(true);
    s.on('data', (d: Buffer) => {
      if (this.socket === s) this.listener?.(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    });
    s.on('error', () => {});
    s.on('close', () => {
      // Only the current station's leaving unplugs the fob (a replaced one is already gone).
      if (this.socket !== s) return;
      this.socket = null;
      this.onPlug?.(false);
    });
  }

  onData(listener: (chunk: Uint8Array) => void): void {
    this.listener = listener;
  }

  write(bytes: Uint8Array): void {
    if (this.socket && !this.socket.destroyed) this.socket.write(bytes);
  }

  close(): Promise<void> {
    this.socket?.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
