/**
 * The station's half of the handshake (SPEC.md §Secure session, "Handshake"): after HELLO,
 * make an ephemeral X25519 key, sign th with the certified station key, and derive the record
 * keys. The fob answers BEGIN_SESSION with a SECURE record `{ sid }`; only the holder of the
 * static key behind HELLO's `pub` can produce it, which is how the station knows it talks to
 * that fob.
 */
import { randomBytes as nobleRandomBytes } from '@noble/hashes/utils.js';
import { ProtocolError } from '../errors.js';
import { assertBytes } from './_bytes.js';
import { ed25519Sign, x25519PublicKey } from './_curve25519.js';
import { SecureChannel } from './secureChannel.js';
import { computeTranscriptHash, deriveSessionKeys, x25519SharedSecret } from './sessionKeys.js';

/** What a station needs to open sessions: its Ed25519 key, its certificate, the newest CRL. */
export interface StationCredentials {
  privateKey: Uint8Array;
  certificate: Uint8Array;
  /** The newest root-signed revocation list, handed to every fob the station touches. */
  revocationList?: Uint8Array;
}

export interface CreateStationHandshakeOptions {
  helloRequestBody: Uint8Array;
  helloResponseBody: Uint8Array;
  /** The fob's static X25519 public key, from the HELLO response (`pub`). */
  fobPublicKey: Uint8Array;
  station: StationCredentials;
  randomBytes?: (n: number) => Uint8Array;
}

/** The BEGIN_SESSION request fields. */
export interface BeginSessionFields {
  eph: Uint8Array;
  cert: Uint8Array;
  sig: Uint8Array;
  crl?: Uint8Array;
}

export interface StationHandshake {
  request: BeginSessionFields;
  /** The sid the fob must return, inside its first record. */
  sid: Uint8Array;
  /** Station→fob records. */
  send: SecureChannel;
  /** Fob→station records. */
  receive: SecureChannel;
}

/**
 * @throws RangeError on a malformed argument; ProtocolError SESSION_FAILED when the fob's
 *   public key is a low-order point (no usable shared secret).
 */
export function createStationHandshake(options: CreateStationHandshakeOptions): StationHandshake {
  const { helloRequestBody, helloResponseBody, fobPublicKey, station, randomBytes = nobleRandomBytes } = options;
  assertBytes(fobPublicKey, 'fobPublicKey', 32);
  assertBytes(station?.privateKey, 'station.privateKey', 32);
  assertBytes(station.certificate, 'station.certificate');
  if (station.revocationList !== undefined) assertBytes(station.revocationList, 'station.revocationList');
  const ephPrivate = randomBytes(32);
  assertBytes(ephPrivate, 'randomBytes(32)', 32);
  const eph = x25519PublicKey(ephPrivate);
  const shared = x25519SharedSecret(ephPrivate, fobPublicKey);
  ephPrivate.fill(0);
  if (!shared) throw new ProtocolError('SESSION_FAILED', 'the fob offered an invalid public key');
  const th = computeTranscriptHash({ helloRequestBody, helloResponseBody, eph, certificate: station.certificate });
  const sig = ed25519Sign(th, station.privateKey);
  const keys = deriveSessionKeys(shared, th);
  shared.fill(0);
  const send = new SecureChannel({ key: keys.stationToFob, direction: 'send' });
  const receive = new SecureChannel({ key: keys.fobToStation, direction: 'receive' });
  keys.stationToFob.fill(0);
  keys.fobToStation.fill(0);
  const request: BeginSessionFields = { eph, cert: station.certificate, sig };
  if (station.revocationList !== undefined) request.crl = station.revocationList;
  return { request, sid: keys.sid, send, receive };
}
