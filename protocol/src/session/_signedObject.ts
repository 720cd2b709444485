/**
 * Root-signed objects (station certificates, revocation lists): CBOR `[tbs: bstr, sig: bstr64]`
 * where `tbs` is the CBOR encoding of the signed map and `sig` is Ed25519 (RFC 8032, strict
 * verification: no ZIP-215 leniency, so a C verifier such as Monocypher agrees bit for bit)
 * over `label || 0x00 || tbs`. The label keeps a signature made for one kind of object from
 * being valid for another.
 */
import { concatBytes, isBytes, utf8 } from './_bytes.js';
import { ed25519Sign, ed25519Verify } from './_curve25519.js';
import { decodeCbor, encodeCbor, isPlainObject } from './_cbor.js';

export function signedMessage(label: string, tbs: Uint8Array): Uint8Array {
  return concatBytes(utf8(label), new Uint8Array([0]), tbs);
}

export function encodeSignedObject(label: string, fields: Record<string, unknown>, privateKey: Uint8Array): Uint8Array {
  const tbs = encodeCbor(fields);
  const sig = ed25519Sign(signedMessage(label, tbs), privateKey);
  return encodeCbor([tbs, sig]);
}

export type OpenSignedResult =
  | { ok: true; fields: Record<string, unknown>; tbs: Uint8Array; signature: Uint8Array }
  | { ok: false; reason: 'malformed' | 'bad-signature' };

/** Splits and checks the outer structure; `verifyWith` (a root public key) checks the signature. */
export function openSignedObject(bytes: unknown, label: string, maxBytes: number, verifyWith?: Uint8Array): OpenSignedResult {
  if (!isBytes(bytes) || bytes.length > maxBytes) return { ok: false, reason: 'malformed' };
  const outer = decodeCbor(bytes);
  if (!Array.isArray(outer) || outer.length !== 2 || !isBytes(outer[0]) || !isBytes(outer[1], 64)) return { ok: false, reason: 'malformed' };
  const tbs = new Uint8Array(outer[0]);
  const signature = new Uint8Array(outer[1]);
  const fields = decodeCbor(tbs);
  if (!isPlainObject(fields)) return { ok: false, reason: 'malformed' };
  if (verifyWith !== undefined) {
    if (!ed25519Verify(signature, signedMessage(label, tbs), verifyWith)) return { ok: false, reason: 'bad-signature' };
  }
  return { ok: true, fields, tbs, signature };
}
