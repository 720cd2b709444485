/**
 * Which of a fob's steps may still be accepted: replay protection that survives a clock moved
 * back (issue 17.1).
 *
 * A code is HMAC(seed, step), where the step is counted on the FOB's clock, not the server's. A
 * fob that ran ahead and was used showed step L; when support then sets its clock back to true
 * time, the fob shows steps below L again. A single "last accepted step" refuses all of them (the
 * user is locked out until the fob's clock passes L again: minutes, or days), although only
 * the steps actually accepted were ever used. So the ledger remembers the steps it accepted:
 *
 * - `last`: the newest accepted step on the fob's current timeline (the `last_step` column).
 *   A login needs a step above it, as in RFC 6238 §5.2; only a resync (support, two consecutive
 *   codes: the fob is in hand or its user on the phone) may move it back, never a login.
 * - `used`: the most recent accepted steps (logins and resyncs), at most {@link USED_STEPS_KEPT};
 *   a step in it is refused forever, whatever `last` becomes.
 * - `floor`: every step at or below it counts as used (steps that fell out of `used`, and the
 *   whole history of a fob from before the ledger existed). Invariant: `floor ≤ last`.
 *
 * So a code the user already used stays refused: it is above `last`'s reach only through a
 * rewind, and a rewind never reaches `floor`, and everything above `floor` that was used is
 * in `used`.
 */

/** How many accepted steps a fob's ledger remembers (about 10 bytes each in the row). */
export const USED_STEPS_KEPT = 32;

export interface StepLedger {
  last: number;
  floor: number;
  /** Ascending. */
  used: readonly number[];
}

/**
 * - `fresh`: never accepted and newer than `last`: a login may use it.
 * - `superseded`: never accepted, but at or below `last` (the fob's clock went back): refused to
 *   a login (`replayed`), a resync may rewind to it.
 * - `used`: accepted before; refused to everyone.
 * - `forgotten`: at or below `floor`: may have been accepted; refused to everyone.
 */
export type StepStanding = 'fresh' | 'superseded' | 'used' | 'forgotten';

export function parseUsedSteps(text: string): number[] {
  if (text === '') return [];
  return text.split(',').map(Number).filter((n) => Number.isSafeInteger(n)).sort((a, b) => a - b);
}

export function formatUsedSteps(used: readonly number[]): string {
  return used.join(',');
}

export function readStepLedger(row: { last_step: number; used_floor: number; used_steps: string }): StepLedger {
  return { last: Number(row.last_step), floor: Number(row.used_floor), used: parseUsedSteps(row.used_steps) };
}

export function stepStanding(l: StepLedger, step: number): StepStanding {
  if (l.used.includes(step)) return 'used';
  if (step <= l.floor) return 'forgotten';
  if (step <= l.last) return 'superseded';
  return 'fresh';
}

function remember(l: StepLedger, steps: readonly number[], last: number): StepLedger {
  const used = [...new Set([...l.used, ...steps])].sort((a, b) => a - b);
  let floor = l.floor;
  // Drop the oldest steps (smallest), counting everything up to them as used from now on.
  while (used.length > USED_STEPS_KEPT) floor = Math.max(floor, used.shift()!);
  return { last: Math.max(last, floor), floor, used };
}

/** After a login accepted `step` (which must be `fresh`). */
export function acceptStep(l: StepLedger, step: number): StepLedger {
  if (stepStanding(l, step) !== 'fresh') throw new RangeError(`step ${step} is not fresh`);
  return remember(l, [step], step);
}

/**
 * After a resync matched `first` and `first + 1`: both consumed, and `last` moves to `first + 1`
 * even when that is lower (the clock was moved back). Neither may be `used` or `forgotten`.
 */
export function resyncAt(l: StepLedger, first: number): StepLedger {
  for (const s of [first, first + 1]) {
    const standing = stepStanding(l, s);
    if (standing === 'used' || standing === 'forgotten') throw new RangeError(`step ${s} is ${standing}`);
  }
  return remember(l, [first, first + 1], first + 1);
}
