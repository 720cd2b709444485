/**
 * A serial belongs to the station key that reserved it (issue 16.2): another station key can
 * neither register a seed under it nor activate it (403 SERIAL_NOT_YOURS, the refusal audited),
 * an admin key may (audited as an override), and tokens imported from seed files keep their
 * rules (any station key activates them). On SQLite and PostgreSQL.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealToRecipient } from '@fobkit/protocol/session';
import { QaBackend } from '../provisioner/src/qa/qaBackend.js';
import { createApiKey } from '../backend/src/service/apiKeyStore.js';
import { importToken } from '../backend/src/service/tokens.js';
import { createTestDatabase, databaseKinds, startTestBackend, type ApiResponse, type TestBackend } from '../backend/src/testing/harness.js';

const kinds = await databaseKinds('backend-serial-ownership');

interface AuditEntry { actor: string; action: string; subject: string | null; detail: Record<string, unknown> }

describe.each(kinds)('serials owned by the station key that reserved them, on %s', (kind) => {
  let t: TestBackend;
  /** Station B: a second station key. */
  let b = { token: '', id: '' };
  let reg = { kid: '', publicKey: '' };
  beforeAll(async () => {
    t = await startTestBackend({ db: await createTestDatabase(kind) });
    const k = await createApiKey(t.running.backend.ctx, 'test', 'station', 'station B');
    b = { token: k.token, id: k.id };
    reg = (await t.call<{ kid: string; publicKey: string }>('station', 'GET', '/v1/registration-key')).body;
  });
  afterAll(async () => {
    await t?.close();
    await t?.db.cleanup();
  });

  /** Calls with station A's key ('station'), station B's key ('B') or the admin key. */
  const as = async <T = Record<string, unknown>>(who: 'station' | 'B' | 'admin', method: string, path: string, body?: unknown): Promise<ApiResponse<T>> => {
    if (who !== 'B') return t.call<T>(who, method, path, body);
    const res = await fetch(`${t.url}${path}`, { method, headers: { authorization: `Bearer ${b.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
  };
  const registration = (serial: string, seed: Uint8Array) => ({
    serial, model: 'FK-1', kid: reg.kid, algorithm: 'sha1', digits: 6, period: 60, t0: 0, batch: 'OWN', provisionedAt: t.clock(), clockOffset: 0,
    sealedSecret: Buffer.from(sealToRecipient({ recipientPublicKey: new Uint8Array(Buffer.from(reg.publicKey, 'base64url')), plaintext: seed, context: `seed:${serial}` })).toString('base64url'),
  });
  const reserve = async (who: 'station' | 'B'): Promise<string> => (await as<{ serials: string[] }>(who, 'POST', '/v1/serials/reserve', { count: 1 })).body.serials[0]!;
  const audit = async (serial: string): Promise<AuditEntry[]> =>
    (await t.call<{ entries: AuditEntry[] }>('admin', 'GET', `/v1/audit?subject=${serial}&limit=1000`)).body.entries;

  it('refuses another station key registering under a reserved serial, and audits it', async () => {
    const serial = await reserve('station');
    const theirs = await as<{ error: { code: string; message: string } }>('B', 'POST', '/v1/tokens', registration(serial, randomBytes(20)));
    expect(theirs.status).toBe(403);
    expect(theirs.body.error.code).toBe('SERIAL_NOT_YOURS');
    expect(theirs.body.error.message).not.toContain(t.keyIds.station);
    expect((await t.call('support', 'GET', `/v1/tokens/${serial}`)).status).toBe(404);
    expect(await audit(serial)).toEqual([expect.objectContaining({ actor: b.id, action: 'token.register-refused', detail: { reason: 'serial-not-yours', reservedBy: t.keyIds.station } })]);

    // The owner registers; the other key cannot even repeat the same registration.
    const seed = randomBytes(20);
    const body = registration(serial, seed);
    expect((await as('station', 'POST', '/v1/tokens', body)).status).toBe(201);
    expect((await as('B', 'POST', '/v1/tokens', body)).status).toBe(403);
    expect((await as('station', 'POST', '/v1/tokens', body)).status).toBe(200);
  });

  it('refuses another station key activating a fob before its station locked it, and audits it', async () => {
    const serial = await reserve('station');
    expect((await as('station', 'POST', '/v1/tokens', registration(serial, randomBytes(20)))).status).toBe(201);
    const theirs = await as<{ error: { code: string } }>('B', 'POST', `/v1/tokens/${serial}/activate`);
    expect([theirs.status, theirs.body.error.code]).toEqual([403, 'SERIAL_NOT_YOURS']);
    expect((await t.call<{ state: string }>('support', 'GET', `/v1/tokens/${serial}`)).body.state).toBe('pending');
    expect((await audit(serial)).map((e) => [e.actor, e.action])).toEqual([[t.keyIds.station, 'token.register'], [b.id, 'token.activate-refused']]);
    const mine = await as<{ state: string }>('station', 'POST', `/v1/tokens/${serial}/activate`);
    expect([mine.status, mine.body.state]).toEqual([200, 'available']);
    // Even the no-op of activating an available fob is the owner's.
    expect((await as('B', 'POST', `/v1/tokens/${serial}/activate`)).status).toBe(403);
  });

  it('hands a revoked serial to the station that refurbishes it: it alone (or an admin) activates it', async () => {
    const serial = await reserve('station');
    expect((await as('station', 'POST', '/v1/tokens', registration(serial, randomBytes(20)))).status).toBe(201);
    expect((await as('station', 'POST', `/v1/tokens/${serial}/activate`)).status).toBe(200);
    // Before support revokes it, the serial is still station A's, refurbished or not.
    expect((await as<{ error: { code: string } }>('B', 'POST', '/v1/tokens', registration(serial, randomBytes(20)))).body.error.code).toBe('SERIAL_NOT_YOURS');
    expect((await t.call('support', 'POST', `/v1/tokens/${serial}/revoke`, { reason: 'returned for refurbishing' })).status).toBe(200);
    const refurbished = await as<{ state: string }>('B', 'POST', '/v1/tokens', registration(serial, randomBytes(20)));
    expect([refurbished.status, refurbished.body.state]).toEqual([201, 'pending']);
    // The reservation no longer decides: station A cannot activate B's refurbished fob.
    const a = await as<{ error: { code: string } }>('station', 'POST', `/v1/tokens/${serial}/activate`);
    expect([a.status, a.body.error.code]).toEqual([403, 'SERIAL_NOT_YOURS']);
    const mine = await as<{ state: string }>('B', 'POST', `/v1/tokens/${serial}/activate`);
    expect([mine.status, mine.body.state]).toEqual([200, 'available']);
  });

  it('lets each station key work on its own serials', async () => {
    const serial = await reserve('B');
    expect((await as('B', 'POST', '/v1/tokens', registration(serial, randomBytes(20)))).status).toBe(201);
    expect((await as('station', 'POST', `/v1/tokens/${serial}/activate`)).status).toBe(403);
    expect((await as('B', 'POST', `/v1/tokens/${serial}/activate`)).status).toBe(200);
  });

  it('lets an admin key register and activate a serial another key reserved, audited as an override', async () => {
    const serial = await reserve('B');
    expect((await as('admin', 'POST', '/v1/tokens', registration(serial, randomBytes(20)))).status).toBe(201);
    expect((await as<{ state: string }>('admin', 'POST', `/v1/tokens/${serial}/activate`)).body.state).toBe('available');
    const entries = await audit(serial);
    expect(entries.map((e) => [e.actor, e.action, e.detail.override, e.detail.reservedBy])).toEqual([
      [t.keyIds.admin, 'token.register', true, b.id],
      [t.keyIds.admin, 'token.activate', true, b.id],
    ]);
  });

  it('leaves `fobkit qa` able to tell a station key whose role probe hits another station\'s FK00000013', async () => {
    // The probe activates FK00000013 and counts any 401/403 as "not this role"; in a fresh
    // database the first test above reserved and registered that serial with station A's key.
    expect((await as('B', 'POST', '/v1/tokens/FK00000013/activate')).status).toBe(403);
    const qa = await QaBackend.connect({ baseUrl: t.url, apiKeys: [b.token, t.keys.validator, t.keys.support] });
    expect(qa.station).toBeDefined();
  });

  it('keeps the rules of imported tokens: any station key activates them', async () => {
    const ctx = t.running.backend.ctx;
    await importToken(ctx, 'cli:test', { serial: 'VENDOR-0001', secret: randomBytes(20), algorithm: 'sha1', digits: 6, period: 30, t0: 0, state: 'pending' });
    expect((await as<{ state: string }>('B', 'POST', '/v1/tokens/VENDOR-0001/activate')).body.state).toBe('available');
    // A fobkit-form serial imported from a seed file is no station's either.
    const serial = await reserve('station');
    await importToken(ctx, 'cli:test', { serial, secret: randomBytes(20), algorithm: 'sha1', digits: 6, period: 30, t0: 0, state: 'pending' });
    expect((await as('B', 'POST', `/v1/tokens/${serial}/activate`)).status).toBe(200);
  });
});
