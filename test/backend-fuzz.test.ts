/**
 * Fuzzed requests never cause a 5xx: random JSON bodies, bodies shaped like the real ones with
 * random values, raw bytes, random paths and methods, sent with every role's key; and every field
 * shaped like a key (X25519 public keys, sealed envelopes, API keys) given all-zero and
 * small-order points, wrong lengths and text that is not base64url.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createTestDatabase, databaseKinds, registerFob, startTestBackend, type TestBackend } from '../backend/src/testing/harness.js';

/**
 * X25519 u-coordinates of small order (little-endian), from the list at
 * https://cr.yp.to/ecdh.html#validate: 0, 1, the two of order 8, p − 1, p, p + 1. The list's
 * last five (the order-8 points plus p, and 2p − 1 … 2p + 1) have the top bit set, which
 * RFC 7748 §5 masks off, so they are other points: accepted, and only fuzzed here.
 */
const SMALL_ORDER_HEX = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
];
const TOP_BIT_SET_HEX = [
  'cdeb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b880',
  '4c9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f11d7',
  'd9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
  'daffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
  'dbffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
];
const SMALL_ORDER = SMALL_ORDER_HEX.map((h) => Buffer.from(h, 'hex'));
const TOP_BIT_SET = TOP_BIT_SET_HEX.map((h) => Buffer.from(h, 'hex'));
const b64u = (b: Uint8Array): string => Buffer.from(b).toString('base64url');

const kinds = await databaseKinds('backend-fuzz');
const ROLES = ['station', 'support', 'validator', 'admin'] as const;

describe.each(kinds)('fuzzed requests on %s', (kind) => {
  let t: TestBackend;
  let serial = '';
  beforeAll(async () => {
    t = await startTestBackend({ db: await createTestDatabase(kind) });
    serial = (await registerFob(t, { user: 'fuzz' })).serial;
  });
  afterAll(async () => {
    await t?.close();
    await t?.db.cleanup();
  });

  const paths = () => [
    '/v1/serials/reserve', '/v1/tokens', `/v1/tokens/${serial}/activate`, `/v1/tokens/${serial}/assign`, `/v1/tokens/${serial}/unbind`,
    `/v1/tokens/${serial}/revoke`, `/v1/tokens/${serial}/enable`, `/v1/tokens/${serial}/disable`, `/v1/tokens/${serial}/check`,
    `/v1/tokens/${serial}/resync`, '/v1/users/fuzz/app', '/v1/users/fuzz/unlock', '/v1/validate', '/v1/exports',
  ];
  const fieldNames = ['serial', 'model', 'sealedSecret', 'kid', 'algorithm', 'digits', 'period', 't0', 'batch', 'provisionedAt', 'clockOffset',
    'count', 'user', 'reason', 'code', 'time', 'code1', 'code2', 'label', 'format', 'recipientPublicKey', 'after', 'limit', '__proto__', 'constructor'];
  const value = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom(0, -1, 1e308, -1e308, 2 ** 53, 0.5, 6, 8, 60, 3600, 'sha1', 'FK00000013', 'FK00000012', '', '000000', '12345678', 'AAAA', 'x'.repeat(300)),
    fc.string({ maxLength: 40 }),
    fc.string({ maxLength: 20, unit: 'binary' }),
    fc.integer(),
    fc.double(),
  );
  const shaped = fc.dictionary(fc.constantFrom(...fieldNames), value, { maxKeys: 8 });
  const send = async (role: (typeof ROLES)[number], method: string, path: string, body: string | undefined, type = 'application/json') =>
    (await fetch(`${t.url}${path}`, { method, headers: { authorization: `Bearer ${t.keys[role]}`, 'content-type': type }, body })).status;

  it('never answers 5xx to JSON bodies, shaped or not', { timeout: 120_000 }, async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom(...ROLES), fc.constantFrom(...paths()), fc.oneof(shaped, fc.jsonValue({ maxDepth: 3 })), async (role, path, body) => {
      const status = await send(role, 'POST', path, JSON.stringify(body));
      expect(status).toBeLessThan(500);
    }), { numRuns: 400 });
  });

  it('never answers 5xx to bodies that pass the types but carry edge values', { timeout: 120_000 }, async () => {
    const digits = fc.stringMatching(/^[0-9]{6,8}$/);
    const user = fc.stringMatching(/^[a-z0-9.@_\\-]{1,20}$/);
    const time = fc.double({ min: 0, max: 4_102_444_800, noNaN: true });
    const b64 = fc.uint8Array({ minLength: 1, maxLength: 120 }).map((b) => Buffer.from(b).toString('base64url'));
    const req = fc.oneof(
      fc.record({ user, code: fc.oneof(digits, fc.string({ minLength: 1, maxLength: 16 })) }).map((b) => ['/v1/validate', b] as const),
      fc.record({ code: digits, time: fc.option(time, { nil: undefined }) }, { requiredKeys: ['code'] }).map((b) => [`/v1/tokens/${serial}/check`, b] as const),
      fc.record({ code1: digits, code2: digits }).map((b) => [`/v1/tokens/${serial}/resync`, b] as const),
      fc.record({ user }).map((b) => [`/v1/tokens/${serial}/assign`, b] as const),
      fc.record({ reason: fc.string({ minLength: 1, maxLength: 30, unit: 'binary' }) }).map((b) => [`/v1/tokens/${serial}/disable`, b] as const),
      fc.record({ label: fc.string({ minLength: 1, maxLength: 30, unit: 'binary' }) }).map((b) => ['/v1/users/fuzz/app', b] as const),
      fc.record({ count: fc.integer({ min: 1, max: 50 }) }).map((b) => ['/v1/serials/reserve', b] as const),
      fc.record({
        serial: fc.oneof(fc.constantFrom(serial, 'FK00000013'), fc.string({ maxLength: 12 })), model: fc.string({ minLength: 1, maxLength: 8, unit: 'binary' }), sealedSecret: b64,
        kid: fc.string({ minLength: 1, maxLength: 8 }), algorithm: fc.constantFrom('sha1', 'sha256', 'sha512'), digits: fc.constantFrom(6, 7, 8),
        period: fc.integer({ min: 1, max: 3600 }), t0: time, provisionedAt: time, clockOffset: fc.double({ min: -86_400, max: 86_400, noNaN: true }),
      }).map((b) => ['/v1/tokens', b] as const),
    );
    await fc.assert(fc.asyncProperty(fc.constantFrom(...ROLES), req, async (role, [path, body]) => {
      const status = await send(role, 'POST', path, JSON.stringify(body));
      expect(status).toBeLessThan(500);
    }), { numRuns: 300 });
  });

  it('refuses an export to an all-zero or small-order X25519 key with 400 INVALID_PUBLIC_KEY, for any role that may call it', async () => {
    for (const key of SMALL_ORDER) {
      const r = await t.call<{ error: { code: string } }>('admin', 'POST', '/v1/exports', { batch: 'B1', format: 'pskc', recipientPublicKey: b64u(key) });
      expect(r.status, key.toString('hex')).toBe(400);
      expect(r.body.error.code).toBe('INVALID_PUBLIC_KEY');
    }
    for (const length of [1, 16, 31]) {
      const r = await t.call<{ error: { code: string } }>('admin', 'POST', '/v1/exports', { batch: 'B1', format: 'pskc', recipientPublicKey: b64u(Buffer.alloc(length, 9)) });
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('INVALID_PUBLIC_KEY');
    }
  });

  it('never answers 5xx to key-shaped fields: small-order points, wrong lengths, text that is not base64url', { timeout: 120_000 }, async () => {
    const reg = await t.call<{ kid: string; publicKey: string }>('admin', 'GET', '/v1/registration-key');
    const keyBytes = fc.oneof(
      fc.constantFrom(...SMALL_ORDER, ...TOP_BIT_SET),
      fc.integer({ min: 0, max: 80 }).map((n) => Buffer.alloc(n)),
      fc.uint8Array({ minLength: 0, maxLength: 80 }).map((b) => Buffer.from(b)),
      fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b)),
    );
    const keyText = fc.oneof(
      keyBytes.map(b64u),
      keyBytes.map((b) => b.toString('base64')), // padding, + and /
      keyBytes.map((b) => b.toString('hex')),
      fc.constantFrom('', '=', 'A', 'AA==', '****', '\u0000'.repeat(43), 'A'.repeat(43), 'A'.repeat(44), 'A'.repeat(4000), reg.body.publicKey),
      fc.string({ maxLength: 60 }),
    );
    // A sealed envelope (version | ephemeral key | nonce | ciphertext+tag) carrying a bad ephemeral key.
    const envelope = fc.tuple(fc.constantFrom(1, 0, 2), keyBytes, fc.uint8Array({ minLength: 0, maxLength: 60 }))
      .map(([v, eph, rest]) => b64u(Buffer.concat([Buffer.from([v]), eph, Buffer.from(rest)])));
    const profile = { model: 'FK-1', algorithm: 'sha1', digits: 6, period: 60, t0: 0, provisionedAt: t.clock(), clockOffset: 0 };
    const req = fc.oneof(
      fc.record({ batch: fc.constantFrom('B1', 'NONE'), format: fc.constantFrom('pskc', 'pam-oath'), recipientPublicKey: keyText })
        .map((b) => ['admin', '/v1/exports', b] as const),
      fc.record({ serial: fc.constantFrom(serial, 'FK00000013'), sealedSecret: fc.oneof(envelope, keyText), kid: fc.oneof(fc.constant(reg.body.kid), keyText) })
        .map((b) => ['station', '/v1/tokens', { ...profile, ...b }] as const),
    );
    await fc.assert(fc.asyncProperty(req, async ([role, path, body]) => {
      const status = await send(role, 'POST', path, JSON.stringify(body));
      expect(status).toBeLessThan(500);
    }), { numRuns: 300 });
    // API keys of every shape: always 401, never 5xx.
    await fc.assert(fc.asyncProperty(keyText, fc.constantFrom('fbk_', 'fbk_x_', `${t.keys.admin.slice(0, 12)}`, ''), async (text, prefix) => {
      const res = await fetch(`${t.url}/v1/audit`, { headers: { authorization: `Bearer ${prefix}${text}` } }).catch(() => undefined);
      // A header with characters fetch refuses to send never reaches the server.
      if (res) expect([401, 403]).toContain(res.status);
    }), { numRuns: 200 });
  });

  it('never answers 5xx to odd query strings on the GET endpoints', { timeout: 120_000 }, async () => {
    const text = fc.oneof(
      fc.constantFrom('', '0', '-1', '1e400', '0x10', '1.5', 'NaN', '9007199254740993', '%00', '%E0%A4%A', '%F0%9F%98%80', '%ED%A0%80', 'FK00000013'),
      fc.string({ maxLength: 40 }).map(encodeURIComponent),
      fc.string({ maxLength: 300, unit: 'binary' }).map(encodeURIComponent),
    );
    const query = fc.array(fc.tuple(fc.constantFrom('after', 'limit', 'subject', 'status', 'x'), text), { maxLength: 4 })
      .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&'));
    await fc.assert(fc.asyncProperty(fc.constantFrom(...ROLES), fc.constantFrom('/v1/audit', `/v1/tokens/${serial}`, '/v1/users/fuzz', '/v1/registration-key', '/v1/health'), query, async (role, path, q) => {
      const status = await send(role, 'GET', `${path}?${q}`, undefined);
      expect(status).toBeLessThan(500);
    }), { numRuns: 300 });
  });

  it('never answers 5xx to raw bytes, odd paths, methods and content types', { timeout: 120_000 }, async () => {
    const segment = fc.oneof(fc.constantFrom('v1', 'tokens', 'users', serial, 'FK0000001', '%00', '%E0%A4%A', '..', '', 'app', 'check'), fc.string({ maxLength: 12 }).map(encodeURIComponent));
    await fc.assert(fc.asyncProperty(
      fc.constantFrom(...ROLES), fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'PATCH'),
      fc.oneof(fc.constantFrom(...paths()), fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => `/${s.join('/')}`)),
      fc.option(fc.oneof(fc.string({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')))),
      fc.constantFrom('application/json', 'text/plain', 'application/json; charset=utf-8', ''),
      async (role, method, path, body, type) => {
        const hasBody = body !== null && method !== 'GET';
        const status = await send(role, method, path, hasBody ? body : undefined, type);
        expect(status).toBeLessThan(500);
      },
    ), { numRuns: 400 });
  });
});
