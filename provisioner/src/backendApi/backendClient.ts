/**
 * The station's HTTP client for the backend (DEVELOPERS.md "Backend contract"; the OpenAPI at
 * /v1/openapi.json is normative): the registration key, serial blocks, registration and
 * activation. Every failure becomes a {@link BackendError} whose `retryable` says whether the same
 * request may succeed later; idempotent calls are retried here a few times with backoff, and the
 * journal's outbox retries for as long as it takes.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { normalizeSerial } from '@fobkit/protocol/serial';
import { BackendError } from '../errors.js';
import type { RegistrationPayload } from '../journal/stationJournal.js';
import { retryWithBackoff, type BackoffOptions } from './retryWithBackoff.js';

export interface RegistrationKey {
  kid: string;
  publicKey: Uint8Array;
}

export interface BackendClientOptions {
  baseUrl: string;
  apiKey: string;
  /** Per-request timeout. Default 5 s. */
  timeoutMs?: number;
  /** In-call retries for retryable failures. Default 3 attempts, 200 ms → 2 s. */
  retry?: Omit<BackoffOptions, 'signal'>;
  /** Send the requests with this `fetch` instead of node:http (tests inject failures with it). */
  fetch?: typeof fetch;
}

/** `GET /v1/whoami`: the API key as the backend knows it. */
export interface KeyIdentity {
  keyId: string;
  role: string;
  label: string | null;
  version: string;
}

/** The API key roles (backend `fobkit-backend keys create --role …`). */
export type ApiRole = 'station' | 'support' | 'validator' | 'admin';

/** Per-request options of {@link BackendClient.request}. */
export interface RequestOptions {
  signal?: AbortSignal;
  /** The role the call needs, named in the hint of a 401/403 (default station). */
  role?: ApiRole | 'support or admin';
  /** Send no API key (GET /v1/openapi.json: identifying a server we may not trust). */
  anonymous?: boolean;
}

/** What to check after a 401 or 403, naming the role the call needs. */
export function authHint(status: number, role: RequestOptions['role'] = 'station'): string {
  const article = role === 'admin' ? 'an' : 'a';
  return status === 401
    ? `(the API key is not valid on this backend: wrong, revoked or from another deployment; this needs ${article} ${role} key)`
    : `(the API key's role may not do this: it needs ${article} ${role} key)`;
}

/** The operations of the backend the station uses; the pipeline and the outbox depend on this. */
export interface StationBackend {
  /** The calling key's role (absent where there is no backend to ask: offline export, test doubles). */
  whoami?(signal?: AbortSignal): Promise<KeyIdentity>;
  getRegistrationKey(signal?: AbortSignal): Promise<RegistrationKey>;
  reserveSerials(count: number, signal?: AbortSignal): Promise<string[]>;
  register(p: RegistrationPayload, signal?: AbortSignal): Promise<{ serial: string; state: string }>;
  activate(serial: string, signal?: AbortSignal): Promise<{ state: string }>;
}

const MAX_RESPONSE_BYTES = 1 << 20;

/** An HTTP answer, its body read. */
interface Answer {
  status: number;
  statusText: string;
  text: string;
}

/** A failure before the answer was read: `reading` when the connection dropped mid-body. */
class SendFailed extends Error {
  constructor(readonly why: string, readonly reading: boolean, readonly status: number, options?: { cause?: unknown }) {
    super(why, options);
  }
}

/**
 * One request with node:http(s) over a keep-alive agent. The station's default: node's `fetch`
 * (undici) cost ~0.3 ms more CPU per request, with the timeout and abort signals it needs (two
 * or three requests per fob, on the event loop every port shares; bench:provision).
 */
function nodeSend(agent: HttpAgent, url: URL, method: string, headers: Record<string, string>, body: string | undefined, timeoutMs: number, signal?: AbortSignal): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    let settled = false;
    let status = 0;
    const done = (error: unknown, answer?: Answer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (error) {
        req.destroy();
        reject(error);
      } else resolve(answer!);
    };
    const onAbort = (): void => done(signal!.reason ?? new DOMException('This operation was aborted', 'AbortError'));
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, { method, headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) }, agent }, (res: IncomingMessage) => {
      status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_RESPONSE_BYTES) done(new SendFailed('too large', true, status));
        else chunks.push(c);
      });
      res.on('end', () => done(undefined, { status, statusText: res.statusMessage ?? '', text: Buffer.concat(chunks).toString('utf8') }));
      res.on('close', () => {
        if (!res.complete) done(new SendFailed('connection dropped', true, status));
      });
      res.on('error', (e) => done(new SendFailed(e.message, true, status, { cause: e })));
    });
    const timer = setTimeout(() => done(new SendFailed(`no answer within ${timeoutMs} ms`, status !== 0, status)), timeoutMs);
    req.on('error', (e: Error & { code?: string }) => done(new SendFailed(e.code ?? e.message, status !== 0, status, { cause: e })));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    req.end(body);
  });
}

export function encodeBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

export function decodeBase64Url(text: string, field: string): Uint8Array {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]*$/.test(text)) throw new BackendError('BACKEND_BAD_RESPONSE', `backend sent a ${field} that is not base64url`, 200);
  return new Uint8Array(Buffer.from(text, 'base64url'));
}

export class BackendClient implements StationBackend {
  private readonly baseUrl: string;
  private readonly apiKey: string;
  private readonly timeoutMs: number;
  private readonly retry: Omit<BackoffOptions, 'signal'>;
  private readonly fetchImpl: typeof fetch | undefined;
  private readonly agent: HttpAgent;

  constructor(options: BackendClientOptions) {
    if (!options.baseUrl) throw new TypeError('baseUrl is required');
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.apiKey = options.apiKey;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.retry = options.retry ?? { attempts: 3, baseDelayMs: 200, maxDelayMs: 2000 };
    this.fetchImpl = options.fetch;
    // Idle connections are closed before the backend's keep-alive (node's default 5 s) would.
    const agentOptions = { keepAlive: true, timeout: 4000 };
    this.agent = this.baseUrl.startsWith('https:') ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
  }

  /** Sends one request and reads its answer. @throws SendFailed, or the caller's abort reason. */
  private async send(method: string, path: string, body: unknown, signal?: AbortSignal, anonymous = false): Promise<Answer> {
    const headers: Record<string, string> = { ...(anonymous ? {} : { authorization: `Bearer ${this.apiKey}` }), accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
    const text = body === undefined ? undefined : JSON.stringify(body);
    if (!this.fetchImpl) return nodeSend(this.agent, new URL(this.baseUrl + path), method, headers, text, this.timeoutMs, signal);
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let res: Response;
    try {
      res = await this.fetchImpl(this.baseUrl + path, { method, headers, body: text, signal: combined });
    } catch (cause) {
      if (signal?.aborted) throw cause;
      throw new SendFailed(timeout.aborted ? `no answer within ${this.timeoutMs} ms` : ((cause as { cause?: { code?: string } }).cause?.code ?? (cause as Error).message), false, 0, { cause });
    }
    try {
      return { status: res.status, statusText: res.statusText, text: await res.text() };
    } catch (cause) {
      throw new SendFailed('connection dropped', true, res.status, { cause });
    }
  }

  /** One request, no retries. @throws BackendError */
  async request<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, signalOrOptions?: AbortSignal | RequestOptions): Promise<{ status: number; body: T }> {
    const o: RequestOptions = signalOrOptions instanceof AbortSignal ? { signal: signalOrOptions } : (signalOrOptions ?? {});
    const signal = o.signal;
    let res: Answer;
    try {
      res = await this.send(method, path, body, signal, o.anonymous);
    } catch (cause) {
      if (!(cause instanceof SendFailed)) throw cause;
      if (cause.reading) {
        if (cause.why === 'too large') throw new BackendError('BACKEND_BAD_RESPONSE', `backend response to ${method} ${path} is too large`, cause.status);
        throw new BackendError('BACKEND_UNREACHABLE', `backend connection dropped while reading ${method} ${path}`, cause.status, undefined, { cause: cause.cause ?? cause });
      }
      throw new BackendError('BACKEND_UNREACHABLE', `backend ${this.baseUrl} unreachable (${method} ${path}): ${cause.why}`, 0, undefined, { cause: cause.cause ?? cause });
    }
    const text = res.text;
    if (text.length > MAX_RESPONSE_BYTES) throw new BackendError('BACKEND_BAD_RESPONSE', `backend response to ${method} ${path} is too large`, res.status);
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = undefined;
    }
    if (res.status >= 200 && res.status < 300) {
      if (parsed === undefined || typeof parsed !== 'object' || parsed === null) throw new BackendError('BACKEND_BAD_RESPONSE', `backend answered ${method} ${path} with a body that is not JSON`, res.status);
      return { status: res.status, body: parsed as T };
    }
    const err = (parsed as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    const backendCode = typeof err?.code === 'string' ? err.code : undefined;
    const msg = typeof err?.message === 'string' ? err.message.slice(0, 300) : res.statusText;
    const what = `backend refused ${method} ${path}: HTTP ${res.status}${backendCode ? ` ${backendCode}` : ''}: ${msg}`;
    if (res.status === 401 || res.status === 403) throw new BackendError('BACKEND_UNAUTHORIZED', `${what} ${authHint(res.status, o.role)}`, res.status, backendCode);
    if (res.status === 409) throw new BackendError('BACKEND_CONFLICT', what, res.status, backendCode);
    if (res.status === 429 || res.status >= 500) throw new BackendError('BACKEND_UNREACHABLE', what, res.status, backendCode);
    throw new BackendError('BACKEND_REJECTED', what, res.status, backendCode);
  }

  private withRetry<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return retryWithBackoff(fn, (e) => e instanceof BackendError && e.retryable, { ...this.retry, signal });
  }

  async whoami(signal?: AbortSignal): Promise<KeyIdentity> {
    const { body } = await this.withRetry(() => this.request<{ service?: unknown; version?: unknown; keyId?: unknown; role?: unknown; label?: unknown }>('GET', '/v1/whoami', undefined, signal), signal);
    if (body.service !== 'fobkit-backend' || typeof body.keyId !== 'string' || typeof body.role !== 'string') throw new BackendError('BACKEND_BAD_RESPONSE', 'whoami response lacks service/keyId/role', 200);
    return { keyId: body.keyId, role: body.role, label: typeof body.label === 'string' ? body.label : null, version: String(body.version ?? '') };
  }

  async getRegistrationKey(signal?: AbortSignal): Promise<RegistrationKey> {
    const { body } = await this.withRetry(() => this.request<{ kid?: unknown; publicKey?: unknown }>('GET', '/v1/registration-key', undefined, signal), signal);
    if (typeof body.kid !== 'string' || typeof body.publicKey !== 'string') throw new BackendError('BACKEND_BAD_RESPONSE', 'registration key response lacks kid/publicKey', 200);
    const publicKey = decodeBase64Url(body.publicKey, 'publicKey');
    if (publicKey.length !== 32) throw new BackendError('BACKEND_BAD_RESPONSE', `registration key is ${publicKey.length} bytes, not 32`, 200);
    return { kid: body.kid, publicKey };
  }

  async reserveSerials(count: number, signal?: AbortSignal): Promise<string[]> {
    if (!Number.isInteger(count) || count < 1 || count > 1000) throw new RangeError('count must be 1 to 1000');
    // Not idempotent, but a retry after a lost answer only wastes a block: serials are never reused.
    const { body } = await this.withRetry(() => this.request<{ serials?: unknown }>('POST', '/v1/serials/reserve', { count }, signal), signal);
    if (!Array.isArray(body.serials) || body.serials.length === 0) throw new BackendError('BACKEND_BAD_RESPONSE', 'serial reservation returned no serials', 200);
    return body.serials.map((s) => {
      try {
        return normalizeSerial(String(s));
      } catch (cause) {
        throw new BackendError('BACKEND_BAD_RESPONSE', `backend reserved an invalid serial '${String(s)}'`, 200, undefined, { cause });
      }
    });
  }

  async register(p: RegistrationPayload, signal?: AbortSignal): Promise<{ serial: string; state: string }> {
    const body = {
      serial: p.serial, model: p.model, sealedSecret: encodeBase64Url(p.sealedSecret), kid: p.kid,
      algorithm: p.algorithm, digits: p.digits, period: p.period, t0: p.t0, batch: p.batch,
      provisionedAt: p.provisionedAt, clockOffset: p.clockOffset,
    };
    const res = await this.withRetry(() => this.request<{ serial?: unknown; state?: unknown }>('POST', '/v1/tokens', body, signal), signal);
    return { serial: String(res.body.serial ?? p.serial), state: String(res.body.state ?? 'pending') };
  }

  async activate(serial: string, signal?: AbortSignal): Promise<{ state: string }> {
    const res = await this.withRetry(() => this.request<{ state?: unknown }>('POST', `/v1/tokens/${encodeURIComponent(serial)}/activate`, {}, signal), signal);
    return { state: String(res.body.state ?? 'available') };
  }
}
