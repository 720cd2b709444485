/**
 * `GET /v1/whoami` (issue 16.6): any valid key learns its own id, role and label and the
 * service's version, never a secret; no key or a revoked one is 401. Stations call it at start-up
 * to refuse a key without the station role before touching a fob.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, databaseKinds, startTestBackend, type TestBackend } from '../backend/src/testing/harness.js';
import { createApiKey, revokeApiKey } from '../backend/src/service/apiKeyStore.js';
import { BACKEND_VERSION } from '../backend/src/version.js';

const kinds = await databaseKinds('backend-whoami');

describe.each(kinds)('GET /v1/whoami on %s', (kind) => {
  let t: TestBackend;
  beforeAll(async () => {
    t = await startTestBackend({ db: await createTestDatabase(kind) });
  });
  afterAll(async () => {
    await t?.close();
    await t?.db.cleanup();
  });

  it('describes the calling key for every role, without its secret', async () => {
    for (const role of ['station', 'support', 'validator', 'admin'] as const) {
      const r = await t.call<Record<string, unknown>>(role, 'GET', '/v1/whoami');
      expect(r.status).toBe(200);
      const keyId = t.keys[role].split('_')[1];
      expect(r.body).toMatchObject({ service: 'fobkit-backend', version: BACKEND_VERSION, keyId, role });
      expect(Object.keys(r.body).sort()).toEqual(['keyId', 'label', 'role', 'service', 'version']);
      // The secret is what follows fbk_<id>_ (it may itself contain '_').
      expect(JSON.stringify(r.body)).not.toContain(t.keys[role].slice(`fbk_${keyId}_`.length));
    }
    const labelled = await createApiKey(t.running.backend.ctx, 'test', 'station', 'line-3');
    const r = await fetch(`${t.url}/v1/whoami`, { headers: { authorization: `Bearer ${labelled.token}` } });
    expect(await r.json()).toEqual({ service: 'fobkit-backend', version: BACKEND_VERSION, keyId: labelled.id, role: 'station', label: 'line-3' });
    await revokeApiKey(t.running.backend.ctx, 'test', labelled.id);
  });

  it('is 401 without a key or with a revoked one, and is in the OpenAPI document', async () => {
    expect((await t.call(null, 'GET', '/v1/whoami')).status).toBe(401);
    const k = await createApiKey(t.running.backend.ctx, 'test', 'support');
    await revokeApiKey(t.running.backend.ctx, 'test', k.id);
    expect((await fetch(`${t.url}/v1/whoami`, { headers: { authorization: `Bearer ${k.token}` } })).status).toBe(401);
    const doc = await t.call<{ paths: Record<string, { get?: { responses: Record<string, unknown> } }> }>(null, 'GET', '/v1/openapi.json');
    expect(doc.body.paths['/v1/whoami']?.get?.responses['200']).toBeDefined();
  });
});
