/**
 * The JSON key files of `fobkit keys` (SPEC.md §Secure session, "Key files"): one JSON object
 * with a `type`, `version: 1` and base64url (RFC 4648 §5, unpadded) binary fields. Parsing is
 * strict about what it uses and ignores other keys. Only the codec lives here; reading and
 * writing files (with 0600 permissions) is the provisioner's job, so the firmware simulator can
 * read a root public key or a revocation list without the station's code.
 */
import { ProtocolError } from '../errors.js';
import { fromBase64Url, isUint, toBase64Url } from './_bytes.js';
import { MAX_STATION_ID } from './stationCertificate.js';

export interface RootKeyFile {
  type: 'fobkit-root-key';
  publicKey: Uint8Array;
  privateKey: Uint8Array;
  fingerprint: string;
  createdAt: string;
}
export interface RootPublicKeyFile {
  type: 'fobkit-root-public-key';
  publicKey: Uint8Array;
  fingerprint: string;
}
export interface StationKeyFile {
  type: 'fobkit-station-key';
  id: number;
  name: string;
  publicKey: Uint8Array;
  privateKey: Uint8Array;
  certificate: Uint8Array;
  notBefore: number;
  notAfter: number;
  rootFingerprint: string;
}
export interface RevocationListFile {
  type: 'fobkit-revocation-list';
  seq: number;
  ids: number[];
  issuedAt: number;
  revocationList: Uint8Array;
}
export interface StationRegistryEntry {
  id: number;
  name: string;
  publicKey: Uint8Array;
  notBefore: number;
  notAfter: number;
  issuedAt: number;
  revokedAt?: number;
}
/** The root's record of what it issued; allocates station ids. */
export interface StationRegistryFile {
  type: 'fobkit-station-registry';
  nextId: number;
  stations: StationRegistryEntry[];
}

export type KeyFile = RootKeyFile | RootPublicKeyFile | StationKeyFile | RevocationListFile | StationRegistryFile;
export type KeyFileType = KeyFile['type'];
/** Files holding a private key: written 0600, refused when others can read them. */
export const PRIVATE_KEY_FILE_TYPES: readonly KeyFileType[] = ['fobkit-root-key', 'fobkit-station-key'];


function toJsonValue(value: unknown): unknown {
  if (value instanceof Uint8Array) return toBase64Url(value);
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonValue(v)]));
  return value;
}

/** Pretty JSON text of a key file (binary fields base64url), ending with a newline. */
export function encodeKeyFile(file: KeyFile): string {
  const { type, ...rest } = file;
  return JSON.stringify({ type, version: 1, ...(toJsonValue(rest) as object) }, null, 2) + '\n';
}

function fail(what: string): never {
  throw new ProtocolError('INVALID_ENCODING', `not a valid fobkit key file: ${what}`);
}

function bin(o: Record<string, unknown>, field: string, length?: number): Uint8Array {
  const b = fromBase64Url(o[field]);
  if (!b || (length !== undefined && b.length !== length)) fail(`${field} must be base64url${length ? ` of ${length} bytes` : ''}`);
  return b;
}
function uint(o: Record<string, unknown>, field: string, max?: number): number {
  const v = o[field];
  if (!isUint(v, max)) fail(`${field} must be a non-negative integer`);
  return v;
}
function str(o: Record<string, unknown>, field: string): string {
  const v = o[field];
  if (typeof v !== 'string' || v.length === 0) fail(`${field} must be a non-empty string`);
  return v;
}

/**
 * Parses key file text.
 * @throws ProtocolError INVALID_ENCODING naming the first bad field (never quoting a key).
 */
export function parseKeyFile(text: string): KeyFile {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    fail('not JSON');
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) fail('not a JSON object');
  const r = o as Record<string, unknown>;
  if (r.version !== 1) fail(`version ${JSON.stringify(r.version)} is not supported`);
  switch (r.type) {
    case 'fobkit-root-key':
      return { type: r.type, publicKey: bin(r, 'publicKey', 32), privateKey: bin(r, 'privateKey', 32), fingerprint: str(r, 'fingerprint'), createdAt: str(r, 'createdAt') };
    case 'fobkit-root-public-key':
      return { type: r.type, publicKey: bin(r, 'publicKey', 32), fingerprint: str(r, 'fingerprint') };
    case 'fobkit-station-key':
      return {
        type: r.type,
        id: uint(r, 'id', MAX_STATION_ID),
        name: str(r, 'name'),
        publicKey: bin(r, 'publicKey', 32),
        privateKey: bin(r, 'privateKey', 32),
        certificate: bin(r, 'certificate'),
        notBefore: uint(r, 'notBefore'),
        notAfter: uint(r, 'notAfter'),
        rootFingerprint: str(r, 'rootFingerprint'),
      };
    case 'fobkit-revocation-list': {
      const ids = r.ids;
      if (!Array.isArray(ids) || !ids.every((id) => isUint(id, MAX_STATION_ID))) fail('ids must be a list of station ids');
      return { type: r.type, seq: uint(r, 'seq'), ids: ids as number[], issuedAt: uint(r, 'issuedAt'), revocationList: bin(r, 'revocationList') };
    }
    case 'fobkit-station-registry': {
      if (!Array.isArray(r.stations)) fail('stations must be a list');
      const stations = r.stations.map((s: unknown): StationRegistryEntry => {
        if (typeof s !== 'object' || s === null) fail('stations entries must be objects');
        const e = s as Record<string, unknown>;
        const entry: StationRegistryEntry = { id: uint(e, 'id'), name: str(e, 'name'), publicKey: bin(e, 'publicKey', 32), notBefore: uint(e, 'notBefore'), notAfter: uint(e, 'notAfter'), issuedAt: uint(e, 'issuedAt') };
        if (e.revokedAt !== undefined) entry.revokedAt = uint(e, 'revokedAt');
        return entry;
      });
      return { type: r.type, nextId: uint(r, 'nextId', MAX_STATION_ID), stations };
    }
    default:
      fail(`unknown type ${JSON.stringify(r.type)}`);
  }
}

/** True for the key file types that hold a private key. */
export function isPrivateKeyFile(file: KeyFile): file is RootKeyFile | StationKeyFile {
  return PRIVATE_KEY_FILE_TYPES.includes(file.type);
}

