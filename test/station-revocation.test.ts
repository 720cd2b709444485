/**
 * Every station-side session hands the fob the newest revocation list the station has (issue
 * 16.5), not only provisioning: `fobkit wipe` and `fobkit inspect --fix clock` sessions carry it,
 * and the fob keeps it (its stored list's seq moves up). Real `fobkit keys` files, a real backend
 * process, simulated fobs on real ptys, `fobkit` as child processes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Simulator } from '@fobkit/firmware-sim';
import { startBackendProcess, type BackendProcess } from './provision-harness.js';
import { fobkit, provisionFob } from './support-rig.js';

let dir: string;
let backend: BackendProcess;
let sim: Simulator;
const root = (): string => join(dir, 'root');
const stationKey = (): string => join(dir, 'line-1', 'station.key.json');
const crl = (): string => join(root(), 'crl.json');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fobkit-station-crl-'));
  const keys = async (args: string[]): Promise<void> => {
    const r = await fobkit(['keys', ...args, '--json']);
    if (r.code !== 0) throw new Error(`fobkit keys ${args.join(' ')}: ${r.stderr}`);
  };
  await keys(['root', 'create', '--out', root()]);
  await keys(['station', 'issue', '--root', root(), '--name', 'line-1', '--out', join(dir, 'line-1')]);
  await keys(['station', 'issue', '--root', root(), '--name', 'line-2', '--out', join(dir, 'line-2')]);
  // line-2 (certificate id 2) is revoked: the list goes to seq 1.
  await keys(['station', 'revoke', '--root', root(), '--id', '2', '--yes']);
  expect(JSON.parse(readFileSync(crl(), 'utf8'))).toMatchObject({ seq: 1, ids: [2] });
  const rootPublicKey = new Uint8Array(Buffer.from((JSON.parse(readFileSync(join(root(), 'root.pub.json'), 'utf8')) as { publicKey: string }).publicKey, 'base64url'));
  backend = await startBackendProcess(join(dir, 'backend'));
  sim = await Simulator.start({ count: 2, rootPublicKey, transport: 'pty', ptyDir: join(dir, 'ptys') });
}, 120_000);

afterAll(async () => {
  await sim?.close();
  await backend?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the revocation list reaches fobs through every station session', () => {
  it('fobkit wipe hands the configured list to the fob', { timeout: 90_000 }, async () => {
    const fob = sim.fobs[0]!;
    const { serial } = await provisionFob(fob.address, stationKey(), backend);
    expect(fob.fob.crl.seq).toBe(0);
    const r = await fobkit(['wipe', '--port', fob.address, '--serial', serial, '--yes', '--station-key', stationKey(), '--revocation-list', crl(), '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ ok: true, state: 'serialised' });
    expect(fob.fob.crl.seq).toBe(1);
  });

  it('fobkit inspect --fix clock hands the list from FOBKIT_REVOCATION_LIST to the fob', { timeout: 90_000 }, async () => {
    const fob = sim.fobs[1]!;
    // A short period: the resync after the clock fix waits for the fob's next code.
    await provisionFob(fob.address, stationKey(), backend, { period: 10 });
    // Within what the clock guard lets a station correct on a locked fob (SPEC.md "Clock guard": 120 s + drift).
    fob.shiftClock(-100);
    expect(fob.fob.crl.seq).toBe(0);
    const r = await fobkit(['inspect', '--port', fob.address, '--fix', 'clock', '--station-key', stationKey(), '--backend-url', backend.url, '--api-key', backend.keys.support, '--json'], { FOBKIT_REVOCATION_LIST: crl() });
    expect(r.code).toBe(0);
    expect(fob.fob.crl.seq).toBe(1);
  });
});
