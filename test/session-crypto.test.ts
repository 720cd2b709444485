// Certificates, revocation lists, the handshake and the record layer, at the byte level
// (no wire codec): each refusal has its own reason.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { x25519 } from '@noble/curves/ed25519.js';
import {
  acceptSession,
  createRevocationList,
  createStationHandshake,
  decodeStationCertificate,
  generateSigningKeyPair,
  issueStationCertificate,
  openSealed,
  sealToRecipient,
  generateSealKeyPair,
  SecureChannel,
  verifyRevocationList,
  verifyStationCertificate,
  type StationCredentials,
} from '@fobkit/protocol/session';
import { isProtocolError } from '@fobkit/protocol';

const NOW = 1_800_000_000;
const DAY = 86_400;

function makeRoot() {
  return generateSigningKeyPair();
}

function makeStation(rootPrivateKey: Uint8Array, overrides: Partial<{ id: number; notBefore: number; notAfter: number }> = {}) {
  const key = generateSigningKeyPair();
  const certificate = issueStationCertificate({
    rootPrivateKey,
    id: overrides.id ?? 7,
    name: 'line-1 station',
    stationPublicKey: key.publicKey,
    notBefore: overrides.notBefore ?? NOW - DAY,
    notAfter: overrides.notAfter ?? NOW + 30 * DAY,
  });
  return { key, certificate };
}

describe('station certificates', () => {
  const root = makeRoot();
  const { key, certificate } = makeStation(root.privateKey);

  it('verifies and decodes a certificate the root issued', () => {
    const r = verifyStationCertificate({ certificate, rootPublicKey: root.publicKey, now: NOW });
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.certificate).toMatchObject({ id: 7, name: 'line-1 station', notBefore: NOW - DAY, notAfter: NOW + 30 * DAY });
      expect(r.certificate.publicKey).toEqual(key.publicKey);
    }
  });

  it('refuses with a reason for each failure', () => {
    const other = makeRoot();
    expect(verifyStationCertificate({ certificate, rootPublicKey: other.publicKey, now: NOW })).toMatchObject({ ok: false, reason: 'bad-signature' });
    expect(verifyStationCertificate({ certificate, rootPublicKey: root.publicKey, now: NOW + 31 * DAY })).toMatchObject({ ok: false, reason: 'expired' });
    expect(verifyStationCertificate({ certificate, rootPublicKey: root.publicKey, now: NOW - 2 * DAY })).toMatchObject({ ok: false, reason: 'not-yet-valid' });
    const list = { seq: 3, ids: [2, 7], issuedAt: NOW };
    expect(verifyStationCertificate({ certificate, rootPublicKey: root.publicKey, now: NOW, revocationList: list })).toMatchObject({ ok: false, reason: 'revoked' });
    expect(verifyStationCertificate({ certificate: certificate.subarray(0, 40), rootPublicKey: root.publicKey, now: NOW })).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('detects any flipped bit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: certificate.length * 8 - 1 }), (bit) => {
        const bad = Uint8Array.from(certificate);
        bad[bit >> 3]! ^= 1 << (bit & 7);
        expect(verifyStationCertificate({ certificate: bad, rootPublicKey: root.publicKey, now: NOW }).ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects bad arguments at issue time, naming the field', () => {
    expect(() => issueStationCertificate({ rootPrivateKey: root.privateKey, id: 0, name: 'x', stationPublicKey: key.publicKey, notBefore: 1, notAfter: 2 })).toThrow(/id/);
    expect(() => issueStationCertificate({ rootPrivateKey: root.privateKey, id: 1, name: 'a\nb', stationPublicKey: key.publicKey, notBefore: 1, notAfter: 2 })).toThrow(/name/);
    expect(() => issueStationCertificate({ rootPrivateKey: root.privateKey, id: 1, name: 'x', stationPublicKey: key.publicKey, notBefore: 5, notAfter: 5 })).toThrow(/notAfter/);
    expect(decodeStationCertificate(new Uint8Array([1, 2, 3]))).toEqual({ ok: false, reason: 'malformed' });
  });
});

describe('revocation lists', () => {
  const root = makeRoot();
  it('round-trips and refuses a list signed by another key', () => {
    const crl = createRevocationList({ rootPrivateKey: root.privateKey, seq: 4, ids: [9, 3, 9], issuedAt: NOW });
    expect(verifyRevocationList({ revocationList: crl, rootPublicKey: root.publicKey })).toEqual({ ok: true, revocationList: { seq: 4, ids: [3, 9], issuedAt: NOW } });
    expect(verifyRevocationList({ revocationList: crl, rootPublicKey: makeRoot().publicKey })).toEqual({ ok: false, reason: 'bad-signature' });
    expect(verifyRevocationList({ revocationList: crl.subarray(1), rootPublicKey: root.publicKey })).toEqual({ ok: false, reason: 'malformed' });
  });
  it('does not accept a certificate as a list (domain separation)', () => {
    const { certificate } = makeStation(root.privateKey);
    expect(verifyRevocationList({ revocationList: certificate, rootPublicKey: root.publicKey }).ok).toBe(false);
  });
  it('is bounded', () => {
    expect(() => createRevocationList({ rootPrivateKey: root.privateKey, seq: 1, ids: Array.from({ length: 65 }, (_, i) => i + 1), issuedAt: NOW })).toThrow(/at most 64/);
  });
});

/** A fob and a station that have exchanged HELLO. */
function setup(opts: { station?: StationCredentials; root?: ReturnType<typeof makeRoot>; fobList?: Uint8Array; now?: number } = {}) {
  const root = opts.root ?? makeRoot();
  const fobStatic = x25519.keygen();
  const helloRequestBody = new Uint8Array([0xa2, 1, 2, 3]);
  const helloResponseBody = new Uint8Array([0xa9, 4, 5, 6, 7]);
  const s = makeStation(root.privateKey);
  const station = opts.station ?? { privateKey: s.key.privateKey, certificate: s.certificate };
  const hs = createStationHandshake({ helloRequestBody, helloResponseBody, fobPublicKey: fobStatic.publicKey, station });
  const accept = (request = hs.request, now = opts.now ?? NOW) =>
    acceptSession({ staticPrivateKey: fobStatic.secretKey, helloRequestBody, helloResponseBody, request, rootPublicKey: root.publicKey, revocationList: opts.fobList, now });
  return { root, hs, accept, station: s };
}

describe('handshake', () => {
  it('gives both ends the same keys and sid', () => {
    const { hs, accept } = setup();
    const fob = accept();
    expect(fob.ok).toBe(true);
    if (!fob.ok) return;
    expect(fob.sid).toEqual(hs.sid);
    expect(fob.certificate.id).toBe(7);
    const header = new Uint8Array([1, 2, 6, 0, 9]);
    const rec = hs.send.seal(header, new Uint8Array([42]));
    expect(fob.receive.open(header, rec)).toMatchObject({ ok: true, plaintext: new Uint8Array([42]), counter: 1n });
    const back = fob.send.seal(header, new Uint8Array([43]));
    expect(hs.receive.open(header, back)).toMatchObject({ ok: true, plaintext: new Uint8Array([43]) });
  });

  it('refuses a wrong station key (certificate of another key)', () => {
    const root = makeRoot();
    const s = makeStation(root.privateKey);
    const impostor = generateSigningKeyPair();
    const { accept } = setup({ root, station: { privateKey: impostor.privateKey, certificate: s.certificate } });
    expect(accept()).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('refuses a certificate from another root, an expired one, a revoked one', () => {
    const { accept: acceptForeign } = setup({ station: (() => { const s = makeStation(makeRoot().privateKey); return { privateKey: s.key.privateKey, certificate: s.certificate }; })() });
    expect(acceptForeign()).toMatchObject({ ok: false, reason: 'cert-bad-signature' });
    const root = makeRoot();
    const expired = makeStation(root.privateKey, { notBefore: NOW - 10 * DAY, notAfter: NOW - DAY });
    expect(setup({ root, station: { privateKey: expired.key.privateKey, certificate: expired.certificate } }).accept()).toMatchObject({ ok: false, reason: 'cert-expired' });
    const s = makeStation(root.privateKey, { id: 12 });
    const crl = createRevocationList({ rootPrivateKey: root.privateKey, seq: 1, ids: [12], issuedAt: NOW });
    expect(setup({ root, station: { privateKey: s.key.privateKey, certificate: s.certificate }, fobList: crl }).accept()).toMatchObject({ ok: false, reason: 'cert-revoked' });
  });

  it('adopts a newer list a station brings, even when it revokes that station', () => {
    const root = makeRoot();
    const s = makeStation(root.privateKey, { id: 12 });
    const old = createRevocationList({ rootPrivateKey: root.privateKey, seq: 1, ids: [], issuedAt: NOW });
    const newer = createRevocationList({ rootPrivateKey: root.privateKey, seq: 2, ids: [12], issuedAt: NOW });
    const r = setup({ root, fobList: old, station: { privateKey: s.key.privateKey, certificate: s.certificate, revocationList: newer } }).accept();
    expect(r).toMatchObject({ ok: false, reason: 'cert-revoked' });
    expect(r.newRevocationList).toEqual(newer);
    // An older list brought by a station is ignored, never adopted.
    const r2 = setup({ root, fobList: newer, station: { privateKey: s.key.privateKey, certificate: s.certificate, revocationList: old } }).accept();
    expect(r2).toMatchObject({ ok: false, reason: 'cert-revoked' });
    expect(r2.newRevocationList).toBeUndefined();
    const forged = createRevocationList({ rootPrivateKey: makeRoot().privateKey, seq: 9, ids: [], issuedAt: NOW });
    expect(setup({ root, station: { privateKey: s.key.privateKey, certificate: s.certificate, revocationList: forged } }).accept()).toMatchObject({ ok: false, reason: 'bad-crl' });
  });

  it('binds the transcript: another eph or malformed fields are refused', () => {
    const { hs, accept } = setup();
    expect(accept({ ...hs.request, eph: x25519.keygen().publicKey })).toMatchObject({ ok: false, reason: 'bad-signature' });
    expect(accept({ ...hs.request, sig: hs.request.sig.subarray(1) })).toMatchObject({ ok: false, reason: 'malformed' });
    expect(accept({ ...hs.request, eph: new Uint8Array(32) })).toMatchObject({ ok: false, reason: 'bad-signature' });
  });
});

describe('records', () => {
  const key = new Uint8Array(32).fill(5);
  const header = new Uint8Array([1, 3, 6, 0, 1]);

  it('refuses a replay, a reorder and a tamper with distinct reasons', () => {
    const tx = new SecureChannel({ key, direction: 'send' });
    const rx = new SecureChannel({ key, direction: 'receive' });
    const r1 = tx.seal(header, new Uint8Array([1]));
    const r2 = tx.seal(header, new Uint8Array([2]));
    const r3 = tx.seal(header, new Uint8Array([3]));
    expect(rx.open(header, r2).ok).toBe(true);
    expect(rx.open(header, r2)).toEqual({ ok: false, reason: 'replayed' });
    expect(rx.open(header, r1)).toEqual({ ok: false, reason: 'replayed' });
    const tampered = Uint8Array.from(r3);
    tampered[tampered.length - 1]! ^= 0x80;
    expect(rx.open(header, tampered)).toEqual({ ok: false, reason: 'auth-failed' });
    expect(rx.open(new Uint8Array([1, 3, 6, 0, 2]), r3)).toEqual({ ok: false, reason: 'auth-failed' });
    expect(rx.open(header, r3).ok).toBe(true);
    expect(rx.open(header, new Uint8Array(10))).toEqual({ ok: false, reason: 'malformed' });
  });

  it('every single-byte change of a record or its header is refused', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (plaintext, pos, xor) => {
        const tx = new SecureChannel({ key, direction: 'send' });
        const rx = new SecureChannel({ key, direction: 'receive' });
        const rec = tx.seal(header, plaintext);
        const all = new Uint8Array([...header, ...rec]);
        all[pos % all.length]! ^= xor;
        const r = rx.open(all.subarray(0, 5), all.subarray(5));
        expect(r.ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('zeroes its key on close', () => {
    const k = Uint8Array.from(key);
    const tx = new SecureChannel({ key: k, direction: 'send' });
    tx.close();
    expect(() => tx.seal(header, new Uint8Array(1))).toThrow(/closed/);
    const rx = new SecureChannel({ key, direction: 'receive' });
    rx.close();
    expect(rx.open(header, new Uint8Array(30))).toEqual({ ok: false, reason: 'closed' });
  });
});

describe('sealed envelopes', () => {
  const { privateKey, publicKey } = generateSealKeyPair();
  const secret = new Uint8Array(20).fill(0x3c);
  const envelope = sealToRecipient({ recipientPublicKey: publicKey, plaintext: secret, context: 'seed:FK00000013' });

  it('opens with the right key and context', () => {
    expect(openSealed({ recipientPrivateKey: privateKey, envelope, context: 'seed:FK00000013' })).toEqual(secret);
    // The public key the caller keeps (as the backend does) opens it the same.
    expect(openSealed({ recipientPrivateKey: privateKey, recipientPublicKey: publicKey, envelope, context: 'seed:FK00000013' })).toEqual(secret);
  });
  it('refuses a wrong key, a wrong context, a tampered or truncated envelope', () => {
    const code = (f: () => unknown) => {
      try {
        f();
        return 'opened';
      } catch (e) {
        return isProtocolError(e, 'SEAL_FAILED') ? 'SEAL_FAILED' : String(e);
      }
    };
    expect(code(() => openSealed({ recipientPrivateKey: generateSealKeyPair().privateKey, envelope, context: 'seed:FK00000013' }))).toBe('SEAL_FAILED');
    expect(code(() => openSealed({ recipientPrivateKey: privateKey, envelope, context: 'seed:FK00000021' }))).toBe('SEAL_FAILED');
    // A public key that is not the private key's: bound into the key derivation, so it fails.
    expect(code(() => openSealed({ recipientPrivateKey: privateKey, recipientPublicKey: generateSealKeyPair().publicKey, envelope, context: 'seed:FK00000013' }))).toBe('SEAL_FAILED');
    const bad = Uint8Array.from(envelope);
    bad[50]! ^= 1;
    expect(code(() => openSealed({ recipientPrivateKey: privateKey, envelope: bad, context: 'seed:FK00000013' }))).toBe('SEAL_FAILED');
    expect(code(() => openSealed({ recipientPrivateKey: privateKey, envelope: envelope.subarray(0, 40), context: 'seed:FK00000013' }))).toBe('SEAL_FAILED');
  });
});

describe('session reasons on the wire', () => {
  it('maps fob refusals to wire errors and back', async () => {
    const { sessionFailureErrorBody, sessionReasonFromMessage } = await import('@fobkit/protocol/session');
    expect(sessionFailureErrorBody('cert-expired')).toMatchObject({ code: 6, name: 'AUTH_FAILED', msg: expect.stringMatching(/^cert-expired: /) });
    expect(sessionFailureErrorBody('replayed')).toMatchObject({ code: 13, name: 'REPLAYED' });
    expect(sessionFailureErrorBody('no-session')).toMatchObject({ code: 5, name: 'AUTH_REQUIRED' });
    for (const reason of ['cert-revoked', 'bad-signature', 'auth-failed'] as const) {
      expect(sessionReasonFromMessage(sessionFailureErrorBody(reason).msg)).toBe(reason);
    }
    expect(sessionReasonFromMessage('station not authorised (cert-revoked)')).toBe('cert-revoked');
    expect(sessionReasonFromMessage('too many failed authentications')).toBeUndefined();
    expect(sessionReasonFromMessage('evil: (nonsense)')).toBeUndefined();
  });
});

describe('robustness (fast-check)', () => {
  const root = makeRoot();
  it('certificates round-trip for any valid fields', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 0xffff_ffff }),
        // eslint-disable-next-line no-control-regex -- control characters are exactly what a name may not hold
        fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !/[\u0000-\u001f\u007f]/.test(s)),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.integer({ min: 1, max: 2 ** 30 }),
        (id, name, pub, nbf, span) => {
          const certificate = issueStationCertificate({ rootPrivateKey: root.privateKey, id, name, stationPublicKey: pub, notBefore: nbf, notAfter: nbf + span });
          expect(certificate.length).toBeLessThanOrEqual(256);
          const r = verifyStationCertificate({ certificate, rootPublicKey: root.publicKey, now: nbf });
          expect(r).toMatchObject({ ok: true, certificate: { id, name, notBefore: nbf, notAfter: nbf + span } });
        },
      ),
      { numRuns: 100 },
    );
  });

  it('acceptSession and the verifiers never throw on hostile request fields', () => {
    const fob = x25519.keygen();
    const bytes = fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.constant(undefined), fc.constant('x'), fc.constant(new Uint8Array(32)));
    fc.assert(
      fc.property(bytes, bytes, bytes, bytes, (eph, cert, sig, crl) => {
        const request = { eph, cert, sig, ...(crl === undefined ? {} : { crl }) } as never;
        const r = acceptSession({ staticPrivateKey: fob.secretKey, helloRequestBody: new Uint8Array(3), helloResponseBody: new Uint8Array(3), request, rootPublicKey: root.publicKey, now: NOW });
        expect(r.ok).toBe(false);
        expect(verifyStationCertificate({ certificate: cert as never, rootPublicKey: root.publicKey, now: NOW }).ok).toBe(false);
        expect(verifyRevocationList({ revocationList: crl as never, rootPublicKey: root.publicKey }).ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
