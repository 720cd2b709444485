/**
 * The support, admin and validator side of the backend API (DEVELOPERS.md "Backend contract";
 * the OpenAPI at /v1/openapi.json is normative), beside the station's {@link BackendClient}:
 * it reuses that client's request helper (timeouts, bounded bodies, error mapping to
 * BackendError) and adds the calls support staff and the QA suites make. Only idempotent reads
 * are retried; a check, a resync or a validation is sent exactly once.
 */
import { BackendClient, type BackendClientOptions, type RequestOptions } from './backendClient.js';
import { BackendError } from '../errors.js';

export type TokenState = 'pending' | 'available' | 'assigned' | 'quarantined' | 'revoked';

/** GET /v1/tokens/{serial}: the backend's record of a fob (never the seed). */
export interface TokenRecord {
  serial: string;
  model: string | null;
  batch: string | null;
  state: TokenState;
  enabled: boolean;
  user: string | null;
  algorithm: string;
  digits: number;
  period: number;
  t0: number;
  provisionedAt: number;
  clockOffset: number;
  drift: { steps: number; seconds: number; ratePpm: number; rateUncertaintyPpm: number };
  lastUsed: number | null;
  failures: { count: number; lastAt: number | null; lockedUntil: number | null };
  history: { seq: number; at: number; actor: string; action: string; detail: Record<string, unknown> }[];
}

/** What a login with the checked code would meet now (older backends do not say: undefined). */
export type LoginOutlook = 'ok' | 'used' | 'superseded' | 'outside-window';
export type CheckResult = { ok: true; offsetSteps: number; offsetSeconds: number; step: number; state: TokenState; expectedOffsetSteps?: number; login?: LoginOutlook } | { ok: false; reason: string };
export type ResyncResult = { ok: true; offsetSteps: number; offsetSeconds: number } | { ok: false; reason: string };
export type ValidateResult = { ok: true; factor: 'hardware' | 'app'; serial?: string } | { ok: false; reason: string; retryAfter?: number };
export interface TokenSummary {
  serial: string;
  state: TokenState;
  enabled: boolean;
  user: string | null;
}
/** GET /v1/tokens (list/search): one row, never seed material. */
export interface TokenListItem {
  serial: string;
  model: string | null;
  batch: string | null;
  state: TokenState;
  enabled: boolean;
  user: string | null;
  provisionedAt: number;
  lastUsed: number | null;
}
export interface TokenQuery {
  prefix?: string;
  user?: string;
  state?: TokenState;
  batch?: string;
  limit?: number;
  cursor?: string;
}
/** GET /v1/users/{user}. */
export interface UserView {
  user: string;
  fob: { serial: string; enabled: boolean; lastUsed: number | null } | null;
  app: { id: string; label: string | null; algorithm: string; digits: number; period: number; createdAt: number } | null;
  failures: { count: number; lastAt: number | null; lockedUntil: number | null };
}
/** GET /v1/users/{user}/auth-log: one entry. */
export interface AuthLogEntry {
  at: number;
  user: string;
  factor: string | null;
  serial: string | null;
  result: string;
  reason: string | null;
  source: string | null;
}
export interface AppEnrolment {
  id: string;
  otpauthUri: string;
  algorithm?: string;
  digits?: number;
  period?: number;
  /** An earlier enrolment still waiting for its first code, which this one replaced. */
  revokedPrevious?: string | null;
  /** 'pending' until the app's first code validates; then it replaces the active app (`replaces`). */
  state?: 'pending' | 'active';
  expiresAt?: number | null;
  replaces?: string | null;
}
/** GET /v1/openapi.json's `info`, when it names a fobkit backend. */
export interface BackendIdentity {
  title: string;
  version: string;
}
export interface ClockView {
  time: number;
  frozen: boolean;
}

const seg = (s: string): string => encodeURIComponent(s);

function expectObject<T>(body: unknown, what: string, required: string[]): T {
  if (!body || typeof body !== 'object') throw new BackendError('BACKEND_BAD_RESPONSE', `${what}: the answer is not a JSON object`, 200);
  for (const k of required) if (!(k in body)) throw new BackendError('BACKEND_BAD_RESPONSE', `${what}: the answer lacks '${k}'`, 200);
  return body as T;
}

/** True for the backend's 404 NOT_FOUND (no such token or user); never for a server that is not a fobkit backend. */
export function isNotFound(e: unknown): boolean {
  return e instanceof BackendError && e.status === 404 && e.code !== 'NOT_FOBKIT_BACKEND';
}

/** The OpenAPI title every fobkit backend serves (backend/src/http/openapi.ts). */
export const FOBKIT_BACKEND_TITLE = 'fobkit backend';

type Role = RequestOptions['role'];
const SUPPORT: Role = 'support or admin';

export class SupportClient {
  readonly baseUrl: string;
  private readonly http: BackendClient;
  private identity: Promise<BackendIdentity> | undefined;

  constructor(options: BackendClientOptions) {
    this.http = new BackendClient(options);
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  /**
   * Is the server at `baseUrl` a fobkit backend? Asks GET /v1/openapi.json with no key (once
   * per client), before any other call: "the backend has no record of this fob" must not come
   * from a wrong URL.
   * @throws BackendError NOT_FOBKIT_BACKEND, or BACKEND_UNREACHABLE
   */
  identify(): Promise<BackendIdentity> {
    this.identity ??= this.http.request<unknown>('GET', '/v1/openapi.json', undefined, { anonymous: true }).then(
      (r) => {
        const info = (r.body as { info?: { title?: unknown; version?: unknown } }).info;
        if (info?.title === FOBKIT_BACKEND_TITLE) return { title: info.title, version: String(info.version ?? 'unknown') };
        throw new BackendError('NOT_FOBKIT_BACKEND', `${this.baseUrl} is not a fobkit backend: its /v1/openapi.json does not name one (check the backend URL)`, r.status);
      },
      (e: unknown) => {
        if (e instanceof BackendError && e.status === 0) throw e;
        const why = e instanceof BackendError ? `GET /v1/openapi.json answered HTTP ${e.status}${e.code === 'BACKEND_BAD_RESPONSE' ? ' without JSON' : ''}` : String(e);
        throw new BackendError('NOT_FOBKIT_BACKEND', `${this.baseUrl} is not a fobkit backend: ${why} (check the backend URL)`, e instanceof BackendError ? e.status : 0, undefined, { cause: e });
      },
    );
    return this.identity;
  }

  /**
   * A request to a server known to be a fobkit backend: identified before the first call (one
   * small GET per client), since any web server answers 404 to what it does not know, and some
   * answer 200 to everything.
   */
  private async call<T>(method: 'GET' | 'POST', path: string, body: unknown, what: string, required: string[], role: Role = SUPPORT): Promise<T> {
    await this.identify();
    const r = await this.http.request<unknown>(method, path, body, { role });
    return expectObject<T>(r.body, what, required);
  }

  /** The token's record, or null when the backend does not know the serial. @throws BackendError */
  async getToken(serial: string): Promise<TokenRecord | null> {
    try {
      return await this.call<TokenRecord>('GET', `/v1/tokens/${seg(serial)}`, undefined, `GET token ${serial}`, ['serial', 'state', 'period']);
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }

  /** Does `code` match (±1 day), and at what offset; consumes nothing. */
  /** `step`: the step the code was made at, when read off the fob; only that step is checked. */
  checkCode(serial: string, code: string, time?: number, step?: number): Promise<CheckResult> {
    return this.call('POST', `/v1/tokens/${seg(serial)}/check`, { code, ...(time === undefined ? {} : { time }), ...(step === undefined ? {} : { step }) }, `check ${serial}`, ['ok']);
  }

  /** `clockOffset`: the fob's clock minus true time, when measured with the fob in hand. */
  resync(serial: string, code1: string, code2: string, clockOffset?: number): Promise<ResyncResult> {
    return this.call('POST', `/v1/tokens/${seg(serial)}/resync`, { code1, code2, ...(clockOffset === undefined ? {} : { clockOffset: Math.round(clockOffset * 1000) / 1000 }) }, `resync ${serial}`, ['ok']);
  }

  assign(serial: string, user: string): Promise<TokenSummary> {
    return this.call('POST', `/v1/tokens/${seg(serial)}/assign`, { user }, `assign ${serial}`, ['serial', 'state']);
  }

  unbind(serial: string, reason: string): Promise<TokenSummary> {
    return this.call('POST', `/v1/tokens/${seg(serial)}/unbind`, { reason }, `unbind ${serial}`, ['serial', 'state']);
  }

  revoke(serial: string, reason?: string): Promise<TokenSummary> {
    return this.call('POST', `/v1/tokens/${seg(serial)}/revoke`, reason === undefined ? {} : { reason }, `revoke ${serial}`, ['serial', 'state']);
  }

  /** Enables or disables a fob (it keeps its state and owner). */
  setEnabled(serial: string, enabled: boolean, reason?: string): Promise<TokenSummary> {
    return this.call('POST', `/v1/tokens/${seg(serial)}/${enabled ? 'enable' : 'disable'}`, reason === undefined ? {} : { reason }, `${enabled ? 'enable' : 'disable'} ${serial}`, ['serial', 'state']);
  }

  /** One page of fobs matching `q` (GET /v1/tokens); `next` is the cursor of the next page. */
  listTokens(q: TokenQuery = {}): Promise<{ tokens: TokenListItem[]; next: string | null }> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') params.set(k, String(v));
    const qs = params.toString();
    return this.call('GET', `/v1/tokens${qs ? `?${qs}` : ''}`, undefined, 'list tokens', ['tokens']);
  }

  /** The user's factors and failure state, or null when the backend does not know the user. */
  async getUser(user: string): Promise<UserView | null> {
    try {
      return await this.call<UserView>('GET', `/v1/users/${seg(user)}`, undefined, `user ${user}`, ['user']);
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }

  /** The user's recent logins, newest first, or null when this backend has no auth log (an older one: 404). */
  async getAuthLog(user: string, limit = 20): Promise<AuthLogEntry[] | null> {
    const path = `/v1/users/${seg(user)}/auth-log`;
    const read = (query: string) => this.call<{ entries: AuthLogEntry[] }>('GET', path + query, undefined, `auth log of ${user}`, ['entries']);
    try {
      // A backend whose auth log takes no `limit` refuses it (400): then ask without, and cut here.
      const r = await read(`?limit=${limit}`).catch((e: unknown) => {
        if (e instanceof BackendError && e.status === 400) return read('');
        throw e;
      });
      return Array.isArray(r.entries) ? [...r.entries].sort((a, b) => b.at - a.at).slice(0, limit) : [];
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }

  /** Clears the user's (and their fob's) failures and lockout. */
  unlockUser(user: string): Promise<UserView> {
    return this.call('POST', `/v1/users/${seg(user)}/unlock`, {}, `unlock ${user}`, ['user']);
  }

  /** (validator) Is this the user's code now? Consumes the code when it is. */
  validate(user: string, code: string): Promise<ValidateResult> {
    return this.call('POST', '/v1/validate', { user, code }, 'validate', ['ok'], 'validator');
  }

  /** (admin) Enrols a new authenticator app for `user`, revoking the previous one. */
  enrolApp(user: string, label?: string): Promise<AppEnrolment> {
    return this.call('POST', `/v1/users/${seg(user)}/app`, label === undefined ? {} : { label }, `enrol app for ${user}`, ['otpauthUri'], 'admin');
  }

  /** (admin) The test clock of `fobkit-backend serve --test-clock`, or null when the server has none. */
  async getTestClock(): Promise<ClockView | null> {
    try {
      return await this.call<ClockView>('GET', '/v1/test/clock', undefined, 'test clock', ['time'], 'admin');
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }

  /** (admin) Sets (`time`), moves (`advance`) or releases (`real`) the test clock. */
  setTestClock(change: { time: number } | { advance: number } | { real: true }): Promise<ClockView> {
    return this.call('POST', '/v1/test/clock', change, 'test clock', ['time'], 'admin');
  }

  /** A raw request (for probes and suites that look at status codes). */
  request<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<{ status: number; body: T }> {
    return this.http.request<T>(method, path, body);
  }
}
