/**
 * Opens one fob for the station: a serial-port transport, a FobSession on it, and the session
 * bound to this station's credentials, shaped as the pipeline's {@link ProvisioningSession}.
 */
import { FobSession, type Transport } from '@fobkit/protocol/client';
import type { StationCredentials } from '@fobkit/protocol/session';
import type { FobConnection } from '../station/runStation.js';
import type { ProvisioningSession } from '../operations/provisioningSession.js';
import { SerialPortTransport } from './serialPortTransport.js';

export interface ConnectFobOptions {
  credentials: StationCredentials;
  /** Per-request timeout (per attempt). */
  timeoutMs?: number;
  retries?: number;
  clock?: () => number;
  baudRate?: number;
}

/** Wraps a FobSession (over any transport) as the pipeline's session. */
export function toProvisioningSession(fob: FobSession, credentials: StationCredentials): ProvisioningSession {
  return {
    hello: () => fob.hello(),
    beginSession: async () => {
      await fob.beginSession(credentials);
    },
    getStatus: () => fob.getStatus(),
    setSerial: (serial) => fob.setSerial(serial),
    setTime: (time) => fob.setTime(time),
    programSeed: (p) => fob.programSeed(p),
    calculate: (time) => fob.calculate(time),
    lock: (serial) => fob.lock(serial),
    wipe: (serial) => fob.wipe(serial),
  };
}

/** A connection over an already-built transport (opened here). */
export async function connectFobOver(transport: Transport, options: ConnectFobOptions): Promise<FobConnection> {
  await transport.open();
  const fob = new FobSession({ transport, timeoutMs: options.timeoutMs, retries: options.retries, clock: options.clock });
  return {
    session: toProvisioningSession(fob, options.credentials),
    async close() {
      fob.close();
      await transport.close();
    },
  };
}

/** Opens the serial port at `path` and a session on it. @throws TransportError when it cannot be opened. */
export function connectFob(path: string, options: ConnectFobOptions): Promise<FobConnection> {
  return connectFobOver(new SerialPortTransport({ path, baudRate: options.baudRate }), options);
}
