/**
 * The per-fob pipeline of the factory station (issue "The factory station"): HELLO → session →
 * state check → serial → SET_SERIAL → SET_TIME → seed → journal → PROGRAM_SEED → verify →
 * register → LOCK → activate → label. Every step is journaled before and after it runs, so a
 * station killed at any instant resumes the fob from what the journal and the fob say, and:
 *
 * - a seed reaches a fob only after it is journaled, sealed to the backend, as a held
 *   registration (so every seed on a fob is registered or scheduled for registration);
 * - a fob is locked only after the backend acknowledged its registration;
 * - a fob that fails verification is wiped and set aside, never locked or activated;
 * - a serial comes from the journal's reserved stock and is never assigned twice.
 *
 * The seed lives in memory only between generation and verification and is zeroed after; the
 * station cannot read it back from the journal (it is sealed to the backend's key). A fob found
 * programmed but unverified after a crash is therefore wiped and programmed afresh in `random`
 * mode; in `derived` mode its seed is derived again and verified.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { constantTimeEqual } from '@fobkit/protocol/otp';
import { sealToRecipient } from '@fobkit/protocol/session';
import { isProtocolError } from '@fobkit/protocol';
import type { FobProfile, SeedMode } from '../config/stationConfig.js';
import { BackendError } from '../errors.js';
import type { FobRecord, StationJournal } from '../journal/stationJournal.js';
import type { LabelWriter } from '../station/labelWriter.js';
import type { SerialPool } from '../station/serialPool.js';
import type { OpeningExchanges } from '../station/openingExchanges.js';
import type { StationOutbox } from '../station/stationOutbox.js';
import { describeFobError } from './describeFobError.js';
import { generateSeed } from './generateSeed.js';
import { stageAtLeast, type PipelineStep } from './pipelineSteps.js';
import type { FobHello, ProvisioningSession } from './provisioningSession.js';
import { chooseVerificationTimes, verifyFobCodes } from './verifyFobCodes.js';

export type StepPhase = 'begin' | 'applied' | 'end' | 'fail';

/** One event per step phase, for the display and `--json`. Never carries a secret. */
export interface ProvisionStepEvent {
  type: 'step';
  port: string;
  step: PipelineStep;
  phase: 'begin' | 'end' | 'fail';
  serial?: string;
  detail?: Record<string, unknown>;
  at: number;
}

export type ProvisionOutcome =
  /** Locked, registered, activated (or activation queued), label written. */
  | { outcome: 'done'; serial: string; resumed: boolean; activationPending: boolean; refurbished?: boolean }
  /**
   * Already provisioned (`alreadyDone`), or not this station's to touch: left alone, with why.
   * Only an already-provisioned fob counts as a success for the run's exit code.
   */
  | { outcome: 'skipped'; serial?: string; reason: string; alreadyDone?: boolean }
  /** Set aside: not locked, never activated; why, in the operator's words. */
  | { outcome: 'failed'; serial?: string; step: PipelineStep; reason: string }
  /** The fob went away (unplugged, silent); plugging it in again resumes it. `openFailed`: the port never opened (PORT_BUSY, PORT_UNAVAILABLE). */
  | { outcome: 'interrupted'; serial?: string; step: PipelineStep; reason: string; openFailed?: string }
  /** Programmed and verified; its registration waits in the outbox; not locked yet. */
  | { outcome: 'waiting'; serial: string; reason: string };

/** What every fob of a station run shares: the station's parts and the batch's settings. */
export interface FobPipelineSettings {
  journal: StationJournal;
  serials: SerialPool;
  outbox: StationOutbox;
  labels: LabelWriter;
  registrationKey: { kid: string; publicKey: Uint8Array };
  profile: FobProfile;
  batch: string;
  seedMode: SeedMode;
  batchKey?: Uint8Array;
  verifyTimes: number;
  /** How long to wait for the backend (serials, registration, activation) before giving up on this fob. */
  backendWaitMs: number;
  clock?: () => number;
  randomBytes?: (n: number) => Uint8Array;
  /** Called after each phase is journaled (`applied`: the fob did it, the journal does not know yet). Tests crash the station here. */
  onPhase?: (step: PipelineStep, phase: StepPhase) => void;
  /** Shared by the fobs provisioned in parallel: the work that can wait for a handshake lets other fobs' HELLOs and handshakes go first. */
  openings?: OpeningExchanges;
}

export interface ProvisionFobOptions extends FobPipelineSettings {
  session: ProvisioningSession;
  port: string;
  onEvent?: (e: ProvisionStepEvent) => void;
  signal?: AbortSignal;
}

class StepFailed extends Error {
  constructor(readonly result: ProvisionOutcome) {
    super('step failed');
  }
}

/**
 * The steps that act on what earlier steps made durable: SET_SERIAL (the serial assignment,
 * synced with the held seed), PROGRAM_SEED (the held seed) and the registration leaving for the
 * backend (its release). They wait for the journal's sync; the others (the session, SET_TIME,
 * CALCULATE, local work, LOCK and the activation, whose records a restarted station rebuilds
 * from the fob and the backend) run while it is in flight.
 */
const ACTS_ON_DURABLE: ReadonlySet<PipelineStep> = new Set<PipelineStep>(['set-serial', 'program-seed', 'register']);

function seedCheck(secret: Uint8Array): Uint8Array {
  return sha256(secret).subarray(0, 8);
}

/**
 * Provisions the fob behind `session` end to end, or resumes it from the journal.
 * Never throws for a fob problem (the outcome says what happened); throws only when the journal
 * itself fails (the station cannot keep its invariants and must stop).
 */
export async function provisionFob(options: ProvisionFobOptions): Promise<ProvisionOutcome> {
  const { session, journal, serials, outbox, labels, profile, batch, seedMode, port } = options;
  const clock = options.clock ?? (() => Date.now() / 1000);
  const emit = options.onEvent ?? (() => undefined);
  const onPhase = options.onPhase ?? (() => undefined);
  let fob: FobRecord | undefined;
  let current: PipelineStep = 'hello';
  let secret: Uint8Array | undefined;
  let resumed = false;
  let done = false;
  /** The handshake in flight or done (see the session step). */
  let sessionUp: Promise<void> | undefined;
  const openingsOut = options.openings?.begin() ?? (() => undefined);

  const serialOf = (): string | undefined => fob?.serial ?? undefined;

  /** Journals begin, runs `fn`, then journals end together with `commit` in one transaction. */
  async function step<T>(name: PipelineStep, fn: () => Promise<T>, finish?: (r: T) => { detail?: Record<string, unknown>; commit?: () => void; durable?: boolean }): Promise<T> {
    current = name;
    // What the last steps made durable (a serial with its held seed, a release) is on disk before
    // a step acts on it; the other steps run while that sync is in flight.
    if (ACTS_ON_DURABLE.has(name)) await journal.flush();
    journal.recordStep(fob?.id ?? null, name, 'begin', undefined, port);
    emit({ type: 'step', port, step: name, phase: 'begin', serial: serialOf(), at: clock() });
    onPhase(name, 'begin');
    let r: T;
    try {
      r = await fn();
    } catch (e) {
      if (!(e instanceof StepFailed)) {
        const d = describeFobError(e);
        journal.recordStep(fob?.id ?? null, name, 'fail', { code: d.code, device: d.deviceName, message: d.message }, port);
        emit({ type: 'step', port, step: name, phase: 'fail', serial: serialOf(), detail: { code: d.code, message: d.message }, at: clock() });
      }
      throw e;
    }
    onPhase(name, 'applied');
    const f = finish?.(r) ?? {};
    journal.transaction(() => {
      journal.recordStep(fob?.id ?? null, name, 'end', f.detail, port);
      f.commit?.();
    }, { durable: f.durable });
    if (fob) fob = journal.getFob(fob.id);
    emit({ type: 'step', port, step: name, phase: 'end', serial: serialOf(), detail: f.detail, at: clock() });
    onPhase(name, 'end');
    return r;
  }

  /** A documented failure: journaled on the fob, the step marked failed, the fob set aside. */
  function fail(name: PipelineStep, reason: string, detail?: Record<string, unknown>): never {
    journal.transaction(() => {
      journal.recordStep(fob?.id ?? null, name, 'fail', { reason, ...detail }, port);
      if (fob) journal.updateFob(fob.id, { outcome: 'failed', failure: reason });
    }, { durable: true });
    emit({ type: 'step', port, step: name, phase: 'fail', serial: serialOf(), detail: { reason, ...detail }, at: clock() });
    throw new StepFailed({ outcome: 'failed', serial: serialOf(), step: name, reason });
  }

  function skip(reason: string, serial?: string, alreadyDone = false): never {
    journal.recordStep(fob?.id ?? null, 'state-check', 'end', { decision: 'leave-alone', reason }, port);
    emit({ type: 'step', port, step: 'state-check', phase: 'end', serial: serial ?? serialOf(), detail: { decision: 'leave-alone', reason }, at: clock() });
    throw new StepFailed({ outcome: 'skipped', serial: serial ?? serialOf(), reason, ...(alreadyDone ? { alreadyDone } : {}) });
  }

  /** Erases the seed of a fob being set aside; says in words whether that worked. */
  async function wipeForSetAside(serial: string): Promise<string> {
    journal.recordStep(fob?.id ?? null, 'wipe', 'begin', undefined, port);
    try {
      await session.wipe(serial);
      journal.recordStep(fob?.id ?? null, 'wipe', 'end', undefined, port);
      return 'seed erased';
    } catch (e) {
      const d = describeFobError(e);
      journal.recordStep(fob?.id ?? null, 'wipe', 'fail', { code: d.code, message: d.message }, port);
      return `seed NOT erased (${d.message}): wipe it before reuse`;
    }
  }

  /**
   * A fob that must never be locked: the failure is journaled (durably) first, so a station
   * killed right after can never lock it, then its seed is erased and its held registration
   * canceled. Throws the failed outcome.
   */
  async function setAside(name: PipelineStep, reason: string, serial: string, detail?: Record<string, unknown>): Promise<never> {
    journal.transaction(() => {
      journal.recordStep(fob?.id ?? null, name, 'fail', { reason, ...detail }, port);
      if (fob) journal.updateFob(fob.id, { outcome: 'failed', failure: reason });
    }, { durable: true });
    await journal.flush();
    onPhase(name, 'fail');
    const wiped = await wipeForSetAside(serial);
    const live = fob ? journal.liveRegistration(fob.id) : undefined;
    if (live && wiped === 'seed erased') journal.cancelRegistration(live.id);
    const full = `${reason}, ${wiped}`;
    emit({ type: 'step', port, step: name, phase: 'fail', serial: serialOf(), detail: { reason: full, ...detail }, at: clock() });
    throw new StepFailed({ outcome: 'failed', serial: serialOf(), step: name, reason: full });
  }

  try {
    // ---- HELLO and identity --------------------------------------------------------------
    // Every fob the station talks to gets a journal record from its HELLO on (identified by its
    // device key); `known` says whether this station had already started provisioning it.
    let known = false;
    const hello: FobHello = await step('hello', () => session.hello(), (h) => {
      const deviceKey = Buffer.from(h.pub).toString('hex');
      const existing = journal.findFobByDeviceKey(deviceKey);
      known = existing !== undefined && (existing.serial !== null || existing.stage !== 'new' || existing.outcome !== null);
      fob = existing ?? journal.createFob({ deviceKey, model: h.model, hw: h.hw, fw: h.fw, batch, port });
      return { detail: { model: h.model, hw: h.hw, fw: h.fw, state: h.state, serial: h.serial } };
    });
    const state = hello.state;

    // ---- session (not for a locked fob: nothing on it is ours to change) ------------------
    // A blank fob this station has never seen needs nothing from the session until SET_TIME:
    // the state check, the serial, the seed and its journaling run while the fob computes its
    // side of the handshake (a slow MCU's hundreds of milliseconds), and SET_TIME waits for it.
    // Every other fob's state check may act on the fob (wipe it, resume it) and waits for the
    // session first.
    if (state !== 'locked') {
      const started = step('session', () => session.beginSession());
      sessionUp = (async () => {
        try {
          await started;
        } catch (e) {
          if (e instanceof StepFailed) throw e;
          const d = describeFobError(e);
          if (d.kind === 'rejected-station') {
            // Not the fob's fault: it is not set aside in the journal, a station with a good
            // certificate provisions it normally (with the serial it was given here, if any).
            throw new StepFailed({ outcome: 'failed', serial: hello.serial, step: 'session', reason: `the fob rejected this station's certificate (${d.deviceName ?? d.code}: ${d.message}) — fob left untouched; check the station certificate and the fob's root key` });
          }
          throw e;
        }
      })();
      // Awaited below; until then a failure must not count as unhandled.
      sessionUp.catch(() => undefined);
    }
    openingsOut();
    /** The session is up; a failure is reported as the session's, whatever step ran meanwhile. */
    const sessionReady = async (): Promise<void> => {
      try {
        await sessionUp;
      } catch (e) {
        current = 'session';
        throw e;
      }
    };
    if (known || state !== 'blank') await sessionReady();
    else if (options.openings) await Promise.race([sessionUp!.catch(() => undefined), options.openings.settled()]);

    // ---- state check: program, resume, leave alone, or explain ----------------------------
    let from: PipelineStep = 'assign-serial';
    let refurbished = false;
    /**
     * Whether a serialised fob carrying `serial` is one to refurbish rather than resume or leave
     * alone: this station finished it or verified it (so someone wiped it since), or set it aside
     * because the backend refused its registration (the cause is at the backend: a key without
     * the station role, a serial to revoke first; the fob was wiped when set aside), or never
     * gave it a serial (another station's fob, or a journal lost) and no other fob of this
     * journal carries that serial. A fob set aside for its own fault (codes that disagree, a
     * seed it did not store) stays left alone.
     */
    const refurbishable = (rec: FobRecord, serial: string): 'wiped' | 'refused' | undefined => {
      if (rec.serial === null) {
        const other = journal.findFobBySerial(serial);
        return other === undefined || other.id === rec.id ? 'wiped' : undefined;
      }
      if (rec.serial !== serial) return undefined;
      if (rec.outcome === 'done') return 'wiped';
      if (rec.outcome === 'failed') return journal.latestRegistration(rec.id)?.status === 'rejected' ? 'refused' : undefined;
      const live = journal.liveRegistration(rec.id);
      return live !== undefined && (live.status === 'pending' || live.status === 'acknowledged') ? 'wiped' : undefined;
    };
    let heldSeedOnFob = false;
    let lockedBeforeAck = false;
    await step('state-check', async () => {
      if (!fob) throw new TypeError('no journal record after HELLO');
      const refurbish = state === 'serialised' && hello.serial ? refurbishable(fob, hello.serial) : undefined;
      if (refurbish && hello.serial) {
        // A derived seed depends only on the batch key and the serial: a wiped fob would get its
        // old seed back, the very one its refurbishment is meant to retire. (One whose
        // registration was refused may get the same seed again: the backend never took it.)
        if (refurbish === 'wiped' && seedMode === 'derived') skip(`${hello.serial} was wiped for refurbishment, but in derived seed mode it would get its old seed again: left alone — refurbish it on a station with --seed-mode random`, hello.serial);
        // A seedless fob with a serial that this station finished or set aside, or never knew: a
        // returned (or set-aside) fob wiped for refurbishment. It keeps its serial (WIPE does)
        // and starts over with a new seed; the backend takes the new registration only when
        // the serial's token was revoked or never registered (API.md "Refurbished fobs"), and
        // sets the fob aside again, wiped, otherwise.
        journal.refurbishFob(fob.id, hello.serial, batch);
        fob = journal.getFob(fob.id);
        journal.updateFob(fob.id, { port });
        refurbished = true;
        from = 'generate-seed';
        return;
      }
      if (known && fob.outcome === 'failed') {
        if (state === 'programmed' && hello.serial) {
          const wiped = await wipeForSetAside(hello.serial);
          const live = journal.liveRegistration(fob.id);
          if (live && live.status === 'held' && wiped === 'seed erased') journal.cancelRegistration(live.id);
          skip(`set aside earlier (${fob.failure ?? 'failed'}); ${wiped}; not locked`, hello.serial);
        }
        skip(`set aside earlier: ${fob.failure ?? 'failed'} — left alone`, hello.serial);
      }
      if (state === 'locked') {
        if (known && fob.serial === hello.serial && stageAtLeast(fob.stage, 'registered')) {
          if (fob.outcome === 'done') skip(`${fob.serial} is already provisioned (locked, registered): left alone`, fob.serial, true);
          if (fob.stage === 'registered') journal.recordLocked(fob.id, fob.serial);
          resumed = true;
          from = 'activate';
          return;
        }
        if (known && fob.serial === hello.serial && fob.stage === 'verified' && journal.liveRegistration(fob.id)?.status === 'pending') {
          // LOCK went out once the backend acknowledged the registration, and that acknowledgement
          // was lost with the journal's unsynced tail (a power cut): the station asks again, the
          // backend answers the identical registration as registered, and the lock is journaled.
          resumed = true;
          lockedBeforeAck = true;
          from = 'register';
          return;
        }
        if (known) skip(`fob ${hello.serial ?? '?'} is locked but this station never had its registration acknowledged: left alone, report it to support`);
        skip(`fob ${hello.serial ?? '(no serial)'} is locked and was not provisioned by this station: left alone`, hello.serial);
      }
      if (!known) {
        if (state === 'blank') return;
        skip(`fob is ${state} with serial ${hello.serial ?? '(none)'} but this station has no record of it: left alone (to refurbish it: fobkit wipe --revoke, then provision it again)`, hello.serial);
      }
      journal.updateFob(fob.id, { port });
      if (fob.serial && hello.serial && fob.serial !== hello.serial) {
        skip(`fob carries serial ${hello.serial} but this station assigned it ${fob.serial}: left alone, report it`, hello.serial);
      }
      const live = journal.liveRegistration(fob.id);
      const verified = live !== undefined && (live.status === 'pending' || live.status === 'acknowledged');
      resumed = fob.stage !== 'new';
      if (state === 'blank' || state === 'serialised') {
        if (verified) skip(`the journal says ${fob.serial} was verified but the fob is ${state}: left alone, report it`);
        if (live) journal.cancelRegistration(live.id);
        from = state === 'blank' && !fob.serial ? 'assign-serial' : 'generate-seed';
        return;
      }
      if (state === 'programmed') {
        if (verified) {
          from = 'register';
          return;
        }
        if (!live) {
          const latest = journal.latestRegistration(fob.id);
          if (latest?.status === 'rejected' && hello.serial) {
            // Refused while the station was down (e.g. by the outbox at start): nowhere to register this seed.
            await setAside('state-check', `its registration was refused (${latest.lastError ?? 'rejected'}) — fob set aside, not locked`, hello.serial);
          }
          skip(`fob ${hello.serial ?? '?'} is programmed but this station never journaled a seed for it: left alone, report it`);
        }
        heldSeedOnFob = true;
        from = 'generate-seed';
        return;
      }
      skip(`fob reports an unknown state '${state}': left alone`);
    }, () => ({ detail: { state, journal: fob?.stage ?? null, resumeFrom: from, resumed, ...(refurbished ? { decision: 'refurbish' } : {}) }, commit: () => undefined }));

    const order: PipelineStep[] = ['assign-serial', 'generate-seed', 'journal-seed', 'set-time', 'set-serial', 'program-seed', 'verify', 'register', 'lock', 'activate', 'label'];
    const runs = (s: PipelineStep): boolean => order.indexOf(s) >= order.indexOf(from);
    const f = (): FobRecord => fob!;

    // A programmed fob whose seed the station can no longer know (random mode): erase and redo.
    if (heldSeedOnFob && seedMode === 'random') {
      const live = journal.liveRegistration(f().id);
      const serial = f().serial!;
      journal.recordStep(f().id, 'wipe', 'begin', { why: 'programmed but not verified before the station stopped' }, port);
      await session.wipe(serial);
      journal.transaction(() => {
        journal.recordStep(f().id, 'wipe', 'end', undefined, port);
        if (live) journal.cancelRegistration(live.id);
      });
      heldSeedOnFob = false;
    }

    if (runs('assign-serial')) {
      await step('assign-serial', () => serials.assign(f().id, { signal: options.signal, maxWaitMs: options.backendWaitMs }), (s) => ({ detail: { serial: s } }));
    }
    const serial = f().serial!;

    let registrationId: number | undefined;
    if (runs('generate-seed')) {
      await step('generate-seed', async () => {
        secret = generateSeed({ mode: seedMode, algorithm: profile.algorithm, serial, batchKey: options.batchKey, randomBytes: options.randomBytes });
      }, () => ({ detail: { mode: seedMode, bytes: secret!.length } }));

      if (heldSeedOnFob) {
        // derived mode: the seed on the fob is this one if the fob is ours; verification decides.
        registrationId = journal.liveRegistration(f().id)!.id;
      } else {
        await step('journal-seed', async () => {
          const sealed = sealToRecipient({ recipientPublicKey: options.registrationKey.publicKey, plaintext: secret!, context: `seed:${serial}` });
          return journal.holdRegistration(f().id, {
            serial, model: f().model ?? hello.model, sealedSecret: sealed, kid: options.registrationKey.kid,
            algorithm: profile.algorithm, digits: profile.digits, period: profile.period, t0: profile.t0,
            batch, provisionedAt: Math.floor(clock()), clockOffset: 0, // measured by set-time, next
          });
        }, (reg) => ({ detail: { registration: reg.id, kid: reg.kid } }));
        registrationId = journal.liveRegistration(f().id)!.id;
      }

      // The serial and the seed reach the disk in one fsync, started by journal-seed's commit.
      // SET_TIME needs nothing durable, so its three round trips run while it syncs; SET_SERIAL
      // and PROGRAM_SEED wait for it. The offset SET_TIME measures goes into the held
      // registration, made durable by its release.
      const heldId = registrationId;
      await sessionReady();
      await step('set-time', async () => {
        const a = clock();
        const before = await session.getStatus();
        const b = clock();
        const initialOffset = before.timeValid ? before.time - (a + b) / 2 : null;
        // The fob sets its clock when the request arrives, about half a round trip after it left.
        await session.setTime(clock() + (b - a) / 2);
        const c = clock();
        const after = await session.getStatus();
        const d = clock();
        const clockOffset = Math.round((after.time - (c + d) / 2) * 1000) / 1000;
        return { initialOffset, clockOffset, rtt: d - c };
      }, (r) => ({
        detail: r,
        commit: () => {
          journal.updateFob(f().id, { stage: 'time-set', initialOffset: r.initialOffset, clockOffset: r.clockOffset });
          journal.setHeldClockOffset(heldId, r.clockOffset);
        },
      }));

      // A fob that already carries its serial (a resumed one) is not sent SET_SERIAL again.
      if (state === 'blank') {
        await step('set-serial', () => session.setSerial(serial), (r) => ({ detail: { serial: r.serial, state: r.state }, commit: () => journal.updateFob(f().id, { stage: 'serial-set' }) }));
      }

      await step('program-seed', async () => {
        let r: { state: string; check: Uint8Array } | undefined;
        try {
          r = await session.programSeed({ secret: secret!, algorithm: profile.algorithm, digits: profile.digits, period: profile.period, t0: profile.t0 });
        } catch (e) {
          if (!isProtocolError(e, 'BAD_MESSAGE')) throw e;
        }
        if (!r || !(r.check instanceof Uint8Array) || !constantTimeEqual(r.check, seedCheck(secret!))) {
          return await setAside('program-seed', 'the fob stored a different seed than the one sent (check value mismatch) — fob set aside, not locked', serial);
        }
        return r;
      }, (r) => ({ detail: { state: r.state }, commit: () => journal.updateFob(f().id, { stage: 'seed-programmed' }) }));

      const times = chooseVerificationTimes(clock(), options.verifyTimes, profile, options.randomBytes ?? ((n) => globalThis.crypto.getRandomValues(new Uint8Array(n))));
      await step('verify', async () => {
        const v = await verifyFobCodes({ session, secret: secret!, profile, times });
        secret!.fill(0);
        secret = undefined;
        if (!v.ok) {
          return await setAside('verify', `verification failed: fob returned ${v.got}, expected ${v.expected} (at ${new Date(v.time * 1000).toISOString()}) — fob set aside, not locked`, serial, { time: v.time, gotStep: v.gotStep, expectedStep: v.expectedStep });
        }
        return v;
      }, (v) => ({ detail: { times: v.ok ? v.times : [] }, commit: () => journal.releaseRegistration(registrationId!), durable: true }));
    }

    if (runs('register')) {
      const reg = journal.liveRegistration(f().id);
      if (!reg) fail('register', 'no registration is journaled for this fob (journal damaged?) — fob set aside, not locked');
      if (reg.status !== 'acknowledged') {
        let delivery: 'acknowledged' | 'timeout';
        try {
          delivery = await step('register', () => outbox.waitForRegistration(reg.id, { signal: options.signal, maxWaitMs: options.backendWaitMs }), (r) => ({ detail: { delivery: r, waiting: journal.pendingRegistrationCount() } }));
        } catch (e) {
          if (e instanceof BackendError) {
            await setAside('register', `the backend refused the registration (${e.message}) — fob set aside, not locked`, serial);
          }
          throw e;
        }
        if (delivery === 'timeout') {
          const waiting = journal.pendingRegistrationCount();
          const fobState = lockedBeforeAck ? 'fob locked, its registration to be confirmed again' : 'fob programmed and verified but NOT locked';
          return { outcome: 'waiting', serial, reason: `backend unreachable: registration waiting in the outbox (${waiting} waiting); ${fobState} — plug it in again once the backend is back (${outbox.lastDeliveryError ?? 'no answer'})` };
        }
      }
    }

    if (runs('lock')) {
      if (lockedBeforeAck) journal.recordLocked(f().id, serial);
      else await step('lock', () => session.lock(serial), () => ({ commit: () => journal.recordLocked(f().id, serial) }));
    }

    let activationPending = false;
    if (runs('activate')) {
      const r = await step('activate', () => outbox.waitForActivation(serial, { signal: options.signal, maxWaitMs: options.backendWaitMs }), (d) => ({ detail: { delivery: d } }));
      activationPending = r === 'timeout';
    }

    await step('label', async () => {
      const at = f().provisionedAt ?? journal.liveRegistration(f().id)?.provisionedAt ?? Math.floor(clock());
      labels.write({ serial, model: f().model ?? hello.model, batch: f().batch, date: new Date(at * 1000).toISOString().slice(0, 10) });
    }, () => ({ detail: { labels: labels.path }, commit: () => journal.updateFob(f().id, { stage: 'done', outcome: 'done', labelWritten: true }) }));

    done = true;
    return { outcome: 'done', serial, resumed, activationPending, ...(refurbished ? { refurbished } : {}) };
  } catch (e) {
    if (e instanceof StepFailed) return e.result;
    const d = describeFobError(e);
    if (d.kind === 'lost') {
      return { outcome: 'interrupted', serial: serialOf(), step: current, reason: `fob lost at ${current} (${d.message}): plug it in again to resume` };
    }
    if ((e as { code?: string }).code === 'JOURNAL_FAILED') throw e;
    if ((e as { code?: string }).code === 'NO_SERIALS' || e instanceof BackendError) {
      return { outcome: 'interrupted', serial: serialOf(), step: current, reason: `${current}: ${(e as Error).message} — fob not programmed, plug it in again later` };
    }
    const reason = `${current} failed: ${d.deviceName ? `${d.deviceName}: ` : ''}${d.message}`;
    if (fob && journal.getFob(fob.id).outcome !== 'failed') journal.updateFob(fob.id, { failure: reason });
    return { outcome: 'failed', serial: serialOf(), step: current, reason: `${reason} — fob not locked` };
  } finally {
    openingsOut();
    // A fob that ended while its handshake was still running (the serial pool empty, say): the
    // handshake's own end is journaled before the port is let go.
    await sessionUp?.catch(() => undefined);
    secret?.fill(0);
    // A fob that ends otherwise may leave a durable record no step waited for (a failure that
    // sets it aside). A done fob's durable records were all waited for before their steps; the
    // sync in flight now is other ports' business.
    if (!done) await journal.flush();
  }
}
