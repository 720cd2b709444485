/**
 * Encoding and decoding of message bodies (SPEC.md "Messages"): one CBOR map per body, text
 * keys, definite lengths, keys in RFC 8949 section 4.2.1 order, integers in their shortest form,
 * fractional numbers as float64, byte strings untagged. Decoders accept any key order, ignore
 * unknown keys and treat `null` like an absent optional field; anything else that does not
 * match the schema is a MessageError, never another exception.
 */
import { Encoder } from 'cbor-x';
import { MessageError } from '../errors.js';
import { MAX_BODY_BYTES, messageName, type MessageType } from './constants.js';
import type { ErrorBody } from './messages.js';
import { canonicalKeyOrder, checkField, type MessageSchema } from './_schema.js';
import { ERROR_BODY_SCHEMA, MESSAGE_DEFINITIONS, type RequestBodies, type ResponseBodies } from './schema.js';

// Plain RFC 8949 output: no record extension, no tag 64 on Uint8Array, shortest map headers.
const cbor = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false, variableMapSize: true });

function schemaFor(type: number, direction: 'request' | 'response', forEncode: boolean): MessageSchema {
  const def = MESSAGE_DEFINITIONS.get(type as MessageType);
  if (def) return def[direction];
  const hex = '0x' + (Number.isInteger(type) && type >= 0 ? type.toString(16).padStart(2, '0') : String(type));
  if (forEncode) throw new RangeError(`unknown message type ${hex}`);
  throw new MessageError('UNKNOWN_MESSAGE', hex, `unknown message type ${hex}`);
}

function label(type: number, direction: string): string {
  return `${messageName(type) ?? 'message'} ${direction}`;
}

/** Validates `body` against `schema` and CBOR-encodes the known fields in canonical order. */
function encodeBody(schema: MessageSchema, body: unknown, what: string): Uint8Array {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new TypeError(`${what} must be an object`);
  const source = body as Record<string, unknown>;
  const ordered: Record<string, unknown> = {};
  for (const key of canonicalKeyOrder(Object.keys(schema))) {
    const def = schema[key]!;
    const value = source[key];
    if (value === undefined) {
      if (def.optional) continue;
      throw new TypeError(`${what}.${key} is missing`);
    }
    const checked = checkField(key, def.spec, value);
    if ('problem' in checked) {
      const message = `${what}.${checked.field} ${checked.problem}`;
      throw checked.kind === 'type' ? new TypeError(message) : new RangeError(message);
    }
    ordered[key] = checked.value;
  }
  const shared = cbor.encode(ordered);
  const out = Uint8Array.from(shared);
  shared.fill(0); // cbor-x writes into a reused buffer; do not leave a secret behind in it
  for (const value of Object.values(ordered)) if (value instanceof Uint8Array) value.fill(0); // our copies
  if (out.length > MAX_BODY_BYTES) throw new RangeError(`${what} encodes to ${out.length} bytes; at most ${MAX_BODY_BYTES} fit a frame`);
  return out;
}

/** Decodes and validates one body; every failure is a MessageError 'BAD_MESSAGE' naming the field. */
function decodeBody<T>(schema: MessageSchema, bytes: Uint8Array, what: string): T {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${what} bytes must be a Uint8Array`);
  if (bytes.length > MAX_BODY_BYTES) throw new MessageError('BAD_MESSAGE', what, `${what}: body of ${bytes.length} bytes exceeds ${MAX_BODY_BYTES}`);
  let decoded: unknown;
  try {
    decoded = cbor.decode(bytes);
  } catch (e) {
    throw new MessageError('BAD_MESSAGE', what, `${what}: body is not one well-formed CBOR item`, { cause: e });
  }
  if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded) || decoded instanceof Uint8Array || decoded instanceof Map || decoded instanceof Set || decoded instanceof Date) {
    throw new MessageError('BAD_MESSAGE', what, `${what}: body must be a CBOR map with text keys`);
  }
  const source = decoded as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(schema)) {
    const def = schema[key]!;
    const value = Object.hasOwn(source, key) ? source[key] : undefined;
    if (value === undefined || value === null) {
      if (def.optional) continue;
      throw new MessageError('BAD_MESSAGE', `${what}.${key}`, `${what}.${key} is missing`);
    }
    const checked = checkField(key, def.spec, value);
    if ('problem' in checked) throw new MessageError('BAD_MESSAGE', `${what}.${checked.field}`, `${what}.${checked.field} ${checked.problem}`);
    out[key] = checked.value;
  }
  return out as T;
}

/**
 * The CBOR body of a request. The result is a fresh copy: zero it after sending when it carries a secret.
 * @throws RangeError on an unknown type, an out-of-range field or a body too large for a frame;
 *   TypeError on a missing field or a field of the wrong type (messages name the field, never its value).
 */
export function encodeRequest<T extends MessageType>(type: T, body: RequestBodies[T]): Uint8Array {
  return encodeBody(schemaFor(type, 'request', true), body, label(type, 'request'));
}

/**
 * Decodes a request body. Byte strings in the result are copies (they never alias `bytes`).
 * @throws MessageError 'UNKNOWN_MESSAGE' for a type version 1 does not define; 'BAD_MESSAGE'
 *   (with `path`, e.g. `SET_TIME request.time`) for anything that does not match the schema.
 */
export function decodeRequest<T extends MessageType>(type: T, bytes: Uint8Array): RequestBodies[T];
export function decodeRequest(type: number, bytes: Uint8Array): RequestBodies[MessageType];
export function decodeRequest(type: number, bytes: Uint8Array): unknown {
  return decodeBody(schemaFor(type, 'request', false), bytes, label(type, 'request'));
}

/** The CBOR body of a response. @throws as {@link encodeRequest}. */
export function encodeResponse<T extends MessageType>(type: T, body: ResponseBodies[T]): Uint8Array {
  return encodeBody(schemaFor(type, 'response', true), body, label(type, 'response'));
}

/** Decodes a response body. @throws as {@link decodeRequest}. */
export function decodeResponse<T extends MessageType>(type: T, bytes: Uint8Array): ResponseBodies[T];
export function decodeResponse(type: number, bytes: Uint8Array): ResponseBodies[MessageType];
export function decodeResponse(type: number, bytes: Uint8Array): unknown {
  return decodeBody(schemaFor(type, 'response', false), bytes, label(type, 'response'));
}

/** The body of an ERROR frame. @throws TypeError/RangeError on a bad field. */
export function encodeErrorBody(body: ErrorBody): Uint8Array {
  return encodeBody(ERROR_BODY_SCHEMA, body, 'error body');
}

/**
 * Decodes the body of an ERROR frame. Unknown codes decode fine (keep `code` and `name`).
 * @throws MessageError 'BAD_MESSAGE' when it does not match the error body schema.
 */
export function decodeErrorBody(bytes: Uint8Array): ErrorBody {
  return decodeBody<ErrorBody>(ERROR_BODY_SCHEMA, bytes, 'error body');
}
