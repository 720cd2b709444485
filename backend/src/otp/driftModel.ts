/**
 * Where a fob's clock is, learnt from the codes it shows. The model is linear: the fob's offset
 * (fob clock minus true time, seconds) is `a + r × (t − anchorTime)`. Both unknowns are kept as
 * intervals of values consistent with everything seen: the anchor offset a ∈ anchorOffset ±
 * anchorErr (at provisioning the station measured it to about a second) and the rate
 * r ∈ [rateLo, rateHi] (initially ± the largest rate a quartz fob can have). A code for step s
 * accepted at server time t proves the fob's clock was inside step s at some moment in
 * [t − entryLag, t]: a band of (a, r) pairs. Each such observation narrows both intervals (a box
 * approximation of the exact polygon, by projecting the band onto each axis), so intervals only
 * shrink; after a few weeks of use the rate is known to a few ppm and a fob that sat in a
 * drawer for six months at 20 ppm (about 5 steps of 60 s) is still found by a ±1-step window
 * centred on the prediction. An observation that contradicts the model (a battery swap, a
 * clock reset) re-anchors it on that observation.
 */
import { totpStep } from '@fobkit/protocol/otp';

export interface DriftState {
  anchorTime: number;
  anchorOffset: number;
  /** Half-width of the anchor offset interval, seconds. */
  anchorErr: number;
  rateLo: number;
  rateHi: number;
}

export interface DriftPolicy {
  /** The largest clock rate error believed possible, ppm. Quartz fobs: ±20..50. */
  maxDriftPpm: number;
  /** The extrapolated part of a prediction (rate × time) is bounded by this. */
  maxExtrapolationSeconds: number;
  /** How long a person may take from reading the code to the server checking it. */
  entryLagSeconds: number;
  /** How well the station measures the fob's clock at provisioning (half-width, seconds). */
  provisioningErrorSeconds: number;
}

export interface StepProfile {
  period: number;
  t0: number;
}

/** The model right after provisioning: the measured offset, any rate within the bound. */
export function initialDrift(provisionedAt: number, clockOffset: number, policy: DriftPolicy): DriftState {
  const r = policy.maxDriftPpm * 1e-6;
  return { anchorTime: provisionedAt, anchorOffset: clockOffset, anchorErr: policy.provisioningErrorSeconds, rateLo: -r, rateHi: r };
}

/** The predicted fob offset at `now`, in seconds. */
export function expectedOffsetSeconds(state: DriftState, now: number, policy: DriftPolicy): number {
  const rate = (state.rateLo + state.rateHi) / 2;
  const drift = rate * Math.max(0, now - state.anchorTime);
  return state.anchorOffset + Math.max(-policy.maxExtrapolationSeconds, Math.min(policy.maxExtrapolationSeconds, drift));
}

/** The predicted fob step minus the server step at `now`. */
export function expectedOffsetSteps(state: DriftState, now: number, profile: StepProfile, policy: DriftPolicy): number {
  const o = expectedOffsetSeconds(state, now, policy);
  const fobTime = Math.max(profile.t0, now + o);
  return totpStep({ time: fobTime, period: profile.period, t0: profile.t0 }) - totpStep({ time: now, period: profile.period, t0: profile.t0 });
}

/** The offsets a code for `step` seen at server time `now` allows: [lo, hi]. */
function observedInterval(step: number, now: number, profile: StepProfile, policy: DriftPolicy): [number, number] {
  const start = profile.t0 + step * profile.period;
  return [start - now, start + profile.period - now + policy.entryLagSeconds];
}

/** Re-anchors on one observation, forgetting the rate. */
export function anchorOnStep(step: number, now: number, profile: StepProfile, policy: DriftPolicy): DriftState {
  const [lo, hi] = observedInterval(step, now, profile, policy);
  const r = policy.maxDriftPpm * 1e-6;
  return { anchorTime: now, anchorOffset: (lo + hi) / 2, anchorErr: (hi - lo) / 2, rateLo: -r, rateHi: r };
}

/** The model after a code for `step` was accepted at server time `now`. */
export function learnFromStep(state: DriftState, step: number, now: number, profile: StepProfile, policy: DriftPolicy): DriftState {
  const [lo, hi] = observedInterval(step, now, profile, policy);
  const dt = Math.max(0, now - state.anchorTime);
  // a + r·dt ∈ [lo, hi] for some r in the rate interval → bounds on a.
  const aLo = Math.max(state.anchorOffset - state.anchorErr, lo - state.rateHi * dt);
  const aHi = Math.min(state.anchorOffset + state.anchorErr, hi - state.rateLo * dt);
  if (aLo > aHi) return anchorOnStep(step, now, profile, policy);
  if (dt === 0) return { ...state, anchorOffset: (aLo + aHi) / 2, anchorErr: (aHi - aLo) / 2 };
  // … and for some a in the (narrowed) anchor interval → bounds on r.
  const rateLo = Math.max(state.rateLo, (lo - aHi) / dt);
  const rateHi = Math.min(state.rateHi, (hi - aLo) / dt);
  if (rateLo > rateHi) return anchorOnStep(step, now, profile, policy);
  return { anchorTime: state.anchorTime, anchorOffset: (aLo + aHi) / 2, anchorErr: (aHi - aLo) / 2, rateLo, rateHi };
}
