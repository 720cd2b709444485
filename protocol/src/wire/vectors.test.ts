import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isProtocolError } from '../errors.js';
import { decodeHex, encodeHex } from '../otp/hex.js';
import { FrameFlags, PROTOCOL_VERSION, type MessageType } from './constants.js';
import { decodeFrame, encodeFrame, packFrame } from './frame.js';
import { decodeErrorBody, decodeRequest, decodeResponse, encodeErrorBody, encodeRequest, encodeResponse } from './messageCodec.js';
import { ERROR_BODY_SCHEMA, MESSAGE_DEFINITIONS, SCHEMA_HASH, SCHEMA_TEXT } from './schema.js';
import type { FieldSpec, MessageSchema } from './_schema.js';
import { bodyFromJson, buildFrameVectors, FRAME_VECTORS_PATH, formatFrameVectors, loadFrameVectors, VECTOR_SOURCE, type FrameVector } from './_vectors.js';

const file = loadFrameVectors();

/** Decodes the wire hex and checks the frame against every other form in the vector. */
function checkFrame(type: number, v: FrameVector) {
  const frame = decodeFrame(decodeHex(v.wireHex));
  expect(frame).toMatchObject({ version: PROTOCOL_VERSION, flags: v.flags, type, requestId: v.requestId });
  expect(encodeHex(frame.body)).toBe(v.bodyHex);
  expect(encodeHex(packFrame(frame))).toBe(v.frameHex);
  expect(encodeHex(encodeFrame(frame))).toBe(v.wireHex);
  return frame;
}

describe(`golden vectors (${FRAME_VECTORS_PATH})`, () => {
  it('carry their source and match the current code exactly (regenerate with protocol/scripts/generate-vectors.ts)', () => {
    expect(file.source).toBe(VECTOR_SOURCE);
    expect(file.schemaHash).toBe(encodeHex(SCHEMA_HASH));
    expect(JSON.stringify(file, null, 2) + '\n').toBe(formatFrameVectors(buildFrameVectors()));
  });

  it.each(file.messages.map((m) => [m.name, m] as const))('%s: request and response decode and re-encode byte for byte', (_name, m) => {
    const type = m.type as MessageType;
    const req = checkFrame(type, m.request);
    expect(req.flags).toBe(0);
    const request = decodeRequest(type, req.body);
    expect(request).toEqual(bodyFromJson(m.request.body));
    expect(encodeHex(encodeRequest(type, request))).toBe(m.request.bodyHex);

    const res = checkFrame(type, m.response);
    expect(res.flags).toBe(FrameFlags.RESPONSE);
    const response = decodeResponse(type, res.body);
    expect(response).toEqual(bodyFromJson(m.response.body));
    expect(encodeHex(encodeResponse(type, response))).toBe(m.response.bodyHex);
  });

  it.each(file.errors.map((e) => [e.name, e] as const))('error %s: the ERROR response decodes and re-encodes', (_name, e) => {
    const res = checkFrame(e.type, e.response);
    expect(res.flags).toBe(FrameFlags.RESPONSE | FrameFlags.ERROR);
    const body = decodeErrorBody(res.body);
    expect(body).toEqual(bodyFromJson(e.response.body));
    expect(encodeHex(encodeErrorBody(body))).toBe(e.response.bodyHex);
    const req = checkFrame(e.type, e.request);
    // The requests that earn UNSUPPORTED / INVALID_ARGUMENT are rejected by our decoder too.
    if (body.name === 'UNSUPPORTED') expect(() => decodeRequest(e.type, req.body)).toThrow(expect.objectContaining({ code: 'UNKNOWN_MESSAGE' }));
    else if (body.name === 'INVALID_ARGUMENT') expect(() => decodeRequest(e.type, req.body)).toThrow(expect.objectContaining({ code: 'BAD_MESSAGE' }));
    else expect(decodeRequest(e.type, req.body)).toEqual(bodyFromJson(e.request.body));
  });

  it('a corrupted golden frame is a BAD_FRAME, not a different message', () => {
    for (const m of file.messages) {
      const wire = decodeHex(m.request.wireHex);
      for (let i = 0; i < wire.length - 1; i++) {
        const copy = Uint8Array.from(wire);
        copy[i] = copy[i]! ^ 0x10 || 0x01;
        try {
          const frame = decodeFrame(copy);
          // Only a flip that COBS maps back to the same decoded bytes may pass; none does here.
          expect.unreachable(`byte ${i} of ${m.name} changed without detection: ${encodeHex(frame.body)}`);
        } catch (e) {
          expect(isProtocolError(e, 'BAD_FRAME')).toBe(true);
        }
      }
    }
  });
});

describe('protocol/SPEC.md agrees with the code', () => {
  const spec = readFileSync(new URL('../../SPEC.md', import.meta.url), 'utf8');
  const compact = spec.replace(/\s+/g, '');

  it('quotes the canonical schema text and its hash', () => {
    expect(spec.includes('```\n' + SCHEMA_TEXT + '```'), 'SCHEMA_TEXT quoted verbatim in the appendix').toBe(true);
    expect(spec.includes(encodeHex(SCHEMA_HASH)), 'SCHEMA_HASH in Versioning').toBe(true);
  });

  it('documents every field with its CBOR type and bounds', () => {
    const row = (key: string, spec: FieldSpec, optional: boolean | undefined) => {
      const [type, bounds] = ((): [string, string] => {
        switch (spec.kind) {
          case 'uint':
          case 'number':
            return [spec.kind, `${spec.min}..${spec.max}`];
          case 'bool':
            return ['bool', ''];
          case 'text':
            return ['text', `${spec.minLength}..${spec.maxLength} bytes, ${spec.charset}`];
          case 'enum':
            return ['text', spec.values.map((v) => `\`${v}\``).join(' \\| ')];
          case 'bytes':
            return ['bytes', spec.minLength === spec.maxLength ? `${spec.minLength} bytes` : `${spec.minLength}..${spec.maxLength} bytes`];
          case 'textArray':
            return ['array of text', `0..${spec.maxItems} items, each 1..${spec.maxLength} bytes printable`];
        }
      })();
      return `| \`${key}\` | ${type} | ${bounds} | ${optional ? 'optional' : 'required'} |`;
    };
    const schemas: [string, MessageSchema][] = [...MESSAGE_DEFINITIONS.values()].flatMap((d) => [[`${d.name} request`, d.request], [`${d.name} response`, d.response]] as [string, MessageSchema][]);
    schemas.push(['error body', ERROR_BODY_SCHEMA]);
    for (const [what, schema] of schemas) {
      for (const [key, def] of Object.entries(schema)) expect(spec.includes(row(key, def.spec, def.optional)), `${what}.${key} row in SPEC.md`).toBe(true);
    }
  });

  it('shows every golden frame as it is on the wire', () => {
    for (const m of file.messages) for (const f of [m.request, m.response]) expect(compact.includes(f.wireHex), `${m.name} wire dump`).toBe(true);
    for (const e of file.errors) expect(compact.includes(e.response.wireHex), `${e.name} wire dump`).toBe(true);
  });
});
