/**
 * The backend half of `fobkit export --backend-url`: a batch's seeds and OTP profiles for a
 * seed file (PSKC, Entra CSV, OATH CSV, pam_oath usersfile), each seed sealed to an X25519 key
 * the exporting client made for this export (context `export:<serial>`). The seeds never cross
 * the wire in the clear, and the file's own protection (PSKC pre-shared key or password) is
 * applied on the client, so that key never reaches the backend either. Paged by serial so a
 * response stays bounded; every token exported is audited as `token.export`.
 */
import { createHash } from 'node:crypto';
import { sealToRecipient } from '@fobkit/protocol/session';
import type { OtpAlgorithm, OtpDigits } from '@fobkit/protocol/otp';
import { BackendError } from '../errors.js';
import { auditedTransaction, type BackendContext } from '../service/context.js';
import { openTokenSeed } from '../service/tokens.js';
import { expectedOffsetSeconds } from '../otp/driftModel.js';
import type { TokenRow, TokenState } from '../store/rows.js';

/** Tokens per page: ~300 bytes of JSON each, so a page stays well under a megabyte. */
export const MAX_EXPORT_PAGE = 1000;
export const DEFAULT_EXPORT_PAGE = 500;
export const EXPORT_FORMATS = ['pskc', 'entra-csv', 'oath-csv', 'pam-oath'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportRequest {
  batch: string;
  /** The client's one-off X25519 public key (32 bytes). */
  recipientPublicKey: Uint8Array;
  /** What the client will write (recorded in the audit log). */
  format: ExportFormat;
  /** Continue after this serial (the previous page's `next`). */
  after?: string;
  limit?: number;
  randomBytes?: (n: number) => Uint8Array;
}

export interface ExportedToken {
  serial: string;
  model: string | null;
  batch: string | null;
  state: TokenState;
  user: string | null;
  algorithm: OtpAlgorithm;
  digits: OtpDigits;
  period: number;
  t0: number;
  /** The fob's predicted clock offset now, in whole steps (PSKC TimeDrift). */
  driftSteps: number;
  /** The seed sealed to `recipientPublicKey` with context `export:<serial>`. */
  sealedSecret: Uint8Array;
}

export interface ExportPage {
  tokens: ExportedToken[];
  /** Pass as `after` for the next page; null when this was the last. */
  next: string | null;
  /** Revoked fobs of the batch on this page, left out. */
  skippedRevoked: string[];
}

/**
 * Refuses a recipient key no seed could be sealed to, before any seed is opened and whatever the
 * batch holds: a point of small order (all zeros among them) gives an all-zero shared secret
 * (RFC 7748 §6.1), which sealToRecipient refuses with a RangeError. One probe seal costs an
 * X25519 operation, once per page.
 */
function assertRecipientKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== 32) throw new BackendError('INVALID_PUBLIC_KEY', 'recipientPublicKey must be a 32-byte X25519 public key');
  try {
    sealToRecipient({ recipientPublicKey: key, plaintext: new Uint8Array(1), context: 'probe' });
  } catch (cause) {
    if (cause instanceof RangeError) throw new BackendError('INVALID_PUBLIC_KEY', 'recipientPublicKey is not usable: a point of small order gives no shared secret', { cause });
    throw cause;
  }
}

/**
 * One page of a batch export.
 * @throws BackendError INVALID_PUBLIC_KEY on a recipient key of the wrong length or of small
 *   order; INVALID_REQUEST on a bad limit or an empty batch name; NOT_FOUND when the batch has no
 *   fobs at all.
 */
export async function exportSealedTokens(ctx: BackendContext, actor: string, req: ExportRequest): Promise<ExportPage> {
  assertRecipientKey(req.recipientPublicKey);
  const limit = req.limit ?? DEFAULT_EXPORT_PAGE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_EXPORT_PAGE) throw new BackendError('INVALID_REQUEST', `limit must be 1 to ${MAX_EXPORT_PAGE}`);
  if (!req.batch) throw new BackendError('INVALID_REQUEST', 'batch is required');
  const recipient = createHash('sha256').update(req.recipientPublicKey).digest('hex').slice(0, 16);
  const page = await auditedTransaction(ctx, async (tx, audit) => {
    const rows = await tx.all<TokenRow>(
      'SELECT * FROM tokens WHERE batch = ? AND serial > ? ORDER BY serial LIMIT ?', [req.batch, req.after ?? '', limit + 1]);
    if (rows.length === 0 && req.after === undefined) throw new BackendError('NOT_FOUND', `no fobs in batch ${req.batch}`);
    const more = rows.length > limit;
    const pageRows = more ? rows.slice(0, limit) : rows;
    const now = ctx.clock();
    const tokens: ExportedToken[] = [];
    const skippedRevoked: string[] = [];
    for (const row of pageRows) {
      if (row.state === 'revoked') {
        skippedRevoked.push(row.serial);
        continue;
      }
      const seed = openTokenSeed(ctx, row);
      let sealedSecret: Uint8Array;
      try {
        sealedSecret = sealToRecipient({ recipientPublicKey: req.recipientPublicKey, plaintext: seed, context: `export:${row.serial}`, ...(req.randomBytes ? { randomBytes: req.randomBytes } : {}) });
      } finally {
        seed.fill(0);
      }
      const drift = { anchorTime: row.anchor_time, anchorOffset: row.anchor_offset, anchorErr: row.anchor_err, rateLo: row.rate_lo, rateHi: row.rate_hi };
      tokens.push({
        serial: row.serial, model: row.model, batch: row.batch, state: row.state, user: row.user_id,
        algorithm: row.algorithm, digits: row.digits, period: row.period, t0: row.t0,
        driftSteps: Math.round(expectedOffsetSeconds(drift, now, ctx.policy.drift) / row.period),
        sealedSecret,
      });
      await audit({ actor, action: 'token.export', subject: row.serial, detail: { format: req.format, batch: req.batch, recipient } });
    }
    return { tokens, next: more ? pageRows[pageRows.length - 1]!.serial : null, skippedRevoked };
  });
  return page;
}
