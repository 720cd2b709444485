/** Opens a backend and listens: what `fobkit-backend serve`, tests and the benchmark run. */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { openBackend, type Backend, type OpenBackendOptions } from '../openBackend.js';
import { BackendError } from '../errors.js';
import { createHttpServer, type HttpServerOptions } from './createHttpServer.js';

export interface StartServerOptions extends OpenBackendOptions, HttpServerOptions {
  /** `host:port`; port 0 picks a free one. Default 127.0.0.1:8700. */
  listen?: string;
}

export interface RunningServer {
  backend: Backend;
  server: Server;
  url: string;
  close(): Promise<void>;
}

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:]+\]|[^:]+):(\d{1,5})$/.exec(listen);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new BackendError('CONFIG', `--listen must be host:port, got '${listen}'`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const { host, port } = parseListen(options.listen ?? '127.0.0.1:8700');
  const backend = await openBackend(options);
  const server = createHttpServer(backend.ctx, options);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    await backend.close();
    throw new BackendError('CONFIG', `cannot listen on ${host}:${port}: ${(e as Error).message}`, { cause: e });
  }
  const addr = server.address() as AddressInfo;
  const url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
  return {
    backend,
    server,
    url,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await backend.close();
    },
  };
}
