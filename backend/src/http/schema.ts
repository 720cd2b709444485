/**
 * A small strict schema checker for request bodies: every field typed and bounded, unknown
 * fields rejected, messages that name the field. Each schema also renders itself as JSON
 * Schema, so the OpenAPI document describes exactly what the server enforces.
 */
import { BackendError } from '../errors.js';

export interface Schema<T> {
  parse(value: unknown, path: string): T;
  json: Record<string, unknown>;
  optional?: boolean;
}

/** True when `s` holds a C0 control character or DEL. */
export function hasControlCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

const fail = (path: string, what: string): never => {
  throw new BackendError('INVALID_REQUEST', `${path} ${what}`);
};

export function str(opts: { min?: number; max: number; pattern?: RegExp; description?: string }): Schema<string> {
  const { min = 1, max, pattern } = opts;
  return {
    parse(v, path) {
      if (typeof v !== 'string') return fail(path, 'must be a string');
      if (v.length < min || v.length > max) return fail(path, `must be ${min} to ${max} characters`);
      // Control characters (NUL above all, which PostgreSQL text refuses) are never meaningful here.
      if (hasControlCharacter(v)) return fail(path, 'must not contain control characters');
      if (pattern && !pattern.test(v)) return fail(path, `has an invalid format`);
      return v;
    },
    json: { type: 'string', minLength: min, maxLength: max, ...(pattern ? { pattern: pattern.source } : {}), ...(opts.description ? { description: opts.description } : {}) },
  };
}

export function int(opts: { min: number; max: number; description?: string }): Schema<number> {
  return {
    parse(v, path) {
      if (typeof v !== 'number' || !Number.isInteger(v)) return fail(path, 'must be an integer');
      if (v < opts.min || v > opts.max) return fail(path, `must be from ${opts.min} to ${opts.max}`);
      return v;
    },
    json: { type: 'integer', minimum: opts.min, maximum: opts.max, ...(opts.description ? { description: opts.description } : {}) },
  };
}

export function num(opts: { min: number; max: number; description?: string }): Schema<number> {
  return {
    parse(v, path) {
      if (typeof v !== 'number' || !Number.isFinite(v)) return fail(path, 'must be a finite number');
      if (v < opts.min || v > opts.max) return fail(path, `must be from ${opts.min} to ${opts.max}`);
      return v;
    },
    json: { type: 'number', minimum: opts.min, maximum: opts.max, ...(opts.description ? { description: opts.description } : {}) },
  };
}

export function oneOf<const T extends string | number>(values: readonly T[], description?: string): Schema<T> {
  return {
    parse(v, path) {
      if (!values.includes(v as T)) return fail(path, `must be one of ${values.join(', ')}`);
      return v as T;
    },
    json: { enum: [...values], ...(description ? { description } : {}) },
  };
}

/** base64url (no padding) of at most `maxBytes` bytes. */
export function base64url(opts: { maxBytes: number; description?: string }): Schema<Uint8Array> {
  const maxChars = Math.ceil((opts.maxBytes * 4) / 3);
  return {
    parse(v, path) {
      if (typeof v !== 'string' || v.length === 0 || v.length > maxChars || !/^[A-Za-z0-9_-]+$/.test(v) || v.length % 4 === 1) {
        return fail(path, `must be base64url (no padding) of at most ${opts.maxBytes} bytes`);
      }
      return new Uint8Array(Buffer.from(v, 'base64url'));
    },
    json: { type: 'string', contentEncoding: 'base64url', maxLength: maxChars, pattern: '^[A-Za-z0-9_-]+$', ...(opts.description ? { description: opts.description } : {}) },
  };
}

export function optional<T>(s: Schema<T>): Schema<T | undefined> {
  return { parse: (v, path) => (v === undefined ? undefined : s.parse(v, path)), json: s.json, optional: true };
}

type Shape = Record<string, Schema<unknown>>;
type Out<S extends Shape> = { [K in keyof S]: S[K] extends Schema<infer T> ? T : never };

/** A JSON object with exactly these fields (optional ones may be missing); others are refused. */
export function obj<S extends Shape>(shape: S, description?: string): Schema<Out<S>> {
  const keys = Object.keys(shape);
  return {
    parse(v, path) {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(path, 'must be a JSON object');
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v)) if (!Object.hasOwn(shape, k)) fail(path === 'body' ? k : `${path}.${k}`, 'is not a known field');
      for (const k of keys) {
        const val = (v as Record<string, unknown>)[k];
        const s = shape[k]!;
        const p = path === 'body' ? k : `${path}.${k}`;
        if (val === undefined && !s.optional) fail(p, 'is required');
        out[k] = s.parse(val, p);
      }
      return out as Out<S>;
    },
    json: {
      type: 'object',
      additionalProperties: false,
      required: keys.filter((k) => !shape[k]!.optional),
      properties: Object.fromEntries(keys.map((k) => [k, shape[k]!.json])),
      ...(description ? { description } : {}),
    },
  };
}
