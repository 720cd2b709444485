/**
 * `fobkit provision --offline-export FILE`: a station without a backend (issue
 * "Interoperability", "Where users reach it"). Simulated fobs on real ptys, `fobkit provision`
 * as a child process, and the encrypted PSKC it writes read back by fobkit's reader and by the
 * independent python3-pskc, validated by `pskctool --validate`, and checked against the codes the
 * fobs show on their displays. Then a station killed mid-run resumes with no fob locked whose
 * seed is not in the export and no serial used twice; and no station file holds a seed in the
 * clear.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { generateTotp } from '@fobkit/protocol/otp';
import { readPskc, type PskcKeyPackage } from '@fobkit/protocol/formats';
import { parseSerial } from '@fobkit/protocol/serial';
import { Simulator } from '@fobkit/firmware-sim';
import { dirContainsSeed, killStations, makeStationKeys, runProvision, type StationKeys, type StationRun } from './provision-harness.js';
import { PYTHON_READ_PSKC, pskctoolValidate, requireCommand, requirePythonPskc, runPython } from './formats-tools.js';

interface PyRead { keys: { serial: string; secretHex: string; timeInterval: number; responseLength: number }[] }

let dir: string;
let keys: StationKeys;
const psk = randomBytes(16);
let pskFile: string;
let passwordFile: string;

beforeAll(() => {
  requireCommand('pskctool', 'pskctool');
  requirePythonPskc();
  dir = mkdtempSync(join(tmpdir(), 'fobkit-provision-offline-'));
  keys = makeStationKeys(join(dir, 'keys'));
  pskFile = join(dir, 'export.psk');
  writeFileSync(pskFile, psk.toString('hex') + '\n', { mode: 0o600 });
  passwordFile = join(dir, 'export.password');
  writeFileSync(passwordFile, 'correct horse battery staple\n', { mode: 0o600 });
});
afterAll(() => {
  killStations();
  rmSync(dir, { recursive: true, force: true });
});

function offlineArgs(stationDir: string, ports: string[], extra: string[]): string[] {
  return ['--station-key', keys.stationKeyFile, '--journal', join(stationDir, 'journal.db'), '--labels', join(stationDir, 'labels.csv'), '--batch', 'OFF-1', ...ports.flatMap((p) => ['--port', p]), '--offline-export', join(stationDir, 'batch.pskcxml'), ...extra];
}

/** The fob shows this seed's code now (or the step before, if the minute turned meanwhile). */
function expectDisplayMatches(fob: { press(): { text: string } }, secret: Uint8Array, now: number): void {
  const shown = fob.press().text;
  const codes = [now, now - 60].map((t) => generateTotp({ secret, time: t, algorithm: 'sha1', digits: 6, period: 60 }));
  expect(codes).toContain(shown);
}

describe('fobkit provision --offline-export', () => {
  it('provisions a batch with no backend into a PSK-protected PSKC that fobkit, python3-pskc and pskctool accept', { timeout: 120_000 }, async () => {
    const sim = await Simulator.start({ count: 3, rootPublicKey: keys.rootPublicKey, stateDir: join(dir, 'fobs-a'), transport: 'pty' });
    const stationDir = join(dir, 'station-a');
    const exportFile = join(stationDir, 'batch.pskcxml');
    try {
      const run = await runProvision({ args: offlineArgs(stationDir, sim.fobs.map((f) => f.address), ['--psk-file', pskFile, '--serial-range', 'FK00010008-FK00010996']) });
      expect(run.stderr).toBe('');
      expect(run.summary).toMatchObject({ done: 3, failed: 0, interrupted: 0, waiting: 0, waitingRegistrations: 0 });
      expect(run.code).toBe(0);
      expect(statSync(exportFile).mode & 0o777).toBe(0o600);
      expect(pskctoolValidate(exportFile).ok).toBe(true);

      const read = readPskc(readFileSync(exportFile), { psk });
      expect(read.protection).toBe('psk');
      expect(read.id).toBe('OFF-1');
      const bySerial = new Map<string, PskcKeyPackage>(read.keys.map((k) => [k.serial, k]));
      const py = runPython<PyRead>(PYTHON_READ_PSKC, { path: exportFile, pskHex: psk.toString('hex') });
      expect(py.keys.map((k) => k.serial).sort()).toEqual([...bySerial.keys()].sort());

      const serials = new Set<string>();
      for (const f of sim.fobs) {
        const st = f.status();
        expect(st.state).toBe('locked');
        const serial = st.serial!;
        serials.add(serial);
        const r = parseSerial(serial);
        expect(r.ok && r.sequence >= 1000 && r.sequence <= 1099).toBe(true);
        const key = bySerial.get(serial)!;
        expect(key).toMatchObject({ type: 'totp', algorithm: 'sha1', digits: 6, period: 60 });
        expect(py.keys.find((k) => k.serial === serial)!.secretHex).toBe(Buffer.from(key.secret).toString('hex'));
        expectDisplayMatches(f, key.secret, sim.now());
        expect(dirContainsSeed(stationDir, key.secret)).toBeUndefined();
      }
      expect(serials.size).toBe(3);

      // A second run leaves every fob alone and the export as it was.
      const before = readFileSync(exportFile);
      const again = await runProvision({ args: offlineArgs(stationDir, sim.fobs.map((f) => f.address), ['--psk-file', pskFile, '--serial-range', 'FK00010008-FK00010996']) });
      expect(again.summary).toMatchObject({ done: 0, skipped: 3, failed: 0 });
      expect(readFileSync(exportFile).equals(before)).toBe(true);
    } finally {
      await sim.close();
    }
  });

  // verify:end — the seed is journaled (sealed) and released, not yet in the export: the restarted
  // station opens it from the journal and writes it. register:applied — in the export, the journal
  // does not know yet. lock:applied — locked, the journal does not know yet.
  it.each(['verify:end', 'register:applied', 'lock:applied'])('killed at %s: no fob locked outside the export; the restart finishes the batch, no seed lost, no serial twice', { timeout: 120_000 }, async (crashAt) => {
    const tag = crashAt.replace(':', '-');
    const sim = await Simulator.start({ count: 2, rootPublicKey: keys.rootPublicKey, stateDir: join(dir, `fobs-${tag}`), transport: 'pty' });
    const stationDir = join(dir, `station-${tag}`);
    const exportFile = join(stationDir, 'batch.pskcxml');
    const args = offlineArgs(stationDir, sim.fobs.map((f) => f.address), ['--password-file', passwordFile, '--serial-range', 'FK00020009-FK00020505']);
    const exported = (): Map<string, PskcKeyPackage> => {
      try {
        return new Map(readPskc(readFileSync(exportFile), { password: 'correct horse battery staple' }).keys.map((k) => [k.serial, k]));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
        throw e;
      }
    };
    try {
      const crashed = await runProvision({ args, env: { FOBKIT_TEST_CRASH_AT: crashAt } });
      expect(crashed.signal).toBe('SIGKILL');
      const afterCrash = exported();
      if (crashAt !== 'verify:end') expect(afterCrash.size).toBeGreaterThanOrEqual(1);
      const locked = sim.fobs.filter((f) => f.status().state === 'locked');
      if (crashAt === 'lock:applied') expect(locked.length).toBeGreaterThanOrEqual(1);
      for (const f of locked) expect(afterCrash.has(f.status().serial!)).toBe(true);

      const resumed = await runProvision({ args });
      expect(resumed.summary).toMatchObject({ done: 2, failed: 0, interrupted: 0, waiting: 0 });
      expect(resumed.code).toBe(0);
      const keysNow = exported();
      expect(keysNow.size).toBe(2);
      expect(pskctoolValidate(exportFile).ok).toBe(true);
      const py = runPython<PyRead>(PYTHON_READ_PSKC, { path: exportFile, password: 'correct horse battery staple' });
      expect(py.keys).toHaveLength(2);
      const serials = sim.fobs.map((f) => f.status().serial!);
      expect(new Set(serials).size).toBe(2);
      for (const f of sim.fobs) {
        const st = f.status();
        expect(st.state).toBe('locked');
        const key = keysNow.get(st.serial!)!;
        expect(py.keys.find((k) => k.serial === st.serial)!.secretHex).toBe(Buffer.from(key.secret).toString('hex'));
        expectDisplayMatches(f, key.secret, sim.now());
        expect(dirContainsSeed(stationDir, key.secret)).toBeUndefined();
      }
    } finally {
      await sim.close();
    }
  });

  it('--insecure-plaintext: a plaintext PSKC and a warning; a fob a crash left unexported is never locked (its seal key died with the run)', { timeout: 120_000 }, async () => {
    const sim = await Simulator.start({ count: 2, rootPublicKey: keys.rootPublicKey, stateDir: join(dir, 'fobs-p'), transport: 'pty' });
    const stationDir = join(dir, 'station-p');
    const exportFile = join(stationDir, 'batch.pskcxml');
    const [crashedFob, otherFob] = sim.fobs as [typeof sim.fobs[0], typeof sim.fobs[0]];
    const args = offlineArgs(stationDir, [crashedFob.address], ['--insecure-plaintext', '--serial-range', 'FK00030002-FK00030106']);
    try {
      const crashed = await runProvision({ args, env: { FOBKIT_TEST_CRASH_AT: 'verify:end' } });
      expect(crashed.signal).toBe('SIGKILL');
      expect(crashed.stderr).toMatch(/in the clear \(--insecure-plaintext\)/);
      const resumed = await runProvision({ args });
      expect(resumed.summary).toMatchObject({ done: 0 });
      expect(resumed.code).toBe(1);
      expect(resumed.summary!['results']).toEqual([expect.objectContaining({ outcome: 'failed', reason: expect.stringMatching(/registration was refused .*not to this export's key.* not locked, seed erased/) })]);
      expect(crashedFob.status().state).toBe('serialised');
      expect(() => readFileSync(exportFile)).toThrow(/ENOENT/);

      // Another fob, another station: the plaintext export itself.
      const run = await runProvision({ args: offlineArgs(join(dir, 'station-p2'), [otherFob.address], ['--insecure-plaintext', '--serial-range', 'FK00030002-FK00030106']) });
      expect(run.summary).toMatchObject({ done: 1 });
      const read = readPskc(readFileSync(join(dir, 'station-p2', 'batch.pskcxml')));
      expect(read.protection).toBe('plaintext');
      expect(pskctoolValidate(join(dir, 'station-p2', 'batch.pskcxml')).ok).toBe(true);
      expectDisplayMatches(otherFob, read.keys[0]!.secret, sim.now());
    } finally {
      await sim.close();
    }
  });

  it('refuses to write seeds without protection, or without a serial range', { timeout: 30_000 }, async () => {
    const stationDir = join(dir, 'station-r');
    const message = (r: StationRun): string => JSON.stringify(r.events.map((e) => e['error']));
    const noProtection = await runProvision({ args: offlineArgs(stationDir, ['/dev/null'], ['--serial-range', 'FK00010008-FK00010996']) });
    expect(noProtection.code).toBe(2);
    expect(message(noProtection)).toMatch(/--psk-file or --password-file/);
    const noRange = await runProvision({ args: offlineArgs(stationDir, ['/dev/null'], ['--psk-file', pskFile]) });
    expect(noRange.code).toBe(2);
    expect(message(noRange)).toMatch(/--serial-range/);
    const badCheckDigit = await runProvision({ args: offlineArgs(stationDir, ['/dev/null'], ['--psk-file', pskFile, '--serial-range', 'FK00010007-FK00010996']) });
    expect(badCheckDigit.code).toBe(2);
    expect(message(badCheckDigit)).toMatch(/check digit/);
  });
});
