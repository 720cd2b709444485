/**
 * A reserved serial belongs to the station key that reserved it (`serial_blocks.key_id`): only
 * that key may register a seed under it or activate it, so one station cannot plant its seed
 * under another station's serial (whose fob is then set aside with a CONFLICT) or activate a fob
 * the other has not locked yet. An admin key may act on any serial (a station whose key was
 * replaced finishes its fobs that way); the override is audited. Refusals are audited as
 * `token.register-refused` / `token.activate-refused`. Serials no reservation covers (imported
 * vendor serials, tokens that came from seed files) keep their rules: any station key.
 */
import { parseSerial } from '@fobkit/protocol/serial';
import { BackendError } from '../errors.js';
import type { DbExecutor } from '../store/db.js';
import { auditedTransaction, type BackendContext } from './context.js';

export interface SerialClaim {
  /** The key id that reserved the serial; null when no reservation covers it. */
  reservedBy: string | null;
  /** True when an admin key acts on a serial another key reserved. */
  override: boolean;
}

/** The key id whose reservation covers a fobkit serial, or null (vendor serial, or none). */
export async function serialReservedBy(db: DbExecutor, serial: string): Promise<string | null> {
  const parsed = parseSerial(serial);
  if (!parsed.ok) return null;
  // The block starting at or before the sequence (one primary-key range step), if it reaches it.
  const row = await db.get<{ first_seq: number; count: number; key_id: string }>(
    'SELECT first_seq, count, key_id FROM serial_blocks WHERE first_seq <= ? ORDER BY first_seq DESC LIMIT 1', [parsed.sequence]);
  return row && parsed.sequence < row.first_seq + row.count ? row.key_id : null;
}

/**
 * Lets `actor` (an API key id) register or activate `serial` when it reserved it (or, for a
 * refurbished fob, re-registered it: `ownerKey`), when no
 * reservation covers it, or when it is an admin key (an override).
 * @throws BackendError SERIAL_NOT_YOURS (403) otherwise, after auditing the refusal.
 */
export async function claimSerial(ctx: BackendContext, actor: string, serial: string, action: 'register' | 'activate', ownerKey?: string | null): Promise<SerialClaim> {
  // A refurbished fob's token names the key that re-registered it (tokens.owner_key); that key
  // took the serial over from the reservation when support had revoked it.
  const reservedBy = ownerKey ?? await serialReservedBy(ctx.db, serial);
  if (reservedBy === null || reservedBy === actor) return { reservedBy, override: false };
  const key = await ctx.db.get<{ role: string }>('SELECT role FROM api_keys WHERE id = ? AND revoked_at IS NULL', [actor]);
  if (key?.role === 'admin') return { reservedBy, override: true };
  await auditedTransaction(ctx, async (_tx, audit) => {
    await audit({ actor, action: `token.${action}-refused`, subject: serial, detail: { reason: 'serial-not-yours', reservedBy } });
  });
  throw new BackendError('SERIAL_NOT_YOURS', `serial ${serial} was reserved by another station key: only that key (or an admin key) may ${action} it`);
}
