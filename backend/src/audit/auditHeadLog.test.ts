/** The server's audit-head log: once at start, then once per interval, with the head at that time. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openBackend } from '../openBackend.js';
import { createApiKey } from '../service/apiKeyStore.js';
import { startAuditHeadLog, type AuditHeadLogTimers } from './auditHeadLog.js';
import type { AuditHead } from './auditLog.js';

const dir = mkdtempSync(join(tmpdir(), 'fobkit-audit-head-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('startAuditHeadLog', () => {
  it('logs the head at start and at every tick of its interval, and stops', async () => {
    const b = await openBackend({ db: `sqlite:${join(dir, 'a.db')}`, clock: () => 1_800_000_000 });
    try {
      let tick: (() => void) | undefined;
      let every = 0;
      let cleared = false;
      const timers: AuditHeadLogTimers = {
        setInterval: (fn, ms) => {
          tick = fn;
          every = ms;
          return 1;
        },
        clearInterval: () => {
          cleared = true;
        },
      };
      const logged: AuditHead[] = [];
      const log = await startAuditHeadLog({ db: b.ctx.db, log: (h) => logged.push(h), timers });
      expect(every).toBe(86_400_000);
      expect(logged).toHaveLength(1);
      expect(logged[0]!.seq).toBe(1); // the registration key's creation
      await createApiKey(b.ctx, 'test', 'admin');
      tick!();
      await expect.poll(() => logged.length).toBe(2);
      expect(logged[1]).toMatchObject({ seq: 2, at: 1_800_000_000 });
      expect(logged[1]!.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(logged[1]!.hash).not.toBe(logged[0]!.hash);
      log.stop();
      expect(cleared).toBe(true);
    } finally {
      await b.close();
    }
  });
});
