/**
 * Loads what a station needs to open sessions: its key file (private key + certificate) and,
 * when given, the newest revocation list it hands to fobs. Checks that the key matches the
 * certificate here, so a mixed-up file fails on the station with a clear message instead of as
 * an AUTH_FAILED from every fob.
 */
import { constantTimeEqual } from '@fobkit/protocol';
import { decodeStationCertificate, signingPublicKey, type StationCredentials } from '@fobkit/protocol/session';
import { KeyFileError, readKeyFile } from './keyFileStore.js';

export interface LoadedStationCredentials extends StationCredentials {
  id: number;
  name: string;
  notAfter: number;
}

/** @throws KeyFileError when a file is missing, invalid, too open, or the key does not match. */
export async function loadStationCredentials(options: { keyFile: string; revocationListFile?: string }): Promise<LoadedStationCredentials> {
  const station = await readKeyFile(options.keyFile, ['fobkit-station-key']);
  const cert = decodeStationCertificate(station.certificate);
  const derived = signingPublicKey(station.privateKey);
  if (!cert.ok || !constantTimeEqual(cert.certificate.publicKey, derived) || !constantTimeEqual(station.publicKey, derived)) {
    station.privateKey.fill(0);
    throw new KeyFileError('KEY_MISMATCH', `${options.keyFile}: the private key does not match the certificate`, 2);
  }
  const credentials: LoadedStationCredentials = { privateKey: station.privateKey, certificate: station.certificate, id: cert.certificate.id, name: cert.certificate.name, notAfter: cert.certificate.notAfter };
  if (options.revocationListFile) {
    const crl = await readKeyFile(options.revocationListFile, ['fobkit-revocation-list']);
    credentials.revocationList = crl.revocationList;
  }
  return credentials;
}
