/**
 * Refurbishing a returned fob is `fobkit wipe --revoke` then `fobkit provision` (issue 16.7): the
 * fob keeps its serial and gets a new seed, the backend token starts over. A wipe without the
 * revoke gets the fob set aside (exit 1, never exit 0), and revoking it is the way back. A
 * station started with a key that is not a station key refuses before touching a fob (16.6).
 * Real processes throughout: `fobkit provision`/`wipe`, `fobkit-backend serve`, the simulator's
 * fobs on real ptys.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Simulator } from '@fobkit/firmware-sim';
import { runProvision, setUpStationRig, tearDownStationRig, type StationRig } from './provision-harness.js';
import { fobkit } from './support-rig.js';

let rig: StationRig;
let sim: Simulator;

beforeAll(async () => {
  rig = await setUpStationRig('fobkit-station-refurbish-');
  sim = await Simulator.start({ count: 1, rootPublicKey: rig.keys.rootPublicKey, transport: 'pty', ptyDir: join(rig.dir, 'ptys') });
}, 120_000);
afterAll(async () => {
  await sim?.close();
  await tearDownStationRig(rig);
});

const port = (): string => sim.fobs[0]!.address;
const stationArgs = (station: string): string[] => ['--backend-url', rig.backend.url, '--station-key', rig.keys.stationKeyFile, '--journal', join(rig.dir, station, 'journal.db'), '--labels', join(rig.dir, station, 'labels.jsonl'), '--port', port()];
const asStation = { FOBKIT_API_KEY: '' };

async function provision(station: string, key: 'station' | 'support' = 'station', extra: string[] = []) {
  return runProvision({ args: [...stationArgs(station), ...extra], env: { ...asStation, FOBKIT_API_KEY: rig.backend.keys[key] } });
}

async function wipe(serial: string, revoke: boolean) {
  return fobkit(['wipe', '--port', port(), '--serial', serial, '--yes', '--station-key', rig.keys.stationKeyFile, ...(revoke ? ['--revoke', '--backend-url', rig.backend.url, '--api-key', rig.backend.keys.support] : []), '--json']);
}

async function tokenState(serial: string): Promise<{ state: string; user: string | null; history: { action: string }[] }> {
  return (await rig.backend.call<{ state: string; user: string | null; history: { action: string }[] }>('support', 'GET', `/v1/tokens/${serial}`)).body;
}

/** A code off the fob's display validates for `user` once the token is assigned to them. */
async function logsIn(serial: string, user: string): Promise<boolean> {
  expect((await rig.backend.call('support', 'POST', `/v1/tokens/${serial}/assign`, { user })).status).toBe(200);
  const code = sim.fobs[0]!.press().text;
  return (await rig.backend.call<{ ok: boolean }>('validator', 'POST', '/v1/validate', { user, code })).body.ok;
}

describe('the refurbish path', () => {
  it('a station with a support key refuses before touching a fob (BACKEND_WRONG_ROLE, exit 2)', { timeout: 60_000 }, async () => {
    const run = await provision('line-a', 'support');
    expect(run.code).toBe(2);
    const error = run.events.find((e) => e['ok'] === false)?.['error'] as { code: string; message: string };
    expect(error.code).toBe('BACKEND_WRONG_ROLE');
    expect(error.message).toMatch(/support role, not station/);
    expect(run.events.filter((e) => e.event === 'step')).toEqual([]);
    expect(sim.fobs[0]!.status().state).toBe('blank');
  });

  it('provision → wipe --revoke → provision again (another station): same serial, new seed, logs in', { timeout: 180_000 }, async () => {
    const first = await provision('line-a');
    expect(first.code).toBe(0);
    const serial = sim.fobs[0]!.status().serial!;
    expect(await logsIn(serial, 'walt')).toBe(true);

    const w = await wipe(serial, true);
    expect(w.code).toBe(0);
    expect(w.json).toMatchObject({ ok: true, state: 'serialised', revoked: true });
    expect((await tokenState(serial)).state).toBe('revoked');

    // Another station (its own journal, which never saw this fob) takes it back.
    const again = await provision('line-b');
    expect(again.code).toBe(0);
    expect(again.summary).toMatchObject({ done: 1, failed: 0, skipped: 0 });
    expect(again.events.find((e) => e.event === 'fob')?.result).toMatchObject({ outcome: 'done', serial, refurbished: true });
    expect(sim.fobs[0]!.status()).toMatchObject({ state: 'locked', serial, wipes: 1 });
    const token = await tokenState(serial);
    expect(token).toMatchObject({ state: 'available', user: null });
    expect(token.history.map((h) => h.action)).toEqual(expect.arrayContaining(['token.revoke', 'token.reregister', 'token.activate']));
    expect(await logsIn(serial, 'wanda')).toBe(true);
  });

  it('a wipe without --revoke: the fob is set aside (exit 1, not 0); revoking it and provisioning again brings it back', { timeout: 180_000 }, async () => {
    const serial = sim.fobs[0]!.status().serial!;
    expect((await wipe(serial, false)).code).toBe(0);
    expect((await tokenState(serial)).state).toBe('assigned');

    // The station that provisioned it last: the backend refuses a new seed for a fob in use.
    const refused = await provision('line-b');
    expect(refused.code).toBe(1);
    const result = refused.events.find((e) => e.event === 'fob')?.result;
    expect(result).toMatchObject({ outcome: 'failed', step: 'register' });
    expect(result!.reason).toMatch(/revoke it first.*seed erased/);
    expect(sim.fobs[0]!.status().state).toBe('serialised');
    expect((await tokenState(serial)).state).toBe('assigned');

    // The documented way back: revoke, then provision again.
    expect((await rig.backend.call('support', 'POST', `/v1/tokens/${serial}/revoke`, { reason: 'refurbish' })).status).toBe(200);
    const back = await provision('line-b');
    expect(back.code).toBe(0);
    expect(back.events.find((e) => e.event === 'fob')?.result).toMatchObject({ outcome: 'done', serial, refurbished: true });
    expect(sim.fobs[0]!.status()).toMatchObject({ state: 'locked', serial });
    expect(await logsIn(serial, 'xena')).toBe(true);
  });

  it('in derived seed mode a wiped fob is left alone (exit 1): its seed would be the old one again', { timeout: 120_000 }, async () => {
    const serial = sim.fobs[0]!.status().serial!;
    expect((await wipe(serial, true)).code).toBe(0);
    const batchKeyFile = join(rig.dir, 'batch.key');
    writeFileSync(batchKeyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
    const run = await provision('line-b', 'station', ['--seed-mode', 'derived', '--batch-key-file', batchKeyFile]);
    expect(run.code).toBe(1);
    expect(run.events.find((e) => e.event === 'fob')?.result).toMatchObject({ outcome: 'skipped', serial, reason: expect.stringMatching(/derived seed mode.*--seed-mode random/) });
    expect(sim.fobs[0]!.status()).toMatchObject({ state: 'serialised', serial });
  });
});
