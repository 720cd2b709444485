/**
 * The fob's half of the handshake (SPEC.md §Secure session, "Handshake", fob steps F1–F7):
 * adopt a newer revocation list, check the station certificate against the root key, check the
 * station's signature over th, then derive the record keys. Used by the firmware simulator and
 * written so that each step maps to a few lines of C.
 */
import { assertBytes, isBytes } from './_bytes.js';
import { ed25519Verify } from './_curve25519.js';
import { verifyRevocationList, type RevocationList } from './revocationList.js';
import { SecureChannel } from './secureChannel.js';
import { computeTranscriptHash, deriveSessionKeys, x25519SharedSecret } from './sessionKeys.js';
import { verifyStationCertificate, type StationCertificate } from './stationCertificate.js';
import type { BeginSessionFields } from './createStationHandshake.js';

export type AcceptSessionFailureReason =
  | 'malformed' // eph or sig of the wrong size
  | 'bad-crl' // a revocation list that is malformed or not signed by the root
  | 'cert-malformed'
  | 'cert-bad-signature' // the certificate is not signed by this fob's root
  | 'cert-revoked'
  | 'cert-not-yet-valid'
  | 'cert-expired'
  | 'bad-signature' // the transcript is not signed by the certified station key
  | 'bad-key'; // eph is a low-order point

export interface AcceptSessionOptions {
  /** The fob's static X25519 private key. */
  staticPrivateKey: Uint8Array;
  /** The body of the last HELLO request the fob answered, exactly as received. */
  helloRequestBody: Uint8Array;
  /** The body of the fob's answer to it, exactly as sent. */
  helloResponseBody: Uint8Array;
  /** The decoded BEGIN_SESSION request. */
  request: BeginSessionFields;
  /** The factory root public key set at manufacture. */
  rootPublicKey: Uint8Array;
  /** The newest revocation list the fob holds (encoded), if any. */
  revocationList?: Uint8Array;
  /**
   * The time to judge the certificate at, Unix seconds: the fob's clock, never below its time
   * floor; without a valid clock, max(the certificate's nbf, the floor) (SPEC.md "Handshake" F0,
   * "Clock guard"). A fob may instead refuse with CLOCK_INVALID while it is not locked.
   */
  now: number;
}

export type AcceptSessionResult =
  | {
      ok: true;
      sid: Uint8Array;
      certificate: StationCertificate;
      /** Fob→station records. */
      send: SecureChannel;
      /** Station→fob records. */
      receive: SecureChannel;
      /** Present when the station brought a newer list: the fob stores it (even if the session is refused, see below). */
      newRevocationList?: Uint8Array;
    }
  | { ok: false; reason: AcceptSessionFailureReason; certificate?: StationCertificate; newRevocationList?: Uint8Array };

const CERT_REASONS = {
  malformed: 'cert-malformed',
  'bad-signature': 'cert-bad-signature',
  revoked: 'cert-revoked',
  'not-yet-valid': 'cert-not-yet-valid',
  expired: 'cert-expired',
} as const;

/**
 * Runs the fob's checks on a BEGIN_SESSION request. Never throws on a bad request.
 * A newer, validly signed revocation list is returned as `newRevocationList` whatever the
 * outcome, so that a revoked station cannot keep a fob from learning it is revoked.
 * @throws RangeError when the fob's own inputs (keys, HELLO bodies, now) are malformed.
 */
export function acceptSession(options: AcceptSessionOptions): AcceptSessionResult {
  const { staticPrivateKey, helloRequestBody, helloResponseBody, request, rootPublicKey, now } = options;
  assertBytes(staticPrivateKey, 'staticPrivateKey', 32);
  assertBytes(helloRequestBody, 'helloRequestBody');
  assertBytes(helloResponseBody, 'helloResponseBody');
  assertBytes(rootPublicKey, 'rootPublicKey', 32);
  if (typeof now !== 'number' || !Number.isFinite(now)) throw new RangeError('now must be Unix seconds');

  // F1: shape of the request.
  if (!request || !isBytes(request.eph, 32) || !isBytes(request.sig, 64) || !isBytes(request.cert)) return { ok: false, reason: 'malformed' };

  // F2: revocation lists. The stored one was verified when stored, but is checked again: flash can rot.
  let current: RevocationList | undefined;
  if (options.revocationList !== undefined) {
    const stored = verifyRevocationList({ revocationList: options.revocationList, rootPublicKey });
    if (stored.ok) current = stored.revocationList;
  }
  let newRevocationList: Uint8Array | undefined;
  if (request.crl !== undefined) {
    const offered = verifyRevocationList({ revocationList: request.crl, rootPublicKey });
    if (!offered.ok) return { ok: false, reason: 'bad-crl' };
    if (!current || offered.revocationList.seq > current.seq) {
      current = offered.revocationList;
      newRevocationList = Uint8Array.from(request.crl);
    }
  }
  const withList = <T extends object>(r: T): T & { newRevocationList?: Uint8Array } => (newRevocationList ? { ...r, newRevocationList } : r);

  // F3: the certificate, against the root, the list and the clock.
  const checked = verifyStationCertificate({ certificate: request.cert, rootPublicKey, now, revocationList: current });
  if (!checked.ok) {
    const failure = { ok: false as const, reason: CERT_REASONS[checked.reason] };
    return withList(checked.certificate ? { ...failure, certificate: checked.certificate } : failure);
  }
  const certificate = checked.certificate;

  // F4–F5: th and the station's signature over it (strict RFC 8032 verification).
  const th = computeTranscriptHash({ helloRequestBody, helloResponseBody, eph: request.eph, certificate: request.cert });
  if (!ed25519Verify(request.sig, th, certificate.publicKey)) return withList({ ok: false as const, reason: 'bad-signature' as const, certificate });

  // F6: keys.
  const shared = x25519SharedSecret(staticPrivateKey, request.eph);
  if (!shared) return withList({ ok: false as const, reason: 'bad-key' as const, certificate });
  const keys = deriveSessionKeys(shared, th);
  shared.fill(0);
  const send = new SecureChannel({ key: keys.fobToStation, direction: 'send' });
  const receive = new SecureChannel({ key: keys.stationToFob, direction: 'receive' });
  keys.stationToFob.fill(0);
  keys.fobToStation.fill(0);
  return withList({ ok: true as const, sid: keys.sid, certificate, send, receive });
}
