/**
 * The support, admin and validator side of the backend API (DEVELOPERS.md "Backend contract";
 * the OpenAPI at /v1/openapi.json is normative), beside the station's {@link BackendClient}:
 * it reuses that client's request helper (timeouts, bounded bodies, error mapping to
 * BackendError) and adds the calls support staff and the QA suites make. Only idempotent reads
 * are retried; a check, a resync or a validation is sent exactly once.
 */
import { BackendClient, type BackendClientOptions } from './backendClient.js';
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

export type CheckResult = { ok: true; offsetSteps: number; offsetSeconds: number; step: number; state: TokenState } | { ok: false; reason: string };
export type ResyncResult = { ok: true; offsetSteps: number; offsetSeconds: number } | { ok: false; reason: string };
export type ValidateResult = { ok: true; factor: 'hardware' | 'app'; serial?: string } | { ok: false; reason: string; retryAfter?: number };
export interface TokenSummary {
  serial: string;
  state: TokenState;
  enabled: boolean;
  user: string | null;
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

/** True for the backend's 404 NOT_FOUND (no such token or user). */
export function isNotFound(e: unknown): boolean {
  return e instanceof BackendError && e.status === 404;
}

export class SupportClient {
  readonly baseUrl: string;
  private readonly http: BackendClient;

  constructor(options: BackendClientOptions) {
    this.http = new BackendClient(options);
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  private async call<T>(method: 'GET' | 'POST', path: string, body: unknown, what: string, required: string[]): Promise<T> {
    const r = await this.http.request<unknown>(method, path, body);
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

  resync(serial: string, code1: string, code2: string): Promise<ResyncResult> {
    return this.call('POST', `/v1/tokens/${seg(serial)}/resync`, { code1, code2 }, `resync ${serial}`, ['ok']);
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

  /** (validator) Is this the user's code now? */
  validate(user: string, code: string): Promise<ValidateResult> {
    return this.call('POST', '/v1/validate', { user, code }, 'validate', ['ok']);
  }

  /** (admin) Enrols a new authenticator app for `user`, revoking the previous one. */
  enrolApp(user: string, label?: string): Promise<{ id: string; otpauthUri: string }> {
    return this.call('POST', `/v1/users/${seg(user)}/app`, label === undefined ? {} : { label }, `enrol app for ${user}`, ['otpauthUri']);
  }

  /** (admin) The test clock of `fobkit-backend serve --test-clock`, or null when the server has none. */
  async getTestClock(): Promise<ClockView | null> {
    try {
      return await this.call<ClockView>('GET', '/v1/test/clock', undefined, 'test clock', ['time']);
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }

  /** (admin) Sets (`time`), moves (`advance`) or releases (`real`) the test clock. */
  setTestClock(change: { time: number } | { advance: number } | { real: true }): Promise<ClockView> {
    return this.call('POST', '/v1/test/clock', change, 'test clock', ['time']);
  }

  /** A raw request (for probes and suites that look at status codes). */
  request<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<{ status: number; body: T }> {
    return this.http.request<T>(method, path, body);
  }
}
