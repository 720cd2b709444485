/**
 * Loads the station configuration from, in rising precedence: built-in defaults, the config file
 * (`fobkit.config.json` in the working directory, or `--config PATH`), `FOBKIT_*` environment
 * variables, and command-line flags. Paths in the file are relative to the file; paths from the
 * environment and flags are relative to the working directory. Unknown keys in the file are an
 * error (a typo must not silently fall back to a default on a factory floor).
 */
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { StationError } from '../errors.js';
import { STATION_CONFIG_DEFAULTS, parseUsbIds, validateStationConfig, type ConfigSources, type SeedMode, type StationConfig, type UsbId } from './stationConfig.js';
import { stationDataDir } from './stationDataDir.js';

export const DEFAULT_CONFIG_FILE = 'fobkit.config.json';

/** Flat form of every setting, as flags and environment variables give them. */
export interface StationConfigInput {
  backendUrl?: string;
  apiKey?: string;
  apiKeyFile?: string;
  registrationKey?: string;
  registrationKeyId?: string;
  stationCert?: string;
  stationKey?: string;
  revocationList?: string;
  batch?: string;
  algorithm?: string;
  digits?: number;
  period?: number;
  t0?: number;
  seedMode?: string;
  batchKeyFile?: string;
  journal?: string;
  labels?: string;
  usb?: string | UsbId[] | string[];
  serialBlock?: number;
  verifyTimes?: number;
  backendWaitSeconds?: number;
  fobTimeoutMs?: number;
  journalSync?: string;
}

type Key = keyof StationConfigInput;
const PATH_KEYS: readonly Key[] = ['apiKeyFile', 'stationCert', 'stationKey', 'revocationList', 'batchKeyFile', 'journal', 'labels'];
const NUMBER_KEYS: readonly Key[] = ['digits', 'period', 't0', 'serialBlock', 'verifyTimes', 'backendWaitSeconds', 'fobTimeoutMs'];

/** Environment variable for each setting. */
export const STATION_ENV: Readonly<Record<Key, string>> = {
  backendUrl: 'FOBKIT_BACKEND_URL',
  apiKey: 'FOBKIT_API_KEY',
  apiKeyFile: 'FOBKIT_API_KEY_FILE',
  registrationKey: 'FOBKIT_REGISTRATION_KEY',
  registrationKeyId: 'FOBKIT_REGISTRATION_KEY_ID',
  stationCert: 'FOBKIT_STATION_CERT',
  stationKey: 'FOBKIT_STATION_KEY',
  revocationList: 'FOBKIT_REVOCATION_LIST',
  batch: 'FOBKIT_BATCH',
  algorithm: 'FOBKIT_ALGORITHM',
  digits: 'FOBKIT_DIGITS',
  period: 'FOBKIT_PERIOD',
  t0: 'FOBKIT_T0',
  seedMode: 'FOBKIT_SEED_MODE',
  batchKeyFile: 'FOBKIT_BATCH_KEY_FILE',
  journal: 'FOBKIT_JOURNAL',
  labels: 'FOBKIT_LABELS',
  usb: 'FOBKIT_USB_IDS',
  serialBlock: 'FOBKIT_SERIAL_BLOCK',
  verifyTimes: 'FOBKIT_VERIFY_TIMES',
  backendWaitSeconds: 'FOBKIT_BACKEND_WAIT',
  fobTimeoutMs: 'FOBKIT_FOB_TIMEOUT_MS',
  journalSync: 'FOBKIT_JOURNAL_SYNC',
};

export interface LoadStationConfigOptions {
  /** `--config PATH`; when absent `fobkit.config.json` in `cwd` is read if it exists. */
  configPath?: string;
  cwd?: string;
  env?: Readonly<Record<string, string | undefined>>;
  /** Values from command-line flags (undefined = not given). */
  flags?: StationConfigInput;
  /** `fobkit provision --offline-export`: no backend, so no API key is required. */
  offline?: boolean;
}

function readFileInput(path: string): StationConfigInput {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new StationError('CONFIG_INVALID', `cannot read config file ${path}: ${(cause as Error).message}`, { cause });
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new StationError('CONFIG_INVALID', `config file ${path} must hold a JSON object`);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (k === '$schema' || k === 'comment') continue;
    if (k === 'profile' && v && typeof v === 'object') {
      for (const [pk, pv] of Object.entries(v as Record<string, unknown>)) {
        if (!['algorithm', 'digits', 'period', 't0'].includes(pk)) throw new StationError('CONFIG_INVALID', `config file ${path}: unknown key profile.${pk}`);
        out[pk] = pv;
      }
      continue;
    }
    if (!(k in STATION_ENV)) throw new StationError('CONFIG_INVALID', `config file ${path}: unknown key '${k}'`);
    out[k] = v;
  }
  for (const k of PATH_KEYS) if (typeof out[k] === 'string') out[k] = resolve(dirname(path), out[k] as string);
  return out as StationConfigInput;
}

function readEnvInput(env: Readonly<Record<string, string | undefined>>, cwd: string): StationConfigInput {
  const out: Record<string, unknown> = {};
  for (const [k, name] of Object.entries(STATION_ENV) as [Key, string][]) {
    const v = env[name];
    if (v === undefined || v === '') continue;
    if (NUMBER_KEYS.includes(k)) {
      const n = Number(v);
      if (!Number.isFinite(n)) throw new StationError('CONFIG_INVALID', `${name}='${v}' is not a number`);
      out[k] = n;
    } else out[k] = PATH_KEYS.includes(k) ? resolve(cwd, v) : v;
  }
  return out as StationConfigInput;
}

function toUsb(v: StationConfigInput['usb']): UsbId[] | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string') return parseUsbIds(v);
  return v.map((x) => (typeof x === 'string' ? parseUsbIds(x)[0]! : { vendorId: x.vendorId.toLowerCase(), productId: x.productId.toLowerCase() }));
}

/**
 * Merges defaults, file, environment and flags, and validates the result.
 * @throws StationError CONFIG_INVALID with the field and where its value came from.
 */
export function loadStationConfig(options: LoadStationConfigOptions = {}): { config: StationConfig; sources: ConfigSources; configFile?: string } {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const layers: [string, StationConfigInput][] = [];
  let configFile: string | undefined;
  const explicit = options.configPath ?? env['FOBKIT_CONFIG'];
  if (explicit) {
    configFile = resolve(cwd, explicit);
    if (!existsSync(configFile)) throw new StationError('CONFIG_INVALID', `config file ${configFile} does not exist`);
  } else if (existsSync(resolve(cwd, DEFAULT_CONFIG_FILE))) configFile = resolve(cwd, DEFAULT_CONFIG_FILE);
  if (configFile) layers.push([configFile, readFileInput(configFile)]);
  layers.push(['environment', readEnvInput(env, cwd)]);
  const flags: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options.flags ?? {})) if (v !== undefined) flags[k] = PATH_KEYS.includes(k as Key) && typeof v === 'string' ? resolve(cwd, v) : v;
  layers.push(['command line', flags as StationConfigInput]);

  const merged: Record<string, unknown> = {};
  const sources: ConfigSources = {};
  for (const [name, layer] of layers) {
    for (const [k, v] of Object.entries(layer)) {
      if (v === undefined) continue;
      merged[k] = v;
      sources[['algorithm', 'digits', 'period', 't0'].includes(k) ? 'profile' : k] = name;
    }
  }
  const m = merged as StationConfigInput;
  let apiKey = m.apiKey ?? '';
  if (!apiKey && m.apiKeyFile) {
    try {
      apiKey = readFileSync(m.apiKeyFile, 'utf8').trim();
    } catch (cause) {
      throw new StationError('CONFIG_INVALID', `cannot read the API key file ${m.apiKeyFile}: ${(cause as Error).message}`, { cause });
    }
    sources['apiKey'] = sources['apiKeyFile'];
  }
  const d = STATION_CONFIG_DEFAULTS;
  const config: StationConfig = {
    backendUrl: (m.backendUrl ?? d.backendUrl).replace(/\/+$/, ''),
    apiKey,
    registrationKey: m.registrationKey,
    registrationKeyId: m.registrationKeyId,
    stationCert: m.stationCert,
    stationKey: m.stationKey ?? '',
    revocationList: m.revocationList,
    batch: m.batch ?? d.batch,
    profile: {
      algorithm: (m.algorithm ?? d.profile.algorithm) as StationConfig['profile']['algorithm'],
      digits: Number(m.digits ?? d.profile.digits) as StationConfig['profile']['digits'],
      period: Number(m.period ?? d.profile.period),
      t0: Number(m.t0 ?? d.profile.t0),
    },
    seedMode: (m.seedMode ?? d.seedMode) as SeedMode,
    batchKeyFile: m.batchKeyFile,
    // Defaults live in the data directory, not the working directory (stationDataDir.ts).
    journal: m.journal ?? join(stationDataDir(env), d.journal),
    labels: m.labels ?? join(stationDataDir(env), d.labels),
    usb: toUsb(m.usb) ?? [...d.usb],
    serialBlock: Number(m.serialBlock ?? d.serialBlock),
    verifyTimes: Number(m.verifyTimes ?? d.verifyTimes),
    backendWaitSeconds: Number(m.backendWaitSeconds ?? d.backendWaitSeconds),
    fobTimeoutMs: Number(m.fobTimeoutMs ?? d.fobTimeoutMs),
    journalSync: (m.journalSync ?? d.journalSync) as StationConfig['journalSync'],
  };
  return { config: validateStationConfig(config, sources, { offline: options.offline }), sources, configFile };
}
