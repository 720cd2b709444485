/**
 * The simulation's notion of true time (Unix seconds). Every fob's RTC, battery and display are
 * functions of it, evaluated lazily, so a thousand fobs cost nothing while idle and a test can jump
 * 180 days in one call. In `real` mode it follows the host clock plus an offset (the CLI default);
 * in `manual` mode it stands still until advanced (tests).
 */
import type { Clock } from '../_types.js';

export interface SimulationClockOptions {
  /** `real` (default): host time + offset. `manual`: starts at `start` and moves only when told. */
  mode?: 'real' | 'manual';
  /** Start time for `manual` mode, Unix seconds. Default: the host time at construction. */
  start?: number;
  /** The host clock, injected for tests of `real` mode. Default `Date.now() / 1000`. */
  hostClock?: Clock;
}

export type ClockListener = (now: number, jumpedBy: number) => void;

export class SimulationClock {
  readonly mode: 'real' | 'manual';
  private readonly hostClock: Clock;
  private offset: number;
  private manualNow: number;
  private readonly listeners = new Set<ClockListener>();

  constructor(options: SimulationClockOptions = {}) {
    this.mode = options.mode ?? 'real';
    if (this.mode !== 'real' && this.mode !== 'manual') throw new RangeError(`mode must be 'real' or 'manual', got ${String(this.mode)}`);
    this.hostClock = options.hostClock ?? (() => Date.now() / 1000);
    this.manualNow = options.start ?? this.hostClock();
    if (!Number.isFinite(this.manualNow)) throw new RangeError('start must be a finite number of seconds');
    this.offset = 0;
  }

  /** True time now, Unix seconds. */
  now(): number {
    return this.mode === 'real' ? this.hostClock() + this.offset : this.manualNow;
  }

  /** A `Clock` function bound to this instance. */
  readonly clock: Clock = () => this.now();

  /**
   * Moves true time by `seconds` (may be negative: a test can rewind the world, which a fob's
   * RTC follows as if it had been set back).
   * @throws RangeError when not finite.
   */
  advance(seconds: number): number {
    if (typeof seconds !== 'number' || !Number.isFinite(seconds)) throw new RangeError('seconds must be a finite number');
    if (this.mode === 'real') this.offset += seconds;
    else this.manualNow += seconds;
    const now = this.now();
    for (const l of this.listeners) l(now, seconds);
    return now;
  }

  /** Sets true time to `time` (Unix seconds). */
  set(time: number): number {
    if (typeof time !== 'number' || !Number.isFinite(time)) throw new RangeError('time must be a finite number of seconds');
    return this.advance(time - this.now());
  }

  /** Called after every advance/set (the live view and the battery use it). Returns an unsubscribe. */
  onJump(listener: ClockListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
