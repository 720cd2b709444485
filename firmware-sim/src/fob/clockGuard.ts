/**
 * The clock guard of a locked fob (protocol/SPEC.md "Clock guard"): a certified station may
 * correct a locked fob's clock for drift, but not move it far enough to read codes of the future
 * (a locked fob is no oracle for chosen times, and SET_TIME must not become one). The judgement
 * is against the uncorrected clock, the reference set at LOCK plus what the RTC's free-running
 * counter has counted since, so repeated small sets cannot add up. Pure functions; the runtime
 * (`Fob`) applies the result.
 */
import { CLOCK_DRIFT_ALLOWANCE_PPM, CLOCK_SET_MARGIN_SECONDS, LOST_CLOCK_MAX_GAP_SECONDS } from '@fobkit/protocol/wire';
import type { ClockReference, FobRecord } from './fobRecord.js';

/** How far (either way) a SET_TIME may move a locked fob's clock from the uncorrected one, `elapsed` counter seconds after the reference. */
export function clockAllowance(elapsed: number): number {
  return CLOCK_SET_MARGIN_SECONDS + CLOCK_DRIFT_ALLOWANCE_PPM * 1e-6 * Math.max(0, elapsed);
}

export interface LockedSetTimeInput {
  record: Pick<FobRecord, 'clockRef' | 'timeFloor'>;
  rtcValid: boolean;
  /** The RTC's free-running counter now. */
  rtcCounter: number;
  /** The RTC reading now (meaningless when `rtcValid` is false). */
  rtcNow: number;
  time: number;
}

export type LockedSetTimeJudgement =
  /** Allowed; `clockRef` is the new reference to commit before setting the clock (after a lost clock, or for a record without one). */
  | { ok: true; clockRef?: ClockReference }
  | { ok: false; msg: string; min: number; max: number };

const fmt = (t: number): string => new Date(Math.round(t) * 1000).toISOString().replace('.000Z', 'Z');

/** Judges a SET_TIME on a locked fob. */
export function judgeLockedSetTime(o: LockedSetTimeInput): LockedSetTimeJudgement {
  const { record, time } = o;
  if (!o.rtcValid) {
    // The battery was flat: the counter restarted and the reference says nothing. Time cannot have
    // gone back before the floor, and the gap is bounded so that pulling the battery is no way
    // to a clock far in the future.
    const floor = record.timeFloor;
    if (floor === 0) return { ok: true, clockRef: { time, counter: o.rtcCounter } };
    const min = floor - CLOCK_SET_MARGIN_SECONDS;
    const max = floor + LOST_CLOCK_MAX_GAP_SECONDS;
    if (time < min || time > max) {
      return { ok: false, min, max, msg: `time-jump: the lost clock may be set only within ${fmt(min)}..${fmt(max)} (the fob last knew ${fmt(floor)}); WIPE and provision again` };
    }
    return { ok: true, clockRef: { time, counter: o.rtcCounter } };
  }
  // A record locked before the guard existed has no reference: the clock as it runs now is one.
  const ref = record.clockRef ?? { time: o.rtcNow, counter: o.rtcCounter };
  const elapsed = o.rtcCounter - ref.counter;
  const uncorrected = ref.time + elapsed;
  const allowance = clockAllowance(elapsed);
  const min = uncorrected - allowance;
  const max = uncorrected + allowance;
  if (time < min || time > max) {
    const jump = time - o.rtcNow;
    return {
      ok: false, min, max,
      msg: `time-jump: ${jump >= 0 ? '+' : '-'}${Math.round(Math.abs(jump))} s is beyond what drift explains (the clock may be set within ±${Math.floor(allowance)} s of ${fmt(uncorrected)}); WIPE and provision again`,
    };
  }
  return record.clockRef ? { ok: true } : { ok: true, clockRef: ref };
}
