/**
 * The route table: method, path, the roles allowed, the body schema and the service call.
 * Admin keys may also do everything support keys may; validation is the validator's alone.
 */
import type { Role } from '../crypto/apiKeys.js';
import { BackendError } from '../errors.js';
import type { BackendContext } from '../service/context.js';
import { reserveSerials } from '../service/serials.js';
import { getRegistrationKey } from '../service/registrationKey.js';
import { activateToken, assignToken, describeToken, registerToken, revokeToken, setTokenEnabled, unbindToken, type TokenView } from '../service/tokens.js';
import { checkCode, resyncToken } from '../service/support.js';
import { listTokens, parseTokenListQuery } from '../service/tokenList.js';
import { describeUser, enrolApp, revokeApp, unlockUser } from '../service/users.js';
import { validateCode } from '../service/validate.js';
import { clearUserPin, setUserPin } from '../service/userPin.js';
import { anySerial } from '../service/serialInput.js';
import { bodies, USER_PATTERN } from './bodies.js';
import { hasControlCharacter, type Schema } from './schema.js';
import { interopRoutes } from '../interop/exportRoute.js';
import { validateResponse, wantsStatusMode } from './validateStatus.js';
import { whoamiRoute } from './whoamiRoute.js';
import { AUTH_LOG_MAX_LIMIT } from '../audit/authLog.js';

export interface RouteRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  /** The API key id. */
  actor: string;
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  /** Empty: no authentication. */
  roles: readonly Role[];
  body?: Schema<unknown>;
  summary: string;
  /** 200 unless the handler says otherwise. */
  handler: (ctx: BackendContext, req: RouteRequest) => Promise<{ status?: number; headers?: Record<string, string>; body: unknown }>;
}

const ANY: readonly Role[] = ['station', 'support', 'validator', 'admin'];
const STATION: readonly Role[] = ['station'];
/** Station endpoints an admin key may also call, to act on a serial another station key reserved (audited as an override). */
const STATION_OR_ADMIN: readonly Role[] = ['station', 'admin'];
const SUPPORT: readonly Role[] = ['support', 'admin'];
const ADMIN: readonly Role[] = ['admin'];
const VALIDATOR: readonly Role[] = ['validator'];

function serialParam(req: RouteRequest): string {
  return anySerial(req.params.serial!);
}

function userParam(req: RouteRequest): string {
  const u = req.params.user!;
  if (!USER_PATTERN.test(u)) throw new BackendError('INVALID_REQUEST', 'user must be 1 to 128 letters, digits or . _ @ + \\ -');
  return u;
}

/** `?limit=` of the auth-log reads: 1 to 1000, default 100. */
function limitParam(req: RouteRequest): number {
  const raw = req.query.get('limit');
  const limit = raw === null ? 100 : Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > AUTH_LOG_MAX_LIMIT) throw new BackendError('INVALID_REQUEST', `limit must be an integer from 1 to ${AUTH_LOG_MAX_LIMIT}`);
  return limit;
}

type B<K extends keyof typeof bodies> = ReturnType<(typeof bodies)[K]['parse']>;

const tokenSummary = (v: { serial: string; state: string; enabled: number | boolean; user_id?: string | null }) => ({
  serial: v.serial, state: v.state, enabled: v.enabled === 1 || v.enabled === true, user: v.user_id ?? null,
});

export function buildRoutes(openapi: () => unknown): Route[] {
  return [
    { method: 'GET', path: '/v1/openapi.json', roles: [], summary: 'This API as an OpenAPI 3.1 document', handler: async () => ({ body: openapi() }) },
    { method: 'GET', path: '/v1/health', roles: [], summary: 'Liveness: answers when the database does', handler: async (ctx) => {
      await ctx.db.get('SELECT 1 AS one');
      return { body: { ok: true } };
    } },
    { method: 'GET', path: '/v1/registration-key', roles: ANY, summary: 'The X25519 public key stations seal seeds to', handler: async (ctx) => ({ body: await getRegistrationKey(ctx) }) },
    { method: 'POST', path: '/v1/serials/reserve', roles: STATION, body: bodies.reserve, summary: 'Reserve a block of serial numbers', handler: async (ctx, req) => {
      const b = req.body as B<'reserve'>;
      return { status: 201, body: await reserveSerials(ctx, req.actor, b.count) };
    } },
    { method: 'POST', path: '/v1/tokens', roles: STATION_OR_ADMIN, body: bodies.register, summary: 'Register a programmed fob (idempotent by serial); only the key that reserved the serial, or an admin key', handler: async (ctx, req) => {
      const b = req.body as B<'register'>;
      const r = await registerToken(ctx, req.actor, b);
      return { status: r.created ? 201 : 200, body: { serial: r.serial, state: r.state } };
    } },
    { method: 'POST', path: '/v1/tokens/{serial}/activate', roles: STATION_OR_ADMIN, body: bodies.none, summary: 'Make a pending fob available (after the station locked it); only the key that reserved the serial, or an admin key', handler: async (ctx, req) => ({
      body: tokenSummary(await activateToken(ctx, req.actor, serialParam(req))),
    }) },
    { method: 'GET', path: '/v1/tokens', roles: SUPPORT, summary: 'List and search fobs (query: prefix, user, state, batch, limit ≤ 500, cursor = the previous page\'s next); never seed material', handler: async (ctx, req) => ({
      body: await listTokens(ctx, parseTokenListQuery(req.query, USER_PATTERN)),
    }) },
    { method: 'GET', path: '/v1/tokens/{serial}', roles: SUPPORT, summary: 'A fob: state, owner, drift, failures, history; never the seed', handler: async (ctx, req) => ({
      body: (await describeToken(ctx, serialParam(req))) satisfies TokenView,
    }) },
    { method: 'POST', path: '/v1/tokens/{serial}/assign', roles: SUPPORT, body: bodies.assign, summary: 'Assign an available fob to a user', handler: async (ctx, req) => ({
      body: tokenSummary(await assignToken(ctx, req.actor, serialParam(req), (req.body as B<'assign'>).user)),
    }) },
    { method: 'POST', path: '/v1/tokens/{serial}/unbind', roles: SUPPORT, body: bodies.unbind, summary: 'Take a fob from its user (lost, returned): it goes to quarantined', handler: async (ctx, req) => ({
      body: tokenSummary(await unbindToken(ctx, req.actor, serialParam(req), (req.body as B<'unbind'>).reason)),
    }) },
    { method: 'POST', path: '/v1/tokens/{serial}/revoke', roles: SUPPORT, body: bodies.reason, summary: 'Revoke a fob for good', handler: async (ctx, req) => ({
      body: tokenSummary(await revokeToken(ctx, req.actor, serialParam(req), (req.body as B<'reason'>).reason)),
    }) },
    { method: 'POST', path: '/v1/tokens/{serial}/enable', roles: SUPPORT, body: bodies.reason, summary: 'Enable a disabled fob', handler: async (ctx, req) => ({
      body: tokenSummary(await setTokenEnabled(ctx, req.actor, serialParam(req), true, (req.body as B<'reason'>).reason)),
    }) },
    { method: 'POST', path: '/v1/tokens/{serial}/disable', roles: SUPPORT, body: bodies.reason, summary: 'Disable a fob (keeps its state and owner)', handler: async (ctx, req) => ({
      body: tokenSummary(await setTokenEnabled(ctx, req.actor, serialParam(req), false, (req.body as B<'reason'>).reason)),
    }) },
    { method: 'POST', path: '/v1/tokens/{serial}/check', roles: SUPPORT, body: bodies.check, summary: 'Does this code match, at what offset (±1 day); consumes nothing', handler: async (ctx, req) => {
      const b = req.body as B<'check'>;
      return { body: await checkCode(ctx, req.actor, serialParam(req), b.code, b.time, b.step) };
    } },
    { method: 'POST', path: '/v1/tokens/{serial}/resync', roles: SUPPORT, body: bodies.resync, summary: 'Re-establish the drift from two consecutive codes', handler: async (ctx, req) => {
      const b = req.body as B<'resync'>;
      return { body: await resyncToken(ctx, req.actor, serialParam(req), b.code1, b.code2, b.clockOffset) };
    } },
    { method: 'GET', path: '/v1/users/{user}', roles: SUPPORT, summary: "A user's factors and failure state", handler: async (ctx, req) => ({ body: await describeUser(ctx, userParam(req)) }) },
    { method: 'POST', path: '/v1/users/{user}/unlock', roles: SUPPORT, body: bodies.none, summary: "Clear a user's (and their fob's) failures and lockout", handler: async (ctx, req) => ({
      body: await unlockUser(ctx, req.actor, userParam(req)),
    }) },
    { method: 'POST', path: '/v1/users/{user}/app', roles: ADMIN, body: bodies.enrolApp, summary: "Enrol the user's authenticator app (revokes the previous one)", handler: async (ctx, req) => ({
      status: 201, body: await enrolApp(ctx, req.actor, userParam(req), (req.body as B<'enrolApp'>).label),
    }) },
    { method: 'PUT', path: '/v1/users/{user}/pin', roles: SUPPORT, body: bodies.pin, summary: "Set the user's static PIN for PIN+OTP logins (stored hashed; audited without the PIN)", handler: async (ctx, req) => ({
      body: await setUserPin(ctx, req.actor, userParam(req), (req.body as B<'pin'>).pin),
    }) },
    { method: 'DELETE', path: '/v1/users/{user}/pin', roles: SUPPORT, summary: "Clear the user's PIN: the code alone works again", handler: async (ctx, req) => ({
      body: await clearUserPin(ctx, req.actor, userParam(req)),
    }) },
    { method: 'DELETE', path: '/v1/users/{user}/app', roles: SUPPORT, summary: "Revoke the user's authenticator app", handler: async (ctx, req) => ({ body: await revokeApp(ctx, req.actor, userParam(req)) }) },
    { method: 'GET', path: '/v1/audit', roles: ADMIN, summary: 'Audit entries (query: after, limit, subject)', handler: async (ctx, req) => {
      const after = Number(req.query.get('after') ?? 0);
      const limit = Number(req.query.get('limit') ?? 100);
      const subject = req.query.get('subject');
      if (!Number.isSafeInteger(after) || after < 0 || !Number.isInteger(limit) || limit < 1 || limit > 1000) throw new BackendError('INVALID_REQUEST', 'after must be an integer ≥ 0 and limit 1 to 1000');
      if (subject !== null && (subject.length > 200 || hasControlCharacter(subject))) throw new BackendError('INVALID_REQUEST', 'subject must be up to 200 printable characters');
      const rows = await ctx.db.all<{ seq: number; at: number; actor: string; action: string; subject: string | null; detail: string; hash: string }>(
        `SELECT seq, at, actor, action, subject, detail, hash FROM audit_log WHERE seq > ?${subject !== null ? ' AND subject = ?' : ''} ORDER BY seq LIMIT ?`,
        subject !== null ? [after, subject, limit] : [after, limit]);
      return { body: { entries: rows.map((r) => ({ ...r, detail: JSON.parse(r.detail) as unknown })) } };
    } },
    { method: 'POST', path: '/v1/validate', roles: VALIDATOR, body: bodies.validate, summary: "Is this the user's code now? (?status=1: refusals answer 401/403/429)", handler: async (ctx, req) => {
      const b = req.body as B<'validate'>;
      const statusMode = wantsStatusMode(req.query);
      return validateResponse(await validateCode(ctx, b.user, b.code, req.actor, { source: b.source }), statusMode);
    } },
    { method: 'GET', path: '/v1/users/{user}/auth-log', roles: SUPPORT, summary: "The user's validations, newest first (query: limit)", handler: async (ctx, req) => ({
      body: { entries: await ctx.authLog.list({ user: userParam(req) }, limitParam(req)) },
    }) },
    { method: 'GET', path: '/v1/tokens/{serial}/auth-log', roles: SUPPORT, summary: "Validations of the fob's user while it was assigned, newest first (query: limit)", handler: async (ctx, req) => ({
      body: { entries: await ctx.authLog.list({ serial: serialParam(req) }, limitParam(req)) },
    }) },
    ...interopRoutes(),
    whoamiRoute,
  ];
}
