/**
 * What every service operation runs with: the database, the KEK keyring, the clock and the
 * policy. Built by `openBackend`; tests build it with an injected clock.
 */
import type { Keyring } from '../crypto/keyring.js';
import type { OtpKeyCache } from '../crypto/otpKeyCache.js';
import type { Db, DbExecutor } from '../store/db.js';
import { appendAudit, type AuditInput } from '../audit/auditLog.js';
import type { AuthLog } from '../audit/authLog.js';
import type { DriftPolicy } from '../otp/driftModel.js';
import type { ThrottlePolicy } from '../otp/throttle.js';
import type { OtpAlgorithm, OtpDigits } from '@fobkit/protocol/otp';

/** Unix seconds. */
export type Clock = () => number;

export interface BackendPolicy {
  /** Steps accepted either side of a fob's predicted step (validate). */
  window: number;
  /** Steps accepted either side for the app factor (phones keep network time). */
  appWindow: number;
  drift: DriftPolicy;
  throttle: ThrottlePolicy;
  /** How far support's `check` and `resync` search either side of now. */
  checkWindowSeconds: number;
  /** The issuer shown in authenticator apps. */
  issuer: string;
  app: { algorithm: OtpAlgorithm; digits: OtpDigits; period: number };
  /** How long a new app enrolment waits for its first code before it lapses (`--app-enrol-minutes`). */
  appEnrolSeconds: number;
  /** How long the auth log keeps an entry (`--auth-log-days`). */
  authLogDays: number;
}

export const DEFAULT_POLICY: BackendPolicy = {
  window: 1,
  appWindow: 1,
  drift: { maxDriftPpm: 100, maxExtrapolationSeconds: 1800, entryLagSeconds: 15, provisioningErrorSeconds: 2 },
  throttle: { freeFailures: 3, baseDelaySeconds: 1, maxDelaySeconds: 60, lockoutFailures: 10, lockoutSeconds: 900 },
  checkWindowSeconds: 86_400,
  issuer: 'fobkit',
  app: { algorithm: 'sha1', digits: 6, period: 30 },
  appEnrolSeconds: 15 * 60,
  authLogDays: 90,
};

export interface BackendContext {
  db: Db;
  keyring: Keyring;
  /** Opened seeds of recently validated factors (a memo of keyring.decrypt), handing out OTP keys. */
  otpKeys: OtpKeyCache;
  clock: Clock;
  policy: BackendPolicy;
  /** One entry per validation, for support (audit/authLog.ts). */
  authLog: AuthLog;
}

/** One write transaction that also appends its audit entries. */
export async function auditedTransaction<T>(
  ctx: BackendContext,
  fn: (tx: DbExecutor, audit: (entry: AuditInput) => Promise<void>) => Promise<T>,
): Promise<T> {
  return ctx.db.transaction(async (tx) => {
    const at = ctx.clock();
    return fn(tx, async (entry) => {
      await appendAudit(tx, ctx.db.dialect, at, entry);
    });
  });
}
