/**
 * Users and their app factor (a phone or PC authenticator). The app and the fob are
 * independent factors: nothing here touches the user's fob, and nothing in tokens.ts touches
 * the app. Only the newest app is valid, as a user understands it: a new enrolment is pending,
 * and the working app stays valid until the new one's first code validates, which revokes the
 * previous one (service/_appFactors.ts); a pending enrolment lapses after `--app-enrol-minutes`.
 */
import { randomBytes } from 'node:crypto';
import { encodeBase32 } from '@fobkit/protocol/otp';
import { BackendError } from '../errors.js';
import { aad, type AppFactorRow, type TokenRow, type UserRow } from '../store/rows.js';
import { liveFailures } from '../otp/throttle.js';
import { auditedTransaction, type BackendContext } from './context.js';

/** 20 bytes: the size RFC 4226 recommends and every authenticator app accepts. */
const APP_SECRET_BYTES = 20;

export interface EnrolAppResult {
  id: string;
  otpauthUri: string;
  algorithm: string;
  digits: number;
  period: number;
  state: 'pending';
  /** The enrolment lapses unless one of its codes validates before then. */
  expiresAt: number;
  /** The active app, revoked when this one proves itself. */
  replaces: string | null;
  /** An earlier pending enrolment this one supersedes (revoked now); never the active app. */
  revokedPrevious: string | null;
}

export async function enrolApp(ctx: BackendContext, actor: string, user: string, label?: string): Promise<EnrolAppResult> {
  const { algorithm, digits, period } = ctx.policy.app;
  const secret = randomBytes(APP_SECRET_BYTES);
  const id = `app_${randomBytes(8).toString('hex')}`;
  const { kid, blob } = ctx.keyring.encrypt(secret, aad.appSeed(id));
  const now = ctx.clock();
  const expiresAt = now + ctx.policy.appEnrolSeconds;
  const { replaces, revokedPrevious } = await auditedTransaction(ctx, async (tx, audit) => {
    await tx.run('INSERT INTO users (user_id, created_at) VALUES (?, ?) ON CONFLICT (user_id) DO NOTHING', [user, now]);
    const pending = await tx.get<{ id: string }>('SELECT id FROM app_factors WHERE user_id = ? AND revoked_at IS NULL AND pending_until IS NOT NULL', [user]);
    if (pending) await tx.run('UPDATE app_factors SET revoked_at = ? WHERE id = ?', [now, pending.id]);
    const active = await tx.get<{ id: string }>('SELECT id FROM app_factors WHERE user_id = ? AND revoked_at IS NULL AND pending_until IS NULL', [user]);
    await tx.run('INSERT INTO app_factors (id, user_id, seed_enc, kek_id, algorithm, digits, period, label, created_at, pending_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [id, user, blob, kid, algorithm, digits, period, label ?? null, now, expiresAt]);
    const r = { replaces: active?.id ?? null, revokedPrevious: pending?.id ?? null };
    await audit({ actor, action: 'app.enrol', subject: `user:${user}`, detail: { id, label: label ?? null, expiresAt, ...r } });
    return r;
  });
  if (revokedPrevious) ctx.otpKeys.forget(aad.appSeed(revokedPrevious));
  const issuer = encodeURIComponent(ctx.policy.issuer);
  const b32 = encodeBase32(secret).replace(/=+$/, '');
  secret.fill(0);
  const otpauthUri = `otpauth://totp/${issuer}:${encodeURIComponent(user)}?secret=${b32}&issuer=${issuer}&algorithm=${algorithm.toUpperCase()}&digits=${digits}&period=${period}`;
  return { id, otpauthUri, algorithm, digits, period, state: 'pending', expiresAt, replaces, revokedPrevious };
}

/**
 * Revokes the user's app and any pending enrolment; `revoked` is the active app, else the pending
 * one. `reason` (the console asks for one) goes into the audit entries.
 */
export async function revokeApp(ctx: BackendContext, actor: string, user: string, reason?: string): Promise<{ revoked: string | null }> {
  const ids = await auditedTransaction(ctx, async (tx, audit) => {
    const rows = await tx.all<{ id: string; pending_until: number | null }>('SELECT id, pending_until FROM app_factors WHERE user_id = ? AND revoked_at IS NULL', [user]);
    if (rows.length === 0) return [];
    rows.sort((a, b) => (a.pending_until === null ? 0 : 1) - (b.pending_until === null ? 0 : 1));
    await tx.run('UPDATE app_factors SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL', [ctx.clock(), user]);
    for (const r of rows) await audit({ actor, action: 'app.revoke', subject: `user:${user}`, detail: { id: r.id, pending: r.pending_until !== null, ...(reason !== undefined ? { reason } : {}) } });
    return rows.map((r) => r.id);
  });
  for (const id of ids) ctx.otpKeys.forget(aad.appSeed(id));
  return { revoked: ids[0] ?? null };
}

export interface UserAppView {
  id: string;
  label: string | null;
  algorithm: string;
  digits: number;
  period: number;
  createdAt: number;
  state: 'active' | 'pending';
  /** Pending: when the enrolment lapses; active: null. */
  expiresAt: number | null;
}

export interface UserView {
  user: string;
  fob: { serial: string; enabled: boolean; lastUsed: number | null } | null;
  /** The active app, else the pending enrolment. */
  app: UserAppView | null;
  /** An enrolment waiting for its first code, beside or instead of the active app. */
  pendingApp: UserAppView | null;
  failures: { count: number; lastAt: number | null; lockedUntil: number | null };
  /** Whether the user has a PIN (PIN + OTP logins); never the PIN. */
  pin: boolean;
}

function appView(a: AppFactorRow): UserAppView {
  return {
    id: a.id, label: a.label, algorithm: a.algorithm, digits: a.digits, period: a.period, createdAt: a.created_at,
    state: a.pending_until === null ? 'active' : 'pending', expiresAt: a.pending_until,
  };
}

export async function describeUser(ctx: BackendContext, user: string): Promise<UserView> {
  const u = await ctx.db.get<UserRow>('SELECT * FROM users WHERE user_id = ?', [user]);
  if (!u) throw new BackendError('NOT_FOUND', `no user ${user}`);
  const now = ctx.clock();
  const t = await ctx.db.get<TokenRow>("SELECT * FROM tokens WHERE user_id = ? AND state = 'assigned'", [user]);
  const apps = await ctx.db.all<AppFactorRow>('SELECT * FROM app_factors WHERE user_id = ? AND revoked_at IS NULL AND (pending_until IS NULL OR pending_until > ?)', [user, now]);
  const active = apps.find((a) => a.pending_until === null);
  const pending = apps.find((a) => a.pending_until !== null);
  return {
    user,
    fob: t ? { serial: t.serial, enabled: t.enabled === 1, lastUsed: t.last_used } : null,
    app: active ? appView(active) : pending ? appView(pending) : null,
    pendingApp: pending ? appView(pending) : null,
    failures: {
      count: liveFailures({ failCount: u.fail_count, failLast: u.fail_last, lockedUntil: u.locked_until }, now, ctx.policy.throttle),
      lastAt: u.fail_last,
      lockedUntil: u.locked_until !== null && u.locked_until > now ? u.locked_until : null,
    },
    pin: u.pin_hash !== null,
  };
}

/** Clears the user's failure count and lockout, and those of the user's fob; `reason`, when given, goes into the audit entry. */
export async function unlockUser(ctx: BackendContext, actor: string, user: string, reason?: string): Promise<UserView> {
  await auditedTransaction(ctx, async (tx, audit) => {
    const { changes } = await tx.run('UPDATE users SET fail_count = 0, fail_last = NULL, locked_until = NULL WHERE user_id = ?', [user]);
    if (changes === 0) throw new BackendError('NOT_FOUND', `no user ${user}`);
    await tx.run("UPDATE tokens SET fail_count = 0, fail_last = NULL, locked_until = NULL WHERE user_id = ? AND state = 'assigned'", [user]);
    await audit({ actor, action: 'user.unlock', subject: `user:${user}`, ...(reason !== undefined ? { detail: { reason } } : {}) });
  });
  return describeUser(ctx, user);
}
