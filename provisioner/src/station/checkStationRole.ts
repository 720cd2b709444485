/**
 * The station's API key must have the station role, checked with the backend (`GET /v1/whoami`)
 * before any fob is touched: with another role the station would program each fob and only then
 * be refused its registration, setting the fob aside (issue 16.6).
 */
import { BackendError, StationError } from '../errors.js';
import type { KeyIdentity, StationBackend } from '../backendApi/backendClient.js';

/**
 * The key's identity, or undefined when it could not be asked: the backend is unreachable (the
 * station goes on as before with a pinned registration key; registration then waits), or it
 * predates `/v1/whoami` (404).
 * @throws StationError BACKEND_WRONG_ROLE when the key is not a station key; BackendError
 *   BACKEND_UNAUTHORIZED for an unknown or revoked key, other BackendErrors as they come.
 */
export async function checkStationRole(backend: StationBackend, signal?: AbortSignal): Promise<KeyIdentity | undefined> {
  if (!backend.whoami) return undefined;
  let who: KeyIdentity;
  try {
    who = await backend.whoami(signal);
  } catch (e) {
    if (e instanceof BackendError && (e.retryable || e.status === 404)) return undefined;
    throw e;
  }
  if (who.role !== 'station') {
    throw new StationError('BACKEND_WRONG_ROLE', `the API key ${who.keyId}${who.label ? ` (${who.label})` : ''} has the ${who.role} role, not station: a station with it would program fobs the backend then refuses to register. Use a station key (fobkit-backend keys create --role station)`);
  }
  return who;
}
