/** fast-check arbitraries derived from the message schemas (tests and the fuzzer only). */
import fc from 'fast-check';
import type { FieldSpec, MessageSchema } from './_schema.js';

const printableChar = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));
const digitChar = fc.integer({ min: 0x30, max: 0x39 }).map((c) => String.fromCharCode(c));
const alnumChar = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789');
const serialChar = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-');
const utf8 = new TextEncoder();

export function arbitraryForSpec(spec: FieldSpec): fc.Arbitrary<unknown> {
  switch (spec.kind) {
    case 'uint':
      return fc.integer({ min: spec.min, max: spec.max });
    case 'number':
      return fc.oneof(
        fc.integer({ min: Math.ceil(spec.min), max: Math.floor(spec.max) }),
        fc.double({ min: spec.min, max: spec.max, noNaN: true, noDefaultInfinity: true }).map((x) => (x === 0 ? 0 : x)),
      );
    case 'bool':
      return fc.boolean();
    case 'text':
      if (spec.charset === 'utf8') {
        return fc.string({ unit: 'grapheme', minLength: spec.minLength, maxLength: Math.floor(spec.maxLength / 4) }).filter((s) => utf8.encode(s).length <= spec.maxLength);
      }
      if (spec.charset === 'serial') {
        return fc.tuple(alnumChar, fc.string({ unit: serialChar, minLength: spec.minLength - 1, maxLength: spec.maxLength - 1 })).map(([a, b]) => a + b);
      }
      return fc.string({ unit: spec.charset === 'digits' ? digitChar : printableChar, minLength: spec.minLength, maxLength: spec.maxLength });
    case 'enum':
      return fc.constantFrom(...spec.values);
    case 'bytes':
      return fc.uint8Array({ minLength: spec.minLength, maxLength: spec.maxLength });
    case 'textArray':
      return fc.array(fc.string({ unit: printableChar, minLength: 1, maxLength: spec.maxLength }), { maxLength: spec.maxItems });
  }
}

/** Valid bodies of a schema; optional fields present or absent. */
export function arbitraryForSchema(schema: MessageSchema): fc.Arbitrary<Record<string, unknown>> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  const requiredKeys: string[] = [];
  for (const [key, def] of Object.entries(schema)) {
    model[key] = arbitraryForSpec(def.spec);
    if (!def.optional) requiredKeys.push(key);
  }
  return fc.record(model, { requiredKeys });
}

/** The largest valid value of a spec, for size bounds. */
export function largestForSpec(spec: FieldSpec): unknown {
  switch (spec.kind) {
    case 'uint':
      return spec.max;
    case 'number':
      return spec.max - 0.5; // a fraction forces float64, the widest encoding
    case 'bool':
      return false;
    case 'text':
      return (spec.charset === 'digits' ? '9' : 'x').repeat(spec.maxLength); // 'x' also suits 'serial'
    case 'enum':
      return spec.values.reduce((a, b) => (b.length > a.length ? b : a));
    case 'bytes':
      return new Uint8Array(spec.maxLength).fill(0xff);
    case 'textArray':
      return Array.from({ length: spec.maxItems }, () => 'x'.repeat(spec.maxLength));
  }
}

export function largestForSchema(schema: MessageSchema): Record<string, unknown> {
  return Object.fromEntries(Object.entries(schema).map(([key, def]) => [key, largestForSpec(def.spec)]));
}
