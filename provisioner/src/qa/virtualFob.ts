/**
 * A virtual fob for the QA suites: a seed and a real-time clock that runs fast or slow by a
 * fixed ppm, and nothing else. It is not @fobkit/firmware-sim, on purpose: the provisioner is
 * what ships to factories and support desks and must not carry the simulator (the dependency
 * rule in DEVELOPERS.md), and the conformance suite tests a backend, not a fob: what it needs
 * from a fob is the code its drifting clock shows at a given true time, for thousands of fobs
 * over simulated years, which is a line of arithmetic and an HMAC. The fob model itself is
 * proven against the same OTP core in the simulator's own tests.
 *
 * The seed lives in this object; call {@link VirtualFob.dispose} to zero it.
 */
import { randomBytes } from 'node:crypto';
import { createOtpKey, totpStep, type OtpAlgorithm, type OtpDigits, type OtpKey } from '@fobkit/protocol/otp';

export interface VirtualFobOptions {
  serial: string;
  /** Default: 20 random bytes. The object takes ownership and zeroes it on dispose. */
  secret?: Uint8Array;
  algorithm?: OtpAlgorithm;
  digits?: OtpDigits;
  period?: number;
  t0?: number;
  /** Crystal error, ppm (positive: the fob's clock runs fast). */
  driftPpm?: number;
  /** True time at which the RTC was set (provisioning). */
  setAt: number;
  /** RTC minus true time at `setAt`, seconds. */
  offsetAtSet?: number;
}

export class VirtualFob {
  readonly serial: string;
  readonly algorithm: OtpAlgorithm;
  readonly digits: OtpDigits;
  readonly period: number;
  readonly t0: number;
  driftPpm: number;
  private anchorTrue: number;
  private anchorRtc: number;
  private readonly secret: Uint8Array;
  private readonly key: OtpKey;

  constructor(o: VirtualFobOptions) {
    this.serial = o.serial;
    this.algorithm = o.algorithm ?? 'sha1';
    this.digits = o.digits ?? 6;
    this.period = o.period ?? 60;
    this.t0 = o.t0 ?? 0;
    this.driftPpm = o.driftPpm ?? 0;
    if (!Number.isFinite(this.driftPpm) || Math.abs(this.driftPpm) > 10_000) throw new RangeError('driftPpm must be within ±10000');
    this.secret = o.secret ?? new Uint8Array(randomBytes(20));
    this.key = createOtpKey({ secret: this.secret, algorithm: this.algorithm, digits: this.digits });
    this.anchorTrue = o.setAt;
    this.anchorRtc = o.setAt + (o.offsetAtSet ?? 0);
  }

  /** The seed, for sealing at registration (do not keep a copy). */
  get seed(): Uint8Array {
    return this.secret;
  }

  /** The RTC's reading at true time `trueNow`. */
  rtc(trueNow: number): number {
    return this.anchorRtc + (trueNow - this.anchorTrue) * (1 + this.driftPpm * 1e-6);
  }

  /** RTC minus true time at `trueNow`. */
  offset(trueNow: number): number {
    return this.rtc(trueNow) - trueNow;
  }

  /** The step the display shows at true time `trueNow`. */
  step(trueNow: number): number {
    return totpStep({ time: Math.max(this.t0, this.rtc(trueNow)), period: this.period, t0: this.t0 });
  }

  /** What the display shows at true time `trueNow` (a button press). */
  code(trueNow: number): string {
    return this.key.codeAt(this.step(trueNow));
  }

  /** The code of step `step` (independent of the clock). */
  codeAtStep(step: number): string {
    return this.key.codeAt(step);
  }

  /** Jumps the RTC by `seconds` (a battery swap, a bad SET_TIME). */
  shiftClock(seconds: number, trueNow: number): void {
    this.anchorRtc = this.rtc(trueNow) + seconds;
    this.anchorTrue = trueNow;
  }

  dispose(): void {
    this.key.dispose();
    this.secret.fill(0);
  }
}
