/**
 * The status mode of POST /v1/validate (`?status=1`), for integrations that judge an answer by its
 * HTTP status alone (FreeRADIUS's rlm_rest, reverse-proxy auth_request, many SSO plug-ins): the
 * default mode answers 200 for every well-formed request, so such a client would read a refusal
 * as success. In status mode only an acceptance is 2xx; the body is the same JSON either way.
 */
import { BackendError } from '../errors.js';
import type { ValidateResult } from '../service/validate.js';

/**
 * The HTTP status of a validation answer in status mode. 401 for a code that does not prove the
 * user (the default, so a reason added later is never read as success), 429 while throttled
 * (with Retry-After), 403 for a disabled factor.
 */
export function validateStatusCode(r: ValidateResult): number {
  if (r.ok) return 200;
  switch (r.reason) {
    case 'rate-limited':
    case 'locked-out':
      return 429;
    case 'disabled':
      return 403;
    default:
      return 401;
  }
}

/** The `status` query parameter: absent or 0 → plain mode, 1 → status mode; anything else is refused. */
export function wantsStatusMode(query: URLSearchParams): boolean {
  const v = query.get('status');
  if (v === null || v === '0' || v === 'false') return false;
  if (v === '1' || v === 'true') return true;
  throw new BackendError('INVALID_REQUEST', 'status must be 1 (or true) for status mode, 0 (or false) or absent for the default');
}

/** Status, headers and body of a validate answer in the requested mode. */
export function validateResponse(r: ValidateResult, statusMode: boolean): { status?: number; headers?: Record<string, string>; body: ValidateResult } {
  if (!statusMode) return { body: r };
  const status = validateStatusCode(r);
  const retryAfter = !r.ok && r.retryAfter !== undefined ? { 'retry-after': String(r.retryAfter) } : undefined;
  return { status, ...(retryAfter ? { headers: retryAfter } : {}), body: r };
}
