/**
 * API keys in the database: created by the CLI (the secret is printed once, only its hash is
 * stored), looked up by id and compared in constant time on every request.
 */
import { constantTimeEqual } from '@fobkit/protocol/otp';
import { generateApiKey, hashApiKeySecret, parseApiKey, type Role } from '../crypto/apiKeys.js';
import { BackendError } from '../errors.js';
import type { ApiKeyRow } from '../store/rows.js';
import { auditedTransaction, type BackendContext } from './context.js';

export async function createApiKey(ctx: BackendContext, actor: string, role: Role, label?: string): Promise<{ id: string; role: Role; token: string }> {
  const key = generateApiKey();
  await auditedTransaction(ctx, async (tx, audit) => {
    await tx.run('INSERT INTO api_keys (id, role, hash, label, created_at) VALUES (?, ?, ?, ?, ?)', [key.id, role, key.hash, label ?? null, ctx.clock()]);
    await audit({ actor, action: 'keys.create', subject: `key:${key.id}`, detail: { role, label: label ?? null } });
  });
  return { id: key.id, role, token: key.token };
}

export async function revokeApiKey(ctx: BackendContext, actor: string, id: string): Promise<void> {
  await auditedTransaction(ctx, async (tx, audit) => {
    const { changes } = await tx.run('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [ctx.clock(), id]);
    if (changes === 0) throw new BackendError('NOT_FOUND', `no active API key ${id}`);
    await audit({ actor, action: 'keys.revoke', subject: `key:${id}` });
  });
}

export async function listApiKeys(ctx: BackendContext): Promise<{ id: string; role: string; label: string | null; createdAt: number; revokedAt: number | null }[]> {
  const rows = await ctx.db.all<ApiKeyRow>('SELECT id, role, label, created_at, revoked_at FROM api_keys ORDER BY created_at');
  return rows.map((r) => ({ id: r.id, role: r.role, label: r.label, createdAt: r.created_at, revokedAt: r.revoked_at }));
}

/** The key's id and role, or undefined for an unknown, wrong or revoked key. */
export async function authenticateApiKey(ctx: BackendContext, token: string): Promise<{ id: string; role: Role } | undefined> {
  const parsed = parseApiKey(token);
  if (!parsed) return undefined;
  const row = await ctx.db.get<ApiKeyRow>('SELECT id, role, hash, revoked_at FROM api_keys WHERE id = ?', [parsed.id]);
  const hash = hashApiKeySecret(parsed.secret);
  // Compare even when the id is unknown, so the answer time does not tell which ids exist.
  const match = constantTimeEqual(hash, row ? row.hash : Buffer.alloc(32));
  if (!row || !match || row.revoked_at !== null) return undefined;
  return { id: row.id, role: row.role as Role };
}
