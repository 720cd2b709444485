/**
 * API keys: `fbk_<id>_<secret>` where id is 8 hex digits (the actor id in the audit log) and
 * secret 32 random bytes in base64url. Only SHA-256(secret) is stored: the secret carries 256
 * bits of entropy, so a fast hash is enough (no password stretching needed) and a lookup stays
 * cheap on the validation hot path.
 */
import { createHash, randomBytes } from 'node:crypto';

export const ROLES = ['station', 'support', 'validator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface NewApiKey {
  id: string;
  /** The bearer token, shown once. */
  token: string;
  hash: Buffer;
}

export function generateApiKey(random: (n: number) => Uint8Array = randomBytes): NewApiKey {
  const id = Buffer.from(random(4)).toString('hex');
  const secret = Buffer.from(random(32)).toString('base64url');
  return { id, token: `fbk_${id}_${secret}`, hash: hashApiKeySecret(secret) };
}

export function hashApiKeySecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** Splits a bearer token into id and secret, or undefined when it is not one of ours. */
export function parseApiKey(token: string): { id: string; secret: string } | undefined {
  const m = /^fbk_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$/.exec(token);
  return m ? { id: m[1]!, secret: m[2]! } : undefined;
}
