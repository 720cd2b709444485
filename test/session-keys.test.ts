// `fobkit keys`: the operations on real files (modes, registry, revocation) and the CLI itself,
// run from source through tsx, checked for exit codes and for never printing a private key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parseKeyFile, verifyRevocationList, verifyStationCertificate } from '@fobkit/protocol/session';
import { createRoot, issueStation, loadStationCredentials, readKeyFile, revokeStation } from '../provisioner/src/keys/index.js';

const run = promisify(execFile);
const REPO = resolve(import.meta.dirname, '..');
const NOW = 1_800_000_000;

async function fobkit(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, ['-C', 'source', '--import', 'tsx', join(REPO, 'provisioner/src/cli/main.ts'), ...args], { cwd: REPO });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fobkit-keys-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('key operations', () => {
  it('creates a root, issues stations with increasing ids, revokes by id', async () => {
    const rootDir = join(dir, 'ops-root');
    const root = await createRoot({ dir: rootDir, clock: () => NOW });
    expect((await stat(root.files.privateKey)).mode & 0o777).toBe(0o600);
    expect((await stat(root.files.publicKey)).mode & 0o777).toBe(0o644);
    await expect(createRoot({ dir: rootDir })).rejects.toMatchObject({ code: 'KEY_FILE_EXISTS' });

    const s1 = await issueStation({ rootDir, name: 'line-1', days: 30, outDir: join(dir, 'st1'), clock: () => NOW });
    const s2 = await issueStation({ rootDir, name: 'line-2', days: 30, outDir: join(dir, 'st2'), clock: () => NOW });
    expect([s1.id, s2.id]).toEqual([1, 2]);
    expect((await stat(s1.file)).mode & 0o777).toBe(0o600);

    const pub = await readKeyFile(root.files.publicKey, ['fobkit-root-public-key']);
    const creds = loadStationCredentials({ stationKey: s1.file, revocationList: root.files.revocationList });
    expect(verifyStationCertificate({ certificate: creds.certificate, rootPublicKey: pub.publicKey, now: NOW })).toMatchObject({ ok: true, certificate: { id: 1, name: 'line-1' } });
    expect(verifyStationCertificate({ certificate: creds.certificate, rootPublicKey: pub.publicKey, now: NOW + 31 * 86_400 })).toMatchObject({ ok: false, reason: 'expired' });

    const r = await revokeStation({ rootDir, id: 2, clock: () => NOW });
    expect(r).toMatchObject({ seq: 1, ids: [2], changed: true });
    expect(await revokeStation({ rootDir, id: 2 })).toMatchObject({ seq: 1, changed: false });
    await expect(revokeStation({ rootDir, id: 99 })).rejects.toMatchObject({ code: 'KEY_FILE_INVALID' });
    const crlFile = await readKeyFile(root.files.revocationList, ['fobkit-revocation-list']);
    const list = verifyRevocationList({ revocationList: crlFile.revocationList, rootPublicKey: pub.publicKey });
    expect(list).toMatchObject({ ok: true, revocationList: { seq: 1, ids: [2] } });
    if (list.ok) {
      const s2creds = loadStationCredentials({ stationKey: s2.file });
      expect(verifyStationCertificate({ certificate: s2creds.certificate, rootPublicKey: pub.publicKey, now: NOW, revocationList: list.revocationList })).toMatchObject({ ok: false, reason: 'revoked' });
    }
  });

  it('refuses a private key file others can read, and a key that does not match its certificate', async () => {
    const rootDir = join(dir, 'perm-root');
    await createRoot({ dir: rootDir });
    const s = await issueStation({ rootDir, name: 'x', days: 1, outDir: join(dir, 'perm-st') });
    await chmod(s.file, 0o640);
    expect(() => loadStationCredentials({ stationKey: s.file })).toThrow(/readable by others \(mode 640\): chmod 600 it/);
    await chmod(s.file, 0o600);
    const text = await readFile(s.file, 'utf8');
    const other = await issueStation({ rootDir, name: 'y', days: 1, outDir: join(dir, 'perm-st2') });
    const mixed = { ...JSON.parse(text), privateKey: JSON.parse(await readFile(other.file, 'utf8')).privateKey };
    const { writeFile } = await import('node:fs/promises');
    const mixedPath = join(dir, 'mixed.key.json');
    await writeFile(mixedPath, JSON.stringify(mixed), { mode: 0o600 });
    expect(() => loadStationCredentials({ stationKey: mixedPath })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringMatching(/private key does not match the certificate/) }));
    expect(() => parseKeyFile('{"type":"fobkit-root-key","version":2}')).toThrow(/version 2/);
  });
});

describe('fobkit keys (CLI)', () => {
  it('root create, station issue, show, revoke: JSON output, 0600 files, no private key printed', async () => {
    const rootDir = join(dir, 'cli-root');
    const stDir = join(dir, 'cli-st');
    const created = await fobkit('keys', 'root', 'create', '--out', rootDir, '--json');
    expect(created.code).toBe(0);
    const c = JSON.parse(created.stdout);
    expect(c).toMatchObject({ ok: true, fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/) });

    const issued = await fobkit('keys', 'station', 'issue', '--root', rootDir, '--name', 'line-1', '--days', '10', '--out', stDir, '--json');
    expect(issued.code).toBe(0);
    expect(JSON.parse(issued.stdout)).toMatchObject({ ok: true, id: 1, name: 'line-1', rootFingerprint: c.fingerprint });
    const keyFile = join(stDir, 'station.key.json');
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);

    const secrets = [JSON.parse(await readFile(keyFile, 'utf8')).privateKey, JSON.parse(await readFile(join(rootDir, 'root.key.json'), 'utf8')).privateKey] as string[];
    for (const [file, json] of [[keyFile, []], [join(rootDir, 'root.key.json'), ['--json']]] as const) {
      const shown = await fobkit('keys', 'show', file, ...json);
      expect(shown.code).toBe(0);
      for (const s of secrets) expect(shown.stdout + shown.stderr).not.toContain(s);
      expect(shown.stdout).toContain('not shown');
    }
    for (const s of secrets) {
      expect(created.stdout + issued.stdout).not.toContain(s);
    }

    const revoked = await fobkit('keys', 'station', 'revoke', '--root', rootDir, '--id', '1', '--yes', '--json');
    expect(revoked.code).toBe(0);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ ok: true, id: 1, seq: 1, ids: [1], changed: true });
  });

  it('a missing file: exit 2 with one clear line', async () => {
    const missing = await fobkit('keys', 'show', join(dir, 'nope.json'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^fobkit: error \[KEY_FILE_MISSING\]: .*does not exist\n$/);
    await expect(issueStation({ rootDir: join(dir, 'cli-root'), name: 'x', days: 0, outDir: join(dir, 'x') })).rejects.toThrow(RangeError);
  });
});
