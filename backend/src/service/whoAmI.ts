/**
 * `GET /v1/whoami`: what the backend knows about the API key of the request, so a client can
 * check it holds the key it means to use before acting on anything (a station started with a
 * support key would otherwise program fobs and only then be refused their registration).
 */
import type { Role } from '../crypto/apiKeys.js';
import { BackendError } from '../errors.js';
import type { ApiKeyRow } from '../store/rows.js';
import { BACKEND_VERSION } from '../version.js';
import type { BackendContext } from './context.js';

export interface WhoAmI {
  service: 'fobkit-backend';
  version: string;
  keyId: string;
  role: Role;
  label: string | null;
}

/** @throws BackendError UNAUTHORIZED when the key vanished between authentication and now. */
export async function whoAmI(ctx: BackendContext, keyId: string): Promise<WhoAmI> {
  const row = await ctx.db.get<Pick<ApiKeyRow, 'id' | 'role' | 'label' | 'revoked_at'>>('SELECT id, role, label, revoked_at FROM api_keys WHERE id = ?', [keyId]);
  if (!row || row.revoked_at !== null) throw new BackendError('UNAUTHORIZED', 'unknown or revoked API key');
  return { service: 'fobkit-backend', version: BACKEND_VERSION, keyId: row.id, role: row.role as Role, label: row.label };
}
