import { describe, expect, it } from 'vitest';
import { Rtc, driftFromSeed, TUNING_FORK_PPM_PER_C2 } from './rtc.js';
import { Battery, DEFAULT_BATTERY_PROFILE } from './battery.js';
import { Display } from './display.js';

const T0 = 1_800_000_000;
const DAY = 86_400;

describe('Rtc', () => {
  it('runs fast at a positive drift: 180 days at +20 ppm is 311.04 s', () => {
    const rtc = Rtc.unset(T0, 20);
    rtc.set(T0, T0);
    expect(rtc.offset(T0 + 180 * DAY)).toBeCloseTo(311.04, 6);
    expect(rtc.read(T0 + 180 * DAY)).toBeCloseTo(T0 + 180 * DAY + 311.04, 6);
  });

  it('integrates piecewise when drift or temperature change', () => {
    const rtc = Rtc.unset(T0, 10);
    rtc.set(T0, T0);
    rtc.setDrift(-10, T0 + 10 * DAY);
    expect(rtc.offset(T0 + 20 * DAY)).toBeCloseTo(0, 6);
    rtc.setTemperature(-5, T0 + 20 * DAY); // 30 °C below turnover
    expect(rtc.ratePpm).toBeCloseTo(-10 + TUNING_FORK_PPM_PER_C2 * 900, 9);
    expect(rtc.offset(T0 + 21 * DAY)).toBeCloseTo(DAY * (-10 - 30.6) * 1e-6, 6);
  });

  it('loses the time when invalidated and counts again from 0', () => {
    const rtc = Rtc.unset(T0, 0);
    rtc.set(T0, T0);
    rtc.invalidate(T0 + 5);
    expect(rtc.valid).toBe(false);
    expect(rtc.read(T0 + 65)).toBeCloseTo(60, 6);
  });

  it('has a free-running counter that SET_TIME never moves, drift and a shift do, and a dead battery resets', () => {
    const rtc = Rtc.unset(T0, 20);
    expect(rtc.counter(T0 + 100)).toBeCloseTo(100.002, 6);
    rtc.set(T0 + 5000, T0 + 100);
    expect(rtc.counter(T0 + 100)).toBeCloseTo(100.002, 6);
    expect(rtc.counter(T0 + 100 + 180 * DAY)).toBeCloseTo(100.002 + 180 * DAY + 311.04, 4);
    rtc.shift(-60, T0 + 200);
    expect(rtc.counter(T0 + 200)).toBeCloseTo(200.004 - 60, 6);
    rtc.invalidate(T0 + 300);
    expect(rtc.counter(T0 + 310)).toBeCloseTo(10.0002, 6);
    // A side file from before the counter existed: the counter starts as the clock reading.
    expect(new Rtc({ anchorTrue: T0, anchorRtc: 42, driftPpm: 0, temperatureC: null, valid: true }).counter(T0)).toBe(42);
  });

  it('gives every fob its own reproducible drift within ±20 ppm', () => {
    const drifts = Array.from({ length: 200 }, (_, i) => driftFromSeed(`seed/${i}`));
    expect(new Set(drifts).size).toBeGreaterThan(150);
    for (const d of drifts) expect(Math.abs(d)).toBeLessThanOrEqual(20);
    expect(driftFromSeed('seed/7')).toBe(drifts[7]);
  });
});

describe('Battery', () => {
  it('drains by sleep current, presses and USB sessions, flags low, projects life', () => {
    const b = Battery.fresh(T0);
    expect(b.pct).toBe(100);
    const fresh = b.lifeDays(T0);
    // 4 µA sleep + 8 presses × 1.5 µAh per day = 108 µAh/day → ~2037 days from 220 mAh.
    expect(fresh).toBe(Math.floor(220_000 / (4 * 24 + 8 * 1.5)));
    b.update(T0 + 365 * DAY);
    expect(b.pct).toBeCloseTo(100 - (4 * 24 * 365 * 100) / 220_000, 6);
    b.press(T0 + 365 * DAY);
    b.usbSession(T0 + 365 * DAY);
    expect(b.low).toBe(false);
    b.drainTo(9, T0 + 365 * DAY);
    expect(b.low).toBe(true);
    expect(b.millivolts).toBeLessThan(2850);
    expect(b.drainTo(0, T0 + 365 * DAY)).toBe(true);
    expect(b.dead).toBe(true);
    b.replace(T0 + 366 * DAY);
    expect(b.pct).toBe(100);
  });

  it('reports the moment it goes flat exactly once', () => {
    const b = new Battery({ chargeUAh: 1, atTrue: T0, installedAt: T0, pressesSinceInstall: 0 }, DEFAULT_BATTERY_PROFILE);
    expect(b.update(T0 + 100)).toBe(false);
    expect(b.update(T0 + 3600)).toBe(true);
    expect(b.update(T0 + 7200)).toBe(false);
  });
});

describe('Display', () => {
  it('sleeps after its timeout of simulated time', () => {
    const d = new Display(10);
    expect(d.isAwake(T0)).toBe(false);
    d.wake(T0);
    expect(d.isAwake(T0 + 9.9)).toBe(true);
    expect(d.isAwake(T0 + 10)).toBe(false);
  });
});
