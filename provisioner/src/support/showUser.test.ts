/**
 * `showUser` against the auth-log contract another branch adds to the backend
 * (`GET /v1/users/{user}/auth-log` → `{ entries: [{ at, user, factor, serial, result, reason,
 * source }] }`), served here by a small HTTP server that speaks that contract, and against a
 * backend without it (404: the log is left out, not an error).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { SupportClient } from '../backendApi/supportClient.js';
import { showUser } from './showUser.js';

let server: Server;
let url = '';
let withLog = true;
const entries = [
  { at: 1000, user: 'alice', factor: 'hardware', serial: 'FK00000013', result: 'ok', reason: null, source: 'vpn' },
  { at: 3000, user: 'alice', factor: 'hardware', serial: 'FK00000013', result: 'refused', reason: 'replayed', source: 'vpn' },
  { at: 2000, user: 'alice', factor: 'app', serial: null, result: 'ok', reason: null, source: 'radius' },
];

beforeAll(async () => {
  server = createServer((req, res) => {
    const u = new URL(req.url!, 'http://x');
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (u.pathname === '/v1/openapi.json') return json(200, { openapi: '3.1.0', info: { title: 'fobkit backend', version: 'test' } });
    if (u.pathname === '/v1/users/alice') return json(200, { user: 'alice', fob: null, app: null, failures: { count: 0, lastAt: null, lockedUntil: 9_999_999_999 } });
    if (u.pathname === '/v1/users/alice/auth-log' && withLog) {
      // This server takes no query parameters, as a strict backend might.
      if (u.search) return json(400, { error: { code: 'INVALID_REQUEST', message: 'unknown query parameter' } });
      return json(200, { entries });
    }
    return json(404, { error: { code: 'NOT_FOUND', message: 'no such thing' } });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(() => {
  server?.close();
});

describe('showUser', () => {
  it('shows the auth log newest first, cut to the limit, and the lockout', async () => {
    withLog = true;
    const r = await showUser({ backend: new SupportClient({ baseUrl: url, apiKey: 'k' }), user: 'alice', logLimit: 2, clock: () => 5000 });
    expect(r?.authLog?.map((e) => e.at)).toEqual([3000, 2000]);
    expect(r?.locked).toBe(true);
  });

  it('a backend without the auth log: null, not an error', async () => {
    withLog = false;
    const r = await showUser({ backend: new SupportClient({ baseUrl: url, apiKey: 'k' }), user: 'alice' });
    expect(r).toMatchObject({ authLog: null, user: { user: 'alice' } });
  });

  it('an unknown user: null', async () => {
    expect(await showUser({ backend: new SupportClient({ baseUrl: url, apiKey: 'k' }), user: 'bob' })).toBeNull();
  });
});
