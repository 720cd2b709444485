/**
 * `GET /v1/whoami` (any role) → `{ service, version, keyId, role, label }`: the API key's own
 * description (never its secret). Stations call it at start-up to refuse a key without the
 * station role before touching a fob.
 */
import { whoAmI } from '../service/whoAmI.js';
import type { Route } from './routes.js';

export const whoamiRoute: Route = {
  method: 'GET',
  path: '/v1/whoami',
  roles: ['station', 'support', 'validator', 'admin'],
  summary: "The calling API key's id, role and label, and the service's version",
  handler: async (ctx, req) => ({ body: await whoAmI(ctx, req.actor) }),
};
