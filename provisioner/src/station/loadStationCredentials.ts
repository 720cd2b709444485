/**
 * Reads the station's key file (`fobkit keys station`: Ed25519 private key + root-signed
 * certificate) and the optional revocation list. A private key file that others can read is
 * refused, as ssh does.
 */
import { readFileSync, statSync } from 'node:fs';
import { parseKeyFile, type StationCredentials } from '@fobkit/protocol/session';
import { StationError } from '../errors.js';

export interface LoadedStationCredentials extends StationCredentials {
  stationId: number;
  stationName: string;
  notAfter: number;
}

function read(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw new StationError('CONFIG_INVALID', `cannot read the ${what} ${path}: ${(cause as Error).message}`, { cause });
  }
}

/** @throws StationError CONFIG_INVALID naming the file and the problem (never a key). */
export function loadStationCredentials(options: { stationKey: string; stationCert?: string; revocationList?: string }): LoadedStationCredentials {
  const mode = (() => {
    try {
      return statSync(options.stationKey).mode;
    } catch (cause) {
      throw new StationError('CONFIG_INVALID', `cannot read the station key file ${options.stationKey}: ${(cause as Error).message}`, { cause });
    }
  })();
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new StationError('CONFIG_INVALID', `the station key file ${options.stationKey} is readable by others (mode ${(mode & 0o777).toString(8)}): chmod 600 it`);
  }
  let file;
  try {
    file = parseKeyFile(read(options.stationKey, 'station key file'));
  } catch (cause) {
    if (cause instanceof StationError) throw cause;
    throw new StationError('CONFIG_INVALID', `${options.stationKey}: ${(cause as Error).message}`, { cause });
  }
  if (file.type !== 'fobkit-station-key') throw new StationError('CONFIG_INVALID', `${options.stationKey} is a ${file.type} file, not a station key (fobkit keys station)`);
  let certificate = file.certificate;
  if (options.stationCert && options.stationCert !== options.stationKey) {
    const text = read(options.stationCert, 'station certificate file').trim();
    try {
      const c = parseKeyFile(text);
      if (c.type !== 'fobkit-station-key') throw new Error(`${c.type} is not a station certificate`);
      certificate = c.certificate;
    } catch {
      certificate = new Uint8Array(Buffer.from(text, 'base64url'));
    }
  }
  let revocationList: Uint8Array | undefined;
  if (options.revocationList) {
    try {
      const r = parseKeyFile(read(options.revocationList, 'revocation list'));
      if (r.type !== 'fobkit-revocation-list') throw new Error(`it is a ${r.type} file`);
      revocationList = r.revocationList;
    } catch (cause) {
      if (cause instanceof StationError) throw cause;
      throw new StationError('CONFIG_INVALID', `${options.revocationList} is not a revocation list: ${(cause as Error).message}`, { cause });
    }
  }
  return { privateKey: file.privateKey, certificate, revocationList, stationId: file.id, stationName: file.name, notAfter: file.notAfter };
}
