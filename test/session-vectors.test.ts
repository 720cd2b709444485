// The worked handshake example of protocol/SPEC.md "Secure session", as a golden vector: both
// ends recompute every byte from the fixed inputs.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { x25519 } from '@noble/curves/ed25519.js';
import {
  acceptSession,
  computeTranscriptHash,
  createRevocationList,
  createStationHandshake,
  deriveSessionKeys,
  issueStationCertificate,
  SecureChannel,
  signingPublicKey,
} from '@fobkit/protocol/session';
import { decodeFrame, decodeRequest, decodeResponse, encodeFrameHeader, encodeRequest, MessageType } from '@fobkit/protocol/wire';

const vector = JSON.parse(readFileSync(new URL('../protocol/vectors/handshake.json', import.meta.url), 'utf8'));
const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const h = (b: Uint8Array) => Buffer.from(b).toString('hex');
const { inputs: i, outputs: o } = vector;

describe('session golden vector (SPEC.md worked example)', () => {
  it('has a source', () => {
    expect(vector.source).toMatch(/reference implementation/);
  });

  it('station side: certificate, list, eph, th, signature, BEGIN_SESSION body, keys, first record', () => {
    const rootPriv = hex(i.rootPrivateKey);
    expect(h(signingPublicKey(rootPriv))).toBe(o.rootPublicKey);
    const stationPriv = hex(i.stationPrivateKey);
    const cert = issueStationCertificate({ rootPrivateKey: rootPriv, id: i.certificate.id, name: i.certificate.name, stationPublicKey: signingPublicKey(stationPriv), notBefore: i.certificate.notBefore, notAfter: i.certificate.notAfter });
    expect(h(cert)).toBe(o.certificate);
    expect(h(createRevocationList({ rootPrivateKey: rootPriv, ...i.revocationList }))).toBe(o.revocationList);
    const hs = createStationHandshake({
      helloRequestBody: hex(i.helloRequestBody),
      helloResponseBody: hex(i.helloResponseBody),
      fobPublicKey: x25519.getPublicKey(hex(i.fobStaticPrivateKey)),
      station: { privateKey: stationPriv, certificate: cert },
      randomBytes: () => hex(i.ephemeralPrivateKey),
    });
    expect(h(hs.request.eph)).toBe(o.ephemeralPublicKey);
    expect(h(hs.request.sig)).toBe(o.signature);
    expect(h(hs.sid)).toBe(o.sid);
    expect(h(encodeRequest(MessageType.BEGIN_SESSION, hs.request))).toBe(o.beginSessionRequestBody);
    const th = computeTranscriptHash({ helloRequestBody: hex(i.helloRequestBody), helloResponseBody: hex(i.helloResponseBody), eph: hs.request.eph, certificate: cert });
    expect(h(th)).toBe(o.transcriptHash);
    const keys = deriveSessionKeys(x25519.getSharedSecret(hex(i.ephemeralPrivateKey), hex(o.fobStaticPublicKey)), th);
    expect([h(keys.stationToFob), h(keys.fobToStation)]).toEqual([o.stationToFobKey, o.fobToStationKey]);
    expect(h(hs.send.seal(hex(o.firstRequest.header), hex(o.firstRequest.plaintext)))).toBe(o.firstRequest.record);
    const res = decodeFrame(hex(o.beginSessionResponse.wire));
    const opened = hs.receive.open(encodeFrameHeader(res), res.body);
    expect(opened.ok && h(decodeResponse(MessageType.BEGIN_SESSION, opened.plaintext).sid)).toBe(o.sid);
  });

  it('fob side: accepts the BEGIN_SESSION body, answers the expected record, opens the first request', () => {
    const request = decodeRequest(MessageType.BEGIN_SESSION, hex(o.beginSessionRequestBody));
    const r = acceptSession({
      staticPrivateKey: hex(i.fobStaticPrivateKey),
      helloRequestBody: hex(i.helloRequestBody),
      helloResponseBody: hex(i.helloResponseBody),
      request,
      rootPublicKey: hex(o.rootPublicKey),
      now: i.certificate.notBefore + 1,
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(h(r.sid)).toBe(o.sid);
    expect(h(r.send.seal(hex(o.beginSessionResponse.header), hex(o.beginSessionResponse.plaintext)))).toBe(o.beginSessionResponse.record);
    const req = decodeFrame(hex(o.firstRequest.wire));
    expect(h(encodeFrameHeader(req))).toBe(o.firstRequest.header);
    expect(r.receive.open(encodeFrameHeader(req), req.body)).toMatchObject({ ok: true, counter: 1n, plaintext: hex(o.firstRequest.plaintext) });
  });

  it('a fob with the list of the example (id 7 revoked) still accepts station 1; with id 1 revoked it refuses', () => {
    const request = decodeRequest(MessageType.BEGIN_SESSION, hex(o.beginSessionRequestBody));
    const base = { staticPrivateKey: hex(i.fobStaticPrivateKey), helloRequestBody: hex(i.helloRequestBody), helloResponseBody: hex(i.helloResponseBody), rootPublicKey: hex(o.rootPublicKey), now: i.certificate.notBefore + 1 };
    expect(acceptSession({ ...base, request: { ...request, crl: hex(o.revocationList) } }).ok).toBe(true);
    const revoking = createRevocationList({ rootPrivateKey: hex(i.rootPrivateKey), seq: 2, ids: [1, 7], issuedAt: i.revocationList.issuedAt });
    expect(acceptSession({ ...base, request, revocationList: revoking })).toMatchObject({ ok: false, reason: 'cert-revoked' });
    expect(new SecureChannel({ key: hex(o.stationToFobKey), direction: 'receive' }).open(hex(o.firstRequest.header), hex(o.firstRequest.record)).ok).toBe(true);
  });
});
