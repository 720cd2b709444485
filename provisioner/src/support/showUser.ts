/**
 * `showUser`: what support needs about one user in one call: their factors (fob, app), their
 * failure count and lockout, and their recent logins from the backend's auth log (GET
 * /v1/users/{user}/auth-log; a backend without it answers 404, and the log is then left out
 * with a note rather than failing the whole view).
 */
import type { AuthLogEntry, SupportClient, TokenRecord, UserView } from '../backendApi/supportClient.js';

export interface ShowUserResult {
  user: UserView;
  /** The user's fob as the backend sees it (state, drift, failures), when they have one. */
  fob: Pick<TokenRecord, 'serial' | 'state' | 'enabled' | 'lastUsed' | 'failures' | 'drift'> | null;
  /** Newest first; null when this backend keeps no auth log. */
  authLog: AuthLogEntry[] | null;
  locked: boolean;
}

/** The user's view, or null when the backend does not know the user. @throws BackendError */
export async function showUser(o: { backend: SupportClient; user: string; logLimit?: number; clock?: () => number }): Promise<ShowUserResult | null> {
  const user = await o.backend.getUser(o.user);
  if (!user) return null;
  const [record, authLog] = await Promise.all([
    user.fob ? o.backend.getToken(user.fob.serial) : Promise.resolve(null),
    o.backend.getAuthLog(o.user, o.logLimit ?? 20),
  ]);
  const now = (o.clock ?? (() => Date.now() / 1000))();
  const fob = record ? { serial: record.serial, state: record.state, enabled: record.enabled, lastUsed: record.lastUsed, failures: record.failures, drift: record.drift } : null;
  const locked = (user.failures.lockedUntil ?? 0) > now || (fob?.failures.lockedUntil ?? 0) > now;
  return { user, fob, authLog: authLog ? [...authLog].sort((a, b) => b.at - a.at) : null, locked };
}
