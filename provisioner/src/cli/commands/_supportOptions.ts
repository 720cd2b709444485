/**
 * What the support commands (inspect, check, resync, assign, unbind, wipe) share: the backend
 * flags, opening a fob on a port, the serial argument (refused before anything is sent when
 * its check digit is wrong), the station key, and the mapping of backend failures to the CLI's
 * codes and exit codes.
 */
import type { Argv } from 'yargs';
import { FobSession } from '@fobkit/protocol/client';
import { ProtocolError } from '@fobkit/protocol';
import { normalizeSerial } from '@fobkit/protocol/serial';
import { BackendError, isStationError } from '../../errors.js';
import { SupportClient } from '../../backendApi/supportClient.js';
import { resolveBackendSettings, SettingsError, type BackendSettings } from '../../support/resolveBackendSettings.js';
import { SerialPortTransport } from '../../transport/serialPortTransport.js';
import { loadStationCredentials, type LoadedStationCredentials } from '../../keys/loadStationCredentials.js';
import { CliError, EXIT_NEGATIVE, EXIT_UNAVAILABLE, EXIT_USAGE } from '../cliErrors.js';

export interface BackendArgs {
  backendUrl?: string;
  apiKey?: string;
  apiKeyFile?: string;
  config?: string;
  json: boolean;
}

export function withBackendOptions<T>(y: Argv<T>): Argv<T & BackendArgs> {
  return y
    .option('backend-url', { type: 'string', describe: 'backend base URL (FOBKIT_BACKEND_URL)' })
    .option('api-key', { type: 'string', describe: 'support API key (FOBKIT_API_KEY; prefer --api-key-file)' })
    .option('api-key-file', { type: 'string', describe: 'file holding the API key' })
    .option('config', { type: 'string', describe: 'config file with backendUrl/apiKey (default ./fobkit.config.json)' })
    .option('json', { type: 'boolean', default: false, describe: 'one JSON object on stdout' }) as unknown as Argv<T & BackendArgs>;
}

export function backendSettings(a: BackendArgs & { stationKey?: string; revocationList?: string }): BackendSettings {
  try {
    return resolveBackendSettings({ backendUrl: a.backendUrl, apiKey: a.apiKey, apiKeyFile: a.apiKeyFile, config: a.config, stationKey: a.stationKey, revocationList: a.revocationList });
  } catch (e) {
    if (e instanceof SettingsError) throw new CliError('CONFIG_INVALID', e.message, EXIT_USAGE, { cause: e });
    throw e;
  }
}

export function supportClient(s: BackendSettings): SupportClient {
  return new SupportClient({ baseUrl: s.backendUrl, apiKey: s.apiKey });
}

/** The canonical serial, or a usage error naming the mistake (nothing has been sent yet). */
export function serialArgument(input: unknown): string {
  try {
    return normalizeSerial(String(input ?? ''));
  } catch (e) {
    throw new CliError('INVALID_SERIAL', (e as Error).message, EXIT_USAGE, { cause: e });
  }
}

/** Backend failures as CLI errors: not a fobkit backend → 3, 404 → NOT_REGISTERED (1), 409 → the state does not allow it (1), other 4xx → 2, unreachable/auth → 3. */
export function backendFailure(e: unknown): unknown {
  if (!(e instanceof BackendError)) return e;
  if (e.code === 'NOT_FOBKIT_BACKEND') return new CliError(e.code, e.message, EXIT_UNAVAILABLE, { cause: e });
  if (e.status === 404) return new CliError('NOT_REGISTERED', e.message, EXIT_NEGATIVE, { cause: e });
  if (e.status === 409) return new CliError(e.backendCode ?? 'BACKEND_CONFLICT', e.message, EXIT_NEGATIVE, { cause: e });
  if (e.code === 'BACKEND_REJECTED') return new CliError(e.backendCode ?? e.code, e.message, EXIT_USAGE, { cause: e });
  return new CliError(e.code, e.message, EXIT_UNAVAILABLE, { cause: e });
}

export async function withBackend<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw backendFailure(e);
  }
}

/** Opens the fob on `path` (a serial port or a simulator's pty), exclusively (transport/portLock.ts). */
export async function openFob(path: string, timeoutMs = 2000): Promise<{ fob: FobSession; close(): Promise<void> }> {
  const transport = new SerialPortTransport({ path });
  try {
    await transport.open();
  } catch (e) {
    // PORT_BUSY (another process holds it, named when known) or PORT_UNAVAILABLE.
    throw new CliError(isStationError(e, 'PORT_BUSY') ? 'PORT_BUSY' : 'PORT_UNAVAILABLE', e instanceof Error ? e.message : String(e), EXIT_UNAVAILABLE, { cause: e });
  }
  const fob = new FobSession({ transport, timeoutMs });
  return {
    fob,
    async close() {
      fob.close();
      await transport.close();
    },
  };
}

/**
 * The station key for session commands (--fix clock, wipe), with the newest revocation list the
 * station has (`--revocation-list`, FOBKIT_REVOCATION_LIST or revocationList in the config): every
 * session hands it to the fob, which keeps it when newer than its own (SPEC.md "Secure session").
 */
export function stationCredentials(path: string | undefined, why: string, revocationList?: string): LoadedStationCredentials {
  if (!path) throw new CliError('NO_STATION_KEY', `${why} needs the station key: give --station-key PATH (FOBKIT_STATION_KEY or stationKey in fobkit.config.json)`, EXIT_USAGE);
  try {
    return loadStationCredentials({ stationKey: path, ...(revocationList ? { revocationList } : {}) });
  } catch (e) {
    if (isStationError(e)) throw new CliError(e.code, e.message, EXIT_USAGE, { cause: e });
    throw e;
  }
}

/** Errors from the fob or the session are "could not run". */
export function fobFailure(e: unknown): unknown {
  if (e instanceof ProtocolError && !(e instanceof CliError)) {
    return new CliError(e.code === 'DEVICE_ERROR' ? 'FOB_REFUSED' : e.code, e.message, EXIT_UNAVAILABLE, { cause: e });
  }
  return e;
}

export function printJson(o: unknown): void {
  process.stdout.write(JSON.stringify(o) + '\n');
}

/** Unix seconds as an ISO time to the second (UTC). */
export function formatTime(t: number | null | undefined): string {
  return t === null || t === undefined ? 'never' : new Date(t * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** A user argument, checked as the backend will (1 to 128 letters, digits or . _ @ + \ -). */
export function userArgument(input: unknown): string {
  const u = String(input ?? '');
  if (!/^[\p{L}\p{N}._@+\\-]{1,128}$/u.test(u)) throw new CliError('INVALID_USER', `'${u.slice(0, 40)}' is not a user name: 1 to 128 letters, digits or . _ @ + \\ -`, EXIT_USAGE);
  return u;
}
