/**
 * The backend's registration key, pinned: every seed is sealed to it, so a station talking to
 * the wrong backend (or a backend whose key was swapped) must refuse to seal anything. The key
 * comes from the configuration when given, else it is pinned in the journal on first use (trust
 * on first use, like SSH); in both cases the backend's current key must match it. With the
 * backend down, a pinned key lets the station go on programming (registrations wait).
 */
import { BackendError, StationError } from '../errors.js';
import { decodeBase64Url, encodeBase64Url, type RegistrationKey, type StationBackend } from '../backendApi/backendClient.js';
import type { StationJournal } from '../journal/stationJournal.js';
import { constantTimeEqual } from '@fobkit/protocol/otp';

const META_KEY = 'registration-key';

export interface PinnedRegistrationKey extends RegistrationKey {
  source: 'config' | 'journal' | 'first-use';
  /** False when the backend could not be asked (it is down). */
  checkedWithBackend: boolean;
}

/**
 * @throws StationError REGISTRATION_KEY_MISMATCH when the backend's key is not the pinned one;
 *   BackendError when there is no pinned key and the backend cannot be asked, or it refuses.
 */
export async function pinRegistrationKey(options: { journal: StationJournal; backend: StationBackend; configured?: { publicKey?: string; kid?: string } }): Promise<PinnedRegistrationKey> {
  const { journal, backend, configured } = options;
  let fetched: RegistrationKey | undefined;
  let fetchError: unknown;
  try {
    fetched = await backend.getRegistrationKey();
  } catch (e) {
    if (!(e instanceof BackendError && e.retryable)) throw e;
    fetchError = e;
  }
  const stored = journal.getMeta(META_KEY);
  const journaled = stored ? (JSON.parse(stored) as { kid: string; publicKey: string }) : undefined;
  const pinned = configured?.publicKey
    ? { publicKey: decodeBase64Url(configured.publicKey, 'registrationKey'), kid: configured.kid ?? fetched?.kid ?? journaled?.kid, source: 'config' as const }
    : journaled
      ? { publicKey: decodeBase64Url(journaled.publicKey, 'registrationKey'), kid: journaled.kid, source: 'journal' as const }
      : undefined;
  if (!pinned) {
    if (!fetched) throw fetchError;
    journal.setMeta(META_KEY, JSON.stringify({ kid: fetched.kid, publicKey: encodeBase64Url(fetched.publicKey) }));
    return { ...fetched, source: 'first-use', checkedWithBackend: true };
  }
  if (fetched && !constantTimeEqual(fetched.publicKey, pinned.publicKey)) {
    throw new StationError('REGISTRATION_KEY_MISMATCH', `the backend's registration key (${fetched.kid}) is not the one pinned in the ${pinned.source}: refusing to seal seeds to it. If the key was rotated on purpose, pin the new one (registrationKey in the config)`);
  }
  if (!pinned.kid) {
    throw new StationError('CONFIG_INVALID', 'the registration key id is unknown: give registrationKeyId in the config, or start once with the backend reachable', { cause: fetchError });
  }
  if (pinned.source === 'config' && !journaled) journal.setMeta(META_KEY, JSON.stringify({ kid: pinned.kid, publicKey: encodeBase64Url(pinned.publicKey) }));
  return { kid: pinned.kid, publicKey: pinned.publicKey, source: pinned.source, checkedWithBackend: fetched !== undefined };
}
