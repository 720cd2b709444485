/**
 * Loads what a station needs to open sessions: its key file (`fobkit keys station`: Ed25519
 * private key + root-signed certificate), an optional separate certificate, and the newest
 * revocation list it hands to fobs. A private key file that others can read is refused, as ssh
 * does, and the key is checked against its certificate here, so a mixed-up file fails on the
 * station with one clear line instead of as an AUTH_FAILED from every fob.
 */
import { readFileSync, statSync } from 'node:fs';
import { constantTimeEqual } from '@fobkit/protocol';
import { decodeStationCertificate, parseKeyFile, signingPublicKey, type StationCredentials } from '@fobkit/protocol/session';
import { StationError } from '../errors.js';

export interface LoadedStationCredentials extends StationCredentials {
  stationId: number;
  stationName: string;
  notAfter: number;
}

export interface LoadStationCredentialsOptions {
  /** The station key file. */
  stationKey: string;
  /** A separate certificate (a key file or base64url), only when the key file's is not the one to use. */
  stationCert?: string;
  /** A `fobkit-revocation-list` file. */
  revocationList?: string;
}

function read(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw new StationError('CONFIG_INVALID', `cannot read the ${what} ${path}: ${(cause as Error).message}`, { cause });
  }
}

function parse(path: string, what: string): ReturnType<typeof parseKeyFile> {
  try {
    return parseKeyFile(read(path, what));
  } catch (cause) {
    if (cause instanceof StationError) throw cause;
    throw new StationError('CONFIG_INVALID', `${path}: ${(cause as Error).message}`, { cause });
  }
}

/** @throws StationError CONFIG_INVALID naming the file and the problem (never a key). */
export function loadStationCredentials(options: LoadStationCredentialsOptions): LoadedStationCredentials {
  const { stationKey } = options;
  let mode: number;
  try {
    mode = statSync(stationKey).mode;
  } catch (cause) {
    throw new StationError('CONFIG_INVALID', `cannot read the station key file ${stationKey}: ${(cause as Error).message}`, { cause });
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new StationError('CONFIG_INVALID', `the station key file ${stationKey} is readable by others (mode ${(mode & 0o777).toString(8)}): chmod 600 it`);
  }
  const file = parse(stationKey, 'station key file');
  if (file.type !== 'fobkit-station-key') throw new StationError('CONFIG_INVALID', `${stationKey} is a ${file.type} file, not a station key (fobkit keys station)`);
  let certificate = file.certificate;
  if (options.stationCert && options.stationCert !== stationKey) {
    const text = read(options.stationCert, 'station certificate file').trim();
    try {
      const c = parseKeyFile(text);
      if (c.type !== 'fobkit-station-key') throw new Error(`${c.type} is not a station certificate`);
      certificate = c.certificate;
    } catch {
      certificate = new Uint8Array(Buffer.from(text, 'base64url'));
    }
  }
  const cert = decodeStationCertificate(certificate);
  const derived = signingPublicKey(file.privateKey);
  if (!cert.ok || !constantTimeEqual(cert.certificate.publicKey, derived) || !constantTimeEqual(file.publicKey, derived)) {
    file.privateKey.fill(0);
    throw new StationError('CONFIG_INVALID', `${options.stationCert ?? stationKey}: the station's private key does not match the certificate`);
  }
  let revocationList: Uint8Array | undefined;
  if (options.revocationList) {
    const r = parse(options.revocationList, 'revocation list');
    if (r.type !== 'fobkit-revocation-list') {
      file.privateKey.fill(0);
      throw new StationError('CONFIG_INVALID', `${options.revocationList} is not a revocation list: it is a ${r.type} file`);
    }
    revocationList = r.revocationList;
  }
  return { privateKey: file.privateKey, certificate, revocationList, stationId: cert.certificate.id, stationName: cert.certificate.name, notAfter: cert.certificate.notAfter };
}
