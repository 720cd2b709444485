/**
 * The station configuration: what one provisioning station needs to know for a shift, and the
 * guards that turn a bad value into one clear line naming the field and where it came from.
 * Loading and merging (file, environment, flags) is in loadStationConfig.ts.
 */
import { DEFAULT_ALGORITHM, DEFAULT_DIGITS, DEFAULT_PERIOD, assertAlgorithm, assertDigits, assertPeriod, type OtpAlgorithm, type OtpDigits } from '@fobkit/protocol/otp';
import { StationError } from '../errors.js';

export type SeedMode = 'random' | 'derived';

/** A USB vendor/product id pair (4 hex digits each, as serialport's list() reports them). */
export interface UsbId {
  vendorId: string;
  productId: string;
}

export interface FobProfile {
  algorithm: OtpAlgorithm;
  digits: OtpDigits;
  period: number;
  t0: number;
}

export interface StationConfig {
  /** Base URL of the backend, e.g. http://127.0.0.1:8700. */
  backendUrl: string;
  /** Station-role API key. Never printed. */
  apiKey: string;
  /** Pinned registration public key (base64url X25519); when absent it is pinned on first use. */
  registrationKey?: string;
  /** Key id of the pinned registration key; fetched from the backend when absent. */
  registrationKeyId?: string;
  /** The station key file of `fobkit keys station` (private key + root-signed certificate). */
  stationKey: string;
  /** A separate certificate file, only when the certificate is not in the key file. */
  stationCert?: string;
  /** Optional root-signed revocation list to hand to each fob. */
  revocationList?: string;
  /** Batch name printed on labels and sent with each registration. */
  batch: string;
  profile: FobProfile;
  seedMode: SeedMode;
  /** File holding the 32-byte batch key (hex) for `derived` seeds. */
  batchKeyFile?: string;
  /** The journal (SQLite), one per station. */
  journal: string;
  /** Label output: `.csv` gives CSV, anything else JSON lines. */
  labels: string;
  /** USB ids that `--ports auto` accepts. */
  usb: UsbId[];
  /** Serials reserved from the backend per request. */
  serialBlock: number;
  /** Number of station-chosen times at which a fob's CALCULATE is checked (≥ 3). */
  verifyTimes: number;
  /** How long a port waits for the backend to acknowledge a registration before it gives up on that fob. */
  backendWaitSeconds: number;
  /** Per-request timeout towards the fob. */
  fobTimeoutMs: number;
  /** Journal durability: `full` survives power loss, `normal` survives a killed process. */
  journalSync: 'full' | 'normal';
}

/** fobkit's USB id for the fob (pid.codes test range, until a real one is allocated). */
export const DEFAULT_USB_IDS: readonly UsbId[] = [{ vendorId: '1209', productId: 'f0b1' }];

export const STATION_CONFIG_DEFAULTS = {
  backendUrl: 'http://127.0.0.1:8700',
  batch: 'default',
  profile: { algorithm: DEFAULT_ALGORITHM, digits: DEFAULT_DIGITS, period: DEFAULT_PERIOD, t0: 0 },
  seedMode: 'random',
  journal: 'fobkit-station.db',
  labels: 'labels.jsonl',
  usb: DEFAULT_USB_IDS,
  serialBlock: 20,
  verifyTimes: 3,
  backendWaitSeconds: 300,
  fobTimeoutMs: 2000,
  journalSync: 'full',
} as const;

const MIN_VERIFY_TIMES = 3;

function invalid(field: string, source: string, why: string): StationError {
  return new StationError('CONFIG_INVALID', `config ${field} (from ${source}): ${why}`);
}

/** `source` names where each field came from, for messages. */
export type ConfigSources = Partial<Record<string, string>>;

/**
 * Checks a merged configuration (`offline`: no backend, so no API key is needed).
 * @throws StationError CONFIG_INVALID naming the field and its source.
 */
export function validateStationConfig(c: StationConfig, sources: ConfigSources = {}, options: { offline?: boolean } = {}): StationConfig {
  const src = (f: string): string => sources[f] ?? 'defaults';
  try {
    const u = new URL(c.backendUrl);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw invalid('backendUrl', src('backendUrl'), `'${c.backendUrl}' is not an http(s) URL`);
  }
  // An offline station (`--offline-export`) talks to no backend.
  if (!c.apiKey && !options.offline) throw invalid('apiKey', src('apiKey'), 'missing: give the station API key (FOBKIT_API_KEY or apiKey in the config file)');
  if (!c.stationKey) throw invalid('stationKey', src('stationKey'), 'missing: the station key file made by `fobkit keys station` (FOBKIT_STATION_KEY or stationKey in the config file)');
  if (!c.batch || c.batch.length > 64) throw invalid('batch', src('batch'), 'must be 1 to 64 characters');
  try {
    assertAlgorithm(c.profile.algorithm, 'algorithm');
    assertDigits(c.profile.digits, 'digits');
    assertPeriod(c.profile.period, 'period');
  } catch (e) {
    throw invalid('profile', src('profile'), (e as Error).message);
  }
  if (!Number.isInteger(c.profile.t0) || c.profile.t0 < 0) throw invalid('t0', src('profile'), 'must be a non-negative integer');
  if (c.seedMode !== 'random' && c.seedMode !== 'derived') throw invalid('seedMode', src('seedMode'), `must be random or derived, got '${String(c.seedMode)}'`);
  if (c.seedMode === 'derived' && !c.batchKeyFile) throw invalid('batchKeyFile', src('batchKeyFile'), 'derived seeds need a batch key file');
  if (c.registrationKey !== undefined && !/^[A-Za-z0-9_-]{43}$/.test(c.registrationKey)) {
    throw invalid('registrationKey', src('registrationKey'), 'must be a base64url X25519 public key (43 characters)');
  }
  for (const id of c.usb) {
    if (!/^[0-9a-f]{4}$/.test(id.vendorId) || !/^[0-9a-f]{4}$/.test(id.productId)) {
      throw invalid('usb', src('usb'), `'${id.vendorId}:${id.productId}' is not a vendor:product pair of 4 hex digits each`);
    }
  }
  if (!Number.isInteger(c.serialBlock) || c.serialBlock < 1 || c.serialBlock > 1000) throw invalid('serialBlock', src('serialBlock'), 'must be 1 to 1000');
  if (!Number.isInteger(c.verifyTimes) || c.verifyTimes < MIN_VERIFY_TIMES || c.verifyTimes > 16) throw invalid('verifyTimes', src('verifyTimes'), `must be ${MIN_VERIFY_TIMES} to 16`);
  if (!(c.backendWaitSeconds >= 0) || c.backendWaitSeconds > 86_400) throw invalid('backendWaitSeconds', src('backendWaitSeconds'), 'must be 0 to 86400');
  if (!(c.fobTimeoutMs >= 50) || c.fobTimeoutMs > 60_000) throw invalid('fobTimeoutMs', src('fobTimeoutMs'), 'must be 50 to 60000');
  if (c.journalSync !== 'full' && c.journalSync !== 'normal') throw invalid('journalSync', src('journalSync'), 'must be full or normal');
  return c;
}

/** Parses `1209:f0b1,1209:f0b2` into USB ids (lower-cased). */
export function parseUsbIds(text: string): UsbId[] {
  return text.split(',').map((s) => s.trim()).filter(Boolean).map((pair) => {
    const [vendorId = '', productId = ''] = pair.toLowerCase().replace(/^0x/, '').split(':');
    return { vendorId: vendorId.replace(/^0x/, ''), productId: productId.replace(/^0x/, '') };
  });
}
