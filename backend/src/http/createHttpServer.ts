/**
 * The HTTP front: plain node:http with a segment router, bearer-key authentication (cached
 * briefly), role checks, bounded JSON bodies and strict schemas. Every failure is
 * `{ error: { code, message } }` with the status of its code; bad input is always a 4xx, and a
 * 500 means a bug (logged without request data).
 *
 * A request body is read only once the request is known to be wanted: a declared length over the
 * limit is refused before routing, and the body of a request refused for its route, method, key
 * or role is never read. Any answer given while a body is still unread says `Connection: close`,
 * and node then destroys the socket once the answer is flushed instead of draining the body to
 * keep the connection alive (which let one unauthenticated request stream 95 GB). The same goes
 * for a body that outgrows the limit while streaming. `Expect: 100-continue` is answered only
 * when the body is about to be read.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Role } from '../crypto/apiKeys.js';
import { BackendError } from '../errors.js';
import type { BackendContext } from '../service/context.js';
import { authenticateApiKey } from '../service/apiKeyStore.js';
import { buildRoutes, type Route } from './routes.js';
import { buildOpenApi } from './openapi.js';
import { createConsoleHandler, type ConsoleOptions } from '../console/createConsoleHandler.js';

export const DEFAULT_MAX_BODY_BYTES = 16 * 1024;
/** How long a key lookup is reused; a revoked key stops working within this time. */
const AUTH_CACHE_MS = 5_000;
const AUTH_CACHE_MAX = 1_000;
const NO_QUERY = new URLSearchParams();

export interface HttpServerOptions {
  maxBodyBytes?: number;
  /** Where bugs are reported (never request bodies). Default stderr. */
  logError?: (message: string) => void;
  /** Routes added after the standard ones (the test clock of `serve --test-clock`). */
  extraRoutes?: Route[];
  /** The helpdesk console under /console/ (on unless false). */
  console?: ConsoleOptions | false;
}

interface CompiledRoute {
  route: Route;
  segments: string[];
}

function compile(routes: Route[]): CompiledRoute[] {
  return routes.map((route) => ({ route, segments: route.path.split('/').slice(1) }));
}

function match(c: CompiledRoute, parts: string[]): Record<string, string> | undefined {
  if (c.segments.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const s = c.segments[i]!;
    if (s.startsWith('{')) params[s.slice(1, -1)] = parts[i]!;
    else if (s !== parts[i]) return undefined;
  }
  return params;
}

/** True while the request announced a body (a length or a transfer coding) that has not all arrived. */
function bodyPending(req: IncomingMessage): boolean {
  if (req.complete) return false;
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function send(req: IncomingMessage, res: ServerResponse, status: number, body: unknown, extra?: Record<string, string>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store',
    ...(bodyPending(req) ? { connection: 'close' } : {}), ...extra,
  });
  res.end(text);
}

function sendError(req: IncomingMessage, res: ServerResponse, e: BackendError, extra?: Record<string, string>): void {
  send(req, res, e.status, { error: { code: e.code, message: e.message } }, extra);
}

function tooLarge(limit: number): BackendError {
  return new BackendError('PAYLOAD_TOO_LARGE', `request body over ${limit} bytes`);
}

/** The whole body, up to `limit` bytes; past it, stops listening and rejects (the answer then closes the connection). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        done();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      done();
      resolve(Buffer.concat(chunks));
    };
    const onError = (e: Error): void => {
      done();
      reject(e);
    };
    const done = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.pause();
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

export function createHttpServer(ctx: BackendContext, options: HttpServerOptions = {}): Server {
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const logError = options.logError ?? ((m: string) => process.stderr.write(`${m}\n`));
  let openapiDoc: unknown;
  const routes = compile([...buildRoutes(() => (openapiDoc ??= buildOpenApi(routesList))), ...(options.extraRoutes ?? [])]);
  const routesList = routes.map((r) => r.route);
  // Routes without parameters (validate above all) are found by one map lookup.
  const fixed = new Map<string, Route>(routes.filter((c) => !c.route.path.includes('{')).map((c) => [`${c.route.method} ${c.route.path}`, c.route]));
  const authCache = new Map<string, { id: string; role: Role; until: number }>();
  const consoleHandler = options.console === false ? undefined : createConsoleHandler(ctx, options.console);

  const authenticate = async (header: string | undefined): Promise<{ id: string; role: Role }> => {
    const m = header ? /^Bearer ([!-~]{1,200})$/.exec(header) : null;
    if (!m) throw new BackendError('UNAUTHORIZED', 'send an API key as Authorization: Bearer <key>');
    const token = m[1]!;
    const now = Date.now();
    const hit = authCache.get(token);
    if (hit && hit.until > now) return hit;
    const who = await authenticateApiKey(ctx, token);
    if (!who) throw new BackendError('UNAUTHORIZED', 'unknown or revoked API key');
    if (authCache.size >= AUTH_CACHE_MAX) authCache.clear();
    authCache.set(token, { ...who, until: now + AUTH_CACHE_MS });
    return who;
  };

  /** The route and its path parameters, 'method' when only another method matches, or undefined. */
  const findRoute = (method: string, pathname: string): { route: Route; params: Record<string, string> } | 'method' | undefined => {
    const direct = fixed.get(`${method} ${pathname}`);
    if (direct) return { route: direct, params: {} };
    let parts: string[];
    try {
      parts = pathname.split('/').slice(1).map((p) => decodeURIComponent(p));
    } catch {
      throw new BackendError('INVALID_REQUEST', 'the path is not valid percent-encoding');
    }
    let otherMethod = false;
    for (const c of routes) {
      const params = match(c, parts);
      if (!params) continue;
      if (c.route.method === method) return { route: c.route, params };
      otherMethod = true;
    }
    return otherMethod ? 'method' : undefined;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): Promise<void> => {
    // Before routing and authentication: a body announced over the limit is refused unread.
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > maxBody) throw tooLarge(maxBody);
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q === -1 ? url : url.slice(0, q);
    if (consoleHandler && (pathname === '/console' || pathname.startsWith('/console/'))) return consoleHandler(req, res);
    const found = findRoute(req.method ?? 'GET', pathname);
    if (found === undefined) throw new BackendError('NOT_FOUND', `no endpoint ${pathname}`);
    if (found === 'method') throw new BackendError('METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${pathname}`);
    const { route, params } = found;
    let actor = 'anonymous';
    if (route.roles.length > 0) {
      const who = await authenticate(req.headers.authorization);
      if (!route.roles.includes(who.role)) {
        throw new BackendError('FORBIDDEN', `a ${who.role} key may not call ${route.method} ${route.path}`);
      }
      actor = who.id;
    }
    let body: unknown;
    if (req.method === 'POST' || req.method === 'PUT' || req.method === 'DELETE') {
      if (expectsContinue) res.writeContinue();
      const raw = await readBody(req, maxBody);
      if (!route.body) {
        if (raw.length > 0) throw new BackendError('INVALID_REQUEST', `${route.method} ${route.path} takes no body`);
      } else {
        let value: unknown = {};
        if (raw.length > 0) {
          const type = req.headers['content-type'] ?? '';
          if (type !== 'application/json' && !/^application\/json\s*(;|$)/i.test(type)) throw new BackendError('UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json');
          try {
            value = JSON.parse(raw.toString('utf8'));
          } catch {
            throw new BackendError('INVALID_JSON', 'the body is not valid JSON');
          }
        }
        body = route.body.parse(value, 'body');
      }
    }
    // GET: a body sent along is not read; the answer closes the connection (see send).
    const query = q === -1 ? NO_QUERY : new URLSearchParams(url.slice(q + 1));
    const out = await route.handler(ctx, { params, query, body, actor });
    send(req, res, out.status ?? 200, out.body, out.headers);
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): void => {
    handle(req, res, expectsContinue).catch((e: unknown) => {
      if (res.headersSent) return;
      if (e instanceof BackendError && e.status < 500) {
        sendError(req, res, e, e.code === 'UNAUTHORIZED' ? { 'www-authenticate': 'Bearer' } : e.code === 'PAYLOAD_TOO_LARGE' ? { connection: 'close' } : undefined);
        return;
      }
      logError(`fobkit-backend: ${req.method} ${(req.url ?? '').split('?')[0]} failed: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
      sendError(req, res, e instanceof BackendError ? e : new BackendError('INTERNAL', 'internal error'));
    });
  };

  // Slow clients (a request trickling in byte by byte) are cut off instead of holding sockets.
  const server = createServer({ keepAliveTimeout: 65_000, headersTimeout: 15_000, requestTimeout: 30_000 }, (req, res) => onRequest(req, res, false));
  // `Expect: 100-continue`: node would answer 100 before we looked at the request; the handler does it once the body is wanted.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => onRequest(req, res, true));
  return server;
}
