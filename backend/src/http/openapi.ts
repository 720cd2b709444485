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
  'GET /v1/whoami': { status: '200', schema: ref('WhoAmI') },
  'POST /v1/serials/reserve': { status: '201', schema: { type: 'object', required: ['serials'], properties: { serials: { type: 'array', items: { type: 'string' } } } } },
  'POST /v1/tokens': { status: '201', schema: { type: 'object', required: ['serial', 'state'], properties: { serial: { type: 'string' }, state: ref('TokenState') }, description: '201 when created, 200 when the same registration was already there' } },
  'GET /v1/tokens': { status: '200', schema: ref('TokenList') },
  'GET /v1/tokens/{serial}': { status: '200', schema: ref('Token') },
  'POST /v1/tokens/{serial}/check': { status: '200', schema: ref('CheckResult') },
  'POST /v1/tokens/{serial}/resync': { status: '200', schema: ref('ResyncResult') },
  'POST /v1/users/{user}/app': { status: '201', schema: ref('AppEnrolment') },
  'GET /v1/users/{user}': { status: '200', schema: ref('User') },
  'POST /v1/users/{user}/unlock': { status: '200', schema: ref('User') },
  'POST /v1/validate': { status: '200', schema: ref('ValidateResult') },
  'GET /v1/users/{user}/auth-log': { status: '200', schema: ref('AuthLog') },
  'GET /v1/tokens/{serial}/auth-log': { status: '200', schema: ref('AuthLog') },
  'PUT /v1/users/{user}/pin': { status: '200', schema: ref('UserPin') },
  'DELETE /v1/users/{user}/pin': { status: '200', schema: ref('UserPin') },
};

/** Query parameters, by route (path parameters come from the path). */
const QUERY: Record<string, unknown[]> = {
  'POST /v1/validate': [{
    name: 'status', in: 'query', required: false, schema: { enum: ['0', '1', 'false', 'true'] },
    description: 'Status mode for integrations that judge by the HTTP status (FreeRADIUS rlm_rest): 1 → 200 only on success, a refusal answers 401 (malformed, no-factor, mismatch, replayed, and any reason added later), 403 (disabled) or 429 (rate-limited, locked-out; with Retry-After), with the same ValidateResult body. Absent or 0: always 200 for a well-formed request.',
  }],
};

/** Extra responses of a route (status mode of validate: a refusal is a ValidateResult under 401/403/429). */
const validateRefusal = (description: string) => ({
  description, content: { 'application/json': { schema: { oneOf: [ref('ValidateResult'), ref('Error')] } } },
});
const EXTRA_RESPONSES: Record<string, Record<string, unknown>> = {
  'POST /v1/validate': {
    '401': validateRefusal('UNAUTHORIZED (an Error: no, bad or revoked API key); in status mode also a refusal (ValidateResult with ok false: malformed, no-factor, mismatch, replayed, or any other reason not listed under 403/429)'),
    '403': validateRefusal('FORBIDDEN (an Error: not a validator key); in status mode also a ValidateResult with reason disabled'),
    '429': {
      description: 'status mode only: reason rate-limited or locked-out; the Retry-After header gives the seconds (as retryAfter in the body)',
      headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'seconds until an attempt is checked again' } },
      content: { 'application/json': { schema: ref('ValidateResult') } },
    },
  },
};

const SCHEMAS = {
  Error: {
    type: 'object', required: ['error'], properties: {
      error: { type: 'object', required: ['code', 'message'], properties: { code: { enum: Object.keys(HTTP_STATUS) }, message: { type: 'string' } } },
    },
  },
  TokenState: { enum: ['pending', 'available', 'assigned', 'quarantined', 'revoked'] },
  TokenSummary: { type: 'object', required: ['serial', 'state', 'enabled', 'user'], properties: { serial: { type: 'string' }, state: ref('TokenState'), enabled: { type: 'boolean' }, user: { type: ['string', 'null'] } } },
  WhoAmI: {
    type: 'object', required: ['service', 'version', 'keyId', 'role', 'label'], description: 'The calling API key (never its secret)', properties: {
      service: { const: 'fobkit-backend' }, version: { type: 'string' }, keyId: { type: 'string' }, role: { enum: ['station', 'support', 'validator', 'admin'] }, label: { type: ['string', 'null'] },
    },
  },
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
  TokenList: {
    type: 'object', required: ['tokens', 'next'], description: 'One page, in serial order; never seed material. Query: prefix (start of the serial), user, state, batch, limit (1..500, default 50), cursor (the previous page\'s next).', properties: {
      tokens: {
        type: 'array', items: {
          type: 'object', required: ['serial', 'state', 'enabled', 'user'], properties: {
            serial: { type: 'string' }, model: { type: ['string', 'null'] }, batch: { type: ['string', 'null'] }, state: ref('TokenState'), enabled: { type: 'boolean' },
            user: { type: ['string', 'null'] }, provisionedAt: { type: 'number' }, lastUsed: { type: ['number', 'null'] },
          },
        },
      },
      next: { type: ['string', 'null'], description: 'cursor of the next page; null on the last' },
    },
  },
  CheckResult: {
    oneOf: [
      {
        type: 'object', required: ['ok', 'offsetSteps', 'offsetSeconds', 'step', 'state', 'expectedOffsetSteps', 'login'], properties: {
          ok: { const: true }, offsetSteps: { type: 'integer' }, offsetSeconds: { type: 'number' }, step: { type: 'integer' }, state: ref('TokenState'),
          expectedOffsetSteps: { type: 'integer', description: 'where validation looks for this fob now, in steps from the server\'s' },
          login: { enum: ['ok', 'used', 'superseded', 'outside-window'], description: 'what a login with this code would meet: used = accepted before (refused for good); superseded = never used but older than the last accepted step (the fob\'s clock went back: a resync fixes it); outside-window = not where validation looks (a resync fixes it)' },
        },
      },
      { type: 'object', required: ['ok', 'reason'], properties: { ok: { const: false }, reason: { enum: ['malformed', 'mismatch'] } } },
    ],
  },
  ResyncResult: {
    oneOf: [
      { type: 'object', required: ['ok', 'offsetSteps', 'offsetSeconds'], properties: { ok: { const: true }, offsetSteps: { type: 'integer' }, offsetSeconds: { type: 'number', description: 'the offset the backend now expects: the measured clockOffset when given and consistent, else offsetSteps × period' } } },
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
      pin: { type: 'boolean', description: 'the user has a PIN: validate expects the PIN followed by the code' },
    },
  },
  UserPin: { type: 'object', required: ['user', 'pin'], properties: { user: { type: 'string' }, pin: { type: 'boolean', description: 'whether a PIN is now set' } } },
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

const SERIAL_NOT_YOURS = 'FORBIDDEN; SERIAL_NOT_YOURS when a station key acts on a serial another station key reserved (an admin key may, audited as an override)';
/** Error statuses of particular routes, over the defaults built below. */
const ROUTE_ERRORS: Record<string, Record<string, string>> = {
  'POST /v1/tokens': { '403': SERIAL_NOT_YOURS, '409': 'CONFLICT, SERIAL_NOT_RESERVED', '422': 'SEAL_FAILED, UNKNOWN_KID' },
  'POST /v1/tokens/{serial}/activate': { '403': SERIAL_NOT_YOURS },
  'POST /v1/exports': { '400': 'INVALID_REQUEST, INVALID_JSON, INVALID_PUBLIC_KEY (recipientPublicKey of the wrong length, or of small order: all zeros among them)' },
};

export function buildOpenApi(routes: readonly Route[]): unknown {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const key = `${r.method} ${r.path}`;
    const resp = RESPONSES[key] ?? { status: '200', schema: r.path.startsWith('/v1/tokens/{serial}/') ? ref('TokenSummary') : { type: 'object' } };
    const params = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1], in: 'path', required: true, schema: { type: 'string' },
      description: m[1] === 'serial' ? 'fobkit serial (check digit verified: a mistyped serial is INVALID_SERIAL) or an imported vendor serial' : 'user id',
    }));
    params.push(...((QUERY[key] ?? []) as typeof params));
    if (key === 'GET /v1/tokens') {
      params.push(...(['prefix', 'user', 'state', 'batch', 'limit', 'cursor'] as const).map((name) => ({
        name, in: 'query', required: false, schema: name === 'limit' ? { type: 'integer', minimum: 1, maximum: 500 } : name === 'state' ? ref('TokenState') : { type: 'string' },
        description: { prefix: 'the start of the serial', user: "the user's fobs", state: 'only this state', batch: 'only this batch', limit: 'rows per page (default 50)', cursor: "the previous page's next" }[name],
      })) as unknown as typeof params);
    }
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
        ...(r.body ? { '409': errorResponse('CONFLICT, INVALID_STATE'), '415': errorResponse('UNSUPPORTED_MEDIA_TYPE') } : {}),
        // Any route: a declared Content-Length over the limit is refused before routing and authentication.
        '413': errorResponse('PAYLOAD_TOO_LARGE. Answered with Connection: close, like every refusal given before the body was read (the body is never read)'),
        ...Object.fromEntries(Object.entries(ROUTE_ERRORS[key] ?? {}).map(([status, description]) => [status, errorResponse(description)])),
        ...EXTRA_RESPONSES[key],
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
