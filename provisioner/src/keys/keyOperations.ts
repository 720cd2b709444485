/**
 * The operations behind `fobkit keys`: create a factory root, issue a station certificate,
 * revoke one, describe a key file. A root directory holds:
 *   root.key.json   the root private key (0600; keep it offline)
 *   root.pub.json   the root public key, what fobs are manufactured with
 *   crl.json        the newest signed revocation list, what stations hand to fobs
 *   stations.json   the registry of issued certificates (allocates ids)
 * A station directory holds station.key.json (0600): its key, id, name and certificate.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createRevocationList,
  decodeRevocationList,
  decodeStationCertificate,
  generateSigningKeyPair,
  issueStationCertificate,
  keyFingerprint,
  type KeyFile,
  type StationRegistryFile,
} from '@fobkit/protocol/session';
import { KeyFileError, readKeyFile, writeKeyFile } from './keyFileStore.js';

export const ROOT_KEY_FILE = 'root.key.json';
export const ROOT_PUBLIC_KEY_FILE = 'root.pub.json';
export const REVOCATION_LIST_FILE = 'crl.json';
export const STATION_REGISTRY_FILE = 'stations.json';
export const STATION_KEY_FILE = 'station.key.json';
/** Certificates start this long before issue, so a fob whose clock is a little slow accepts them. */
export const CLOCK_SKEW_ALLOWANCE_S = 3600;
export const MAX_CERTIFICATE_DAYS = 3660;

type Clock = () => number;
const systemClock: Clock = () => Date.now() / 1000;

async function makeDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new KeyFileError('KEY_FILE_IO', `cannot create ${dir}: ${(e as { code?: string }).code ?? String(e)}`, 3, { cause: e });
  }
}

export interface CreateRootResult {
  fingerprint: string;
  publicKey: Uint8Array;
  files: { privateKey: string; publicKey: string; revocationList: string; registry: string };
}

/** Creates a factory root in `dir` (refuses if one is there), with an empty revocation list (seq 0). */
export async function createRoot(options: { dir: string; clock?: Clock; randomBytes?: (n: number) => Uint8Array }): Promise<CreateRootResult> {
  const now = Math.floor((options.clock ?? systemClock)());
  await makeDir(options.dir);
  const root = generateSigningKeyPair(options.randomBytes);
  const fingerprint = keyFingerprint(root.publicKey);
  const files = {
    privateKey: join(options.dir, ROOT_KEY_FILE),
    publicKey: join(options.dir, ROOT_PUBLIC_KEY_FILE),
    revocationList: join(options.dir, REVOCATION_LIST_FILE),
    registry: join(options.dir, STATION_REGISTRY_FILE),
  };
  try {
    await writeKeyFile(files.privateKey, { type: 'fobkit-root-key', publicKey: root.publicKey, privateKey: root.privateKey, fingerprint, createdAt: new Date(now * 1000).toISOString() });
    await writeKeyFile(files.publicKey, { type: 'fobkit-root-public-key', publicKey: root.publicKey, fingerprint });
    const crl = createRevocationList({ rootPrivateKey: root.privateKey, seq: 0, ids: [], issuedAt: now });
    await writeKeyFile(files.revocationList, { type: 'fobkit-revocation-list', seq: 0, ids: [], issuedAt: now, revocationList: crl });
    await writeKeyFile(files.registry, { type: 'fobkit-station-registry', nextId: 1, stations: [] });
  } finally {
    root.privateKey.fill(0);
  }
  return { fingerprint, publicKey: root.publicKey, files };
}

async function readRoot(rootDir: string) {
  const root = await readKeyFile(join(rootDir, ROOT_KEY_FILE), ['fobkit-root-key']);
  const registryPath = join(rootDir, STATION_REGISTRY_FILE);
  const registry = await readKeyFile(registryPath, ['fobkit-station-registry']);
  return { root, registry, registryPath };
}

export interface IssueStationResult {
  id: number;
  name: string;
  notBefore: number;
  notAfter: number;
  fingerprint: string;
  rootFingerprint: string;
  file: string;
}

/** Issues a station key and certificate valid for `days` days into `outDir`/station.key.json. */
export async function issueStation(options: { rootDir: string; name: string; days: number; outDir: string; clock?: Clock; randomBytes?: (n: number) => Uint8Array }): Promise<IssueStationResult> {
  const { rootDir, name, days, outDir } = options;
  if (!Number.isInteger(days) || days < 1 || days > MAX_CERTIFICATE_DAYS) throw new RangeError(`days must be a whole number in 1..${MAX_CERTIFICATE_DAYS}`);
  const now = Math.floor((options.clock ?? systemClock)());
  const { root, registry, registryPath } = await readRoot(rootDir);
  try {
    const id = registry.nextId;
    const station = generateSigningKeyPair(options.randomBytes);
    const notBefore = now - CLOCK_SKEW_ALLOWANCE_S;
    const notAfter = now + days * 86_400;
    const certificate = issueStationCertificate({ rootPrivateKey: root.privateKey, id, name, stationPublicKey: station.publicKey, notBefore, notAfter });
    await makeDir(outDir);
    const file = join(outDir, STATION_KEY_FILE);
    try {
      await writeKeyFile(file, { type: 'fobkit-station-key', id, name, publicKey: station.publicKey, privateKey: station.privateKey, certificate, notBefore, notAfter, rootFingerprint: root.fingerprint });
    } finally {
      station.privateKey.fill(0);
    }
    const next: StationRegistryFile = { ...registry, nextId: id + 1, stations: [...registry.stations, { id, name, publicKey: station.publicKey, notBefore, notAfter, issuedAt: now }] };
    await writeKeyFile(registryPath, next, { replace: true });
    return { id, name, notBefore, notAfter, fingerprint: keyFingerprint(station.publicKey), rootFingerprint: root.fingerprint, file };
  } finally {
    root.privateKey.fill(0);
  }
}

export interface RevokeStationResult {
  id: number;
  seq: number;
  ids: number[];
  /** False when the id was already on the list (nothing changed). */
  changed: boolean;
  file: string;
}

/** Revokes station certificate `id`: writes a new revocation list with seq + 1. */
export async function revokeStation(options: { rootDir: string; id: number; clock?: Clock }): Promise<RevokeStationResult> {
  const { rootDir, id } = options;
  const now = Math.floor((options.clock ?? systemClock)());
  const { root, registry, registryPath } = await readRoot(rootDir);
  try {
    const entry = registry.stations.find((s) => s.id === id);
    if (!entry) throw new KeyFileError('KEY_FILE_INVALID', `no station certificate with id ${id} was issued by this root`, 2);
    const crlPath = join(rootDir, REVOCATION_LIST_FILE);
    const current = await readKeyFile(crlPath, ['fobkit-revocation-list']);
    if (current.ids.includes(id)) return { id, seq: current.seq, ids: current.ids, changed: false, file: crlPath };
    const seq = current.seq + 1;
    const ids = [...current.ids, id].sort((a, b) => a - b);
    const crl = createRevocationList({ rootPrivateKey: root.privateKey, seq, ids, issuedAt: now });
    await writeKeyFile(crlPath, { type: 'fobkit-revocation-list', seq, ids, issuedAt: now, revocationList: crl }, { replace: true });
    const stations = registry.stations.map((s) => (s.id === id ? { ...s, revokedAt: now } : s));
    await writeKeyFile(registryPath, { ...registry, stations }, { replace: true });
    return { id, seq, ids, changed: true, file: crlPath };
  } finally {
    root.privateKey.fill(0);
  }
}

/** What `keys show` prints: everything public about a key file, never a private key. */
export function describeKeyFile(file: KeyFile): Record<string, unknown> {
  switch (file.type) {
    case 'fobkit-root-key':
      return { type: file.type, fingerprint: file.fingerprint, publicKey: Buffer.from(file.publicKey).toString('base64url'), createdAt: file.createdAt, privateKey: '(present, not shown)' };
    case 'fobkit-root-public-key':
      return { type: file.type, fingerprint: file.fingerprint, publicKey: Buffer.from(file.publicKey).toString('base64url') };
    case 'fobkit-station-key': {
      const cert = decodeStationCertificate(file.certificate);
      return {
        type: file.type,
        id: file.id,
        name: file.name,
        fingerprint: keyFingerprint(file.publicKey),
        notBefore: new Date(file.notBefore * 1000).toISOString(),
        notAfter: new Date(file.notAfter * 1000).toISOString(),
        rootFingerprint: file.rootFingerprint,
        certificate: cert.ok ? 'well-formed' : 'MALFORMED',
        privateKey: '(present, not shown)',
      };
    }
    case 'fobkit-revocation-list': {
      const decoded = decodeRevocationList(file.revocationList);
      return { type: file.type, seq: file.seq, ids: file.ids, issuedAt: new Date(file.issuedAt * 1000).toISOString(), signedList: decoded.ok ? 'well-formed' : 'MALFORMED' };
    }
    case 'fobkit-station-registry':
      return {
        type: file.type,
        nextId: file.nextId,
        stations: file.stations.map((s) => ({ id: s.id, name: s.name, fingerprint: keyFingerprint(s.publicKey), notAfter: new Date(s.notAfter * 1000).toISOString(), revoked: s.revokedAt !== undefined })),
      };
  }
}

/** Zeroes the private key a parsed file holds, if any. */
export function wipeKeyFile(file: KeyFile): void {
  if (file.type === 'fobkit-root-key' || file.type === 'fobkit-station-key') file.privateKey.fill(0);
}
