/**
 * Serial reservation: each call takes the next `count` sequence numbers with one atomic
 * `UPDATE … RETURNING` on a counter row, so no two stations (nor two backend processes) ever
 * get the same serial. Serials are formatted with their check digit.
 */
import { formatSerial, MAX_SERIAL_SEQUENCE } from '@fobkit/protocol/serial';
import { BackendError } from '../errors.js';
import { auditedTransaction, type BackendContext } from './context.js';

export const MAX_RESERVE = 1000;

export async function reserveSerials(ctx: BackendContext, actor: string, count: number): Promise<{ serials: string[] }> {
  if (!Number.isInteger(count) || count < 1 || count > MAX_RESERVE) throw new BackendError('INVALID_REQUEST', `count must be an integer from 1 to ${MAX_RESERVE}`);
  const first = await auditedTransaction(ctx, async (tx, audit) => {
    const row = await tx.get<{ value: number }>("UPDATE counters SET value = value + ? WHERE name = 'serial' AND value + ? <= ? RETURNING value", [count, count, MAX_SERIAL_SEQUENCE]);
    if (!row) throw new BackendError('SERIALS_EXHAUSTED', 'no more serial numbers to reserve');
    const firstSeq = row.value - count + 1;
    await tx.run('INSERT INTO serial_blocks (first_seq, count, key_id, created_at) VALUES (?, ?, ?, ?)', [firstSeq, count, actor, ctx.clock()]);
    await audit({ actor, action: 'serials.reserve', subject: null, detail: { first: formatSerial(firstSeq), count } });
    return firstSeq;
  });
  return { serials: Array.from({ length: count }, (_, i) => formatSerial(first + i)) };
}
