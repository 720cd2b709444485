/**
 * The helpdesk console under /console/: server-rendered pages for support and admin operators.
 * Order of checks on every request: cross-site POSTs are refused before anything is read
 * (requestGuards.ts); the session cookie is looked up (consoleSessions.ts); every POST of a
 * session must carry the session's synchronizer token; admin pages answer 403 to support.
 * Actions go through the service layer (consoleActions.ts). No page ever holds a seed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BackendError } from '../errors.js';
import type { BackendContext } from '../service/context.js';
import { describeToken } from '../service/tokens.js';
import { describeUser } from '../service/users.js';
import { anySerial } from '../service/serialInput.js';
import { authenticateOperator, listOperators, operatorActor } from '../service/operatorStore.js';
import { USER_PATTERN } from '../http/bodies.js';
import { hasControlCharacter } from '../http/schema.js';
import { TOKEN_STATES, type TokenState } from '../store/rows.js';
import { appendAudit } from '../audit/auditLog.js';
import { CONSOLE_CSS } from './consoleCss.js';
import { writeConsoleReply, type ConsoleReply } from './consoleReply.js';
import { createConsoleSession, csrfMatches, DEFAULT_SESSION_SETTINGS, endConsoleSession, pruneConsoleSessions, readConsoleSession, type ConsoleSession, type ConsoleSessionSettings } from './consoleSessions.js';
import { createLoginThrottle, DEFAULT_LOGIN_THROTTLE, type LoginThrottlePolicy } from './loginThrottle.js';
import { checkSameOrigin, readCookie } from './requestGuards.js';
import { readForm } from './readForm.js';
import { loginPage } from './loginPage.js';
import { searchPage } from './searchPage.js';
import { searchDirectory } from './searchDirectory.js';
import { userPage } from './userPage.js';
import { tokenPage } from './tokenPage.js';
import { auditPage, type AuditRow } from './auditPage.js';
import { operatorsPage } from './operatorsPage.js';
import { errorPage } from './errorPage.js';
import { confirmPage } from './confirmPage.js';
import { readAuthLog } from './readAuthLog.js';
import { CONSOLE_BASE, type Notice } from './renderPage.js';
import { confirmSpecFor, DONE_MESSAGES, runTokenAction, runUserAction, tokenPageReply, TOKEN_ACTIONS, USER_ACTIONS, type TokenAction, type UserAction } from './consoleActions.js';

export const SESSION_COOKIE = 'fobkit_console';
const AUDIT_PAGE = 100;

export interface ConsoleOptions {
  /** Mark the cookie Secure: set this when the console is reached over HTTPS (a TLS proxy in front). */
  secureCookies?: boolean;
  sessions?: Partial<ConsoleSessionSettings>;
  loginThrottle?: LoginThrottlePolicy;
}

/** Handles one request whose path starts with /console. */
export type ConsoleHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export function createConsoleHandler(ctx: BackendContext, options: ConsoleOptions = {}): ConsoleHandler {
  const settings: ConsoleSessionSettings = { ...DEFAULT_SESSION_SETTINGS, ...options.sessions };
  const throttlePolicy = options.loginThrottle ?? DEFAULT_LOGIN_THROTTLE;
  const byName = createLoginThrottle(ctx.clock, throttlePolicy);
  // Operators behind one proxy share an address: it gets more free failures than a name does,
  // so one person mistyping cannot lock out the whole helpdesk.
  const byAddress = createLoginThrottle(ctx.clock, { ...throttlePolicy, freeFailures: throttlePolicy.freeFailures * 4 });
  const cookieAttrs = `Path=${CONSOLE_BASE}; HttpOnly; SameSite=Strict${options.secureCookies ? '; Secure' : ''}`;
  const setCookie = (value: string) => ({ 'set-cookie': `${SESSION_COOKIE}=${value}; ${cookieAttrs}` });
  const clearCookie = { 'set-cookie': `${SESSION_COOKIE}=; ${cookieAttrs}; Max-Age=0` };

  const page = (status: number, title: string, message: string, session?: ConsoleSession): ConsoleReply => ({ status, html: errorPage(title, message, session) });
  const noticeFromQuery = (query: URLSearchParams): Notice | undefined => {
    const d = query.get('done');
    return d && Object.hasOwn(DONE_MESSAGES, d) ? { kind: 'ok', text: DONE_MESSAGES[d]! } : undefined;
  };

  const userPageReply = async (session: ConsoleSession, user: string, notice?: Notice, status = 200): Promise<ConsoleReply> => {
    const view = await describeUser(ctx, user);
    const fob = view.fob ? await describeToken(ctx, view.fob.serial) : null;
    return { status, html: userPage(session, { user: view, fob, app: view.app, authLog: await readAuthLog(ctx, user) }, notice) };
  };

  const login = async (req: IncomingMessage): Promise<ConsoleReply> => {
    const form = await readForm(req);
    const name = (form.get('name') ?? '').trim().toLowerCase().slice(0, 64);
    const password = form.get('password') ?? '';
    const nameKey = [name];
    const addrKey = [req.socket.remoteAddress ?? ''];
    const wait = Math.max(byName.retryAfter(nameKey), byAddress.retryAfter(addrKey));
    if (wait > 0) return { status: 429, html: loginPage({ name, notice: { kind: 'bad', text: `Too many failed logins: try again in ${wait} s.` } }), headers: { 'retry-after': String(wait) } };
    const op = await authenticateOperator(ctx, name, password);
    if (!op) {
      byName.failed(nameKey);
      byAddress.failed(addrKey);
      return { status: 401, html: loginPage({ name, notice: { kind: 'bad', text: 'Wrong name or password, or the operator is disabled.' } }) };
    }
    byName.succeeded(nameKey);
    await pruneConsoleSessions(ctx, settings);
    const s = await createConsoleSession(ctx, op.name);
    await ctx.db.transaction((tx) => appendAudit(tx, ctx.db.dialect, ctx.clock(), { actor: operatorActor(op.name), action: 'operator.login', subject: operatorActor(op.name) }));
    return { redirect: `${CONSOLE_BASE}/search`, headers: setCookie(s.id) };
  };

  const search = async (session: ConsoleSession, query: URLSearchParams): Promise<ConsoleReply> => {
    const q = (query.get('q') ?? '').slice(0, 128);
    const stateText = query.get('state') ?? '';
    const batch = (query.get('batch') ?? '').trim().slice(0, 64);
    const state = (TOKEN_STATES as readonly string[]).includes(stateText) ? (stateText as TokenState) : undefined;
    const asked = q.trim() !== '' || state !== undefined || batch !== '';
    if (hasControlCharacter(q) || hasControlCharacter(batch)) return { status: 400, html: searchPage(session, { q: '' }, undefined, { kind: 'bad', text: 'Search text must be printable.' }) };
    const query1 = { q, state, batch: batch || undefined };
    return { status: 200, html: searchPage(session, query1, asked ? await searchDirectory(ctx, query1) : undefined) };
  };

  const audit = async (session: ConsoleSession, query: URLSearchParams): Promise<ConsoleReply> => {
    const subject = (query.get('subject') ?? '').trim().slice(0, 200);
    const beforeText = query.get('before');
    const before = beforeText !== null && /^\d{1,15}$/.test(beforeText) ? Number(beforeText) : null;
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (subject && !hasControlCharacter(subject)) {
      where.push('subject = ?');
      params.push(subject);
    }
    if (before !== null) {
      where.push('seq < ?');
      params.push(before);
    }
    const rows = await ctx.db.all<AuditRow>(`SELECT seq, at, actor, action, subject, detail FROM audit_log${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`, [...params, AUDIT_PAGE]);
    return { status: 200, html: auditPage(session, rows, { subject, before }, AUDIT_PAGE) };
  };

  /** A refused action: shown on the page it was started from, with the service's reason. */
  const refused = async (session: ConsoleSession, e: BackendError, where: { serial?: string; user?: string; confirm?: Parameters<typeof confirmSpecFor> }): Promise<ConsoleReply> => {
    const notice: Notice = { kind: 'bad', text: e.message };
    const notFound = () => page(e.status, 'Not found', e.message, session);
    if (where.user !== undefined) {
      // On the user's page (a serial typed there that does not exist, a fob taken meanwhile…).
      try {
        return await userPageReply(session, where.user, notice, e.status);
      } catch (again) {
        if (again instanceof BackendError && again.code === 'NOT_FOUND') return notFound();
        throw again;
      }
    }
    if (e.code === 'NOT_FOUND' || e.code === 'INVALID_SERIAL') return notFound();
    if (where.confirm) return { status: e.status, html: confirmPage(session, confirmSpecFor(...where.confirm), notice) };
    return tokenPageReply(ctx, session, where.serial!, notice, e.status);
  };

  const route = async (req: IncomingMessage, pathname: string, query: URLSearchParams): Promise<ConsoleReply> => {
    const method = req.method ?? 'GET';
    const isPost = method === 'POST';
    if (method !== 'GET' && method !== 'HEAD' && !isPost) return page(405, 'Not allowed', `${method} is not used by the console`);
    if (pathname === CONSOLE_BASE || pathname === `${CONSOLE_BASE}/`) return { redirect: `${CONSOLE_BASE}/search` };
    if (pathname === `${CONSOLE_BASE}/console.css`) return { status: 200, css: CONSOLE_CSS };
    if (isPost) {
      const verdict = checkSameOrigin(req);
      if (!verdict.ok) {
        req.resume();
        return page(403, 'Refused', `This form was not sent from the console itself (${verdict.reason}). Nothing was changed.`);
      }
    }
    const cookie = readCookie(req, SESSION_COOKIE);
    const session = await readConsoleSession(ctx, cookie, settings);
    if (pathname === `${CONSOLE_BASE}/login`) {
      if (isPost) return login(req);
      if (session) return { redirect: `${CONSOLE_BASE}/search` };
      return { status: 200, html: loginPage(), ...(cookie ? { headers: clearCookie } : {}) };
    }
    if (!session) {
      if (isPost) {
        req.resume();
        return { status: 401, html: loginPage({ notice: { kind: 'warn', text: 'Your session has ended: log in again. Nothing was changed.' } }), headers: clearCookie };
      }
      return { redirect: `${CONSOLE_BASE}/login`, ...(cookie ? { headers: clearCookie } : {}) };
    }
    let form = new URLSearchParams();
    if (isPost) {
      form = await readForm(req);
      if (!csrfMatches(session, form.get('csrf'))) return page(403, 'Refused', 'The form is stale or was not made by this console (no valid CSRF token). Nothing was changed.', session);
    }
    let parts: string[];
    try {
      parts = pathname.slice(CONSOLE_BASE.length + 1).split('/').map((p) => decodeURIComponent(p));
    } catch {
      return page(400, 'Bad address', 'The address is not valid percent-encoding.', session);
    }
    const [top, id, action, extra] = parts;
    if (extra !== undefined) return page(404, 'Not found', 'No such page.', session);
    if (top === 'logout' && id === undefined && isPost) {
      await endConsoleSession(ctx, session);
      return { redirect: `${CONSOLE_BASE}/login`, headers: clearCookie };
    }
    if (top === 'search' && id === undefined && !isPost) return search(session, query);
    if ((top === 'audit' || top === 'operators') && id === undefined && !isPost) {
      if (session.role !== 'admin') return page(403, 'Admins only', 'This page is for admin operators.', session);
      return top === 'audit' ? audit(session, query) : { status: 200, html: operatorsPage(session, await listOperators(ctx)) };
    }
    if (top === 'tokens' && id !== undefined) {
      let serial: string;
      try {
        serial = anySerial(id);
      } catch (e) {
        return page(400, 'Not a serial', (e as Error).message, session);
      }
      if (action === undefined && !isPost) {
        try {
          return { status: 200, html: tokenPage(session, await describeToken(ctx, serial), noticeFromQuery(query)) };
        } catch (e) {
          if (e instanceof BackendError && e.code === 'NOT_FOUND') return page(404, 'Not found', e.message, session);
          throw e;
        }
      }
      if (action === 'unbind' || action === 'revoke' || action === 'disable') {
        if (!isPost) return { status: 200, html: confirmPage(session, confirmSpecFor(action, serial)) };
      }
      if (isPost && (TOKEN_ACTIONS as readonly string[]).includes(action ?? '')) {
        const a = action as TokenAction;
        try {
          return await runTokenAction(ctx, session, serial, a, form);
        } catch (e) {
          if (!(e instanceof BackendError) || e.status >= 500) throw e;
          const confirming = (a === 'unbind' || a === 'revoke' || a === 'disable') && form.get('confirmed') === 'yes';
          return refused(session, e, confirming ? { confirm: [a, serial] } : { serial });
        }
      }
    }
    if (top === 'users' && id !== undefined) {
      if (!USER_PATTERN.test(id)) return page(400, 'Not a user name', 'A user name is 1 to 128 letters, digits or . _ @ + \\ -', session);
      if (action === undefined && !isPost) {
        try {
          return await userPageReply(session, id, noticeFromQuery(query));
        } catch (e) {
          if (e instanceof BackendError && e.code === 'NOT_FOUND') return page(404, 'Not found', e.message, session);
          throw e;
        }
      }
      if (action === 'revoke-app' && !isPost) return { status: 200, html: confirmPage(session, confirmSpecFor('revoke-app', id)) };
      if (isPost && (USER_ACTIONS as readonly string[]).includes(action ?? '')) {
        const a = action as UserAction;
        try {
          return await runUserAction(ctx, session, id, a, form);
        } catch (e) {
          if (!(e instanceof BackendError) || e.status >= 500) throw e;
          return refused(session, e, a === 'revoke-app' && form.get('confirmed') === 'yes' ? { confirm: ['revoke-app', id] } : { user: id });
        }
      }
    }
    return page(404, 'Not found', 'No such page.', session);
  };

  return async (req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q === -1 ? url : url.slice(0, q);
    const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
    let reply: ConsoleReply;
    try {
      reply = await route(req, pathname, query);
    } catch (e) {
      if (e instanceof BackendError && e.status < 500) reply = { status: e.status, html: errorPage('Refused', e.message) };
      else throw e;
    }
    writeConsoleReply(res, reply);
  };
}
