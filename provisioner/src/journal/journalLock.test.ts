import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireJournalLock } from './journalLock.js';
import { describeCommand } from '../files/findLockHolder.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('acquireJournalLock', () => {
  it('refuses a second holder with JOURNAL_BUSY naming it, and is free again once released', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fobkit-journal-lock-'));
    dirs.push(dir);
    const journal = join(dir, 'sub', 'journal.db');
    const first = acquireJournalLock(journal);
    let refused: unknown;
    try {
      acquireJournalLock(journal);
    } catch (e) {
      refused = e;
    }
    expect(refused).toMatchObject({ code: 'JOURNAL_BUSY', path: journal });
    // The kernel's lock table names the holder on Linux (this very process here).
    if (process.platform === 'linux') expect(refused).toMatchObject({ holder: { pid: process.pid } });
    first.release();
    first.release();
    const again = acquireJournalLock(journal);
    again.release();
  });
});

describe('describeCommand', () => {
  it('keeps the program and subcommand, never an option, its value or a later positional', () => {
    expect(describeCommand(['/usr/bin/node', '/opt/fobkit/dist/cli/main.js', 'provision', '--api-key', 'fbk_1_secret'])).toBe('node main.js provision');
    expect(describeCommand(['/usr/bin/node', '/x/main.js', 'check', 'FK00000013', '123456'])).toBe('node main.js check');
    expect(describeCommand(['socat', '-d', 'pty,link=/tmp/a'])).toBe('socat');
    expect(describeCommand(['--secret=abc'])).toBeUndefined();
  });
});
