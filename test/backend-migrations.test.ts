/**
 * Several backends started at once on one empty database all come up (issue 15.5: on
 * PostgreSQL the loser of two concurrent `CREATE TABLE IF NOT EXISTS schema_migrations` crashed
 * on a duplicate key), agree on one KEK file and one registration key, and apply each migration
 * once: in one process (PostgreSQL, many rounds: cheap) and as separate `fobkit-backend serve`
 * processes of the built bin (both databases; an SQLite file is only ever shared between
 * processes).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openBackend } from '../backend/src/openBackend.js';
import { getRegistrationKey } from '../backend/src/service/registrationKey.js';
import { SCHEMA_VERSION } from '../backend/src/store/migrations.js';
import { createTestDatabase, databaseKinds } from '../backend/src/testing/harness.js';

// The built bin (rebuild after changing backend/src): six tsx loaders at once cost a minute here.
const CLI = [join(import.meta.dirname, '..', 'backend/bin/fobkit-backend.js')];
const kinds = await databaseKinds('backend-migrations');

/** Starts `serve` and resolves with its ready event or its exit (code and stderr) when it fails to start. */
function serve(args: string[], cwd: string): Promise<{ ready: { kekFile: string; createdKek: boolean } | undefined; exit: string }> {
  const child = spawn(process.execPath, [...CLI, 'serve', '--listen', '127.0.0.1:0', '--json', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  return new Promise((resolve) => {
    let ready: { kekFile: string; createdKek: boolean } | undefined;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const ev = JSON.parse(line) as { event: string; kekFile: string; createdKek: boolean };
      if (ev.event === 'ready' && !ready) {
        ready = ev;
        child.kill('SIGTERM');
      }
    });
    child.once('exit', (code) => resolve({ ready, exit: `exit ${code}: ${stderr.trim()}` }));
  });
}

describe.each(kinds)('concurrent start on an empty %s database', (kind) => {
  if (kind === 'postgres') {
    it('6 backends opened together in one process all succeed, 5 rounds', { timeout: 120_000 }, async () => {
      for (let round = 0; round < 5; round++) {
        const db = await createTestDatabase(kind);
        try {
          const kekFile = join(db.dir, 'shared.kek');
          const results = await Promise.allSettled(Array.from({ length: 6 }, () => openBackend({ db: db.spec, kekFile })));
          const opened = results.filter((r) => r.status === 'fulfilled').map((r) => r.value);
          try {
            expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason)), `round ${round}`).toEqual([]);
            expect(opened.filter((b) => b.createdKek)).toHaveLength(1);
            const kids = new Set(await Promise.all(opened.map(async (b) => (await getRegistrationKey(b.ctx)).kid)));
            expect(kids.size).toBe(1);
            const versions = await opened[0]!.ctx.db.all<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
            expect(versions.map((v) => v.version).at(-1)).toBe(SCHEMA_VERSION);
          } finally {
            await Promise.all(opened.map((b) => b.close()));
          }
        } finally {
          await db.cleanup();
        }
      }
    });
  }

  it('6 `fobkit-backend serve` processes started together all come up with one KEK file, 2 rounds', { timeout: 180_000 }, async () => {
    for (let round = 0; round < 2; round++) {
      const db = await createTestDatabase(kind);
      try {
        const kekFile = join(db.dir, 'shared.kek');
        expect(existsSync(kekFile)).toBe(false);
        const results = await Promise.all(Array.from({ length: 6 }, () => serve(['--db', db.spec, '--kek-file', kekFile], db.dir)));
        expect(results.filter((r) => !r.ready).map((r) => r.exit), `round ${round}`).toEqual([]);
        expect(results.filter((r) => r.ready!.createdKek)).toHaveLength(1);
        // Every instance kept the key it started with: the file was not replaced by a later one.
        const file = JSON.parse(readFileSync(kekFile, 'utf8')) as { keys: Record<string, string> };
        expect(Object.keys(file.keys)).toHaveLength(1);
        const check = await openBackend({ db: db.spec, kekFile, createKek: false });
        await check.close();
      } finally {
        await db.cleanup();
      }
    }
  });
});
