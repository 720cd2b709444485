/**
 * Why a secure session failed (SPEC.md §Secure session, "Errors"), in both directions: the fob
 * side maps a refusal to a wire error body, the station side reads the reason back from it. A fob
 * refusing BEGIN_SESSION answers AUTH_FAILED (or CLOCK_INVALID) with `msg` = "<reason>: <text>",
 * so the station can say exactly why; a refused record gets REPLAYED or AUTH_FAILED. The error
 * the station throws, `SessionError`, lives in ../errors.ts with the package's other errors.
 */
import { WireErrorCode } from '../wire/constants.js';
import type { ErrorBody } from '../wire/messages.js';
import type { AcceptSessionFailureReason } from './acceptSession.js';
import type { RecordFailureReason } from './secureChannel.js';

export type SessionFailureReason =
  | AcceptSessionFailureReason
  | 'auth-failed' // a record that does not authenticate (tampered, or another key)
  | 'replayed' // a record whose counter is not above the last one accepted
  | 'no-session' // a command that needs a session was attempted without one
  | 'sid-mismatch' // the fob confirmed another session id
  | 'not-secure' // a plaintext answer where a record was required (downgrade)
  | 'clock-invalid' // the fob's clock is not set, so it cannot check certificate dates
  | 'unknown'; // the fob refused without a reason this version knows

const KNOWN_REASONS: ReadonlySet<string> = new Set([
  'malformed', 'bad-crl', 'cert-malformed', 'cert-bad-signature', 'cert-revoked', 'cert-not-yet-valid', 'cert-expired',
  'bad-signature', 'bad-key', 'auth-failed', 'replayed', 'no-session', 'sid-mismatch', 'not-secure', 'clock-invalid',
]);

const DESCRIPTIONS: Record<SessionFailureReason, string> = {
  malformed: 'a BEGIN_SESSION request or a record was malformed',
  'bad-crl': 'the revocation list is not signed by the fob’s root',
  'cert-malformed': 'the station certificate is malformed',
  'cert-bad-signature': 'the station certificate is not signed by the fob’s root key',
  'cert-revoked': 'the station certificate is revoked',
  'cert-not-yet-valid': 'the station certificate is not valid yet (check the fob clock)',
  'cert-expired': 'the station certificate has expired',
  'bad-signature': 'the station key does not match its certificate',
  'bad-key': 'the ephemeral key is invalid',
  'auth-failed': 'a record failed authentication (tampered or wrong key)',
  replayed: 'a record was replayed or reordered',
  'no-session': 'this command needs a secure session; call beginSession first',
  'sid-mismatch': 'the fob confirmed another session',
  'not-secure': 'the fob answered in the clear where a secure record was required',
  'clock-invalid': 'the fob clock is not set; set the time before opening a session',
  unknown: 'the fob refused the session',
};

/** Human text for a reason. */
export function describeSessionFailure(reason: SessionFailureReason): string {
  return DESCRIPTIONS[reason];
}

/** Fob side: the error body to answer a refused BEGIN_SESSION or record with. */
export function sessionFailureErrorBody(reason: AcceptSessionFailureReason | RecordFailureReason | 'no-session' | 'clock-invalid'): ErrorBody {
  switch (reason) {
    case 'replayed':
      return { code: WireErrorCode.REPLAYED, name: 'REPLAYED', msg: `replayed: ${DESCRIPTIONS.replayed}` };
    case 'clock-invalid':
      return { code: WireErrorCode.CLOCK_INVALID, name: 'CLOCK_INVALID', msg: `clock-invalid: ${DESCRIPTIONS['clock-invalid']}` };
    case 'no-session':
      return { code: WireErrorCode.AUTH_REQUIRED, name: 'AUTH_REQUIRED', msg: `no-session: ${DESCRIPTIONS['no-session']}` };
    case 'closed':
      return { code: WireErrorCode.AUTH_REQUIRED, name: 'AUTH_REQUIRED', msg: `no-session: ${DESCRIPTIONS['no-session']}` };
    default:
      return { code: WireErrorCode.AUTH_FAILED, name: 'AUTH_FAILED', msg: `${reason}: ${DESCRIPTIONS[reason]}` };
  }
}

/**
 * Station side: the reason token of a fob's error `msg`, when it is one this version knows:
 * "<reason>: text" as SPEC.md prescribes, or (leniently) a "(<reason>)" anywhere in it.
 */
export function sessionReasonFromMessage(msg: string | undefined): SessionFailureReason | undefined {
  const text = msg ?? '';
  const candidates = [/^([a-z-]+):/.exec(text)?.[1], ...[...text.matchAll(/\(([a-z-]+)\)/g)].map((m) => m[1])];
  const token = candidates.find((t) => t !== undefined && KNOWN_REASONS.has(t));
  return token as SessionFailureReason | undefined;
}
