/**
 * `fobkit-backend kek rotate`: re-encrypts every secret at rest under a new KEK. Order matters
 * for servers that keep running: the new key is written to the KEK file first (servers reload
 * the file when they meet an unknown KEK id), then rows are re-wrapped in batches, each
 * row only if it still carries the KEK it was read with, and only when no row uses an old KEK
 * any more are the old keys removed from the file. A crash at any point leaves a usable state;
 * running the command again finishes the job.
 */
import { addKeyToFile, dropKeys, loadKeyring } from '../crypto/keyring.js';
import type { Db } from '../store/db.js';
import { aad } from '../store/rows.js';
import { auditedTransaction, type BackendContext } from './context.js';

const TABLES = [
  { table: 'tokens', id: 'serial', col: 'seed_enc', aad: aad.tokenSeed },
  { table: 'app_factors', id: 'id', col: 'seed_enc', aad: aad.appSeed },
  { table: 'registration_keys', id: 'kid', col: 'private_enc', aad: aad.registrationKey },
] as const;

export interface RotateKekResult {
  newKekId: string;
  retired: string[];
  rewrapped: number;
}

export async function rotateKek(ctx: Omit<BackendContext, 'keyring'>, kekFile: string, actor: string): Promise<RotateKekResult> {
  const { newId, oldIds } = addKeyToFile(kekFile);
  const keyring = loadKeyring(kekFile);
  const full: BackendContext = { ...ctx, keyring };
  let rewrapped = 0;
  try {
    for (const t of TABLES) {
      for (;;) {
        const rows = await ctx.db.all<Record<string, string | Buffer>>(`SELECT ${t.id} AS id, ${t.col} AS blob, kek_id FROM ${t.table} WHERE kek_id <> ? LIMIT 500`, [newId]);
        if (rows.length === 0) break;
        await ctx.db.transaction(async (tx) => {
          for (const r of rows) {
            const id = r.id as string;
            const plain = keyring.decrypt(r.kek_id as string, r.blob as Buffer, t.aad(id));
            const { kid, blob } = keyring.encrypt(plain, t.aad(id));
            plain.fill(0);
            rewrapped += (await tx.run(`UPDATE ${t.table} SET ${t.col} = ?, kek_id = ? WHERE ${t.id} = ? AND kek_id = ?`, [blob, kid, id, r.kek_id as string])).changes;
          }
        });
      }
    }
    await assertNoneLeft(ctx.db, newId);
    dropKeys(kekFile, oldIds);
    await auditedTransaction(full, (_tx, audit) => audit({ actor, action: 'kek.rotate', subject: null, detail: { from: oldIds, to: newId, rewrapped } }));
  } finally {
    keyring.dispose();
  }
  return { newKekId: newId, retired: oldIds, rewrapped };
}

async function assertNoneLeft(db: Db, newId: string): Promise<void> {
  for (const t of TABLES) {
    const r = await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${t.table} WHERE kek_id <> ?`, [newId]);
    if ((r?.n ?? 0) > 0) throw new Error(`${t.table} still has rows under an old KEK; run kek rotate again`);
  }
}
