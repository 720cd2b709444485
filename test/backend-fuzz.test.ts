/**
 * Fuzzed requests never cause a 5xx: random JSON bodies, bodies shaped like the real ones with
 * random values, raw bytes, random paths and methods, sent with every role's key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createTestDatabase, databaseKinds, registerFob, startTestBackend, type TestBackend } from '../backend/src/testing/harness.js';

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
    `/v1/tokens/${serial}/resync`, '/v1/users/fuzz/app', '/v1/users/fuzz/unlock', '/v1/validate',
  ];
  const fieldNames = ['serial', 'model', 'sealedSecret', 'kid', 'algorithm', 'digits', 'period', 't0', 'batch', 'provisionedAt', 'clockOffset',
    'count', 'user', 'reason', 'code', 'time', 'code1', 'code2', 'label', '__proto__', 'constructor'];
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
