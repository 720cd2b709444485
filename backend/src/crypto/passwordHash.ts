/**
 * Operator passwords for the helpdesk console: scrypt (RFC 7914) from node:crypto with a
 * 16-byte salt per password. Unlike API keys (256 random bits, a fast hash is enough), a
 * password a person chose needs a memory-hard KDF. Stored as
 * `scrypt$<log2 N>$<r>$<p>$<salt b64url>$<hash b64url>`, so the cost can be raised later
 * without making old hashes unreadable.
 */
import { randomBytes as nodeRandomBytes, scrypt, timingSafeEqual } from 'node:crypto';

export interface ScryptCost {
  log2N: number;
  r: number;
  p: number;
}

/** N = 2^15, r = 8, p = 1: 32 MiB and some tens of milliseconds per login (RFC 7914 §2's interactive figure scaled to today). */
export const DEFAULT_SCRYPT_COST: ScryptCost = { log2N: 15, r: 8, p: 1 };
const SALT_BYTES = 16;
const HASH_BYTES = 32;
/** Passwords are bounded so a megabyte "password" cannot make a login cost more than any other. */
export const MAX_PASSWORD_LENGTH = 256;
export const MIN_PASSWORD_LENGTH = 10;

function derive(password: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  const N = 2 ** cost.log2N;
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, HASH_BYTES, { N, r: cost.r, p: cost.p, maxmem: 256 * N * cost.r + 1024 * 1024 }, (e, key) => (e ? reject(e) : resolve(key)));
  });
}

/** @throws RangeError when the password is shorter than 10 or longer than 256 characters. */
export async function hashPassword(password: string, options: { cost?: ScryptCost; randomBytes?: (n: number) => Uint8Array } = {}): Promise<string> {
  if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw new RangeError(`password must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`);
  }
  const cost = options.cost ?? DEFAULT_SCRYPT_COST;
  const salt = Buffer.from((options.randomBytes ?? nodeRandomBytes)(SALT_BYTES));
  const key = await derive(password, salt, cost);
  const out = `scrypt$${cost.log2N}$${cost.r}$${cost.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
  key.fill(0);
  return out;
}

function parse(stored: string): { cost: ScryptCost; salt: Buffer; hash: Buffer } | undefined {
  const m = /^scrypt\$(\d{1,2})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9_-]{16,64})\$([A-Za-z0-9_-]{32,128})$/.exec(stored);
  if (!m) return undefined;
  const cost = { log2N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  if (cost.log2N < 10 || cost.log2N > 20 || cost.r < 1 || cost.r > 32 || cost.p < 1 || cost.p > 16) return undefined;
  return { cost, salt: Buffer.from(m[4]!, 'base64url'), hash: Buffer.from(m[5]!, 'base64url') };
}

/** A hash of a password nobody has, verified against when the operator is unknown (same cost, same time). */
let decoy: Promise<string> | undefined;

/**
 * True when `password` matches `stored`. With `stored` undefined (no such operator) it still
 * spends one derivation, so the answer time does not tell which names exist.
 */
export async function verifyPassword(password: string, stored: string | undefined): Promise<boolean> {
  if (password.length > MAX_PASSWORD_LENGTH) return false;
  const target = stored ?? (await (decoy ??= hashPassword(nodeRandomBytes(18).toString('base64url'))));
  const p = parse(target);
  if (!p) return false;
  const key = await derive(password, p.salt, p.cost);
  const ok = key.length === p.hash.length && timingSafeEqual(key, p.hash);
  key.fill(0);
  return ok && stored !== undefined;
}
