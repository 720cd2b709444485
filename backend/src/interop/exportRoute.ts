/**
 * `POST /v1/exports` (admin): one page of a batch's seeds, sealed to the caller's one-off X25519
 * key, for `fobkit export --backend-url`. See exportSealedTokens.ts for why the seed file itself
 * is built on the client.
 *
 *   request  { batch, format, recipientPublicKey (base64url, 32 bytes), after?, limit? }
 *   response { tokens: [{ serial, model, batch, state, user, algorithm, digits, period, t0,
 *              driftSteps, sealedSecret (base64url, context "export:<serial>") }],
 *              next: serial | null, skippedRevoked: [serial] }
 */
import type { Route } from '../http/routes.js';
import { base64url, int, obj, oneOf, optional, str } from '../http/schema.js';
import { EXPORT_FORMATS, exportSealedTokens, MAX_EXPORT_PAGE } from './exportSealedTokens.js';

export const exportBody = obj({
  batch: str({ max: 64, description: 'the batch to export (as registered by the station or given at import)' }),
  format: oneOf(EXPORT_FORMATS, 'the seed-file format the client will write (audited)'),
  recipientPublicKey: base64url({ maxBytes: 32, description: "the client's one-off X25519 public key; every seed comes sealed to it" }),
  after: optional(str({ max: 64, description: 'the previous page\'s `next`' })),
  limit: optional(int({ min: 1, max: MAX_EXPORT_PAGE, description: 'tokens per page (default 500)' })),
});

export function interopRoutes(): Route[] {
  return [
    {
      method: 'POST', path: '/v1/exports', roles: ['admin'], body: exportBody,
      summary: "One page of a batch's seeds for a seed-file export, each sealed to the caller's key (audited per token)",
      handler: async (ctx, req) => {
        const b = req.body as ReturnType<typeof exportBody.parse>;
        const page = await exportSealedTokens(ctx, req.actor, {
          batch: b.batch, format: b.format, recipientPublicKey: b.recipientPublicKey,
          ...(b.after === undefined ? {} : { after: b.after }), ...(b.limit === undefined ? {} : { limit: b.limit }),
        });
        return {
          body: {
            tokens: page.tokens.map((t) => ({ ...t, sealedSecret: Buffer.from(t.sealedSecret).toString('base64url') })),
            next: page.next,
            skippedRevoked: page.skippedRevoked,
          },
        };
      },
    },
  ];
}
