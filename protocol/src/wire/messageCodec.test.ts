import { Encoder } from 'cbor-x';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MessageError } from '../errors.js';
import { encodeHex } from '../otp/hex.js';
import { MAX_SECURE_PLAINTEXT_BYTES, MessageType, WireErrorCode } from './constants.js';
import { decodeErrorBody, decodeRequest, decodeResponse, encodeErrorBody, encodeRequest, encodeResponse } from './messageCodec.js';
import { ERROR_BODY_SCHEMA, MESSAGE_DEFINITIONS, SCHEMA_HASH, SCHEMA_TEXT } from './schema.js';
import { arbitraryForSchema, largestForSchema } from './_testArbitraries.js';

const cbor = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false, variableMapSize: true });
const raw = (value: unknown) => Uint8Array.from(cbor.encode(value));
/* eslint-disable @typescript-eslint/no-explicit-any -- the generic round trips pass schema-built bodies */
const enc = { request: encodeRequest as (t: number, b: any) => Uint8Array, response: encodeResponse as (t: number, b: any) => Uint8Array };
const dec = { request: decodeRequest as (t: number, b: Uint8Array) => any, response: decodeResponse as (t: number, b: Uint8Array) => any };
/* eslint-enable @typescript-eslint/no-explicit-any */

function messageErrorOf(f: () => unknown): MessageError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(MessageError);
    return e as MessageError;
  }
  throw new Error('expected a MessageError');
}

describe('message bodies', () => {
  for (const def of MESSAGE_DEFINITIONS.values()) {
    for (const direction of ['request', 'response'] as const) {
      it(`${def.name} ${direction}: round-trips every valid body and fits a SECURE frame at its largest`, () => {
        fc.assert(
          fc.property(arbitraryForSchema(def[direction]), (body) => {
            expect(dec[direction](def.type, enc[direction](def.type, body))).toEqual(body);
          }),
          { numRuns: 150 },
        );
        expect(enc[direction](def.type, largestForSchema(def[direction])).length).toBeLessThanOrEqual(MAX_SECURE_PLAINTEXT_BYTES);
      });
    }
  }

  it('error body round-trips, and unknown codes survive', () => {
    fc.assert(fc.property(arbitraryForSchema(ERROR_BODY_SCHEMA), (body) => {
      expect(decodeErrorBody(encodeErrorBody(body as never))).toEqual(body);
    }), { numRuns: 200 });
    expect(decodeErrorBody(encodeErrorBody({ code: 999, name: 'FUTURE_THING' }))).toEqual({ code: 999, name: 'FUTURE_THING' });
    expect(encodeErrorBody({ code: WireErrorCode.RATE_LIMITED, name: 'RATE_LIMITED', retryMs: 1500 }).length).toBeLessThan(40);
  });

  it('encodes maps in canonical key order with shortest integers and untagged byte strings', () => {
    const body = encodeRequest(MessageType.PROGRAM_SEED, { t0: 0, period: 60, digits: 6, alg: 'sha1', secret: new Uint8Array(16).fill(1) });
    // a5 (5 pairs) "t0":0 "alg":"sha1" "digits":6 "period":60 "secret":h'0101..'
    expect(encodeHex(body)).toBe('a56274300063616c67647368613166646967697473066670657269' + '6f64183c66736563726574' + '50' + '01'.repeat(16));
    expect(encodeHex(encodeRequest(MessageType.SET_TIME, { time: 1.5 }))).toBe('a16474696d65fb3ff8000000000000');
    expect(encodeHex(encodeRequest(MessageType.SET_TIME, { time: -0 }))).toBe('a16474696d6500');
  });

  it('ignores unknown keys and accepts any key order; null means absent for optional fields', () => {
    expect(decodeRequest(MessageType.SET_TIME, raw({ future: [1, 2], time: 5, zz: { a: 1 } }))).toEqual({ time: 5 });
    expect(decodeErrorBody(raw({ name: 'BUSY', msg: null, code: 8 }))).toEqual({ code: 8, name: 'BUSY' });
  });

  it('names the field of a missing, mistyped or out-of-range value', () => {
    const cases: [number, unknown, string][] = [
      [MessageType.SET_TIME, {}, 'SET_TIME request.time'],
      [MessageType.SET_TIME, { time: '5' }, 'SET_TIME request.time'],
      [MessageType.SET_TIME, { time: -1 }, 'SET_TIME request.time'],
      [MessageType.SET_TIME, { time: 2 ** 32 }, 'SET_TIME request.time'],
      [MessageType.SET_TIME, { time: new Date(0) }, 'SET_TIME request.time'],
      [MessageType.SET_TIME, { time: null }, 'SET_TIME request.time'],
      [MessageType.HELLO, { v: 1, nonce: new Uint8Array(15) }, 'HELLO request.nonce'],
      [MessageType.HELLO, { v: 256, nonce: new Uint8Array(16) }, 'HELLO request.v'],
      [MessageType.HELLO, { v: 1, nonce: 'x'.repeat(16) }, 'HELLO request.nonce'],
      [MessageType.SET_SERIAL, { serial: 'x'.repeat(33) }, 'SET_SERIAL request.serial'],
      [MessageType.SET_SERIAL, { serial: 'FK\n0001' }, 'SET_SERIAL request.serial'],
      [MessageType.SET_SERIAL, { serial: 'FK 0001' }, 'SET_SERIAL request.serial'],
      [MessageType.SET_SERIAL, { serial: '-FK0001' }, 'SET_SERIAL request.serial'],
      [MessageType.PROGRAM_SEED, { secret: new Uint8Array(20), alg: 'sha1', digits: 6, period: 3601, t0: 0 }, 'PROGRAM_SEED request.period'],
      [MessageType.PROGRAM_SEED, { secret: new Uint8Array(20), alg: 'md5', digits: 6, period: 60, t0: 0 }, 'PROGRAM_SEED request.alg'],
      [MessageType.PROGRAM_SEED, { secret: new Uint8Array(20), alg: 'sha1', digits: 9, period: 60, t0: 0 }, 'PROGRAM_SEED request.digits'],
      [MessageType.PROGRAM_SEED, { secret: new Uint8Array(65), alg: 'sha1', digits: 6, period: 60, t0: 0 }, 'PROGRAM_SEED request.secret'],
      [MessageType.WIPE, { serial: 'FK00000013', confirm: 'wipe' }, 'WIPE request.confirm'],
    ];
    for (const [type, body, path] of cases) {
      const e = messageErrorOf(() => decodeRequest(type, raw(body)));
      expect(e.code).toBe('BAD_MESSAGE');
      expect(e.path).toBe(path);
    }
    const caps = messageErrorOf(() => decodeResponse(MessageType.HELLO, raw({ ...largestForSchema(MESSAGE_DEFINITIONS.get(1)!.response), caps: ['ok', 7] })));
    expect(caps.path).toBe('HELLO response.caps[1]');
    // A 64-bit integer decodes as a bigint: not a number we accept.
    expect(messageErrorOf(() => decodeRequest(MessageType.SET_TIME, Uint8Array.from([0xa1, 0x64, 0x74, 0x69, 0x6d, 0x65, 0x1b, 0, 0, 0, 1, 0, 0, 0, 0]))).path).toBe('SET_TIME request.time');
  });

  it('rejects bodies that are not one CBOR map, with BAD_MESSAGE and the cause kept', () => {
    for (const bytes of [Uint8Array.of(), Uint8Array.of(0xff), Uint8Array.of(0xa0, 0x00), raw([1, 2]), raw('hello'), raw(new Uint8Array(3)), Uint8Array.of(0xa1, 0x61), Uint8Array.of(0x9b, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0)]) {
      const e = messageErrorOf(() => decodeRequest(MessageType.GET_STATUS, bytes));
      expect(e.code).toBe('BAD_MESSAGE');
    }
    expect(messageErrorOf(() => decodeRequest(MessageType.GET_STATUS, Uint8Array.of(0xff))).cause).toBeDefined();
    expect(messageErrorOf(() => decodeRequest(MessageType.GET_STATUS, new Uint8Array(2000))).message).toMatch(/exceeds/);
  });

  it('rejects unknown message types with UNKNOWN_MESSAGE (and encoders with RangeError)', () => {
    const e = messageErrorOf(() => decodeResponse(0x42, Uint8Array.of(0xa0)));
    expect(e.code).toBe('UNKNOWN_MESSAGE');
    expect(e.path).toBe('0x42');
    expect(() => encodeRequest(0x42 as never, {} as never)).toThrow(RangeError);
  });

  it('encoders throw TypeError/RangeError naming the field, never its value', () => {
    const secret = new TextEncoder().encode('SUPERSECRETSEEDVALUE');
    expect(() => encodeRequest(MessageType.PROGRAM_SEED, { secret, alg: 'sha1', digits: 9, period: 60, t0: 0 })).toThrow(/PROGRAM_SEED request\.digits/);
    expect(() => encodeRequest(MessageType.PROGRAM_SEED, { secret: new Uint8Array(65).fill(0x41), alg: 'sha1', digits: 6, period: 60, t0: 0 })).toThrow(RangeError);
    expect(() => encodeRequest(MessageType.SET_SERIAL, {} as never)).toThrow(TypeError);
    try {
      encodeRequest(MessageType.PROGRAM_SEED, { secret: new Uint8Array(65).fill(0x41), alg: 'sha1', digits: 6, period: 60, t0: 0 });
    } catch (e) {
      expect(String((e as Error).message)).not.toMatch(/41|AAAA/);
    }
    expect(() => decodeRequest(MessageType.PROGRAM_SEED, raw({ secret: new Uint8Array(70).fill(0x41) }))).toThrow(/^PROGRAM_SEED request\.secret must be 16\.\.64 bytes$/);
  });

  it('decoded byte strings never alias the input, and the caller’s secret is left intact', () => {
    const secret = Uint8Array.from({ length: 20 }, (_, i) => i + 1);
    const body = encodeRequest(MessageType.PROGRAM_SEED, { secret, alg: 'sha256', digits: 8, period: 30, t0: 0 });
    expect(secret[0]).toBe(1);
    const decoded = decodeRequest(MessageType.PROGRAM_SEED, body);
    body.fill(0);
    expect(decoded.secret).toEqual(secret);
  });

  it('SCHEMA_HASH is 8 bytes of SHA-256 over the canonical text, which lists every message', () => {
    expect(SCHEMA_HASH).toHaveLength(8);
    for (const def of MESSAGE_DEFINITIONS.values()) expect(SCHEMA_TEXT).toContain(` ${def.name} request `);
    expect(SCHEMA_TEXT.startsWith('fobkit-schema v1\n')).toBe(true);
  });
});
