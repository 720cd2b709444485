/**
 * One station process per journal, for the station's whole life. Two stations writing one
 * journal interleave their steps and can take a fob's stage backwards (issue 16: a fob locked
 * while the journal said "lock failed"). SQLite's own locking only serialises transactions.
 *
 * The lock is an exclusive SQLite transaction held open on a companion file `<journal>.lock`
 * (empty, never written): SQLite takes a POSIX record lock, which the kernel drops when the
 * process dies, so a killed station leaves no stale lock, and no pid file has to be trusted.
 * It is a separate file so that reading the journal while a station runs (support, tests, the
 * station's own readers) still works. The file stays after release: deleting it would let a
 * process that opened the old inode and one that creates a new one both think they hold it.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { BusyError, StationError } from '../errors.js';
import { findLockHolder, formatLockHolder } from '../files/findLockHolder.js';

export interface JournalLock {
  /** The lock file's path. */
  readonly path: string;
  /** Lets the journal go (idempotent). */
  release(): void;
}

/** The lock file of the journal at `journalPath`. */
export function journalLockPath(journalPath: string): string {
  return `${journalPath}.lock`;
}

/**
 * Takes the journal's lock without waiting.
 * @throws BusyError JOURNAL_BUSY when another station (or another open of it in this process)
 *   holds it, naming the holder when known; StationError JOURNAL_FAILED when the lock file
 *   cannot be created.
 */
export function acquireJournalLock(journalPath: string): JournalLock {
  if (typeof journalPath !== 'string' || journalPath.length === 0) throw new TypeError('journalPath is required');
  const path = journalLockPath(journalPath);
  let db: Database.Database;
  try {
    mkdirSync(dirname(path), { recursive: true });
    db = new Database(path, { timeout: 0 });
  } catch (cause) {
    throw new StationError('JOURNAL_FAILED', `cannot create the journal lock ${path}: ${(cause as Error).message}`, { cause });
  }
  try {
    db.exec('BEGIN EXCLUSIVE');
  } catch (cause) {
    db.close();
    if ((cause as { code?: string }).code === 'SQLITE_BUSY') {
      const holder = findLockHolder(path);
      throw new BusyError('JOURNAL_BUSY', `the journal ${journalPath} is in use by ${formatLockHolder(holder)}: one station per journal (stop the other station, or give this one its own --journal)`, journalPath, holder, { cause });
    }
    throw new StationError('JOURNAL_FAILED', `cannot lock the journal ${journalPath}: ${(cause as Error).message}`, { cause });
  }
  let held = true;
  return {
    path,
    release() {
      if (!held) return;
      held = false;
      try {
        db.exec('ROLLBACK');
      } finally {
        db.close();
      }
    },
  };
}
