/**
 * The fob's coin cell (CR2032, ~220 mAh) as a simple energy account: a constant sleep current
 * (RTC + MCU in stop mode), a charge per button press (LCD on, one HMAC) and per USB session
 * (the USB PHY's inrush before the host powers the fob). Evaluated lazily against true time.
 * The voltage curve is the flat lithium plateau with a knee below 20 %, enough for a low-battery
 * flag that behaves like a real one.
 */

export interface BatteryProfile {
  capacityUAh: number;
  sleepUA: number;
  pressUAh: number;
  usbSessionUAh: number;
  /** Presses per day assumed for the life projection until the fob has its own history. */
  assumedPressesPerDay: number;
  lowPct: number;
}

/** Typical figures for a CR2032 fob (data-sheet orders of magnitude, not a particular part). */
export const DEFAULT_BATTERY_PROFILE: Readonly<BatteryProfile> = {
  capacityUAh: 220_000,
  sleepUA: 4,
  pressUAh: 1.5,
  usbSessionUAh: 2,
  assumedPressesPerDay: 8,
  lowPct: 10,
};

export interface BatterySnapshot {
  chargeUAh: number;
  /** True time of the last evaluation. */
  atTrue: number;
  /** True time the cell was fitted. */
  installedAt: number;
  pressesSinceInstall: number;
}

const SECONDS_PER_HOUR = 3600;
const SECONDS_PER_DAY = 86_400;

export class Battery {
  readonly profile: BatteryProfile;
  private s: BatterySnapshot;

  constructor(snapshot: BatterySnapshot, profile: BatteryProfile = DEFAULT_BATTERY_PROFILE) {
    this.profile = { ...profile };
    this.s = { ...snapshot };
  }

  static fresh(trueNow: number, profile: BatteryProfile = DEFAULT_BATTERY_PROFILE): Battery {
    return new Battery({ chargeUAh: profile.capacityUAh, atTrue: trueNow, installedAt: trueNow, pressesSinceInstall: 0 }, profile);
  }

  /**
   * Brings the account up to `trueNow` (sleep current over the elapsed time). Returns true when
   * the cell went flat during this interval (the RTC stops then).
   */
  update(trueNow: number): boolean {
    const wasAlive = this.s.chargeUAh > 0;
    const dt = Math.max(0, trueNow - this.s.atTrue);
    this.s.chargeUAh = Math.max(0, this.s.chargeUAh - (this.profile.sleepUA * dt) / SECONDS_PER_HOUR);
    this.s.atTrue = Math.max(this.s.atTrue, trueNow);
    return wasAlive && this.s.chargeUAh <= 0;
  }

  /** Spends charge for a press. Returns true when that emptied the cell. */
  press(trueNow: number): boolean {
    const died = this.update(trueNow);
    this.s.pressesSinceInstall++;
    return this.spend(this.profile.pressUAh) || died;
  }

  /** Spends the charge of one USB session. Returns true when that emptied the cell. */
  usbSession(trueNow: number): boolean {
    const died = this.update(trueNow);
    return this.spend(this.profile.usbSessionUAh) || died;
  }

  /** Sets the remaining charge to `pct` percent (control API). Returns true when that is 0. */
  drainTo(pct: number, trueNow: number): boolean {
    if (!Number.isFinite(pct) || pct < 0 || pct > 100) throw new RangeError(`pct must be within 0..100, got ${pct}`);
    this.update(trueNow);
    const wasAlive = this.s.chargeUAh > 0;
    this.s.chargeUAh = (this.profile.capacityUAh * pct) / 100;
    return wasAlive && this.s.chargeUAh <= 0;
  }

  /** A new cell. */
  replace(trueNow: number): void {
    this.s = { chargeUAh: this.profile.capacityUAh, atTrue: trueNow, installedAt: trueNow, pressesSinceInstall: 0 };
  }

  get dead(): boolean {
    return this.s.chargeUAh <= 0;
  }

  get pct(): number {
    return (100 * this.s.chargeUAh) / this.profile.capacityUAh;
  }

  /** Cell voltage in mV: 3000 → 2850 over the plateau, then the knee to 2000 at empty. */
  get millivolts(): number {
    const p = this.pct;
    if (p >= 20) return Math.round(2850 + ((p - 20) / 80) * 150);
    return Math.round(2000 + (p / 20) * 850);
  }

  get low(): boolean {
    return this.pct <= this.profile.lowPct;
  }

  /** Projected remaining life in days at this fob's observed (or the assumed) press rate. */
  lifeDays(trueNow: number): number {
    this.update(trueNow);
    const daysInService = (trueNow - this.s.installedAt) / SECONDS_PER_DAY;
    const pressesPerDay = daysInService >= 1 ? this.s.pressesSinceInstall / daysInService : this.profile.assumedPressesPerDay;
    const perDay = (this.profile.sleepUA * SECONDS_PER_DAY) / SECONDS_PER_HOUR + pressesPerDay * this.profile.pressUAh;
    return Math.floor(this.s.chargeUAh / perDay);
  }

  snapshot(): BatterySnapshot {
    return { ...this.s };
  }

  private spend(uAh: number): boolean {
    const wasAlive = this.s.chargeUAh > 0;
    this.s.chargeUAh = Math.max(0, this.s.chargeUAh - uAh);
    return wasAlive && this.s.chargeUAh <= 0;
  }
}
