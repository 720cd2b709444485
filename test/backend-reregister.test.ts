/**
 * Refurbishing a returned fob at the backend (issue 16.7): a station may register a new seed
 * under a serial only once support revoked it; the token then starts over (`pending`, no user,
 * no replay history), the old seed stops working, and the audit log says `token.reregister`.
 * Any other state keeps refusing a different seed with 409.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { generateTotp } from '@fobkit/protocol/otp';
import { sealToRecipient } from '@fobkit/protocol/session';
import { createTestDatabase, databaseKinds, registerFob, startTestBackend, testClock, type TestBackend } from '../backend/src/testing/harness.js';

const kinds = await databaseKinds('backend-reregister');
const T0 = 1_800_000_000;

describe.each(kinds)('re-registering a revoked serial on %s', (kind) => {
  let t: TestBackend;
  beforeAll(async () => {
    t = await startTestBackend({ db: await createTestDatabase(kind), clock: testClock(T0 + 5) });
  });
  afterAll(async () => {
    await t?.close();
    await t?.db.cleanup();
  });

  async function register(serial: string, seed: Uint8Array): Promise<{ status: number; body: Record<string, unknown> }> {
    const reg = await t.call<{ kid: string; publicKey: string }>('station', 'GET', '/v1/registration-key');
    const sealed = sealToRecipient({ recipientPublicKey: new Uint8Array(Buffer.from(reg.body.publicKey, 'base64url')), plaintext: seed, context: `seed:${serial}` });
    return t.call('station', 'POST', '/v1/tokens', {
      serial, model: 'FK-1', sealedSecret: Buffer.from(sealed).toString('base64url'), kid: reg.body.kid, algorithm: 'sha1', digits: 6,
      period: 60, t0: 0, batch: 'refurb-1', provisionedAt: T0, clockOffset: 0,
    });
  }

  it('refuses a new seed while the token is in use, takes it once revoked, and starts the token over', async () => {
    const old = await registerFob(t, { user: 'rita' });
    const fresh = new Uint8Array(randomBytes(20));

    const refused = await register(old.serial, fresh);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error: { code: 'CONFLICT', message: expect.stringMatching(/assigned.*revoke it first/) } });

    expect((await t.call('support', 'POST', `/v1/tokens/${old.serial}/revoke`, { reason: 'returned' })).status).toBe(200);
    const taken = await register(old.serial, fresh);
    expect(taken.status).toBe(201);
    expect(taken.body).toEqual({ serial: old.serial, state: 'pending' });
    // The same registration again (a lost answer retried) is the idempotent 200.
    expect((await register(old.serial, fresh)).status).toBe(200);

    const token = await t.call<{ state: string; user: string | null; batch: string; failures: { count: number }; history: { action: string; detail: Record<string, unknown> }[] }>('support', 'GET', `/v1/tokens/${old.serial}`);
    expect(token.body).toMatchObject({ state: 'pending', user: null, batch: 'refurb-1', failures: { count: 0 } });
    expect(token.body.history.map((h) => h.action)).toEqual(expect.arrayContaining(['token.register', 'token.revoke', 'token.reregister']));
    expect(JSON.stringify(token.body)).not.toContain(Buffer.from(fresh).toString('hex'));

    // The new seed works once the refurbished fob is activated and handed out; the old one does not.
    expect((await t.call('station', 'POST', `/v1/tokens/${old.serial}/activate`)).status).toBe(200);
    expect((await t.call('support', 'POST', `/v1/tokens/${old.serial}/assign`, { user: 'rita' })).status).toBe(200);
    const now = t.clock();
    expect((await t.call('validator', 'POST', '/v1/validate', { user: 'rita', code: generateTotp({ secret: old.seed, time: now }) })).body).toMatchObject({ ok: false });
    expect((await t.call('validator', 'POST', '/v1/validate', { user: 'rita', code: generateTotp({ secret: fresh, time: now }) })).body).toMatchObject({ ok: true, serial: old.serial });
  });
});
