/**
 * `fobkit-backend import` cut short: each fob is committed on its own, in file order. Ctrl-C
 * stops after the current fob and the command says how many it imported and up to which
 * serial; kill -9 says nothing but loses nothing either; in both cases the same command run
 * again imports the rest and recognises the ones already there. Also: a python3-pskc file
 * wrapped with kw-aes128 (RFC 5649 padding, empty MACMethod) imports through the CLI, with its
 * warning.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeHex } from '@fobkit/protocol/otp';
import { PSKC_TOTP_URI, writeOathCsv, type SeedRecord } from '@fobkit/protocol/formats';
import { openBackend } from '../backend/src/openBackend.js';
import { PYTHON_WRITE_PSKC, requirePythonPskc, runPython } from './formats-tools.js';

const ROOT = join(import.meta.dirname, '..');
const BACKEND_CLI = join(ROOT, 'backend/bin/fobkit-backend.js');
// Enough that the 'imported' events (44 bytes each) far exceed a pipe's 64 KiB: while the test
// handles the first one it reads nothing more, so when it signals the child, the child cannot
// have written (or imported) them all.
const N = 6000;

interface Event { event: string; [k: string]: unknown }
interface ImportRun { code: number | null; signal: NodeJS.Signals | null; events: Event[] }

/** Runs `fobkit-backend import … --json`; `onEvent` may return a signal to send the process. */
function runImport(args: string[], onEvent: (e: Event) => NodeJS.Signals | undefined = () => undefined): Promise<ImportRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BACKEND_CLI, 'import', ...args, '--json'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const events: Event[] = [];
    let signalled = false;
    createInterface({ input: child.stdout }).on('line', (line) => {
      const e = JSON.parse(line) as Event;
      events.push(e);
      const s = signalled ? undefined : onEvent(e);
      if (s) {
        signalled = true;
        child.kill(s);
      }
    });
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, events }));
  });
}

async function tokenCount(dbFile: string): Promise<number> {
  const b = await openBackend({ db: `sqlite:${dbFile}` });
  try {
    return (await b.ctx.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM tokens'))!.n;
  } finally {
    await b.close();
  }
}

let dir: string;
let csv: string;
beforeAll(() => {
  if (!existsSync(join(ROOT, 'backend/dist/cli/main.js'))) throw new Error('backend/dist is missing: run `npm run build` before the end-to-end tests');
  dir = mkdtempSync(join(tmpdir(), 'fobkit-import-resume-'));
  const records: SeedRecord[] = Array.from({ length: N }, (_, i) => ({
    serial: `VEND-${String(i).padStart(6, '0')}`, secret: new Uint8Array(randomBytes(20)), type: 'totp', algorithm: 'sha1', digits: 6, period: 60,
  }));
  csv = join(dir, 'vendor.csv');
  writeFileSync(csv, writeOathCsv(records), { mode: 0o600 });
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('an interrupted import', { timeout: 180_000 }, () => {
  it('Ctrl-C: stops after the current fob, says how far it got, and the same command finishes it', async () => {
    const dbFile = join(dir, 'int.db');
    const first = await runImport([csv, '--db', `sqlite:${dbFile}`], (e) => (e.event === 'imported' ? 'SIGINT' : undefined));
    expect(first.code).toBe(1);
    const imported = first.events.filter((e) => e.event === 'imported');
    const stopped = first.events.find((e) => e.event === 'interrupted');
    expect(stopped).toMatchObject({ cause: 'signal', of: N, imported: imported.length, lastImported: imported.at(-1)!.serial });
    expect(imported.length).toBeGreaterThan(0);
    expect(imported.length).toBeLessThan(N);
    expect(first.events.some((e) => e.event === 'summary')).toBe(false);
    expect(await tokenCount(dbFile)).toBe(imported.length);

    const second = await runImport([csv, '--db', `sqlite:${dbFile}`]);
    expect(second.code).toBe(0);
    expect(second.events.find((e) => e.event === 'summary')).toMatchObject({ imported: N - imported.length, unchanged: imported.length, failed: 0 });
    expect(await tokenCount(dbFile)).toBe(N);
  });

  it('kill -9: nothing is said, nothing half-done is left, and the same command finishes it', async () => {
    const dbFile = join(dir, 'kill.db');
    const first = await runImport([csv, '--db', `sqlite:${dbFile}`], (e) => (e.event === 'imported' ? 'SIGKILL' : undefined));
    expect(first.signal).toBe('SIGKILL');
    const done = await tokenCount(dbFile);
    expect(done).toBeLessThan(N);
    const second = await runImport([csv, '--db', `sqlite:${dbFile}`]);
    expect(second.code).toBe(0);
    expect(second.events.find((e) => e.event === 'summary')).toMatchObject({ imported: N - done, unchanged: done, failed: 0 });
    expect(await tokenCount(dbFile)).toBe(N);
  });
});

describe('a python3-pskc kw-aes128 file through the CLI', { timeout: 120_000 }, () => {
  it('imports with a warning about its empty MACMethod; an AES-256 --psk-file works too', async () => {
    requirePythonPskc();
    for (const [encryption, bytes] of [['kw-aes128', 16], ['kw-aes256', 32]] as const) {
      const psk = randomBytes(bytes);
      const path = join(dir, `${encryption}.pskcxml`);
      const keys = [1, 2, 3].map((i) => ({ id: `k${i}`, serial: `PY-${encryption}-${i}`, secretHex: encodeHex(randomBytes(20)), algorithm: PSKC_TOTP_URI, digits: 6, period: 60, suite: 'HMAC-SHA1' }));
      runPython(PYTHON_WRITE_PSKC, { protection: 'psk', pskHex: psk.toString('hex'), encryption, path, keys });
      writeFileSync(join(dir, `${encryption}.psk`), `${psk.toString('hex')}\n`, { mode: 0o600 });
      const r = await runImport([path, '--psk-file', join(dir, `${encryption}.psk`), '--db', `sqlite:${join(dir, 'py.db')}`]);
      expect(r.code).toBe(0);
      expect(r.events.find((e) => e.event === 'warning')?.message).toMatch(/MACMethod names no algorithm/);
      expect(r.events.find((e) => e.event === 'summary')).toMatchObject({ imported: 3, failed: 0 });
    }
  });
});
