/**
 * Users and their app factor (a phone or PC authenticator). The app and the fob are
 * independent factors: nothing here touches the user's fob, and nothing in tokens.ts touches
 * the app. Only the newest app enrolment is valid: enrolling revokes the previous one.
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
  revokedPrevious: string | null;
}

export async function enrolApp(ctx: BackendContext, actor: string, user: string, label?: string): Promise<EnrolAppResult> {
  const { algorithm, digits, period } = ctx.policy.app;
  const secret = randomBytes(APP_SECRET_BYTES);
  const id = `app_${randomBytes(8).toString('hex')}`;
  const { kid, blob } = ctx.keyring.encrypt(secret, aad.appSeed(id));
  const now = ctx.clock();
  const revokedPrevious = await auditedTransaction(ctx, async (tx, audit) => {
    await tx.run('INSERT INTO users (user_id, created_at) VALUES (?, ?) ON CONFLICT (user_id) DO NOTHING', [user, now]);
    const prev = await tx.get<{ id: string }>('SELECT id FROM app_factors WHERE user_id = ? AND revoked_at IS NULL', [user]);
    if (prev) await tx.run('UPDATE app_factors SET revoked_at = ? WHERE id = ?', [now, prev.id]);
    await tx.run('INSERT INTO app_factors (id, user_id, seed_enc, kek_id, algorithm, digits, period, label, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [id, user, blob, kid, algorithm, digits, period, label ?? null, now]);
    await audit({ actor, action: 'app.enrol', subject: `user:${user}`, detail: { id, label: label ?? null, revokedPrevious: prev?.id ?? null } });
    return prev?.id ?? null;
  });
  if (revokedPrevious) ctx.otpKeys.forget(aad.appSeed(revokedPrevious));
  const issuer = encodeURIComponent(ctx.policy.issuer);
  const b32 = encodeBase32(secret).replace(/=+$/, '');
  secret.fill(0);
  const otpauthUri = `otpauth://totp/${issuer}:${encodeURIComponent(user)}?secret=${b32}&issuer=${issuer}&algorithm=${algorithm.toUpperCase()}&digits=${digits}&period=${period}`;
  return { id, otpauthUri, algorithm, digits, period, revokedPrevious };
}

/** Revokes the user's app factor; `reason` (the console asks for one) goes into the audit entry. */
export async function revokeApp(ctx: BackendContext, actor: string, user: string, reason?: string): Promise<{ revoked: string | null }> {
  return auditedTransaction(ctx, async (tx, audit) => {
    const prev = await tx.get<{ id: string }>('SELECT id FROM app_factors WHERE user_id = ? AND revoked_at IS NULL', [user]);
    if (!prev) return { revoked: null };
    await tx.run('UPDATE app_factors SET revoked_at = ? WHERE id = ?', [ctx.clock(), prev.id]);
    await audit({ actor, action: 'app.revoke', subject: `user:${user}`, detail: { id: prev.id, ...(reason !== undefined ? { reason } : {}) } });
    return { revoked: prev.id };
  }).then((r) => {
    if (r.revoked) ctx.otpKeys.forget(aad.appSeed(r.revoked));
    return r;
  });
}

export interface UserView {
  user: string;
  fob: { serial: string; enabled: boolean; lastUsed: number | null } | null;
  app: { id: string; label: string | null; algorithm: string; digits: number; period: number; createdAt: number } | null;
  failures: { count: number; lastAt: number | null; lockedUntil: number | null };
  /** Whether the user has a PIN (PIN + OTP logins); never the PIN. */
  pin: boolean;
}

export async function describeUser(ctx: BackendContext, user: string): Promise<UserView> {
  const u = await ctx.db.get<UserRow>('SELECT * FROM users WHERE user_id = ?', [user]);
  if (!u) throw new BackendError('NOT_FOUND', `no user ${user}`);
  const t = await ctx.db.get<TokenRow>("SELECT * FROM tokens WHERE user_id = ? AND state = 'assigned'", [user]);
  const a = await ctx.db.get<AppFactorRow>('SELECT * FROM app_factors WHERE user_id = ? AND revoked_at IS NULL', [user]);
  const now = ctx.clock();
  return {
    user,
    fob: t ? { serial: t.serial, enabled: t.enabled === 1, lastUsed: t.last_used } : null,
    app: a ? { id: a.id, label: a.label, algorithm: a.algorithm, digits: a.digits, period: a.period, createdAt: a.created_at } : null,
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
