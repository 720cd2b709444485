/**
 * What each console form does, through the same service functions as the HTTP API (so the
 * rules, the state checks and the audit entries are the same), with the operator as the audit
 * actor (`op:<name>`). Destructive actions (unbind, revoke, disable, revoke app) need the
 * confirmation step's `confirmed=yes` and a reason; without them they answer the confirmation page.
 * Role rules are the API's: revoking an app device is for admins (the handler checks).
 */
import { BackendError } from '../errors.js';
import type { BackendContext } from '../service/context.js';
import { assignToken, describeToken, revokeToken, setTokenEnabled, unbindToken } from '../service/tokens.js';
import { checkCode, resyncToken } from '../service/support.js';
import { revokeApp, unlockUser } from '../service/users.js';
import { anySerial } from '../service/serialInput.js';
import { operatorActor } from '../service/operatorStore.js';
import { USER_PATTERN } from '../http/bodies.js';
import { hasControlCharacter } from '../http/schema.js';
import type { ConsoleSession } from './consoleSessions.js';
import type { ConsoleReply } from './consoleReply.js';
import { confirmPage, type ConfirmSpec } from './confirmPage.js';
import { tokenPage } from './tokenPage.js';
import { CONSOLE_BASE, type Notice } from './renderPage.js';

export const TOKEN_ACTIONS = ['check', 'resync', 'assign', 'enable', 'disable', 'unbind', 'revoke'] as const;
export const USER_ACTIONS = ['unlock', 'assign', 'revoke-app'] as const;
export type TokenAction = (typeof TOKEN_ACTIONS)[number];
export type UserAction = (typeof USER_ACTIONS)[number];

/** After a redirect, the page says what was done (a fixed set: nothing from the request is echoed). */
export const DONE_MESSAGES: Record<string, string> = {
  unbound: 'Fob unbound: it is quarantined until a successful code check.',
  revoked: 'Fob revoked.',
  disabled: 'Fob disabled.',
  enabled: 'Fob enabled.',
  assigned: 'Fob assigned.',
  unlocked: 'User unlocked: failures and lockout cleared.',
  'app-revoked': 'App device revoked.',
};

const tokenHref = (serial: string) => `${CONSOLE_BASE}/tokens/${encodeURIComponent(serial)}`;
const userHref = (user: string) => `${CONSOLE_BASE}/users/${encodeURIComponent(user)}`;

export function confirmSpecFor(kind: 'unbind' | 'revoke' | 'disable' | 'revoke-app', subject: string): ConfirmSpec {
  switch (kind) {
    case 'unbind':
      return { title: `Unbind fob ${subject}`, consequence: `The fob ${subject} is taken from its user and quarantined: it validates nothing until a support check of one of its codes, and can then be assigned again.`,
        action: `${tokenHref(subject)}/unbind`, button: 'Unbind and quarantine', cancelHref: tokenHref(subject), reasonPlaceholder: 'e.g. lost, reported by phone' };
    case 'revoke':
      return { title: `Revoke fob ${subject}`, consequence: `The fob ${subject} is revoked for good: it can never validate or be assigned again.`,
        action: `${tokenHref(subject)}/revoke`, button: 'Revoke for good', cancelHref: tokenHref(subject), reasonPlaceholder: 'e.g. broken, destroyed' };
    case 'disable':
      return { title: `Disable fob ${subject}`, consequence: `The fob ${subject} keeps its user but validates nothing until it is enabled again.`,
        action: `${tokenHref(subject)}/disable`, button: 'Disable', cancelHref: tokenHref(subject), reasonPlaceholder: 'e.g. user on leave' };
    case 'revoke-app':
      return { title: `Revoke the app device of ${subject}`, consequence: `The authenticator app enrolled for ${subject} stops working at once; a new enrolment is needed to use an app again.`,
        action: `${userHref(subject)}/revoke-app`, button: 'Revoke app device', cancelHref: userHref(subject), reasonPlaceholder: 'e.g. phone lost' };
  }
}

/** A reason from a form: trimmed, 1 to 200 printable characters; undefined when blank and optional. */
function reasonOf(form: URLSearchParams, required: boolean): string | undefined {
  const r = (form.get('reason') ?? '').trim();
  if (r === '') {
    if (required) throw new BackendError('INVALID_REQUEST', 'give a reason: it goes into the audit log');
    return undefined;
  }
  if (r.length > 200 || hasControlCharacter(r)) throw new BackendError('INVALID_REQUEST', 'the reason must be up to 200 printable characters');
  return r;
}

function userOf(value: string | null): string {
  const u = (value ?? '').trim();
  if (!USER_PATTERN.test(u)) throw new BackendError('INVALID_REQUEST', 'a user name is 1 to 128 letters, digits or . _ @ + \\ -');
  return u;
}

function codeOf(form: URLSearchParams, name: string): string {
  return (form.get(name) ?? '').trim().replace(/\s+/g, '');
}

const done = (href: string, key: keyof typeof DONE_MESSAGES & string): ConsoleReply => ({ redirect: `${href}?done=${key}` });

/** Renders the fob's page with a notice (the answer of check and resync, and of a refused action). */
export async function tokenPageReply(ctx: BackendContext, session: ConsoleSession, serial: string, notice: Notice | undefined, status = 200): Promise<ConsoleReply> {
  return { status, html: tokenPage(session, await describeToken(ctx, serial), notice) };
}

const describeOffset = (steps: number, seconds: number): string =>
  steps === 0 ? 'on time' : `${Math.abs(steps)} step${Math.abs(steps) === 1 ? '' : 's'} (${Math.abs(seconds)} s) ${steps > 0 ? 'ahead' : 'behind'}`;

export async function runTokenAction(ctx: BackendContext, session: ConsoleSession, serialInput: string, action: TokenAction, form: URLSearchParams): Promise<ConsoleReply> {
  const actor = operatorActor(session.operator);
  const serial = anySerial(serialInput);
  const confirmed = form.get('confirmed') === 'yes';
  switch (action) {
    case 'check': {
      const r = await checkCode(ctx, actor, serial, codeOf(form, 'code'));
      const notice: Notice = r.ok
        ? { kind: 'ok', text: `Code matches: the fob is ${describeOffset(r.offsetSteps, r.offsetSeconds)}.${r.state === 'available' ? ' It is available and can be assigned.' : ''}` }
        : { kind: 'bad', text: r.reason === 'malformed' ? 'That is not a code of this fob\'s length.' : 'The code does not match this fob (within a day either side of now).' };
      return tokenPageReply(ctx, session, serial, notice, r.ok ? 200 : 422);
    }
    case 'resync': {
      const r = await resyncToken(ctx, actor, serial, codeOf(form, 'code1'), codeOf(form, 'code2'));
      const notice: Notice = r.ok
        ? { kind: 'ok', text: `Resynchronised: the fob is ${describeOffset(r.offsetSteps, r.offsetSeconds)}; validation follows it from now on.` }
        : { kind: 'bad', text: r.reason === 'replayed' ? 'Those codes were already used: wait for two new ones.' : r.reason === 'malformed' ? 'Enter two codes of this fob\'s length.' : 'The two codes are not consecutive codes of this fob.' };
      return tokenPageReply(ctx, session, serial, notice, r.ok ? 200 : 422);
    }
    case 'assign': {
      const user = userOf(form.get('user'));
      await assignToken(ctx, actor, serial, user);
      return done(userHref(user), 'assigned');
    }
    case 'enable':
      await setTokenEnabled(ctx, actor, serial, true, reasonOf(form, false));
      return form.get('back') === 'user' ? await backToUser(ctx, serial, 'enabled') : done(tokenHref(serial), 'enabled');
    case 'disable':
    case 'unbind':
    case 'revoke': {
      if (!confirmed) return { status: 200, html: confirmPage(session, confirmSpecFor(action, serial)) };
      const reason = reasonOf(form, true)!;
      if (action === 'disable') await setTokenEnabled(ctx, actor, serial, false, reason);
      else if (action === 'unbind') await unbindToken(ctx, actor, serial, reason);
      else await revokeToken(ctx, actor, serial, reason);
      return done(tokenHref(serial), action === 'disable' ? 'disabled' : action === 'unbind' ? 'unbound' : 'revoked');
    }
  }
}

async function backToUser(ctx: BackendContext, serial: string, key: string): Promise<ConsoleReply> {
  const t = await describeToken(ctx, serial);
  return done(t.user ? userHref(t.user) : tokenHref(serial), key);
}

export async function runUserAction(ctx: BackendContext, session: ConsoleSession, user: string, action: UserAction, form: URLSearchParams): Promise<ConsoleReply> {
  const actor = operatorActor(session.operator);
  switch (action) {
    case 'unlock':
      await unlockUser(ctx, actor, user, reasonOf(form, false));
      return done(userHref(user), 'unlocked');
    case 'assign':
      await assignToken(ctx, actor, anySerial((form.get('serial') ?? '').trim()), user);
      return done(userHref(user), 'assigned');
    case 'revoke-app': {
      if (form.get('confirmed') !== 'yes') return { status: 200, html: confirmPage(session, confirmSpecFor('revoke-app', user)) };
      const r = await revokeApp(ctx, actor, user, reasonOf(form, true));
      if (!r.revoked) throw new BackendError('NOT_FOUND', `${user} has no app device to revoke`);
      return done(userHref(user), 'app-revoked');
    }
  }
}
