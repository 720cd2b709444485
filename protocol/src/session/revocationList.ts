/**
 * Revocation lists (SPEC.md §Secure session, "Revocation lists"): the root names station
 * certificate ids that fobs must refuse. Encoding: CBOR `[tbs, sig]`,
 * tbs = CBOR `{ v: 1, seq: uint, ids: [uint32], iat: uint }`, sig = Ed25519 by the root over
 * "fobkit/crl/v1" || 0x00 || tbs. A fob keeps the list with the highest `seq` it has verified;
 * stations hand it the newest in BEGIN_SESSION, so the list travels to fobs as they are touched.
 */
import { assertBytes, isUint } from './_bytes.js';
import { encodeSignedObject, openSignedObject } from './_signedObject.js';
import { MAX_STATION_ID } from './stationCertificate.js';

export const REVOCATION_LIST_LABEL = 'fobkit/crl/v1';
/** Bounded so that the list fits in a BEGIN_SESSION frame beside a certificate. */
export const MAX_REVOKED_IDS = 64;
export const MAX_REVOCATION_LIST_BYTES = 512;

export interface RevocationList {
  /** Increases by one with every list the root issues; a fob never goes back to a lower one. */
  seq: number;
  /** Revoked station certificate ids, ascending, unique. */
  ids: number[];
  /** Issued at (Unix seconds). */
  issuedAt: number;
}

export interface CreateRevocationListOptions {
  rootPrivateKey: Uint8Array;
  seq: number;
  ids: readonly number[];
  issuedAt: number;
}

/**
 * Signs a revocation list (ids are sorted and deduplicated).
 * @throws RangeError on a bad field or more than {@link MAX_REVOKED_IDS} ids.
 */
export function createRevocationList(options: CreateRevocationListOptions): Uint8Array {
  const { rootPrivateKey, seq, issuedAt } = options;
  assertBytes(rootPrivateKey, 'rootPrivateKey', 32);
  if (!isUint(seq, MAX_STATION_ID)) throw new RangeError('seq must be an integer in 0..4294967295');
  if (!isUint(issuedAt)) throw new RangeError('issuedAt must be whole Unix seconds');
  for (const id of options.ids) if (!isUint(id, MAX_STATION_ID) || id === 0) throw new RangeError(`revoked id ${String(id)} is not in 1..4294967295`);
  const ids = [...new Set(options.ids)].sort((a, b) => a - b);
  if (ids.length > MAX_REVOKED_IDS) throw new RangeError(`a revocation list holds at most ${MAX_REVOKED_IDS} ids; rotate the root or shorten certificate lifetimes`);
  return encodeSignedObject(REVOCATION_LIST_LABEL, { v: 1, seq, ids, iat: issuedAt }, rootPrivateKey);
}

function listFromFields(f: Record<string, unknown>): RevocationList | undefined {
  if (f.v !== 1 || !isUint(f.seq, MAX_STATION_ID) || !isUint(f.iat) || !Array.isArray(f.ids) || f.ids.length > MAX_REVOKED_IDS) return undefined;
  const ids: number[] = [];
  for (const id of f.ids) {
    if (!isUint(id, MAX_STATION_ID) || id === 0) return undefined;
    ids.push(id);
  }
  return { seq: f.seq, ids, issuedAt: f.iat };
}

export type VerifyRevocationListResult = { ok: true; revocationList: RevocationList } | { ok: false; reason: 'malformed' | 'bad-signature' };

/**
 * Checks a list's structure and the root's signature. Never throws on bad input.
 * @throws RangeError when `rootPublicKey` is not 32 bytes.
 */
export function verifyRevocationList(options: { revocationList: Uint8Array; rootPublicKey: Uint8Array }): VerifyRevocationListResult {
  assertBytes(options.rootPublicKey, 'rootPublicKey', 32);
  const opened = openSignedObject(options.revocationList, REVOCATION_LIST_LABEL, MAX_REVOCATION_LIST_BYTES, options.rootPublicKey);
  if (!opened.ok) return opened;
  const revocationList = listFromFields(opened.fields);
  return revocationList ? { ok: true, revocationList } : { ok: false, reason: 'malformed' };
}

/** Reads a list without checking its signature (for display). */
export function decodeRevocationList(bytes: Uint8Array): { ok: true; revocationList: RevocationList } | { ok: false; reason: 'malformed' } {
  const opened = openSignedObject(bytes, REVOCATION_LIST_LABEL, MAX_REVOCATION_LIST_BYTES);
  const revocationList = opened.ok ? listFromFields(opened.fields) : undefined;
  return revocationList ? { ok: true, revocationList } : { ok: false, reason: 'malformed' };
}
