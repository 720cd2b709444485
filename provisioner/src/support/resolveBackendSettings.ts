/**
 * Where support and QA commands find the backend: command-line flags, then the environment
 * (FOBKIT_BACKEND_URL, FOBKIT_API_KEY or FOBKIT_API_KEY_FILE, FOBKIT_STATION_KEY,
 * FOBKIT_REVOCATION_LIST), then the
 * station config file through the station's own loader (`--config PATH`, FOBKIT_CONFIG or
 * ./fobkit.config.json), so a support desk can share the station's file format.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadStationConfig, DEFAULT_CONFIG_FILE } from '../config/loadStationConfig.js';

export interface BackendSettingsInput {
  backendUrl?: string;
  apiKey?: string;
  apiKeyFile?: string;
  stationKey?: string;
  /** The revocation list a station session hands the fob (every session sends the newest one the station has). */
  revocationList?: string;
  config?: string;
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
}

export interface BackendSettings {
  backendUrl: string;
  apiKey: string;
  stationKey?: string;
  revocationList?: string;
}

/** Thrown when no API key or a bad value is found; the message says where to give it. */
export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}

const SENTINEL = '\u0000fobkit-support-no-station-key';

function readKey(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (e) {
    throw new SettingsError(`cannot read the API key file ${path}: ${(e as Error).message}`);
  }
}

export function resolveBackendSettings(i: BackendSettingsInput): BackendSettings {
  const env = i.env ?? process.env;
  const cwd = i.cwd ?? process.cwd();
  const e = (name: string): string | undefined => env[name] || undefined;
  let backendUrl = i.backendUrl || e('FOBKIT_BACKEND_URL');
  const keyFile = i.apiKeyFile || e('FOBKIT_API_KEY_FILE');
  let apiKey = i.apiKey || (i.apiKeyFile ? readKey(resolve(cwd, i.apiKeyFile)) : undefined) || e('FOBKIT_API_KEY') || (keyFile ? readKey(resolve(cwd, keyFile)) : undefined);
  let stationKey = i.stationKey || e('FOBKIT_STATION_KEY');
  let revocationList = i.revocationList || e('FOBKIT_REVOCATION_LIST');
  const configPath = i.config || e('FOBKIT_CONFIG');
  const hasConfig = configPath !== undefined || existsSync(resolve(cwd, DEFAULT_CONFIG_FILE));
  if ((!backendUrl || !apiKey || !stationKey || !revocationList) && hasConfig) {
    // The station's loader insists on a station key; support only needs one for some commands,
    // so a missing one is filled with a sentinel on a second try (flags beat the file).
    const load = (fill: boolean) => loadStationConfig({ configPath, cwd, env, flags: { backendUrl, apiKey, stationKey: stationKey ?? (fill ? SENTINEL : undefined), revocationList } }).config;
    try {
      let config;
      try {
        config = load(false);
      } catch (e) {
        if (!/stationKey/.test((e as Error).message)) throw e;
        config = load(true);
      }
      backendUrl = config.backendUrl;
      apiKey = config.apiKey;
      if (!config.stationKey.endsWith(SENTINEL)) stationKey = config.stationKey;
      revocationList = config.revocationList;
    } catch (e) {
      throw new SettingsError((e as Error).message);
    }
  }
  backendUrl ??= 'http://127.0.0.1:8700';
  try {
    const u = new URL(backendUrl);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw new SettingsError(`'${backendUrl}' is not an http(s) URL (--backend-url or FOBKIT_BACKEND_URL)`);
  }
  if (!apiKey) throw new SettingsError('no API key: give --api-key (or --api-key-file), FOBKIT_API_KEY, or apiKey in fobkit.config.json');
  return { backendUrl: backendUrl.replace(/\/+$/, ''), apiKey, ...(stationKey ? { stationKey: resolve(cwd, stationKey) } : {}), ...(revocationList ? { revocationList: resolve(cwd, revocationList) } : {}) };
}
