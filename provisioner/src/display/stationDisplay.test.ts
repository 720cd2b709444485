import { describe, expect, it } from 'vitest';
import { StationDisplay, formatSummary } from './stationDisplay.js';

describe('StationDisplay', () => {
  it('shows one line per port with state, serial, step and elapsed, and an overall line with rate and ETA', () => {
    const d = new StationDisplay({ count: 10, startedAt: 1000 });
    d.apply({ type: 'port', port: '/dev/ttyACM0', state: 'attached', at: 1000 });
    d.apply({ type: 'step', port: '/dev/ttyACM0', step: 'program-seed', phase: 'begin', serial: 'FK00000013', at: 1001 });
    d.apply({ type: 'port', port: '/dev/ttyACM1', state: 'attached', at: 1000 });
    const line = d.apply({ type: 'fob', port: '/dev/ttyACM1', result: { outcome: 'done', serial: 'FK00000021', resumed: false, activationPending: false }, elapsed: 6, at: 1006 });
    expect(line).toBe('/dev/ttyACM1: FK00000021 done in 6.0s');
    d.apply({ type: 'outbox', waitingRegistrations: 2, waitingActivations: 1, lastError: 'backend unreachable: ECONNREFUSED', at: 1010 });
    const lines = d.render(1060);
    expect(lines[0]).toMatch(/^\/dev\/ttyACM0 +working +FK00000013 +1m00s +program-seed$/);
    expect(lines[1]).toMatch(/^\/dev\/ttyACM1 +done +FK00000021 +6\.0s$/);
    expect(lines[2]).toBe('done 1 · failed 0 · waiting for backend 3 (backend unreachable: ECONNREFUSED) · 1.0 fobs/min · 1/10 · ETA 9m00s');
  });

  it('gives the reason of every failure in the operator line and the summary', () => {
    const d = new StationDisplay({ startedAt: 0 });
    const reason = 'verification failed: fob returned 123456, expected 654321 — fob set aside, not locked, seed erased';
    const line = d.apply({ type: 'fob', port: 'p0', result: { outcome: 'failed', serial: 'FK00000013', step: 'verify', reason }, elapsed: 2, at: 2 });
    expect(line).toBe(`p0: FK00000013 FAILED at verify: ${reason}`);
    const summary = formatSummary({ done: 0, failed: 1, skipped: 0, interrupted: 0, waiting: 0, waitingRegistrations: 1, waitingActivations: 0, elapsed: 2, results: [{ port: 'p0', elapsed: 2, result: { outcome: 'failed', serial: 'FK00000013', step: 'verify', reason } }] });
    expect(summary[0]).toBe('summary: 0 done, 1 failed, 0 left alone, 0 interrupted, 0 waiting, in 2.0s');
    expect(summary[1]).toMatch(/1 registration\(s\).*still waiting for the backend/);
    expect(summary[2]).toContain(reason);
  });
});
