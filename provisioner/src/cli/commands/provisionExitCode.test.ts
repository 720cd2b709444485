import { describe, expect, it } from 'vitest';
import { exitCodeOf } from './provisionCommand.js';
import type { StationSummary } from '../../station/runStation.js';
import type { ProvisionOutcome } from '../../operations/provisionFob.js';

function summary(...outcomes: ProvisionOutcome[]): StationSummary {
  const count = (k: ProvisionOutcome['outcome']): number => outcomes.filter((o) => o.outcome === k).length;
  return {
    done: count('done'), failed: count('failed'), skipped: count('skipped'), interrupted: count('interrupted'), waiting: count('waiting'),
    results: outcomes.map((result, i) => ({ port: `p${i}`, result, elapsed: 1 })), waitingRegistrations: 0, waitingActivations: 0, elapsed: 1,
  };
}

const done: ProvisionOutcome = { outcome: 'done', serial: 'FK00000013', resumed: false, activationPending: false };

describe('fobkit provision exit code (issue 16.8)', () => {
  it('is 0 only when every fob is done or was already provisioned by this station', () => {
    expect(exitCodeOf(summary(done))).toBe(0);
    expect(exitCodeOf(summary(done, { outcome: 'skipped', serial: 'FK00000021', reason: 'already provisioned', alreadyDone: true }))).toBe(0);
  });

  it('is 1 for a fob set aside, or left alone for support (a wiped fob it cannot take back, a foreign one)', () => {
    expect(exitCodeOf(summary(done, { outcome: 'failed', serial: 'FK00000021', step: 'register', reason: 'refused, set aside' }))).toBe(1);
    expect(exitCodeOf(summary(done, { outcome: 'skipped', serial: 'FK00000021', reason: 'set aside earlier: left alone' }))).toBe(1);
    expect(exitCodeOf(summary({ outcome: 'skipped', reason: 'locked and not provisioned by this station' }))).toBe(1);
  });

  it('is 3 when no port could be opened at all, 1 when only some could not', () => {
    const busy: ProvisionOutcome = { outcome: 'interrupted', step: 'hello', reason: 'p0 is in use by pid 1', openFailed: 'PORT_BUSY' };
    expect(exitCodeOf(summary(busy))).toBe(3);
    expect(exitCodeOf(summary(busy, done))).toBe(1);
  });
});
