/**
 * Keys for tests: a factory root, a station certified by it, and a rogue station certified by
 * another root (an unauthorised station). Not part of the public API.
 */
import { createRevocationList, generateSigningKeyPair, issueStationCertificate, type StationCredentials } from '@fobkit/protocol/session';

export interface TestFactory {
  rootPublicKey: Uint8Array;
  rootPrivateKey: Uint8Array;
  station: StationCredentials;
  /** Certified by a different root: every fob must refuse it. */
  rogue: StationCredentials;
  /** A root-signed revocation list; `station` has id 1. */
  revocationList(seq: number, ids: number[]): Uint8Array;
}

export function createTestFactory(now: number): TestFactory {
  const root = generateSigningKeyPair();
  const otherRoot = generateSigningKeyPair();
  const stationKey = generateSigningKeyPair();
  const rogueKey = generateSigningKeyPair();
  const nbf = Math.floor(now) - 86_400;
  const exp = Math.floor(now) + 10 * 365 * 86_400;
  return {
    rootPublicKey: root.publicKey,
    rootPrivateKey: root.privateKey,
    station: {
      privateKey: stationKey.privateKey,
      certificate: issueStationCertificate({ rootPrivateKey: root.privateKey, id: 1, name: 'test-station', stationPublicKey: stationKey.publicKey, notBefore: nbf, notAfter: exp }),
    },
    rogue: {
      privateKey: rogueKey.privateKey,
      certificate: issueStationCertificate({ rootPrivateKey: otherRoot.privateKey, id: 1, name: 'rogue', stationPublicKey: rogueKey.publicKey, notBefore: nbf, notAfter: exp }),
    },
    revocationList: (seq, ids) => createRevocationList({ rootPrivateKey: root.privateKey, seq, ids, issuedAt: Math.floor(now) }),
  };
}
