/**
 * Verification after PROGRAM_SEED: the fob's CALCULATE at several station-chosen times must
 * equal the station's own TOTP (RFC 6238) for the seed it sent. The times are random and far
 * apart (one is now, the others up to ±10 years away, in distinct steps), so a fob that stored a
 * truncated seed, another algorithm, a wrong period or T0, or that miscounts steps, is caught
 * before it is locked. Codes are compared in constant time.
 */
import { constantTimeEqual, generateTotp, totpStep } from '@fobkit/protocol/otp';
import type { FobProfile } from '../config/stationConfig.js';
import type { ProvisioningSession } from './provisioningSession.js';

const SPREAD_SECONDS = 10 * 365 * 86_400;

export type VerifyFobCodesResult =
  | { ok: true; times: number[] }
  | { ok: false; time: number; got: string; expected: string; gotStep: number; expectedStep: number };

/** `count` distinct-step times: `now` first, then random ones within ±10 years (never before t0). */
export function chooseVerificationTimes(now: number, count: number, profile: FobProfile, randomBytes: (n: number) => Uint8Array): number[] {
  const times = [Math.floor(now)];
  const steps = new Set([totpStep({ time: times[0]!, period: profile.period, t0: profile.t0 })]);
  while (times.length < count) {
    const r = randomBytes(4);
    const u = (((r[0]! << 24) | (r[1]! << 16) | (r[2]! << 8) | r[3]!) >>> 0) / 0x1_0000_0000;
    const t = Math.max(profile.t0, Math.floor(now + (u * 2 - 1) * SPREAD_SECONDS));
    const step = totpStep({ time: t, period: profile.period, t0: profile.t0 });
    if (steps.has(step)) continue;
    steps.add(step);
    times.push(t);
  }
  return times;
}

export async function verifyFobCodes(options: { session: ProvisioningSession; secret: Uint8Array; profile: FobProfile; times: number[] }): Promise<VerifyFobCodesResult> {
  const { session, secret, profile, times } = options;
  for (const time of times) {
    const expected = generateTotp({ secret, time, algorithm: profile.algorithm, digits: profile.digits, period: profile.period, t0: profile.t0 });
    const expectedStep = totpStep({ time, period: profile.period, t0: profile.t0 });
    const got = await session.calculate(time);
    const codeOk = typeof got.code === 'string' && constantTimeEqual(got.code, expected);
    if (!codeOk || got.step !== expectedStep) return { ok: false, time, got: String(got.code), expected, gotStep: got.step, expectedStep };
  }
  return { ok: true, times };
}
