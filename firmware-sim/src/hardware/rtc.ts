/**
 * The fob's battery-backed real-time clock: a 32.768 kHz crystal whose frequency error (drift,
 * in ppm) makes the RTC run fast or slow against true time. Optionally the tuning-fork crystal's
 * parabolic temperature curve, Δf/f = k·(T − T0)² with k = −0.034 ppm/°C² and T0 = 25 °C (the
 * typical figure in 32 kHz crystal data sheets), is added to the fixed drift.
 *
 * Besides the clock it reads (which SET_TIME sets), the RTC has a free-running counter of the
 * oscillator's seconds since its battery was connected, which nothing but a dead battery resets:
 * a locked fob judges SET_TIME against it (SPEC.md "Clock guard"), so no station can move it.
 *
 * The RTC is evaluated lazily against the simulation's true time: it keeps an anchor (true time,
 * RTC time) and a rate, and re-anchors whenever the rate changes, so the time it shows is the
 * integral of its rate over every segment.
 */

/** Parabolic coefficient of a tuning-fork crystal, ppm/°C² (data-sheet typical). */
export const TUNING_FORK_PPM_PER_C2 = -0.034;
/** Turnover temperature of a tuning-fork crystal, °C. */
export const TUNING_FORK_TURNOVER_C = 25;
/** Real 32 kHz crystals are specified at ±20 ppm at 25 °C. */
export const TYPICAL_DRIFT_PPM = 20;

export interface RtcSnapshot {
  /** True time (Unix s) of the anchor. */
  anchorTrue: number;
  /** RTC reading at the anchor. */
  anchorRtc: number;
  /** Free-running counter at the anchor (absent in side files older than the clock guard: taken as `anchorRtc`). */
  anchorCounter?: number;
  driftPpm: number;
  /** Ambient temperature; `null` disables the temperature curve. */
  temperatureC: number | null;
  valid: boolean;
}

export class Rtc {
  private s: RtcSnapshot;

  constructor(snapshot: RtcSnapshot) {
    Rtc.check(snapshot);
    this.s = { ...snapshot, anchorCounter: snapshot.anchorCounter ?? snapshot.anchorRtc };
  }

  /** A stopped, invalid RTC (fresh from the factory, or after its battery died). */
  static unset(trueNow: number, driftPpm: number, temperatureC: number | null = null): Rtc {
    return new Rtc({ anchorTrue: trueNow, anchorRtc: 0, anchorCounter: 0, driftPpm, temperatureC, valid: false });
  }

  private static check(s: RtcSnapshot): void {
    if (!Number.isFinite(s.anchorTrue) || !Number.isFinite(s.anchorRtc)) throw new RangeError('RTC anchors must be finite');
    if (!Number.isFinite(s.driftPpm) || Math.abs(s.driftPpm) > 10_000) throw new RangeError(`driftPpm must be within ±10000, got ${s.driftPpm}`);
    if (s.temperatureC !== null && (!Number.isFinite(s.temperatureC) || s.temperatureC < -60 || s.temperatureC > 150)) {
      throw new RangeError(`temperatureC must be within −60..150 or null, got ${s.temperatureC}`);
    }
  }

  /** The crystal's total frequency error now, ppm. */
  get ratePpm(): number {
    const { driftPpm, temperatureC } = this.s;
    if (temperatureC === null) return driftPpm;
    const d = temperatureC - TUNING_FORK_TURNOVER_C;
    return driftPpm + TUNING_FORK_PPM_PER_C2 * d * d;
  }

  get valid(): boolean {
    return this.s.valid;
  }

  get driftPpm(): number {
    return this.s.driftPpm;
  }

  get temperatureC(): number | null {
    return this.s.temperatureC;
  }

  /** The RTC reading at true time `trueNow` (meaningless while `valid` is false). */
  read(trueNow: number): number {
    return this.s.anchorRtc + (trueNow - this.s.anchorTrue) * (1 + this.ratePpm * 1e-6);
  }

  /** The free-running counter at true time `trueNow`: oscillator seconds since the battery was connected. */
  counter(trueNow: number): number {
    return this.s.anchorCounter! + (trueNow - this.s.anchorTrue) * (1 + this.ratePpm * 1e-6);
  }

  /** RTC reading minus true time: how fast (positive) or slow the fob's clock is. */
  offset(trueNow: number): number {
    return this.read(trueNow) - trueNow;
  }

  /** SET_TIME: the RTC reads `time` at true time `trueNow` and is valid from now on. */
  set(time: number, trueNow: number): void {
    if (!Number.isFinite(time) || time < 0) throw new RangeError('time must be a non-negative finite number of seconds');
    this.s = { ...this.s, anchorCounter: this.counter(trueNow), anchorTrue: trueNow, anchorRtc: time, valid: true };
  }

  /**
   * Moves the RTC by `seconds` without touching true time (a control-API fault standing for
   * months of crystal drift): the oscillator "counted" them, so the free-running counter moves too.
   */
  shift(seconds: number, trueNow: number): void {
    if (!Number.isFinite(seconds)) throw new RangeError('seconds must be finite');
    this.reanchor(trueNow);
    this.s.anchorRtc += seconds;
    this.s.anchorCounter! += seconds;
  }

  /** The battery died: the oscillator stopped and the time is lost. */
  invalidate(trueNow: number): void {
    this.s = { ...this.s, anchorTrue: trueNow, anchorRtc: 0, anchorCounter: 0, valid: false };
  }

  setDrift(driftPpm: number, trueNow: number): void {
    this.reanchor(trueNow);
    const next = { ...this.s, driftPpm };
    Rtc.check(next);
    this.s = next;
  }

  setTemperature(temperatureC: number | null, trueNow: number): void {
    this.reanchor(trueNow);
    const next = { ...this.s, temperatureC };
    Rtc.check(next);
    this.s = next;
  }

  snapshot(): RtcSnapshot {
    return { ...this.s };
  }

  private reanchor(trueNow: number): void {
    this.s = { ...this.s, anchorRtc: this.read(trueNow), anchorCounter: this.counter(trueNow), anchorTrue: trueNow };
  }
}

/**
 * A deterministic drift within ±`limitPpm` for a fob, from a seed string (its hardware id and the
 * simulator's seed), so a fleet has varied but reproducible crystals.
 */
export function driftFromSeed(seed: string, limitPpm = TYPICAL_DRIFT_PPM): number {
  // FNV-1a, then a uniform value in [-1, 1).
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    h ^= seed.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // MurmurHash3's finaliser: FNV alone leaves the high bits of similar strings correlated.
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h = (h ^ (h >>> 16)) >>> 0;
  const u = h / 0x1_0000_0000;
  return Math.round((u * 2 - 1) * limitPpm * 1000) / 1000;
}
