/**
 * TOTP, RFC 6238 §4: HOTP with the counter T = floor((time - T0) / X). Time is Unix seconds
 * (fractions allowed: a fob's RTC has sub-second resolution); X is the period.
 */
import { generateHotp } from './hotp.js';
import { assertPeriod, DEFAULT_PERIOD, type OtpAlgorithm, type OtpDigits } from './otpOptions.js';

export interface TotpStepOptions {
  /** Unix time in seconds. */
  time: number;
  /** Step length X in seconds, 1..3600. Default 60. */
  period?: number;
  /** T0 in Unix seconds. Default 0. */
  t0?: number;
}

export interface TotpOptions extends TotpStepOptions {
  secret: Uint8Array;
  algorithm?: OtpAlgorithm;
  digits?: OtpDigits;
}

/**
 * The time step T for an instant.
 * @throws RangeError when time is before T0, not finite, or the period is out of range.
 */
export function totpStep(options: TotpStepOptions): number {
  const { time, period = DEFAULT_PERIOD, t0 = 0 } = options;
  assertPeriod(period);
  if (typeof time !== 'number' || !Number.isFinite(time)) throw new RangeError(`time must be a finite number of seconds, got ${String(time)}`);
  if (typeof t0 !== 'number' || !Number.isFinite(t0)) throw new RangeError(`t0 must be a finite number of seconds, got ${String(t0)}`);
  if (time < t0) throw new RangeError(`time (${time}) must not be before t0 (${t0})`);
  const step = Math.floor((time - t0) / period);
  if (!Number.isSafeInteger(step)) throw new RangeError('time step exceeds the safe integer range');
  return step;
}

/** The Unix time (seconds) at which `step` begins. */
export function stepStartTime(step: number, period = DEFAULT_PERIOD, t0 = 0): number {
  return t0 + step * period;
}

/**
 * The TOTP code at `time`.
 * @throws RangeError on any out-of-range parameter (see {@link generateHotp}, {@link totpStep}).
 */
export function generateTotp(options: TotpOptions): string {
  const step = totpStep(options);
  return generateHotp({ secret: options.secret, counter: step, algorithm: options.algorithm, digits: options.digits });
}
