/**
 * The static PIN of "PIN + OTP" logins (VPNs that prompt for one password field): set by
 * support per user, typed in front of the code. Stored as an scrypt hash (RFC 7914) with a
 * per-user random salt, in a self-describing string so the cost can be raised later without a
 * migration: `scrypt$ln=14,r=8,p=1$<salt b64url>$<hash b64url>`. Compared in constant time.
 *
 * Cost: N = 2^14, r = 8 (16 MiB, tens of milliseconds on one core) is paid on every validation
 * of a user with a PIN, so it is set for a login path, not for a password vault; the brute-force
 * throttle of validate bounds online guessing, the hash only protects a stolen database.
 */
import { randomBytes as nodeRandomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { BackendError } from '../errors.js';
import { auditedTransaction, type BackendContext } from './context.js';

export const PIN_MIN_LENGTH = 4;
export const PIN_MAX_LENGTH = 64;
const LOG_N = 14;
const R = 8;
const P = 1;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
/** Accepted stored costs: bounded so a tampered row cannot make validation allocate gigabytes. */
const MAX_LOG_N = 20;

function derive(pin: string, salt: Buffer, logN: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(pin.normalize('NFC'), salt, HASH_BYTES, { N: 2 ** logN, r, p, maxmem: 256 * 2 ** logN * r + 1024 * 1024 }, (e, key) => (e ? reject(e) : resolve(key)));
  });
}

/** Hashes a PIN for storage. @throws RangeError for a PIN outside 4..64 characters. */
export async function hashPin(pin: string, randomBytes: (n: number) => Uint8Array = nodeRandomBytes): Promise<string> {
  if (pin.length < PIN_MIN_LENGTH || pin.length > PIN_MAX_LENGTH) throw new RangeError(`pin must be ${PIN_MIN_LENGTH} to ${PIN_MAX_LENGTH} characters`);
  const salt = Buffer.from(randomBytes(SALT_BYTES));
  const hash = await derive(pin, salt, LOG_N, R, P);
  const encoded = `scrypt$ln=${LOG_N},r=${R},p=${P}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
  hash.fill(0);
  return encoded;
}

/** Does `pin` match the stored hash? False (never a throw) for a stored value it cannot read. */
export async function verifyPin(stored: string, pin: string): Promise<boolean> {
  const m = /^scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9_-]{16,64})\$([A-Za-z0-9_-]{43})$/.exec(stored);
  if (!m || pin.length < PIN_MIN_LENGTH || pin.length > PIN_MAX_LENGTH) return false;
  const [logN, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (logN < 10 || logN > MAX_LOG_N || r < 1 || p < 1) return false;
  const expected = Buffer.from(m[5]!, 'base64url');
  const actual = await derive(pin, Buffer.from(m[4]!, 'base64url'), logN, r, p);
  const ok = expected.length === actual.length && timingSafeEqual(expected, actual);
  actual.fill(0);
  return ok;
}

/**
 * Splits what a user typed into the PIN and the code: the code is the last `digits` characters.
 * Undefined when too short to hold a PIN (an OTP typed alone by a user who has a PIN) or when
 * the code part is not digits (so a right PIN with a garbled code is no different from a wrong
 * PIN: no answer tells the PIN apart from the code).
 */
export function splitPinAndCode(input: string, digits: number): { pin: string; code: string } | undefined {
  if (input.length < digits + PIN_MIN_LENGTH || input.length > digits + PIN_MAX_LENGTH) return undefined;
  const code = input.slice(input.length - digits);
  if (!/^[0-9]+$/.test(code)) return undefined;
  return { pin: input.slice(0, input.length - digits), code };
}

/**
 * The OTP part of `input` when its PIN part matches the stored hash, else null (too short, or a
 * wrong PIN: validate answers both as a mismatch, without saying which part was wrong).
 */
export async function codeAfterPin(stored: string, input: string, digits: number): Promise<string | null> {
  const split = splitPinAndCode(input, digits);
  if (!split) return null;
  return (await verifyPin(stored, split.pin)) ? split.code : null;
}

/** Sets (or replaces) a user's PIN; creates the user when new. Audited as `user.pin-set`, never with the PIN. */
export async function setUserPin(ctx: BackendContext, actor: string, user: string, pin: string): Promise<{ user: string; pin: boolean }> {
  const hash = await hashPin(pin);
  const now = ctx.clock();
  await auditedTransaction(ctx, async (tx, audit) => {
    await tx.run('INSERT INTO users (user_id, created_at) VALUES (?, ?) ON CONFLICT (user_id) DO NOTHING', [user, now]);
    await tx.run('UPDATE users SET pin_hash = ? WHERE user_id = ?', [hash, user]);
    await audit({ actor, action: 'user.pin-set', subject: `user:${user}` });
  });
  return { user, pin: true };
}

/** Removes a user's PIN (the OTP alone works again). Audited as `user.pin-clear` when there was one. */
export async function clearUserPin(ctx: BackendContext, actor: string, user: string): Promise<{ user: string; pin: boolean }> {
  await auditedTransaction(ctx, async (tx, audit) => {
    const row = await tx.get<{ pin_hash: string | null }>('SELECT pin_hash FROM users WHERE user_id = ?', [user]);
    if (!row) throw new BackendError('NOT_FOUND', `no user ${user}`);
    if (row.pin_hash === null) return;
    await tx.run('UPDATE users SET pin_hash = NULL WHERE user_id = ?', [user]);
    await audit({ actor, action: 'user.pin-clear', subject: `user:${user}` });
  });
  return { user, pin: false };
}
