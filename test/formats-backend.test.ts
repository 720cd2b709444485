/**
 * Seed files where users reach them: `fobkit export --backend-url` (admin key, seeds sealed to
 * the export's own key, every fob audited) read back by pskctool and python3-pskc, and
 * `fobkit-backend import` of a vendor's PSKC file written by python3-pskc: the dry run lists
 * every problem and writes nothing, the import stores the clean fobs, and an imported fob then
 * validates codes from its vendor seed. Both CLIs run as separate processes (the built bins)
 * against a real backend on an SQLite file.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeHex, generateTotp } from '@fobkit/protocol/otp';
import { parseEntraCsv, parsePamOathUsersfile, PSKC_HOTP_URI, PSKC_TOTP_URI } from '@fobkit/protocol/formats';
import { createTestDatabase, registerFob, startTestBackend, type RegisteredFob, type TestBackend, type TestDatabase } from '../backend/src/testing/harness.js';
import { PYTHON_READ_PSKC, PYTHON_WRITE_PSKC, pskctoolValidate, requireCommand, requirePythonPskc, runPython } from './formats-tools.js';

const ROOT = join(import.meta.dirname, '..');
// The built bins, as an operator runs them (CI builds in `npm ci`; locally `npm run build`).
const FOBKIT = [join(ROOT, 'provisioner/bin/fobkit.js')];
const BACKEND_CLI = [join(ROOT, 'backend/bin/fobkit-backend.js')];
const BUILT = ['provisioner/dist/cli/main.js', 'backend/dist/cli/main.js', 'protocol/dist/formats/index.js'].map((p) => join(ROOT, p));

interface Run { status: number; stdout: string; stderr: string }
/** Asynchronous on purpose: the backend answering the CLI runs in this process. */
function run(cli: string[], args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...cli, ...args], { cwd: dir, timeout: 60_000, env: { ...process.env, FOBKIT_API_KEY: '' } }, (error, stdout, stderr) => {
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

let dir: string;
let db: TestDatabase;
let t: TestBackend;
let fobs: RegisteredFob[];
let adminKeyFile: string;
let supportKeyFile: string;
const password = 'export batch B1 password';

beforeAll(async () => {
  for (const p of BUILT) if (!existsSync(p)) throw new Error(`${p} is missing: run \`npm run build\` before the end-to-end tests`);
  requireCommand('pskctool', 'pskctool');
  requirePythonPskc();
  dir = mkdtempSync(join(tmpdir(), 'fobkit-formats-backend-'));
  db = await createTestDatabase('sqlite');
  t = await startTestBackend({ db });
  fobs = [await registerFob(t, { user: 'alice@example.com', clockOffset: 125 }), await registerFob(t), await registerFob(t, { user: 'bob@example.com' })];
  adminKeyFile = join(dir, 'admin.key');
  supportKeyFile = join(dir, 'support.key');
  writeFileSync(adminKeyFile, `${t.keys.admin}\n`, { mode: 0o600 });
  writeFileSync(supportKeyFile, `${t.keys.support}\n`, { mode: 0o600 });
  writeFileSync(join(dir, 'pw.txt'), `${password}\n`, { mode: 0o600 });
}, 60_000);

afterAll(async () => {
  await t?.close();
  await db?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const exportArgs = (format: string, out: string, ...more: string[]): string[] =>
  ['export', '--backend-url', t.url, '--api-key-file', adminKeyFile, '--batch', 'B1', '--format', format, '-o', join(dir, out), ...more];

// Each test spawns the CLIs a few times; on a loaded 2-core machine that can pass 30 s.
describe('fobkit export --backend-url', { timeout: 120_000 }, () => {
  it('writes a password-protected PSKC that pskctool validates and python3-pskc decrypts to the registered seeds', async () => {
    const r = await run(FOBKIT, exportArgs('pskc', 'b1.pskcxml', '--password-file', join(dir, 'pw.txt'), '--json'));
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, fobs: 3, protection: 'password', format: 'pskc' });
    const path = join(dir, 'b1.pskcxml');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const v = pskctoolValidate(path);
    expect(v.ok, v.output).toBe(true);
    const py = runPython<{ keys: Array<{ serial: string; secretHex: string; timeInterval: number; responseLength: number; userId: string | null; timeDrift: number | null }> }>(PYTHON_READ_PSKC, { path, password });
    const bySerial = new Map(py.keys.map((k) => [k.serial, k]));
    for (const f of fobs) {
      expect(bySerial.get(f.serial)?.secretHex, f.serial).toBe(encodeHex(f.seed));
      expect(bySerial.get(f.serial)).toMatchObject({ timeInterval: 60, responseLength: 6 });
    }
    expect(bySerial.get(fobs[0]!.serial)).toMatchObject({ userId: 'alice@example.com', timeDrift: 2 });
    // The file never holds a seed in the clear, and every fob's export is in the audit log.
    const text = readFileSync(path, 'utf8');
    for (const f of fobs) expect(text).not.toContain(Buffer.from(f.seed).toString('base64'));
    const audit = await t.call<{ entries: Array<{ action: string; detail: { format: string } }> }>('admin', 'GET', `/v1/audit?subject=${fobs[1]!.serial}`);
    expect(audit.body.entries.filter((e) => e.action === 'token.export').map((e) => e.detail.format)).toEqual(['pskc']);
  });

  it('a CSV export writes seeds in the clear only when asked to: refused without --insecure-plaintext', async () => {
    for (const format of ['entra-csv', 'oath-csv', 'pam-oath']) {
      const r = await run(FOBKIT, exportArgs(format, `clear.${format}`, '--assigned-only'));
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`${format} carries the seeds in the clear (the format has no encryption): add --insecure-plaintext`);
      expect(() => statSync(join(dir, `clear.${format}`))).toThrow();
    }
  });

  it('Entra CSV needs a user per fob: refused with a hint, then written for the assigned fobs only', async () => {
    const refused = await run(FOBKIT, exportArgs('entra-csv', 'entra.csv', '--insecure-plaintext'));
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/no user \(UPN\).*--assigned-only/);
    expect(() => statSync(join(dir, 'entra.csv'))).toThrow();
    const r = await run(FOBKIT, exportArgs('entra-csv', 'entra.csv', '--assigned-only', '--insecure-plaintext'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/exported 2 fob\(s\).*\nleft out 1 unassigned fob\(s\): FK/);
    expect(r.stderr).toMatch(/warning: .* holds the seeds in the clear/);
    const rows = parseEntraCsv(readFileSync(join(dir, 'entra.csv')));
    expect(rows.map((x) => [x.user, x.serial, encodeHex(x.secret)])).toEqual([
      ['alice@example.com', fobs[0]!.serial, encodeHex(fobs[0]!.seed)], ['bob@example.com', fobs[2]!.serial, encodeHex(fobs[2]!.seed)],
    ]);
  });

  it('pam_oath usersfile for the assigned fobs', async () => {
    const r = await run(FOBKIT, exportArgs('pam-oath', 'users.oath', '--assigned-only', '--insecure-plaintext'));
    expect(r.status, r.stderr).toBe(0);
    const users = parsePamOathUsersfile(readFileSync(join(dir, 'users.oath')));
    expect(users.map((u) => [u.user, encodeHex(u.secret), u.period])).toEqual([['alice@example.com', encodeHex(fobs[0]!.seed), 60], ['bob@example.com', encodeHex(fobs[2]!.seed), 60]]);
  });

  it('refuses: a PSKC without protection, a support key, an existing file, an unknown batch', async () => {
    const noProt = await run(FOBKIT, exportArgs('pskc', 'x.pskcxml'));
    expect(noProt.status).toBe(2);
    expect(noProt.stderr).toMatch(/--psk-file or --password-file \(or --insecure-plaintext/);
    const support = await run(FOBKIT, ['export', '--backend-url', t.url, '--api-key-file', supportKeyFile, '--batch', 'B1', '--format', 'oath-csv', '--insecure-plaintext', '-o', join(dir, 'y.csv')]);
    expect(support.status).toBe(3);
    expect(support.stderr).toMatch(/HTTP 403 FORBIDDEN/);
    const exists = await run(FOBKIT, exportArgs('pskc', 'b1.pskcxml', '--password-file', join(dir, 'pw.txt')));
    expect(exists.status).toBe(2);
    expect(exists.stderr).toMatch(/exists; pass --force/);
    const unknown = await run(FOBKIT, ['export', '--backend-url', t.url, '--api-key-file', adminKeyFile, '--batch', 'NOPE', '--format', 'oath-csv', '--insecure-plaintext', '-o', join(dir, 'z.csv')]);
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toMatch(/no fobs in batch NOPE/);
  });
});

describe('fobkit-backend import of a vendor PSKC file', { timeout: 120_000 }, () => {
  const psk = randomBytes(16);
  const vendor = [
    { id: 'v1', serial: 'VEND-000001', secretHex: encodeHex(randomBytes(20)), algorithm: PSKC_TOTP_URI, digits: 6, period: 60, suite: 'HMAC-SHA1', manufacturer: 'Vendor', model: 'V60', timeDrift: -1 },
    { id: 'v2', serial: 'VEND-000002', secretHex: encodeHex(randomBytes(20)), algorithm: PSKC_TOTP_URI, digits: 6, period: 30, suite: 'HMAC-SHA1', manufacturer: 'Vendor', model: 'V30' },
    { id: 'v3', serial: 'VEND-000003', secretHex: encodeHex(randomBytes(20)), algorithm: PSKC_HOTP_URI, digits: 6, counter: 0 },
    { id: 'v4', serial: 'VEND-000004', secretHex: encodeHex(randomBytes(20)), algorithm: PSKC_TOTP_URI, digits: 6, period: 60, suite: 'HMAC-SHA1' },
    { id: 'v5', serial: 'VEND-000004', secretHex: encodeHex(randomBytes(20)), algorithm: PSKC_TOTP_URI, digits: 6, period: 60, suite: 'HMAC-SHA1' },
  ];
  let file: string;
  let pskFile: string;
  const importArgs = (...more: string[]): string[] => ['import', file, '--psk-file', pskFile, '--db', db.spec, '--kek-file', join(db.dir, 'backend.kek'), ...more];

  beforeAll(() => {
    file = join(dir, 'vendor-batch.pskcxml');
    pskFile = join(dir, 'vendor.psk');
    writeFileSync(pskFile, `${psk.toString('hex')}\n`, { mode: 0o600 });
    runPython(PYTHON_WRITE_PSKC, { protection: 'psk', pskHex: psk.toString('hex'), path: file, keys: vendor });
  });

  it('dry run: lists every fob and problem, writes nothing, exits 1', async () => {
    const r = await run(BACKEND_CLI, importArgs('--dry-run', '--json'));
    expect(r.status, r.stderr).toBe(1);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; serial?: string; status?: string; problems?: Array<{ kind: string; message: string }> });
    expect(events[0]).toMatchObject({ event: 'file', format: 'pskc', protection: 'psk', fobs: 5 });
    const fobEvents = events.filter((e) => e.event === 'fob');
    expect(fobEvents.map((e) => [e.serial, e.status, e.problems!.map((p) => p.kind)])).toEqual([
      ['VEND-000001', 'new', []],
      ['VEND-000002', 'problem', ['profile-mismatch']],
      ['VEND-000003', 'problem', ['unsupported-algorithm']],
      ['VEND-000004', 'problem', ['duplicate-serial']],
      ['VEND-000004', 'problem', ['duplicate-serial']],
    ]);
    expect(fobEvents[1]!.problems![0]!.message).toMatch(/time step 30 s, the batch is expected to be 60 s/);
    expect(events.at(-1)).toMatchObject({ event: 'summary', dryRun: true, new: 1, problems: 4 });
    expect((await t.call('support', 'GET', '/v1/tokens/VEND-000001')).status).toBe(404);
    // Without --skip-problems a real run refuses the same way.
    const refused = await run(BACKEND_CLI, importArgs());
    expect(refused.status).toBe(1);
    expect(refused.stdout).toMatch(/nothing imported/);
    expect((await t.call('support', 'GET', '/v1/tokens/VEND-000001')).status).toBe(404);
  });

  it('imports the clean fobs with --skip-problems; the imported fob validates codes from its vendor seed', async () => {
    const r = await run(BACKEND_CLI, importArgs('--skip-problems', '--batch', 'VENDOR-2026-11'));
    expect(r.stdout).toMatch(/imported 1 fob\(s\) into batch VENDOR-2026-11 \(state available\), 0 already there, 0 failed, 4 skipped for problems/);
    expect(r.status).toBe(1);
    const view = await t.call<{ source: string; state: string; period: number; clockOffset: number; batch: string }>('support', 'GET', '/v1/tokens/VEND-000001');
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ source: 'import', state: 'available', period: 60, clockOffset: -60, batch: 'VENDOR-2026-11' });
    expect((await t.call('support', 'POST', '/v1/tokens/VEND-000001/assign', { user: 'carol@example.com' })).status).toBe(200);
    // The fob's clock runs a step slow (TimeDrift -1): it shows the code of the previous step.
    const code = generateTotp({ secret: Buffer.from(vendor[0]!.secretHex, 'hex'), time: t.clock() - 60, period: 60 });
    const v = await t.call<{ ok: boolean }>('validator', 'POST', '/v1/validate', { user: 'carol@example.com', code });
    expect(v.body.ok).toBe(true);
    // Importing the same file again changes nothing.
    const again = await run(BACKEND_CLI, importArgs('--skip-problems', '--dry-run'));
    expect(again.stdout).toMatch(/VEND-000001\s+TOTP HMAC-SHA1 6 digits 60 s\s+already imported/);
  });

  it('the expected profile is the operator\'s to state: --expect-period 30 accepts the 30 s fob', async () => {
    const r = await run(BACKEND_CLI, importArgs('--dry-run', '--expect-period', '30', '--json'));
    const fob2 = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { serial?: string; status?: string }).find((e) => e.serial === 'VEND-000002');
    expect(fob2?.status).toBe('new');
  });

  it('a wrong pre-shared key or a file that is not a seed file is refused with exit 2', async () => {
    const wrong = join(dir, 'wrong.psk');
    writeFileSync(wrong, randomBytes(16).toString('hex'));
    const r = await run(BACKEND_CLI, ['import', file, '--psk-file', wrong, '--dry-run', '--db', db.spec, '--kek-file', join(db.dir, 'backend.kek')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/wrong pre-shared key or password|ValueMAC does not verify/);
    const junk = join(dir, 'junk.txt');
    writeFileSync(junk, 'hello\n');
    const j = await run(BACKEND_CLI, ['import', junk, '--dry-run', '--db', db.spec, '--kek-file', join(db.dir, 'backend.kek')]);
    expect(j.status).toBe(2);
    expect(j.stderr).toMatch(/unrecognised seed file/);
  });
});
