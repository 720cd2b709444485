/**
 * The fob's life-cycle state machine (protocol/SPEC.md "Life-cycle states", DEVELOPERS.md message
 * table) as pure functions: each handler takes the persisted record, what the firmware knows about
 * the request (did it arrive in an authenticated session record?) and the RTC, and returns either
 * a response with the record to commit, or a wire error. No I/O, no session crypto: the runtime
 * (`Fob`) does framing, sessions, flash commits and timing around them.
 */
import { constantTimeEqual, generateTotp, totpStep, MIN_SECRET_BYTES, MAX_SECRET_BYTES, OTP_ALGORITHMS, type OtpAlgorithm, type OtpDigits } from '@fobkit/protocol/otp';
import { parseSerial } from '@fobkit/protocol/serial';
import { seedCheck } from '@fobkit/protocol/wire';
import type { FobRecord } from './fobRecord.js';
import { judgeLockedSetTime } from './clockGuard.js';

export type WireErrorName =
  | 'BAD_FRAME'
  | 'UNSUPPORTED'
  | 'BAD_STATE'
  | 'LOCKED'
  | 'AUTH_REQUIRED'
  | 'AUTH_FAILED'
  | 'RATE_LIMITED'
  | 'BUSY'
  | 'FLASH_FAILURE'
  | 'INVALID_ARGUMENT'
  | 'SCHEMA_MISMATCH'
  | 'CLOCK_INVALID'
  | 'REPLAYED'
  | 'TIME_JUMP';

export interface CommandError {
  ok: false;
  error: WireErrorName;
  msg: string;
  retryMs?: number;
}

export interface CommandSuccess<R> {
  ok: true;
  response: R;
  /** The record to commit to flash before answering (absent: nothing to write). */
  next?: FobRecord;
  /** SET_TIME: the RTC reading to set. */
  setTime?: number;
}

export type CommandResult<R> = CommandSuccess<R> | CommandError;

export interface CommandContext {
  record: FobRecord;
  /** The request arrived as a record of an authenticated station session. */
  authenticated: boolean;
  rtcValid: boolean;
  /** The RTC reading now (meaningless when `rtcValid` is false). */
  rtcNow: number;
  /** The RTC's free-running counter now (SPEC.md "Clock guard"). */
  rtcCounter: number;
}

const fail = (error: WireErrorName, msg: string): CommandError => ({ ok: false, error, msg });

/** Serials are short printable identifiers; fobkit's own `FK…` form must carry a valid check digit. */
export const MAX_SERIAL_LENGTH = 32;
const SERIAL_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;

function checkSerial(serial: unknown): string | CommandError {
  if (typeof serial !== 'string' || !SERIAL_RE.test(serial)) return fail('INVALID_ARGUMENT', 'serial must be 1-32 letters, digits, dot, dash or underscore');
  if (/^FK\d{8}$/i.test(serial) && !parseSerial(serial).ok) return fail('INVALID_ARGUMENT', 'serial has a wrong check digit');
  return serial;
}

/** SET_SERIAL: blank → serialised; the same serial again is acknowledged (a retried request). */
export function handleSetSerial(ctx: CommandContext, req: { serial: unknown }): CommandResult<{ serial: string; state: string }> {
  if (!ctx.authenticated) return fail('AUTH_REQUIRED', 'no-session: SET_SERIAL needs the secure session');
  const serial = checkSerial(req.serial);
  if (typeof serial !== 'string') return serial;
  const r = ctx.record;
  if (r.state !== 'blank') {
    if (r.serial === serial) return { ok: true, response: { serial, state: r.state } };
    return fail(r.state === 'locked' ? 'LOCKED' : 'BAD_STATE', `serial is already set (state ${r.state})`);
  }
  return { ok: true, response: { serial, state: 'serialised' }, next: { ...r, state: 'serialised', serial } };
}

/**
 * SET_TIME: open before lock. A locked fob needs a session and its clock guard's consent (SPEC.md
 * "Clock guard"): drift corrections only, so that no station can make it show future codes.
 */
export function handleSetTime(ctx: CommandContext, req: { time: unknown }): CommandResult<{ previous: number; time: number }> {
  const r = ctx.record;
  if (r.state === 'locked' && !ctx.authenticated) return fail('AUTH_REQUIRED', 'no-session: a locked fob accepts SET_TIME only in the secure session');
  const { time } = req;
  // 2^32 s is year 2106: the fob's 32-bit seconds counter.
  if (typeof time !== 'number' || !Number.isFinite(time) || time < 0 || time >= 2 ** 32) return fail('INVALID_ARGUMENT', 'time must be Unix seconds within 0..2^32');
  const response = { previous: Math.min(2 ** 32 - 1, Math.max(0, ctx.rtcNow)), time };
  if (r.state !== 'locked') return { ok: true, response, setTime: time };
  const judged = judgeLockedSetTime({ record: r, rtcValid: ctx.rtcValid, rtcNow: ctx.rtcNow, rtcCounter: ctx.rtcCounter, time });
  if (!judged.ok) return fail('TIME_JUMP', judged.msg);
  return { ok: true, response, setTime: time, ...(judged.clockRef ? { next: { ...r, clockRef: judged.clockRef } } : {}) };
}

export interface ProgramSeedRequest {
  secret: unknown;
  alg: unknown;
  digits: unknown;
  period: unknown;
  t0: unknown;
}

/**
 * PROGRAM_SEED (secure only): serialised → programmed. In `programmed`, the same seed again is
 * acknowledged with the same check (a retry after a lost response); a different seed is refused.
 */
export function handleProgramSeed(ctx: CommandContext, req: ProgramSeedRequest): CommandResult<{ state: string; check: Uint8Array }> {
  if (!ctx.authenticated) return fail('AUTH_REQUIRED', 'no-session: PROGRAM_SEED is accepted only inside the secure session');
  const { secret, alg, digits, period, t0 } = req;
  if (!(secret instanceof Uint8Array) || secret.length < MIN_SECRET_BYTES || secret.length > MAX_SECRET_BYTES) {
    return fail('INVALID_ARGUMENT', `secret must be ${MIN_SECRET_BYTES}-${MAX_SECRET_BYTES} bytes`);
  }
  if (!OTP_ALGORITHMS.includes(alg as OtpAlgorithm)) return fail('INVALID_ARGUMENT', 'alg must be sha1, sha256 or sha512');
  if (digits !== 6 && digits !== 7 && digits !== 8) return fail('INVALID_ARGUMENT', 'digits must be 6, 7 or 8');
  if (typeof period !== 'number' || !Number.isInteger(period) || period < 1 || period > 3600) return fail('INVALID_ARGUMENT', 'period must be 1..3600 seconds');
  if (typeof t0 !== 'number' || !Number.isFinite(t0) || t0 < 0) return fail('INVALID_ARGUMENT', 't0 must be non-negative Unix seconds');
  const r = ctx.record;
  const check = seedCheck(secret);
  if (r.state === 'programmed' && r.seed) {
    const same = constantTimeEqual(check, r.seed.check) && r.seed.algorithm === alg && r.seed.digits === digits && r.seed.period === period && r.seed.t0 === t0;
    if (same) return { ok: true, response: { state: 'programmed', check } };
    return fail('BAD_STATE', 'a different seed is already programmed; WIPE first');
  }
  if (r.state === 'locked') return fail('LOCKED', 'the fob is locked');
  if (r.state !== 'serialised') return fail('BAD_STATE', `PROGRAM_SEED needs state serialised, fob is ${r.state}`);
  const seed = { secret: secret.slice(), algorithm: alg as OtpAlgorithm, digits: digits as OtpDigits, period, t0, check };
  return { ok: true, response: { state: 'programmed', check: check.slice() }, next: { ...r, state: 'programmed', seed } };
}

/** CALCULATE: the code at a station-chosen time, before lock only (a locked fob is no oracle for future codes). */
export function handleCalculate(ctx: CommandContext, req: { time: unknown }): CommandResult<{ code: string; step: number }> {
  const r = ctx.record;
  if (r.state === 'locked') return fail('LOCKED', 'a locked fob does not calculate codes for chosen times');
  if (r.state !== 'programmed' || !r.seed) return fail('BAD_STATE', `CALCULATE needs state programmed, fob is ${r.state}`);
  const { time } = req;
  if (typeof time !== 'number' || !Number.isFinite(time) || time < r.seed.t0) return fail('INVALID_ARGUMENT', 'time must be Unix seconds not before t0');
  return { ok: true, response: codeAt(r, time) };
}

/** CODE_NOW: what the display would show now (anyone holding the fob can press its button). */
export function handleCodeNow(ctx: CommandContext): CommandResult<{ code: string; step: number; remaining: number }> {
  const r = ctx.record;
  if ((r.state !== 'programmed' && r.state !== 'locked') || !r.seed) return fail('BAD_STATE', `CODE_NOW needs a programmed fob, fob is ${r.state}`);
  if (!ctx.rtcValid) return fail('CLOCK_INVALID', 'clock-invalid: the clock is not set (battery was dead); SET_TIME first');
  if (ctx.rtcNow < r.seed.t0) return fail('CLOCK_INVALID', 'the clock is before t0');
  const { code, step } = codeAt(r, ctx.rtcNow);
  return { ok: true, response: { code, step, remaining: remainingInStep(r, ctx.rtcNow) } };
}

/** LOCK (needs the fob's serial as confirmation): programmed → locked; irreversible except by WIPE. */
export function handleLock(ctx: CommandContext, req: { serial: unknown }): CommandResult<{ state: string }> {
  if (!ctx.authenticated) return fail('AUTH_REQUIRED', 'no-session: LOCK needs the secure session');
  const r = ctx.record;
  if (typeof req.serial !== 'string' || req.serial !== r.serial) return fail('INVALID_ARGUMENT', 'LOCK must carry this fob\'s serial as confirmation');
  if (r.state === 'locked') return { ok: true, response: { state: 'locked' } };
  if (r.state !== 'programmed') return fail('BAD_STATE', `LOCK needs state programmed, fob is ${r.state}`);
  if (!ctx.rtcValid) return fail('CLOCK_INVALID', 'clock-invalid: set the clock before locking, a locked fob with no time shows no codes');
  // The clock guard's reference: from now on SET_TIME corrects drift only.
  const clockRef = { time: ctx.rtcNow, counter: ctx.rtcCounter };
  return { ok: true, response: { state: 'locked' }, next: { ...r, state: 'locked', clockRef, timeFloor: Math.max(r.timeFloor, Math.floor(ctx.rtcNow)) } };
}

/** WIPE (serial + "WIPE" confirmation): programmed/locked → serialised, seed erased, serial kept, wipes counted. */
export function handleWipe(ctx: CommandContext, req: { serial: unknown; confirm: unknown }): CommandResult<{ state: string; wipes: number }> {
  if (!ctx.authenticated) return fail('AUTH_REQUIRED', 'no-session: WIPE needs the secure session');
  const r = ctx.record;
  if (req.confirm !== 'WIPE') return fail('INVALID_ARGUMENT', 'WIPE needs confirm: "WIPE"');
  if (typeof req.serial !== 'string' || req.serial !== r.serial) return fail('INVALID_ARGUMENT', 'WIPE must carry this fob\'s serial as confirmation');
  if (r.state !== 'programmed' && r.state !== 'locked') return fail('BAD_STATE', `WIPE needs state programmed or locked, fob is ${r.state}`);
  const wipes = r.wipes + 1;
  return { ok: true, response: { state: 'serialised', wipes }, next: { ...r, state: 'serialised', seed: null, wipes, clockRef: null } };
}

/** The code and step for `time` from the record's seed. */
export function codeAt(r: FobRecord, time: number): { code: string; step: number } {
  const s = r.seed!;
  const opts = { secret: s.secret, algorithm: s.algorithm, digits: s.digits, period: s.period, t0: s.t0, time };
  return { code: generateTotp(opts), step: totpStep(opts) };
}

/** Whole seconds until the code for `time` changes. */
export function remainingInStep(r: FobRecord, time: number): number {
  const s = r.seed!;
  const into = (time - s.t0) % s.period;
  return Math.max(1, Math.ceil(s.period - into));
}
