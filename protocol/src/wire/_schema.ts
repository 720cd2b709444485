/**
 * Declarative message schemas: field kinds with their bounds, one validator used on both
 * directions, and the canonical schema text that SCHEMA_HASH is computed from (SPEC.md
 * "Versioning"). Internal: the public face is messageCodec.ts and schema.ts.
 */

/** Unsigned integer, min..max (max < 2^32, so CBOR major type 0 with at most a 4-byte argument). */
export interface UintSpec { kind: 'uint'; min: number; max: number }
/** Finite number, min..max, fractions allowed (Unix seconds): CBOR uint, or float16/32/64. */
export interface NumberSpec { kind: 'number'; min: number; max: number }
export interface BoolSpec { kind: 'bool' }
/**
 * Text string; lengths in UTF-8 bytes; `charset` restricts the characters: `printable` is
 * 0x20..0x7E, `digits` 0-9, `serial` a letter or digit followed by letters, digits, `_`, `.`, `-`.
 */
export interface TextSpec { kind: 'text'; minLength: number; maxLength: number; charset: 'printable' | 'digits' | 'serial' | 'utf8' }
/** Text string, one of `values`. */
export interface EnumSpec { kind: 'enum'; values: readonly string[] }
/** Byte string, minLength..maxLength bytes (fixed when equal). */
export interface BytesSpec { kind: 'bytes'; minLength: number; maxLength: number }
/** Array of printable text strings. */
export interface TextArraySpec { kind: 'textArray'; maxItems: number; maxLength: number }

export type FieldSpec = UintSpec | NumberSpec | BoolSpec | TextSpec | EnumSpec | BytesSpec | TextArraySpec;

type SpecFor<V> = [V] extends [number] ? UintSpec | NumberSpec
  : [V] extends [boolean] ? BoolSpec
  : [V] extends [string] ? TextSpec | EnumSpec
  : [V] extends [Uint8Array] ? BytesSpec
  : [V] extends [readonly string[]] ? TextArraySpec
  : never;

/** A schema whose keys and field kinds match the TypeScript interface T exactly. */
export type SchemaOf<T> = {
  [K in keyof T]-?: undefined extends T[K]
    ? { spec: SpecFor<NonNullable<T[K]>>; optional: true }
    : { spec: SpecFor<T[K]>; optional?: false };
};

export interface FieldDef { spec: FieldSpec; optional?: boolean }
export type MessageSchema = Readonly<Record<string, FieldDef>>;

export const uint = (min: number, max: number): UintSpec => ({ kind: 'uint', min, max });
export const num = (min: number, max: number): NumberSpec => ({ kind: 'number', min, max });
export const bool: BoolSpec = { kind: 'bool' };
export const text = (minLength: number, maxLength: number, charset: TextSpec['charset'] = 'printable'): TextSpec => ({ kind: 'text', minLength, maxLength, charset });
export const oneOf = (values: readonly string[]): EnumSpec => ({ kind: 'enum', values });
export const bytes = (minLength: number, maxLength = minLength): BytesSpec => ({ kind: 'bytes', minLength, maxLength });
export const textArray = (maxItems: number, maxLength: number): TextArraySpec => ({ kind: 'textArray', maxItems, maxLength });

/** A field that does not match its spec: `problem` never contains the value (it may be a secret). */
export interface FieldIssue { field: string; problem: string; kind: 'type' | 'range' }

const utf8 = new TextEncoder();
const PRINTABLE = /^[\x20-\x7e]*$/;
const DIGITS = /^[0-9]*$/;
const SERIAL = /^(?:[A-Za-z0-9][A-Za-z0-9_.-]*)?$/;

/**
 * Checks one value against its spec and returns the value to keep (byte strings are copied so
 * the result never aliases the frame), or an issue.
 */
export function checkField(field: string, spec: FieldSpec, value: unknown): { value: unknown } | FieldIssue {
  switch (spec.kind) {
    case 'uint':
    case 'number': {
      if (typeof value !== 'number') return { field, kind: 'type', problem: `must be a ${spec.kind === 'uint' ? 'unsigned integer' : 'number'}` };
      if (!Number.isFinite(value) || (spec.kind === 'uint' && !Number.isInteger(value))) {
        return { field, kind: 'range', problem: spec.kind === 'uint' ? 'must be an integer' : 'must be finite' };
      }
      if (value < spec.min || value > spec.max) return { field, kind: 'range', problem: `must be ${spec.min}..${spec.max}` };
      return { value: value === 0 ? 0 : value }; // -0 becomes 0
    }
    case 'bool':
      return typeof value === 'boolean' ? { value } : { field, kind: 'type', problem: 'must be a boolean' };
    case 'text': {
      if (typeof value !== 'string') return { field, kind: 'type', problem: 'must be a text string' };
      const length = spec.charset === 'utf8' ? utf8.encode(value).length : value.length;
      if (spec.charset === 'printable' && !PRINTABLE.test(value)) return { field, kind: 'range', problem: 'must be printable ASCII' };
      if (spec.charset === 'digits' && !DIGITS.test(value)) return { field, kind: 'range', problem: 'must be decimal digits' };
      if (spec.charset === 'serial' && !SERIAL.test(value)) return { field, kind: 'range', problem: 'must be a letter or digit followed by letters, digits, _ . -' };
      if (length < spec.minLength || length > spec.maxLength) return { field, kind: 'range', problem: `must be ${spec.minLength}..${spec.maxLength} bytes long` };
      return { value };
    }
    case 'enum':
      if (typeof value !== 'string') return { field, kind: 'type', problem: 'must be a text string' };
      return spec.values.includes(value) ? { value } : { field, kind: 'range', problem: `must be one of ${spec.values.join('|')}` };
    case 'bytes':
      if (!(value instanceof Uint8Array)) return { field, kind: 'type', problem: 'must be a byte string' };
      if (value.length < spec.minLength || value.length > spec.maxLength) {
        return { field, kind: 'range', problem: spec.minLength === spec.maxLength ? `must be ${spec.minLength} bytes` : `must be ${spec.minLength}..${spec.maxLength} bytes` };
      }
      return { value: Uint8Array.from(value) };
    case 'textArray': {
      if (!Array.isArray(value)) return { field, kind: 'type', problem: 'must be an array of text strings' };
      if (value.length > spec.maxItems) return { field, kind: 'range', problem: `must have at most ${spec.maxItems} items` };
      const out: string[] = [];
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (typeof item !== 'string') return { field: `${field}[${i}]`, kind: 'type', problem: 'must be a text string' };
        if (!PRINTABLE.test(item) || item.length < 1 || item.length > spec.maxLength) {
          return { field: `${field}[${i}]`, kind: 'range', problem: `must be 1..${spec.maxLength} printable ASCII characters` };
        }
        out.push(item);
      }
      return { value: out };
    }
  }
}

/**
 * RFC 8949 section 4.2.1 core deterministic key order for text keys: shorter keys first, then
 * bytewise. Encoders emit maps in this order; decoders accept any order.
 */
export function canonicalKeyOrder(keys: readonly string[]): string[] {
  return [...keys].sort((a, b) => {
    const ea = utf8.encode(a);
    const eb = utf8.encode(b);
    if (ea.length !== eb.length) return ea.length - eb.length;
    for (let i = 0; i < ea.length; i++) if (ea[i] !== eb[i]) return ea[i]! - eb[i]!;
    return 0;
  });
}

/** One field in the canonical schema text, e.g. `nonce:bytes[16]` or `serial?:text[1..32,printable]`. */
export function describeField(key: string, def: FieldDef): string {
  const s = def.spec;
  const name = def.optional ? `${key}?` : key;
  switch (s.kind) {
    case 'uint':
    case 'number':
      return `${name}:${s.kind}[${s.min}..${s.max}]`;
    case 'bool':
      return `${name}:bool`;
    case 'text':
      return `${name}:text[${s.minLength}..${s.maxLength},${s.charset}]`;
    case 'enum':
      return `${name}:enum[${s.values.join('|')}]`;
    case 'bytes':
      return `${name}:bytes[${s.minLength === s.maxLength ? s.minLength : `${s.minLength}..${s.maxLength}`}]`;
    case 'textArray':
      return `${name}:text[1..${s.maxLength},printable][0..${s.maxItems}]`;
  }
}

/** `{ a:uint[0..1] b:bool }` in canonical key order; `{}` for an empty map. */
export function describeSchema(schema: MessageSchema): string {
  const keys = canonicalKeyOrder(Object.keys(schema));
  return keys.length === 0 ? '{}' : `{ ${keys.map((k) => describeField(k, schema[k]!)).join(' ')} }`;
}
