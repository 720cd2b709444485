/**
 * GET /v1/openapi.json: the normative description of this API (OpenAPI 3.1). The request
 * bodies come from the same schemas the server enforces (bodies.ts); the rest is written here.
 */
import { BACKEND_VERSION } from '../version.js';
import { HTTP_STATUS } from '../errors.js';
import type { Route } from './routes.js';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

const RESPONSES: Record<string, { status: string; schema: unknown }> = {
  'GET /v1/registration-key': { status: '200', schema: ref('RegistrationKey') },
  'POST /v1/serials/reserve': { status: '201', schema: { type: 'object', required: ['serials'], properties: { serials: { type: 'array', items: { type: 'string' } } } } },
  'POST /v1/tokens': { status: '201', schema: { type: 'object', required: ['serial', 'state'], properties: { serial: { type: 'string' }, state: ref('TokenState') }, description: '201 when created, 200 when the same registration was already there' } },
  'GET /v1/tokens/{serial}': { status: '200', schema: ref('Token') },
  'POST /v1/tokens/{serial}/check': { status: '200', schema: ref('CheckResult') },
  'POST /v1/tokens/{serial}/resync': { status: '200', schema: ref('ResyncResult') },
  'POST /v1/users/{user}/app': { status: '201', schema: ref('AppEnrolment') },
  'GET /v1/users/{user}': { status: '200', schema: ref('User') },
  'POST /v1/users/{user}/unlock': { status: '200', schema: ref('User') },
  'POST /v1/validate': { status: '200', schema: ref('ValidateResult') },
  'GET /v1/users/{user}/auth-log': { status: '200', schema: ref('AuthLog') },
  'GET /v1/tokens/{serial}/auth-log': { status: '200', schema: ref('AuthLog') },
};

const SCHEMAS = {
  Error: {
    type: 'object', required: ['error'], properties: {
      error: { type: 'object', required: ['code', 'message'], properties: { code: { enum: Object.keys(HTTP_STATUS) }, message: { type: 'string' } } },
    },
  },
  TokenState: { enum: ['pending', 'available', 'assigned', 'quarantined', 'revoked'] },
  TokenSummary: { type: 'object', required: ['serial', 'state', 'enabled', 'user'], properties: { serial: { type: 'string' }, state: ref('TokenState'), enabled: { type: 'boolean' }, user: { type: ['string', 'null'] } } },
  RegistrationKey: { type: 'object', required: ['kid', 'publicKey'], properties: { kid: { type: 'string' }, publicKey: { type: 'string', description: 'X25519 public key, base64url (32 bytes)' } } },
  Token: {
    type: 'object', description: 'Never contains the seed.', properties: {
      serial: { type: 'string' }, model: { type: ['string', 'null'] }, batch: { type: ['string', 'null'] }, source: { enum: ['station', 'import'] },
      state: ref('TokenState'), enabled: { type: 'boolean' }, user: { type: ['string', 'null'] },
      algorithm: { enum: ['sha1', 'sha256', 'sha512'] }, digits: { enum: [6, 7, 8] }, period: { type: 'integer' }, t0: { type: 'number' },
      provisionedAt: { type: 'number' }, clockOffset: { type: 'number' },
      drift: { type: 'object', properties: { steps: { type: 'number' }, seconds: { type: 'number' }, ratePpm: { type: 'number' }, rateUncertaintyPpm: { type: 'number' } } },
      lastUsed: { type: ['number', 'null'] },
      failures: { type: 'object', properties: { count: { type: 'integer' }, lastAt: { type: ['number', 'null'] }, lockedUntil: { type: ['number', 'null'] } } },
      createdAt: { type: 'number' }, updatedAt: { type: 'number' },
      history: { type: 'array', items: { type: 'object', properties: { seq: { type: 'integer' }, at: { type: 'number' }, actor: { type: 'string' }, action: { type: 'string' }, detail: { type: 'object' } } } },
    },
  },
  CheckResult: {
    oneOf: [
      { type: 'object', required: ['ok', 'offsetSteps', 'offsetSeconds', 'step', 'state'], properties: { ok: { const: true }, offsetSteps: { type: 'integer' }, offsetSeconds: { type: 'number' }, step: { type: 'integer' }, state: ref('TokenState') } },
      { type: 'object', required: ['ok', 'reason'], properties: { ok: { const: false }, reason: { enum: ['malformed', 'mismatch'] } } },
    ],
  },
  ResyncResult: {
    oneOf: [
      { type: 'object', required: ['ok', 'offsetSteps', 'offsetSeconds'], properties: { ok: { const: true }, offsetSteps: { type: 'integer' }, offsetSeconds: { type: 'number' } } },
      { type: 'object', required: ['ok', 'reason'], properties: { ok: { const: false }, reason: { enum: ['malformed', 'mismatch', 'replayed'] } } },
    ],
  },
  AppEnrolment: {
    type: 'object', required: ['id', 'otpauthUri', 'state', 'expiresAt'], description: 'The new app is pending until its first code validates; only then is the active app (replaces) revoked.', properties: {
      id: { type: 'string' }, otpauthUri: { type: 'string', description: 'carries the secret: show it once as a QR code' },
      algorithm: { type: 'string' }, digits: { type: 'integer' }, period: { type: 'integer' },
      state: { const: 'pending' }, expiresAt: { type: 'number', description: 'the enrolment lapses unless a code of it validates before then' },
      replaces: { type: ['string', 'null'], description: 'the active app that is revoked when this one proves itself' },
      revokedPrevious: { type: ['string', 'null'], description: 'an earlier pending enrolment this one supersedes (revoked now); never the active app' },
    },
  },
  UserApp: {
    type: 'object', properties: {
      id: { type: 'string' }, label: { type: ['string', 'null'] }, algorithm: { type: 'string' }, digits: { type: 'integer' }, period: { type: 'integer' }, createdAt: { type: 'number' },
      state: { enum: ['active', 'pending'] }, expiresAt: { type: ['number', 'null'], description: 'pending: when the enrolment lapses; active: null' },
    },
  },
  User: {
    type: 'object', properties: {
      user: { type: 'string' },
      fob: { type: ['object', 'null'], properties: { serial: { type: 'string' }, enabled: { type: 'boolean' }, lastUsed: { type: ['number', 'null'] } } },
      app: { oneOf: [ref('UserApp'), { type: 'null' }], description: 'the active app, else the pending enrolment' },
      pendingApp: { oneOf: [ref('UserApp'), { type: 'null' }], description: 'an enrolment waiting for its first code (state pending), beside or instead of the active app' },
      failures: { type: 'object', properties: { count: { type: 'integer' }, lastAt: { type: ['number', 'null'] }, lockedUntil: { type: ['number', 'null'] } } },
    },
  },
  AuthLog: {
    type: 'object', required: ['entries'], properties: {
      entries: {
        type: 'array', description: 'newest first; never the code', items: {
          type: 'object', required: ['at', 'user', 'factor', 'serial', 'result', 'reason', 'source'], properties: {
            at: { type: 'number' }, user: { type: 'string' },
            factor: { enum: ['hardware', 'app', 'none'], description: 'the factor that matched, or the one the code was checked against; none when no factor was' },
            serial: { type: ['string', 'null'], description: "the user's assigned fob at the time" },
            result: { enum: ['ok', 'refused'] }, reason: { type: ['string', 'null'], description: 'the ValidateResult reason of a refusal' },
            source: { type: ['string', 'null'], description: 'the source the validator passed' },
          },
        },
      },
    },
  },
  ValidateResult: {
    oneOf: [
      { type: 'object', required: ['ok', 'factor', 'serial'], properties: { ok: { const: true }, factor: { const: 'hardware' }, serial: { type: 'string' } } },
      { type: 'object', required: ['ok', 'factor'], properties: { ok: { const: true }, factor: { const: 'app' } } },
      {
        type: 'object', required: ['ok', 'reason'], properties: {
          ok: { const: false },
          reason: { enum: ['malformed', 'no-factor', 'disabled', 'mismatch', 'revoked-device', 'replayed', 'rate-limited', 'locked-out'] },
          retryAfter: { type: 'integer', description: 'seconds, with rate-limited and locked-out' },
        },
      },
    ],
  },
};

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: ref('Error') } } });

export function buildOpenApi(routes: readonly Route[]): unknown {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const key = `${r.method} ${r.path}`;
    const resp = RESPONSES[key] ?? { status: '200', schema: r.path.startsWith('/v1/tokens/{serial}/') ? ref('TokenSummary') : { type: 'object' } };
    const params = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1], in: 'path', required: true, schema: { type: 'string' },
      description: m[1] === 'serial' ? 'fobkit serial (check digit verified: a mistyped serial is INVALID_SERIAL) or an imported vendor serial' : 'user id',
    }));
    paths[r.path] ??= {};
    paths[r.path]![r.method.toLowerCase()] = {
      summary: r.summary,
      operationId: `${r.method.toLowerCase()}${r.path.replace(/[{}]/g, '').split(/[/.-]/).map((s) => s.charAt(0).toUpperCase() + s.slice(1)).join('')}`,
      'x-roles': r.roles,
      ...(r.roles.length === 0 ? { security: [] } : {}),
      ...(params.length ? { parameters: params } : {}),
      ...(r.body ? { requestBody: { required: false, content: { 'application/json': { schema: r.body.json } } } } : {}),
      responses: {
        [resp.status]: { description: 'success', content: { 'application/json': { schema: resp.schema } } },
        '400': errorResponse('INVALID_REQUEST, INVALID_JSON, INVALID_SERIAL'),
        ...(r.roles.length ? { '401': errorResponse('UNAUTHORIZED'), '403': errorResponse('FORBIDDEN') } : {}),
        '404': errorResponse('NOT_FOUND'),
        ...(r.body ? { '409': errorResponse('CONFLICT, INVALID_STATE'), '413': errorResponse('PAYLOAD_TOO_LARGE'), '415': errorResponse('UNSUPPORTED_MEDIA_TYPE') } : {}),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'fobkit backend',
      version: BACKEND_VERSION,
      description: 'Registers, binds and validates fobkit hardware TOTP fobs and app factors. Times are Unix seconds. Roles: station, support, validator, admin (admin may also do what support may). See backend/API.md.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'fbk_<id>_<secret>, made by `fobkit-backend keys create --role …`' } },
      schemas: SCHEMAS,
    },
  };
}
