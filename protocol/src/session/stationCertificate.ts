/**
 * Station certificates (SPEC.md §Secure session, "Certificates"): the factory root vouches that
 * a station key may change fobs, between two instants. Encoding: CBOR `[tbs, sig]`,
 * tbs = CBOR `{ v: 1, id: uint32, name: tstr, pub: bstr32 (Ed25519), nbf: uint, exp: uint }`,
 * sig = Ed25519 by the root over "fobkit/station-cert/v1" || 0x00 || tbs.
 */
import { assertBytes, isBytes, isUint } from './_bytes.js';
import { encodeSignedObject, openSignedObject } from './_signedObject.js';
import type { RevocationList } from './revocationList.js';

export const CERTIFICATE_LABEL = 'fobkit/station-cert/v1';
export const CERTIFICATE_VERSION = 1;
/** Both ends reject larger certificates; a maximal one (64-byte name) is about 210 bytes. */
export const MAX_CERTIFICATE_BYTES = 256;
export const MAX_STATION_NAME_BYTES = 64;
export const MAX_STATION_ID = 0xffff_ffff;

export interface StationCertificate {
  v: 1;
  /** Issued by the root's registry, 1..2^32-1; what a revocation list names. */
  id: number;
  name: string;
  /** The station's Ed25519 public key. */
  publicKey: Uint8Array;
  /** Valid from (Unix seconds, inclusive). */
  notBefore: number;
  /** Valid until (Unix seconds, exclusive). */
  notAfter: number;
}

export interface IssueStationCertificateOptions {
  rootPrivateKey: Uint8Array;
  id: number;
  name: string;
  stationPublicKey: Uint8Array;
  notBefore: number;
  notAfter: number;
}

function nameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'must be a non-empty string';
  if (new TextEncoder().encode(name).length > MAX_STATION_NAME_BYTES) return `must be at most ${MAX_STATION_NAME_BYTES} bytes of UTF-8`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'must not contain control characters';
  return undefined;
}

/**
 * Signs a station certificate with the root key.
 * @throws TypeError/RangeError on a bad argument (the message names the field).
 */
export function issueStationCertificate(options: IssueStationCertificateOptions): Uint8Array {
  const { rootPrivateKey, id, name, stationPublicKey, notBefore, notAfter } = options;
  assertBytes(rootPrivateKey, 'rootPrivateKey', 32);
  assertBytes(stationPublicKey, 'stationPublicKey', 32);
  if (!isUint(id, MAX_STATION_ID) || id === 0) throw new RangeError('id must be an integer in 1..4294967295');
  const problem = nameProblem(name);
  if (problem) throw new RangeError(`name ${problem}`);
  if (!isUint(notBefore)) throw new RangeError('notBefore must be whole Unix seconds');
  if (!isUint(notAfter) || notAfter <= notBefore) throw new RangeError('notAfter must be whole Unix seconds after notBefore');
  return encodeSignedObject(CERTIFICATE_LABEL, { v: CERTIFICATE_VERSION, id, name, pub: stationPublicKey, nbf: notBefore, exp: notAfter }, rootPrivateKey);
}

function certificateFromFields(f: Record<string, unknown>): StationCertificate | undefined {
  if (f.v !== CERTIFICATE_VERSION) return undefined;
  if (!isUint(f.id, MAX_STATION_ID) || f.id === 0) return undefined;
  if (nameProblem(f.name) !== undefined) return undefined;
  if (!isBytes(f.pub, 32)) return undefined;
  if (!isUint(f.nbf) || !isUint(f.exp) || f.exp <= f.nbf) return undefined;
  return { v: 1, id: f.id, name: f.name as string, publicKey: new Uint8Array(f.pub), notBefore: f.nbf, notAfter: f.exp };
}

/** Reads a certificate without checking its signature (for display: `fobkit keys show`). */
export function decodeStationCertificate(bytes: Uint8Array): { ok: true; certificate: StationCertificate } | { ok: false; reason: 'malformed' } {
  const opened = openSignedObject(bytes, CERTIFICATE_LABEL, MAX_CERTIFICATE_BYTES);
  const certificate = opened.ok ? certificateFromFields(opened.fields) : undefined;
  return certificate ? { ok: true, certificate } : { ok: false, reason: 'malformed' };
}

export type CertificateFailureReason = 'malformed' | 'bad-signature' | 'revoked' | 'not-yet-valid' | 'expired';

export type VerifyStationCertificateResult =
  | { ok: true; certificate: StationCertificate }
  | { ok: false; reason: CertificateFailureReason; certificate?: StationCertificate };

export interface VerifyStationCertificateOptions {
  certificate: Uint8Array;
  rootPublicKey: Uint8Array;
  /** Unix seconds. */
  now: number;
  /** A list already verified with {@link verifyRevocationList}; none means nothing is revoked. */
  revocationList?: RevocationList;
}

/**
 * Checks, in this order: structure, the root's signature, revocation, validity period.
 * Never throws on a bad certificate; the result says why it was refused.
 * @throws RangeError when `rootPublicKey` is not 32 bytes or `now` is not a number.
 */
export function verifyStationCertificate(options: VerifyStationCertificateOptions): VerifyStationCertificateResult {
  const { certificate: bytes, rootPublicKey, now, revocationList } = options;
  assertBytes(rootPublicKey, 'rootPublicKey', 32);
  if (typeof now !== 'number' || !Number.isFinite(now)) throw new RangeError('now must be Unix seconds');
  const opened = openSignedObject(bytes, CERTIFICATE_LABEL, MAX_CERTIFICATE_BYTES, rootPublicKey);
  if (!opened.ok) {
    const decoded = opened.reason === 'bad-signature' ? decodeStationCertificate(bytes) : undefined;
    return decoded?.ok ? { ok: false, reason: 'bad-signature', certificate: decoded.certificate } : { ok: false, reason: opened.reason };
  }
  const certificate = certificateFromFields(opened.fields);
  if (!certificate) return { ok: false, reason: 'malformed' };
  if (revocationList?.ids.includes(certificate.id)) return { ok: false, reason: 'revoked', certificate };
  if (now < certificate.notBefore) return { ok: false, reason: 'not-yet-valid', certificate };
  if (now >= certificate.notAfter) return { ok: false, reason: 'expired', certificate };
  return { ok: true, certificate };
}
