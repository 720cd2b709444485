/**
 * Token life cycle: register (station) or import (seed files), activate, assign, unbind,
 * revoke, enable, disable, and the support view. States:
 *   pending --activate--> available --assign--> assigned --unbind--> quarantined
 *   quarantined --successful check--> available;  any --revoke--> revoked (final)
 * `enabled` is separate from the state: a disabled fob keeps its state and owner but validates
 * nothing until enabled again.
 */
import { openSealed } from '@fobkit/protocol/session';
import { assertAlgorithm, assertDigits, assertPeriod, assertSecret, constantTimeEqual, type OtpAlgorithm, type OtpDigits } from '@fobkit/protocol/otp';
import { parseSerial } from '@fobkit/protocol/serial';
import { BackendError } from '../errors.js';
import { aad, type RegistrationKeyRow, type TokenRow, type TokenState } from '../store/rows.js';
import type { DbExecutor } from '../store/db.js';
import { expectedOffsetSeconds, initialDrift } from '../otp/driftModel.js';
import { liveFailures } from '../otp/throttle.js';
import { auditedTransaction, type BackendContext } from './context.js';
import { anySerial, fobkitSerial } from './serialInput.js';
import { claimSerial, type SerialClaim } from './serialOwnership.js';
import { reregisterRevokedToken } from './reregisterRevokedToken.js';

export interface OtpProfile {
  algorithm: OtpAlgorithm;
  digits: OtpDigits;
  period: number;
  t0: number;
}

export interface RegisterTokenInput extends OtpProfile {
  serial: string;
  model?: string;
  batch?: string;
  /** The seed sealed to the registration key with context `seed:<serial>`. */
  sealedSecret: Uint8Array;
  kid: string;
  provisionedAt: number;
  /** Fob clock minus true time at provisioning, seconds (positive: the fob is ahead). */
  clockOffset: number;
}

export interface ImportTokenInput extends OtpProfile {
  /** A fobkit serial (check digit verified) or a vendor serial. */
  serial: string;
  /** The plaintext seed; the caller zeroes it afterwards. */
  secret: Uint8Array;
  model?: string;
  batch?: string;
  /** Default `available` (imported fobs are already in the field or in stock). */
  state?: 'pending' | 'available';
  provisionedAt?: number;
  clockOffset?: number;
}

export interface StoreTokenResult {
  serial: string;
  state: TokenState;
  /** False when the same registration was already there. */
  created: boolean;
}

export async function getTokenRow(db: DbExecutor, serial: string): Promise<TokenRow> {
  const row = await db.get<TokenRow>('SELECT * FROM tokens WHERE serial = ?', [serial]);
  if (!row) throw new BackendError('NOT_FOUND', `no token with serial ${serial}`);
  return row;
}

/** Opens a token's seed; the caller zeroes it. */
export function openTokenSeed(ctx: BackendContext, row: Pick<TokenRow, 'serial' | 'kek_id' | 'seed_enc'>): Buffer {
  return ctx.keyring.decrypt(row.kek_id, row.seed_enc, aad.tokenSeed(row.serial));
}

function assertProfile(p: OtpProfile): void {
  try {
    assertAlgorithm(p.algorithm);
    assertDigits(p.digits);
    assertPeriod(p.period);
  } catch (e) {
    throw new BackendError('INVALID_REQUEST', (e as Error).message);
  }
  if (typeof p.t0 !== 'number' || !Number.isFinite(p.t0) || p.t0 < 0) throw new BackendError('INVALID_REQUEST', 't0 must be a non-negative number of seconds');
}

/**
 * Stores a token with its plaintext seed, idempotently: the same seed and profile again is a
 * success, anything else under an existing serial a CONFLICT. The seeds are compared by opening
 * the stored one, in constant time.
 */
async function storeToken(
  ctx: BackendContext,
  actor: string,
  input: OtpProfile & { serial: string; secret: Uint8Array; model?: string; batch?: string; state: 'pending' | 'available'; provisionedAt: number; clockOffset: number; source: 'station' | 'import' },
  detail: Record<string, unknown>,
): Promise<StoreTokenResult> {
  try {
    assertSecret(input.secret, 'seed');
  } catch (e) {
    throw new BackendError('INVALID_REQUEST', (e as Error).message);
  }
  assertProfile(input);
  for (let attempt = 0; ; attempt++) {
    const result = await auditedTransaction(ctx, async (tx, audit) => {
      const existing = await tx.get<TokenRow>('SELECT * FROM tokens WHERE serial = ?', [input.serial]);
      if (existing) {
        const stored = openTokenSeed(ctx, existing);
        const same = constantTimeEqual(stored, input.secret) && existing.algorithm === input.algorithm && existing.digits === input.digits
          && existing.period === input.period && existing.t0 === input.t0;
        stored.fill(0);
        if (!same && input.source === 'station' && existing.state === 'revoked') {
          // A refurbished fob: its serial comes back with a new seed (reregisterRevokedToken.ts).
          if (!(await reregisterRevokedToken(ctx, tx, existing, input, actor))) return undefined;
          await audit({ actor, action: 'token.reregister', subject: input.serial, detail: { ...detail, from: 'revoked', state: 'pending' } });
          return { serial: input.serial, state: 'pending' as const, created: true };
        }
        if (!same) throw new BackendError('CONFLICT', `serial ${input.serial} is already registered with another seed or OTP profile${existing.state === 'revoked' ? '' : ` (${existing.state}); to refurbish the fob, revoke it first`}`);
        return { serial: input.serial, state: existing.state, created: false };
      }
      const now = ctx.clock();
      const { kid, blob } = ctx.keyring.encrypt(input.secret, aad.tokenSeed(input.serial));
      const drift = initialDrift(input.provisionedAt, input.clockOffset, ctx.policy.drift);
      const { changes } = await tx.run(
        `INSERT INTO tokens (serial, model, batch, source, seed_enc, kek_id, algorithm, digits, period, t0, provisioned_at, clock_offset,
          state, enabled, anchor_time, anchor_offset, anchor_err, rate_lo, rate_hi, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (serial) DO NOTHING`,
        [input.serial, input.model ?? null, input.batch ?? null, input.source, blob, kid, input.algorithm, input.digits, input.period, input.t0,
          input.provisionedAt, input.clockOffset, input.state, drift.anchorTime, drift.anchorOffset, drift.anchorErr, drift.rateLo, drift.rateHi, now, now],
      );
      if (changes === 0) return undefined; // another process inserted it meanwhile: compare again
      await audit({ actor, action: input.source === 'station' ? 'token.register' : 'token.import', subject: input.serial, detail: { ...detail, state: input.state } });
      return { serial: input.serial, state: input.state, created: true };
    });
    if (result) return result;
    if (attempt >= 2) throw new BackendError('INTERNAL', `registration of ${input.serial} kept racing`);
  }
}

async function registrationKeyRow(ctx: BackendContext, kid: string): Promise<RegistrationKeyRow> {
  const row = await ctx.db.get<RegistrationKeyRow>('SELECT * FROM registration_keys WHERE kid = ?', [kid]);
  if (!row) throw new BackendError('UNKNOWN_KID', `registration key ${kid} is not this backend's: fetch GET /v1/registration-key again`);
  return row;
}

const overrideDetail = (claim: SerialClaim): Record<string, unknown> => (claim.override ? { override: true, reservedBy: claim.reservedBy } : {});

/**
 * POST /v1/tokens: a station registers a fob it programmed, under a serial its key reserved.
 * @throws BackendError SERIAL_NOT_RESERVED, SERIAL_NOT_YOURS (another key reserved it),
 *   UNKNOWN_KID, SEAL_FAILED, CONFLICT.
 */
export async function registerToken(ctx: BackendContext, actor: string, input: RegisterTokenInput): Promise<StoreTokenResult> {
  const serial = fobkitSerial(input.serial);
  // Only reserved serials: a station that made one up could collide with a later reservation.
  const reserved = await ctx.db.get<{ value: number }>("SELECT value FROM counters WHERE name = 'serial'");
  const parsed = parseSerial(serial);
  if (parsed.ok && parsed.sequence > (reserved?.value ?? 0)) {
    throw new BackendError('SERIAL_NOT_RESERVED', `serial ${serial} was never reserved: take serials from POST /v1/serials/reserve`);
  }
  // A revoked serial is released: support revoked it so that the fob can be refurbished, at
  // whichever station it comes back to (storeToken re-registers only a token still revoked).
  const current = await ctx.db.get<{ state: string }>('SELECT state FROM tokens WHERE serial = ?', [serial]);
  const claim = current?.state === 'revoked' ? { reservedBy: null, override: false } : await claimSerial(ctx, actor, serial, 'register');
  const reg = await registrationKeyRow(ctx, input.kid);
  const privateKey = ctx.keyring.decrypt(reg.kek_id, reg.private_enc, aad.registrationKey(reg.kid));
  let secret: Uint8Array;
  try {
    secret = openSealed({ recipientPrivateKey: privateKey, recipientPublicKey: new Uint8Array(reg.public_key), envelope: input.sealedSecret, context: `seed:${serial}` });
  } catch (cause) {
    throw new BackendError('SEAL_FAILED', `sealedSecret does not open for seed:${serial} under registration key ${input.kid}`, { cause });
  } finally {
    privateKey.fill(0);
  }
  try {
    return await storeToken(ctx, actor, { ...input, serial, secret, state: 'pending', source: 'station' },
      { model: input.model ?? null, batch: input.batch ?? null, kid: input.kid, algorithm: input.algorithm, digits: input.digits, period: input.period, ...overrideDetail(claim) });
  } finally {
    secret.fill(0);
  }
}

/**
 * Stores a token from a seed file (the entry point for `src/interop/`). Same idempotency and
 * conflict rules as {@link registerToken}; audited as `token.import`.
 */
export async function importToken(ctx: BackendContext, actor: string, input: ImportTokenInput): Promise<StoreTokenResult> {
  const serial = anySerial(input.serial);
  return storeToken(ctx, actor, {
    ...input, serial, state: input.state ?? 'available', provisionedAt: input.provisionedAt ?? ctx.clock(), clockOffset: input.clockOffset ?? 0, source: 'import',
  }, { model: input.model ?? null, batch: input.batch ?? null, algorithm: input.algorithm, digits: input.digits, period: input.period });
}

/**
 * A token's seed and profile for a seed-file export (the entry point for `src/interop/`).
 * Audited as `token.export`; the caller zeroes `secret`.
 */
export async function exportTokenSecret(ctx: BackendContext, actor: string, serial: string): Promise<OtpProfile & { serial: string; secret: Uint8Array; model: string | null }> {
  return auditedTransaction(ctx, async (tx, audit) => {
    const row = await getTokenRow(tx, serial);
    await audit({ actor, action: 'token.export', subject: serial });
    return { serial, secret: openTokenSeed(ctx, row), model: row.model, algorithm: row.algorithm, digits: row.digits, period: row.period, t0: row.t0 };
  });
}

/**
 * A guarded state change: reads the row, lets `decide` say what to change (or that it is a
 * no-op), updates only when the state is still the one read, and audits.
 */
async function changeToken(
  ctx: BackendContext,
  actor: string,
  serial: string,
  action: string,
  decide: (row: TokenRow) => { set: Record<string, string | number | null>; detail?: Record<string, unknown> } | 'unchanged',
): Promise<TokenRow> {
  return auditedTransaction(ctx, async (tx, audit) => {
    const row = await getTokenRow(tx, serial);
    const d = decide(row);
    if (d === 'unchanged') return row;
    const cols = Object.keys(d.set);
    const now = ctx.clock();
    const { changes } = await tx.run(`UPDATE tokens SET ${cols.map((c) => `${c} = ?`).join(', ')}, updated_at = ? WHERE serial = ? AND state = ? AND enabled = ?`,
      [...cols.map((c) => d.set[c]!), now, serial, row.state, row.enabled]);
    if (changes !== 1) throw new BackendError('CONFLICT', `token ${serial} changed meanwhile; try again`);
    await audit({ actor, action, subject: serial, detail: { from: row.state, ...d.detail } });
    return (await tx.get<TokenRow>('SELECT * FROM tokens WHERE serial = ?', [serial]))!;
  });
}

function badState(row: TokenRow, what: string): BackendError {
  return new BackendError('INVALID_STATE', `token ${row.serial} is ${row.state}: cannot ${what}`);
}

/**
 * POST /v1/tokens/{serial}/activate. A fob a station registered is activated only by the key
 * that reserved its serial (or an admin key); imported tokens by any station key.
 * @throws BackendError NOT_FOUND, SERIAL_NOT_YOURS, INVALID_STATE.
 */
export async function activateToken(ctx: BackendContext, actor: string, serial: string): Promise<TokenRow> {
  const { source, owner_key: ownerKey } = await getTokenRow(ctx.db, serial);
  const claim = source === 'station' ? await claimSerial(ctx, actor, serial, 'activate', ownerKey) : { reservedBy: null, override: false };
  return changeToken(ctx, actor, serial, 'token.activate', (row) => {
    if (row.state === 'available') return 'unchanged';
    if (row.state !== 'pending') throw badState(row, 'activate');
    return { set: { state: 'available' }, detail: overrideDetail(claim) };
  });
}

export async function assignToken(ctx: BackendContext, actor: string, serial: string, user: string): Promise<TokenRow> {
  await ctx.db.run('INSERT INTO users (user_id, created_at) VALUES (?, ?) ON CONFLICT (user_id) DO NOTHING', [user, ctx.clock()]);
  try {
    return await changeToken(ctx, actor, serial, 'token.assign', (row) => {
      if (row.state === 'assigned' && row.user_id === user) return 'unchanged';
      if (row.state === 'quarantined') throw new BackendError('INVALID_STATE', `token ${serial} is quarantined: a successful check (POST /v1/tokens/${serial}/check) must come before it is assigned again`);
      if (row.state !== 'available') throw badState(row, 'assign');
      return { set: { state: 'assigned', user_id: user, fail_count: 0, fail_last: null, locked_until: null }, detail: { user } };
    });
  } catch (e) {
    if (e instanceof BackendError) throw e;
    // The partial unique index: one assigned fob per user.
    if (/unique|duplicate/i.test((e as Error).message)) throw new BackendError('CONFLICT', `user ${user} already has a fob; unbind it first`, { cause: e });
    throw e;
  }
}

export async function unbindToken(ctx: BackendContext, actor: string, serial: string, reason: string): Promise<TokenRow> {
  const row = await changeToken(ctx, actor, serial, 'token.unbind', (r) => {
    if (r.state !== 'assigned') throw badState(r, 'unbind');
    return { set: { state: 'quarantined', user_id: null }, detail: { user: r.user_id, reason } };
  });
  // A lost fob's key leaves this process's memory now, not when the cache evicts it.
  ctx.otpKeys.forget(aad.tokenSeed(row.serial));
  return row;
}

export async function revokeToken(ctx: BackendContext, actor: string, serial: string, reason: string | undefined): Promise<TokenRow> {
  const row = await changeToken(ctx, actor, serial, 'token.revoke', (r) => {
    if (r.state === 'revoked') return 'unchanged';
    return { set: { state: 'revoked', user_id: null }, detail: { user: r.user_id, reason: reason ?? null } };
  });
  ctx.otpKeys.forget(aad.tokenSeed(row.serial));
  return row;
}

export function setTokenEnabled(ctx: BackendContext, actor: string, serial: string, enabled: boolean, reason: string | undefined): Promise<TokenRow> {
  return changeToken(ctx, actor, serial, enabled ? 'token.enable' : 'token.disable', (row) => {
    if (row.state === 'revoked') throw badState(row, enabled ? 'enable' : 'disable');
    if ((row.enabled === 1) === enabled) return 'unchanged';
    return { set: { enabled: enabled ? 1 : 0 }, detail: { reason: reason ?? null } };
  });
}

/** Called by a successful support check on a quarantined fob. */
export function clearQuarantine(ctx: BackendContext, actor: string, serial: string): Promise<TokenRow> {
  return changeToken(ctx, actor, serial, 'token.quarantine-cleared', (row) => {
    if (row.state !== 'quarantined') return 'unchanged';
    return { set: { state: 'available' } };
  });
}

export interface TokenView {
  serial: string;
  model: string | null;
  batch: string | null;
  source: 'station' | 'import';
  state: TokenState;
  enabled: boolean;
  user: string | null;
  algorithm: OtpAlgorithm;
  digits: OtpDigits;
  period: number;
  t0: number;
  provisionedAt: number;
  clockOffset: number;
  drift: { steps: number; seconds: number; ratePpm: number; rateUncertaintyPpm: number };
  lastUsed: number | null;
  failures: { count: number; lastAt: number | null; lockedUntil: number | null };
  createdAt: number;
  updatedAt: number;
  history: { seq: number; at: number; actor: string; action: string; detail: Record<string, unknown> }[];
}

const round = (x: number, digits: number): number => Number(x.toFixed(digits));

/** GET /v1/tokens/{serial}: everything support needs, never the seed. */
export async function describeToken(ctx: BackendContext, serial: string): Promise<TokenView> {
  const row = await getTokenRow(ctx.db, serial);
  const now = ctx.clock();
  const drift = { anchorTime: row.anchor_time, anchorOffset: row.anchor_offset, anchorErr: row.anchor_err, rateLo: row.rate_lo, rateHi: row.rate_hi };
  const seconds = expectedOffsetSeconds(drift, now, ctx.policy.drift);
  const history = await ctx.db.all<{ seq: number; at: number; actor: string; action: string; detail: string }>(
    'SELECT seq, at, actor, action, detail FROM audit_log WHERE subject = ? ORDER BY seq DESC LIMIT 100', [serial]);
  return {
    serial: row.serial,
    model: row.model,
    batch: row.batch,
    source: row.source,
    state: row.state,
    enabled: row.enabled === 1,
    user: row.user_id,
    algorithm: row.algorithm,
    digits: row.digits,
    period: row.period,
    t0: row.t0,
    provisionedAt: row.provisioned_at,
    clockOffset: row.clock_offset,
    drift: {
      steps: round(seconds / row.period, 3),
      seconds: round(seconds, 1),
      ratePpm: round(((row.rate_lo + row.rate_hi) / 2) * 1e6, 2),
      rateUncertaintyPpm: round(((row.rate_hi - row.rate_lo) / 2) * 1e6, 2),
    },
    lastUsed: row.last_used,
    failures: { count: liveFailures({ failCount: row.fail_count, failLast: row.fail_last, lockedUntil: row.locked_until }, now, ctx.policy.throttle), lastAt: row.fail_last, lockedUntil: row.locked_until !== null && row.locked_until > now ? row.locked_until : null },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    history: history.reverse().map((h) => ({ seq: h.seq, at: h.at, actor: h.actor, action: h.action, detail: JSON.parse(h.detail) as Record<string, unknown> })),
  };
}
