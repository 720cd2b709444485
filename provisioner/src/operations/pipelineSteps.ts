/**
 * The steps of the per-fob pipeline, in order, and the durable stages a fob reaches in the
 * journal. A step is journaled before it starts (`begin`) and after it ends (`end` or `fail`);
 * a stage is the last step whose effect is known to be done, which is what a restarted station
 * resumes from.
 */

export const PIPELINE_STEPS = [
  'hello', // HELLO: identity, state, the fob's public key
  'session', // BEGIN_SESSION with the station certificate
  'state-check', // journal × fob state: program, resume, leave alone or explain
  'assign-serial', // a serial from the block reserved at the backend
  'generate-seed', // random or derived seed, in memory only
  'journal-seed', // the seed sealed to the backend's registration key, journaled (held); synced with the serial
  'set-time', // SET_TIME from the station clock, offset measured before and after (while the journal syncs)
  'set-serial', // SET_SERIAL
  'program-seed', // PROGRAM_SEED over the secure session
  'verify', // CALCULATE at station-chosen times == the station's own codes
  'register', // the registration acknowledged by the backend (via the outbox)
  'lock', // LOCK
  'activate', // activation acknowledged by the backend (via the outbox)
  'label', // label data written out
] as const;

export type PipelineStep = (typeof PIPELINE_STEPS)[number];

/** Durable stages of a fob in the journal, in order. */
export const FOB_STAGES = [
  'new',
  'serial-assigned',
  'seed-journaled',
  'time-set',
  'serial-set',
  'seed-programmed',
  'verified',
  'registered',
  'locked',
  'activated',
  'done',
] as const;

export type FobStage = (typeof FOB_STAGES)[number];

/** True when `stage` is `other` or later. */
export function stageAtLeast(stage: FobStage, other: FobStage): boolean {
  return FOB_STAGES.indexOf(stage) >= FOB_STAGES.indexOf(other);
}

export function isPipelineStep(s: string): s is PipelineStep {
  return (PIPELINE_STEPS as readonly string[]).includes(s);
}
