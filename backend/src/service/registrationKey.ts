/**
 * The registration key: an X25519 key pair whose public half stations fetch (and pin) to seal
 * each seed to the backend, so seeds cross even plain HTTP sealed. The private half is stored
 * encrypted under the KEK. Created on first start; one is active at a time.
 */
import { generateSealKeyPair } from '@fobkit/protocol/session';
import { randomBytes } from 'node:crypto';
import { BackendError } from '../errors.js';
import { aad, type RegistrationKeyRow } from '../store/rows.js';
import { auditedTransaction, type BackendContext } from './context.js';

export async function ensureRegistrationKey(ctx: BackendContext): Promise<void> {
  await auditedTransaction(ctx, async (tx, audit) => {
    if (ctx.db.dialect === 'postgres') await tx.get('SELECT pg_advisory_xact_lock(7466003)');
    const active = await tx.get<RegistrationKeyRow>('SELECT * FROM registration_keys WHERE active = 1');
    if (active) {
      // Fail at start, not at the first registration, when the KEK file is not this database's.
      try {
        ctx.keyring.decrypt(active.kek_id, active.private_enc, aad.registrationKey(active.kid)).fill(0);
      } catch (cause) {
        throw new BackendError('CONFIG', `the KEK file does not open this database's secrets (KEK ${active.kek_id} missing or wrong): use the KEK file this database was created with`, { cause });
      }
      return;
    }
    const { privateKey, publicKey } = generateSealKeyPair();
    const kid = `reg-${randomBytes(4).toString('hex')}`;
    const { kid: kekId, blob } = ctx.keyring.encrypt(privateKey, aad.registrationKey(kid));
    privateKey.fill(0);
    await tx.run('INSERT INTO registration_keys (kid, public_key, private_enc, kek_id, active, created_at) VALUES (?, ?, ?, ?, 1, ?)',
      [kid, Buffer.from(publicKey), blob, kekId, ctx.clock()]);
    await audit({ actor: 'system', action: 'registration-key.create', subject: `regkey:${kid}`, detail: { kid } });
  });
}

export async function getRegistrationKey(ctx: BackendContext): Promise<{ kid: string; publicKey: string }> {
  const row = await ctx.db.get<RegistrationKeyRow>('SELECT kid, public_key FROM registration_keys WHERE active = 1');
  if (!row) throw new BackendError('INTERNAL', 'no active registration key');
  return { kid: row.kid, publicKey: Buffer.from(row.public_key).toString('base64url') };
}
