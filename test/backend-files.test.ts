/**
 * The backend's files hold secrets (issue 15.8): the SQLite database (wrapped seeds, audit log),
 * its WAL and shared-memory files and the KEK file are created 0600 whatever the umask, and a
 * KEK file group or others may read is refused at start (FILE_PERMISSIONS, exit 3). Mode bits
 * are checked, so this holds when the tests run as root.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openBackend } from '../backend/src/openBackend.js';
import { isBackendError } from '../backend/src/errors.js';

const CLI = join(import.meta.dirname, '..', 'backend/bin/fobkit-backend.js');
const dir = mkdtempSync(join(tmpdir(), 'fobkit-backend-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8);

/** Runs `fn` with umask 000 (vitest runs this file in a forked process, where umask may be set). */
async function withOpenUmask<T>(fn: () => Promise<T>): Promise<T> {
  const old = process.umask(0);
  try {
    return await fn();
  } finally {
    process.umask(old);
  }
}

describe('files the backend creates', () => {
  it('creates the database, its WAL and SHM files and the KEK 0600 under umask 000', async () => {
    const db = join(dir, 'open-umask.db');
    const b = await withOpenUmask(() => openBackend({ db: `sqlite:${db}` }));
    try {
      // The server holds the database open: the WAL and SHM files exist now.
      expect(existsSync(`${db}-wal`) && existsSync(`${db}-shm`)).toBe(true);
      expect({ db: mode(db), wal: mode(`${db}-wal`), shm: mode(`${db}-shm`), kek: mode(b.kekFile) }).toEqual({ db: '600', wal: '600', shm: '600', kek: '600' });
    } finally {
      await b.close();
    }
  });

  it('creates them 0600 from the command line too (keys create makes the database, serve the KEK)', () => {
    const db = join(dir, 'cli.db');
    const r = spawnSync('/bin/sh', ['-c', `umask 000 && exec "${process.execPath}" "${CLI}" keys create --role admin --db "sqlite:${db}" --json`], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(mode(db)).toBe('600');
  });

  it('refuses to start with a KEK file group or others may read: FILE_PERMISSIONS, exit 3, nothing served', async () => {
    const db = join(dir, 'exposed.db');
    const first = await openBackend({ db: `sqlite:${db}` });
    await first.close();
    for (const bits of [0o640, 0o604, 0o620]) {
      chmodSync(first.kekFile, bits);
      const e = await openBackend({ db: `sqlite:${db}` }).then(() => undefined, (err: unknown) => err);
      expect(isBackendError(e, 'FILE_PERMISSIONS'), String(e)).toBe(true);
      expect((e as Error).message).toContain(`(mode ${bits.toString(8)}): chmod 600 it`);
    }
    chmodSync(first.kekFile, 0o640);
    const r = spawnSync(process.execPath, [CLI, 'serve', '--db', `sqlite:${db}`, '--listen', '127.0.0.1:0', '--json'], { encoding: 'utf8' });
    expect(r.status).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ event: 'error', code: 'FILE_PERMISSIONS' });
    chmodSync(first.kekFile, 0o600);
    const again = await openBackend({ db: `sqlite:${db}` });
    await again.close();
  });
});
