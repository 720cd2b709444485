import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Simulator } from './simulator.js';
import { SimulationClock } from './clock/simulationClock.js';
import { isSimError } from './errors.js';

const root = new Uint8Array(32).fill(7);
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('Simulator with a state directory', () => {
  it('keeps one simulator per directory, and reloads fobs with their crystal unless told otherwise', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fobkit-sim-lib-'));
    dirs.push(dir);
    const clock = new SimulationClock({ mode: 'manual', start: 1_800_000_000 });
    const first = await Simulator.start({ count: 2, stateDir: dir, rootPublicKey: root, clock, seed: 's' });
    const drift = first.fob(1).status().driftPpm;
    const second = await Simulator.start({ count: 1, stateDir: dir, rootPublicKey: root, clock }).catch((e: unknown) => e);
    expect(isSimError(second, 'FLASH_IO') && second.message).toMatch(/in use by another simulator/);
    first.fob(1).press();
    await first.close();
    // Secrets are never world-readable.
    for (const f of readdirSync(dir).filter((n) => /\.(flash|huk|json)$/.test(n))) expect(statSync(join(dir, f)).mode & 0o077).toBe(0);

    const again = await Simulator.start({ count: 2, stateDir: dir, rootPublicKey: new Uint8Array(32).fill(8), clock, seed: 'other' });
    expect(again.fob(1).status()).toMatchObject({ driftPpm: drift, presses: 1 });
    // The root public key is the one set at manufacture, not today's option.
    expect(again.fob(1).fob.rootPublicKey).toEqual(root);
    await again.close();
    const tuned = await Simulator.start({ count: 2, stateDir: dir, rootPublicKey: root, clock, driftPpm: 3, temperatureC: 5 });
    expect(tuned.fob(0).status()).toMatchObject({ driftPpm: 3, temperatureC: 5 });
    await tuned.close();
  });
});
