/**
 * One simulated fob: the firmware's runtime around the pure command handlers. It owns the flash
 * store (boot, commits, power cuts), the battery-backed RTC, the battery, the button and LCD, the
 * failed-authentication throttle and the timing model. The wire side (frames, sessions) lives in
 * `FobEndpoint`, which calls {@link Fob.execute} with a typed command.
 */
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { generateSealKeyPair } from '@fobkit/protocol/session';
import { TIME_FLOOR_PERSIST_SECONDS } from '@fobkit/protocol/wire';
import { SimError, isSimError } from '../errors.js';
import type { RandomBytes } from '../_types.js';
import type { SimulationClock } from '../clock/simulationClock.js';
import { FlashStore, type FlashStatus, type PowerCut } from '../flash/flashStore.js';
import type { FlashDevice } from '../flash/flashDevice.js';
import { Rtc, type RtcSnapshot } from '../hardware/rtc.js';
import { Battery, DEFAULT_BATTERY_PROFILE, type BatteryProfile, type BatterySnapshot } from '../hardware/battery.js';
import { Display, LCD_OFF, type LcdView } from '../hardware/display.js';
import { TIMING_OFF, flashCommitMs, type TimingModel } from '../timingModel.js';
import { ModelledTime } from './modelledTime.js';
import { authRetryAfterMs } from './authThrottle.js';
import { decodeFobRecord, encodeFobRecord, type FobRecord, type LifeState } from './fobRecord.js';
import {
  codeAt,
  handleCalculate,
  handleCodeNow,
  handleLock,
  handleProgramSeed,
  handleSetSerial,
  handleSetTime,
  handleWipe,
  remainingInStep,
  type CommandContext,
  type CommandResult,
} from './commandHandlers.js';

export const FOB_MODEL = 'FK-1';
export const FOB_HW_VERSION = 'rev-B';
export const FOB_FW_VERSION = '1.0.0-sim';

/** Battery-backed state that is not in flash (RTC, cell, press counter): the simulator keeps it in a side file. */
export interface FobHardwareSnapshot {
  rtc: RtcSnapshot;
  battery: BatterySnapshot;
  presses: number;
}

export type FobEvent =
  | { type: 'booted'; flash: FlashStatus | 'recovered' }
  | { type: 'state'; state: LifeState; serial: string | null }
  | { type: 'power-cut'; detail: string }
  | { type: 'battery-dead' }
  | { type: 'press'; view: LcdView }
  | { type: 'fault'; message: string };

export interface FobOptions {
  index: number;
  flash: FlashDevice;
  /** 8-byte hardware id (the MCU's unique id), written into a fresh image's header. */
  hardwareId: Uint8Array;
  /** 32-byte hardware-unique key that seals the secrets in flash. */
  huk: Uint8Array;
  clock: SimulationClock;
  /** Factory root Ed25519 public key (set at manufacture). */
  rootPublicKey: Uint8Array;
  driftPpm: number;
  temperatureC?: number | null;
  /** Battery-backed state from a previous run; fresh cell and unset RTC when absent. */
  hardware?: FobHardwareSnapshot;
  batteryProfile?: BatteryProfile;
  displayTimeoutSeconds?: number;
  timing?: TimingModel;
  randomBytes?: RandomBytes;
  /** Called whenever battery-backed state changed (the simulator saves its side file). */
  onHardwareChange?: (snapshot: FobHardwareSnapshot) => void;
  onEvent?: (event: FobEvent) => void;
  /** Arms a power cut before the first boot's flash read (to tear the very first commit). */
  powerCutAtBoot?: PowerCut;
}

export type FobCommand =
  | { name: 'SET_SERIAL'; body: { serial: unknown } }
  | { name: 'SET_TIME'; body: { time: unknown } }
  | { name: 'PROGRAM_SEED'; body: { secret: unknown; alg: unknown; digits: unknown; period: unknown; t0: unknown } }
  | { name: 'CALCULATE'; body: { time: unknown } }
  | { name: 'CODE_NOW'; body: Record<string, unknown> }
  | { name: 'LOCK'; body: { serial: unknown } }
  | { name: 'WIPE'; body: { serial: unknown; confirm: unknown } };

export interface FobStatus {
  index: number;
  hardwareId: string;
  powered: boolean;
  unresponsive: boolean;
  state: LifeState;
  serial: string | null;
  flash: FlashStatus | 'recovered';
  flashGeneration: number;
  time: number;
  timeValid: boolean;
  /** RTC minus true time, seconds (what support would call the fob's drift so far); null while the clock is not set. */
  trueOffset: number | null;
  driftPpm: number;
  ratePpm: number;
  temperatureC: number | null;
  batteryMv: number;
  batteryPct: number;
  batteryLow: boolean;
  lifeDays: number;
  presses: number;
  failedAuth: number;
  failedAuthStreak: number;
  wipes: number;
  display: LcdView;
}

export class Fob {
  readonly index: number;
  readonly rootPublicKey: Uint8Array;
  readonly timing: TimingModel;
  private readonly options: FobOptions;
  private readonly clock: SimulationClock;
  private readonly randomBytes: RandomBytes;
  /** The fob's own copy of its hardware-unique key (the caller may zero theirs). */
  private readonly huk: Uint8Array;
  private store!: FlashStore;
  private record!: FobRecord;
  private flashStatus: FlashStatus | 'recovered' = 'ok';
  readonly rtc: Rtc;
  readonly battery: Battery;
  readonly display: Display;
  private presses: number;
  private lastAuthFailureAt = 0;
  private poweredOn = false;
  /** Control API: the fob ignores its link (a hung MCU). */
  unresponsive = false;

  constructor(options: FobOptions) {
    if (options.huk.length !== 32) throw new RangeError('huk must be 32 bytes');
    if (options.rootPublicKey.length !== 32) throw new RangeError('rootPublicKey must be 32 bytes (Ed25519)');
    this.options = options;
    this.huk = options.huk.slice();
    this.index = options.index;
    this.clock = options.clock;
    this.rootPublicKey = options.rootPublicKey;
    this.timing = options.timing ?? TIMING_OFF;
    this.randomBytes = options.randomBytes ?? ((n) => new Uint8Array(nodeRandomBytes(n)));
    const now = this.clock.now();
    const hw = options.hardware;
    this.rtc = hw ? new Rtc(hw.rtc) : Rtc.unset(now, options.driftPpm, options.temperatureC ?? null);
    this.battery = hw ? new Battery(hw.battery, options.batteryProfile ?? DEFAULT_BATTERY_PROFILE) : Battery.fresh(now, options.batteryProfile ?? DEFAULT_BATTERY_PROFILE);
    this.presses = hw?.presses ?? 0;
    this.display = new Display(options.displayTimeoutSeconds);
    this.boot(options.powerCutAtBoot);
  }

  /**
   * Power-on: reads flash. A virgin image gets the device key pair (first boot); an image with no
   * valid record is reformatted and flagged `flashRecovered`, so the fob says so instead of
   * pretending to be new (FLASH.md §4).
   */
  private boot(powerCut?: PowerCut): void {
    this.store = new FlashStore(this.options.flash, this.options.hardwareId);
    if (powerCut) this.store.armPowerCut(powerCut);
    this.lastAuthFailureAt = this.clock.now();
    const loaded = this.store.load();
    let record = loaded.payload ? decodeFobRecord(loaded.payload, this.huk, this.store.hardwareId) : null;
    this.flashStatus = loaded.status;
    if (loaded.status === 'ok' && !record) this.flashStatus = 'corrupt';
    if (!record) {
      const recovered = this.flashStatus === 'corrupt';
      if (recovered) this.store.reformat();
      const { privateKey, publicKey } = generateSealKeyPair(this.randomBytes);
      record = {
        state: 'blank', serial: null, devicePublicKey: publicKey, devicePrivateKey: privateKey, seed: null,
        wipes: 0, failedAuthTotal: 0, failedAuthStreak: 0, crl: null, crlSeq: 0, flashRecovered: recovered, timeFloor: 0, clockRef: null,
      };
      this.record = record;
      this.poweredOn = true;
      this.commitSync(record);
      if (!this.poweredOn) return;
      this.flashStatus = recovered ? 'recovered' : 'ok';
    } else if (record.flashRecovered) {
      this.flashStatus = 'recovered';
    }
    this.record = record;
    this.poweredOn = true;
    this.emit({ type: 'booted', flash: this.flashStatus });
  }

  /** Power back on after a power cut (or a simulated unplug): RAM is lost, flash and the battery-backed RTC survive. */
  restart(): void {
    this.zeroRecord();
    this.unresponsive = false;
    this.display.sleep();
    this.boot();
  }

  /** Whether the MCU is running (false after a power cut until {@link restart}). */
  get powered(): boolean {
    return this.poweredOn;
  }

  get hardwareId(): string {
    return Buffer.from(this.store.hardwareId).toString('hex');
  }

  get state(): LifeState {
    return this.record.state;
  }

  get serial(): string | null {
    return this.record.serial;
  }

  get devicePublicKey(): Uint8Array {
    return this.record.devicePublicKey;
  }

  /** The device's X25519 private key, for the session handshake inside the firmware only. */
  get devicePrivateKey(): Uint8Array {
    return this.record.devicePrivateKey;
  }

  get crl(): { seq: number; bytes: Uint8Array | null } {
    return { seq: this.record.crlSeq, bytes: this.record.crl };
  }

  get flashGeneration(): number {
    return this.store.currentGeneration;
  }

  /** Brings battery and RTC up to true time now; returns the time. */
  private tick(): number {
    const now = this.clock.now();
    if (this.battery.update(now)) this.batteryDied(now);
    return now;
  }

  private batteryDied(now: number): void {
    this.rtc.invalidate(now);
    this.display.sleep();
    this.emit({ type: 'battery-dead' });
    this.hardwareChanged();
  }

  private context(authenticated: boolean): CommandContext {
    const now = this.tick();
    return { record: this.record, authenticated, rtcValid: this.rtc.valid, rtcNow: this.rtc.read(now), rtcCounter: this.rtc.counter(now) };
  }

  /**
   * Runs one state-machine command. Commits the new record before answering; if an injected power
   * cut tears that commit the fob goes dark and this rejects with SimError POWER_CUT (no answer is
   * sent, as on the real part).
   */
  async execute(cmd: FobCommand, authenticated: boolean, time = new ModelledTime()): Promise<CommandResult<unknown>> {
    if (!this.poweredOn) throw new SimError('NOT_RUNNING', 'the fob is powered off');
    const ctx = this.context(authenticated);
    let result: CommandResult<unknown>;
    switch (cmd.name) {
      case 'SET_SERIAL': result = handleSetSerial(ctx, cmd.body); break;
      case 'SET_TIME': result = handleSetTime(ctx, cmd.body); break;
      case 'PROGRAM_SEED': result = handleProgramSeed(ctx, cmd.body); break;
      case 'CALCULATE': result = handleCalculate(ctx, cmd.body); break;
      case 'CODE_NOW': result = handleCodeNow(ctx); break;
      case 'LOCK': result = handleLock(ctx, cmd.body); break;
      case 'WIPE': result = handleWipe(ctx, cmd.body); break;
      default: return { ok: false, error: 'UNSUPPORTED', msg: 'unknown command' };
    }
    if ((cmd.name === 'CALCULATE' || cmd.name === 'CODE_NOW') && result.ok) await time.spend(this.timing.hmacMs);
    if (!result.ok) return result;
    // The record first: a SET_TIME whose new clock reference does not reach flash leaves the clock
    // as it was (and a torn write leaves the lost clock lost, to be judged the same way again).
    if (result.next) {
      const failure = await this.commit(result.next, time);
      if (failure) return failure;
      if (result.next.state !== ctx.record.state) this.emit({ type: 'state', state: result.next.state, serial: result.next.serial });
    }
    if (result.setTime !== undefined) {
      this.rtc.set(result.setTime, this.clock.now());
      this.hardwareChanged();
    }
    return result;
  }

  /** Commits a record; a FLASH_FAILURE result when flash refuses it. @throws SimError POWER_CUT. */
  private async commit(next: FobRecord, time = new ModelledTime()): Promise<CommandResult<never> | null> {
    let cost;
    try {
      cost = this.commitSync(next);
    } catch (e) {
      if (isSimError(e, 'FLASH_FULL') || isSimError(e, 'FLASH_IO')) return { ok: false, error: 'FLASH_FAILURE', msg: 'the record could not be written' };
      throw e;
    }
    if (!cost) throw new SimError('POWER_CUT', 'power cut during a flash write');
    // The modelled write time includes the host's time for the write (see ModelledTime).
    await time.spend(flashCommitMs(this.timing, cost));
    return null;
  }

  private commitSync(next: FobRecord) {
    const payload = encodeFobRecord(next, this.huk, this.store.hardwareId, this.randomBytes);
    try {
      const cost = this.store.commit(payload);
      if (this.record && this.record !== next && this.record.seed && this.record.seed !== next.seed) this.record.seed.secret.fill(0);
      this.record = next;
      return cost;
    } catch (e) {
      if (isSimError(e, 'POWER_CUT')) {
        this.powerOff(e.message);
        return null;
      }
      throw e;
    } finally {
      payload.fill(0);
    }
  }

  private powerOff(detail: string): void {
    this.poweredOn = false;
    this.display.sleep();
    this.emit({ type: 'power-cut', detail });
  }

  /** An unexpected exception in the model (a simulator bug): reported as an event. */
  reportFault(e: unknown): void {
    this.emit({ type: 'fault', message: e instanceof Error ? e.message : String(e) });
  }

  /** Control API: cut power at a future flash write (see {@link PowerCut}). */
  cutPowerAtNextWrite(cut: PowerCut = { phase: 'program' }): void {
    this.store.armPowerCut(cut);
  }

  /** Control API: cut power now (no write in progress). */
  cutPower(): void {
    if (this.poweredOn) this.powerOff('power cut by control request');
  }

  /** Number of complete flash commits since boot (the power-cut matrix counts them). */
  get flashCommits(): number {
    return this.store.commits;
  }

  // --- authentication throttle -------------------------------------------------------------

  /** Milliseconds before another authentication attempt is accepted (0 = now). */
  authRetryAfterMs(): number {
    return authRetryAfterMs(this.record.failedAuthStreak, this.lastAuthFailureAt, this.clock.now());
  }

  /**
   * Writes what one BEGIN_SESSION taught the fob, in one commit (written only when something
   * changed): a newer revocation list (kept even when the session is refused), the failed
   * authentication counters or the end of a streak, and the time floor (SPEC.md "Clock guard"),
   * raised to the list's `iat`, and on success to the certificate's `nbf` and, on a locked fob
   * with a running clock, to the clock. @throws SimError POWER_CUT.
   */
  async recordHandshake(o: { ok: boolean; crl?: { seq: number; bytes: Uint8Array; issuedAt: number }; notBefore?: number }, time?: ModelledTime): Promise<void> {
    const r = this.record;
    let next: FobRecord = r;
    const floors = [r.timeFloor];
    if (o.crl && o.crl.seq > r.crlSeq) {
      next = { ...next, crl: o.crl.bytes.slice(), crlSeq: o.crl.seq };
      floors.push(o.crl.issuedAt);
    }
    if (o.ok) {
      if (o.notBefore !== undefined) floors.push(o.notBefore);
      const now = this.tick();
      if (r.state === 'locked' && this.rtc.valid) floors.push(this.rtc.read(now));
      if (r.failedAuthStreak > 0) next = { ...next, failedAuthStreak: 0 };
    } else {
      this.lastAuthFailureAt = this.clock.now();
      next = { ...next, failedAuthTotal: r.failedAuthTotal + 1, failedAuthStreak: r.failedAuthStreak + 1 };
    }
    const timeFloor = Math.min(0xffff_ffff, Math.floor(Math.max(...floors)));
    if (timeFloor !== r.timeFloor) next = { ...next, timeFloor };
    if (next !== r) await this.commit(next, time);
  }

  /** The fob's time floor (SPEC.md "Clock guard"): whole Unix seconds true time is known to be past. */
  get timeFloor(): number {
    return this.record.timeFloor;
  }

  /** Stores a newer revocation list (its sequence number already checked by the session layer). */
  async storeCrl(seq: number, bytes: Uint8Array, time?: ModelledTime): Promise<CommandResult<never> | null> {
    if (seq <= this.record.crlSeq) return null;
    return this.commit({ ...this.record, crl: bytes.slice(), crlSeq: seq }, time);
  }

  /** A USB conversation began (HELLO): the cell pays for it. */
  usbSessionStarted(): void {
    const now = this.clock.now();
    if (this.battery.usbSession(now)) this.batteryDied(now);
    this.hardwareChanged();
  }

  // --- button and display ------------------------------------------------------------------

  /** Presses the button: wakes the LCD and counts the press. Returns what the LCD shows. */
  press(): LcdView {
    if (!this.poweredOn) return LCD_OFF;
    const now = this.tick();
    if (this.battery.dead) return LCD_OFF;
    this.presses++;
    if (this.battery.press(now)) this.batteryDied(now);
    else this.display.wake(now);
    this.hardwareChanged();
    this.persistTimeFloor(now);
    const view = this.readDisplay();
    this.emit({ type: 'press', view });
    return view;
  }

  /**
   * A locked fob writes down the time it has reached, at most once a day (on a press, when it is
   * awake anyway): the floor bounds how far a lost clock may later be set (SPEC.md "Clock guard").
   * A write that fails is simply tried again at the next press.
   */
  private persistTimeFloor(trueNow: number): void {
    const r = this.record;
    if (r.state !== 'locked' || !this.rtc.valid || !this.poweredOn) return;
    const t = Math.floor(this.rtc.read(trueNow));
    if (t < r.timeFloor + TIME_FLOOR_PERSIST_SECONDS || t > 0xffff_ffff) return;
    try {
      this.commitSync({ ...r, timeFloor: t });
    } catch (e) {
      if (!isSimError(e, 'FLASH_FULL') && !isSimError(e, 'FLASH_IO')) throw e;
    }
  }

  /** What the LCD shows now. */
  readDisplay(): LcdView {
    if (!this.poweredOn) return LCD_OFF;
    const now = this.tick();
    if (!this.display.isAwake(now)) return LCD_OFF;
    const lowBattery = this.battery.low;
    const r = this.record;
    if ((r.state !== 'programmed' && r.state !== 'locked') || !r.seed) return { on: true, text: '------', remaining: null, step: null, lowBattery };
    const rtcNow = this.rtc.read(now);
    if (!this.rtc.valid || rtcNow < r.seed.t0) return { on: true, text: 'SetCLK', remaining: null, step: null, lowBattery };
    const { code, step } = codeAt(r, rtcNow);
    return { on: true, text: code, remaining: remainingInStep(r, rtcNow), step, lowBattery };
  }

  get pressCount(): number {
    return this.presses;
  }

  // --- clock, battery, drift (control API) -------------------------------------------------

  /** Moves this fob's RTC by `seconds` (not the world's time). */
  shiftClock(seconds: number): void {
    this.rtc.shift(seconds, this.tick());
    this.hardwareChanged();
  }

  setDrift(ppm: number): void {
    this.rtc.setDrift(ppm, this.tick());
    this.hardwareChanged();
  }

  setTemperature(celsius: number | null): void {
    this.rtc.setTemperature(celsius, this.tick());
    this.hardwareChanged();
  }

  drainBattery(pct: number): void {
    const now = this.tick();
    if (this.battery.drainTo(pct, now)) this.batteryDied(now);
    this.hardwareChanged();
  }

  replaceBattery(): void {
    this.battery.replace(this.tick());
    this.hardwareChanged();
  }

  hardwareSnapshot(): FobHardwareSnapshot {
    return { rtc: this.rtc.snapshot(), battery: this.battery.snapshot(), presses: this.presses };
  }

  /** Everything the control API reports (never the seed). */
  status(): FobStatus {
    const now = this.tick();
    return {
      index: this.index,
      hardwareId: this.hardwareId,
      powered: this.poweredOn,
      unresponsive: this.unresponsive,
      state: this.record.state,
      serial: this.record.serial,
      flash: this.flashStatus,
      flashGeneration: this.store.currentGeneration,
      time: this.rtc.read(now),
      timeValid: this.rtc.valid,
      trueOffset: this.rtc.valid ? this.rtc.offset(now) : null,
      driftPpm: this.rtc.driftPpm,
      ratePpm: this.rtc.ratePpm,
      temperatureC: this.rtc.temperatureC,
      batteryMv: this.battery.millivolts,
      batteryPct: Math.round(this.battery.pct * 10) / 10,
      batteryLow: this.battery.low,
      lifeDays: this.battery.lifeDays(now),
      presses: this.presses,
      failedAuth: this.record.failedAuthTotal,
      failedAuthStreak: this.record.failedAuthStreak,
      wipes: this.record.wipes,
      display: this.readDisplay(),
    };
  }

  /** Flushes flash to disk and releases it (simulator shutdown). */
  close(): void {
    this.options.flash.close();
    this.zeroRecord();
    this.huk.fill(0);
  }

  private zeroRecord(): void {
    if (!this.record) return;
    this.record.seed?.secret.fill(0);
    this.record.devicePrivateKey.fill(0);
  }

  private hardwareChanged(): void {
    this.options.onHardwareChange?.(this.hardwareSnapshot());
  }

  private emit(e: FobEvent): void {
    this.options.onEvent?.(e);
  }
}
