/**
 * The CBOR profile of certificates and revocation lists: definite-length maps and arrays with
 * text keys, byte strings untagged (cbor-x would otherwise tag Uint8Array with tag 64), no
 * cbor-x record extension. A C decoder with a plain RFC 8949 parser reads what this writes.
 */
import { Encoder } from 'cbor-x';

const codec = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false, variableMapSize: true });

export function encodeCbor(value: unknown): Uint8Array {
  // A copy: cbor-x hands out views of its reusable buffer.
  return Uint8Array.from(codec.encode(value));
}

/** Decodes one CBOR item that fills `bytes` exactly; undefined on any error (never throws). */
export function decodeCbor(bytes: Uint8Array): unknown {
  try {
    // On a copy: cbor-x caches a `dataView` property on the buffer it reads.
    return codec.decode(Uint8Array.from(bytes));
  } catch {
    return undefined;
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}
