/**
 * Who holds a lock on a file: the kernel's own table (`/proc/locks`, Linux), so that a refusal
 * can name the other process without any lock file of ours that could go stale. flock locks
 * (serial ports, serialport's `lock: true`) and POSIX record locks (SQLite's, the journal lock)
 * both appear there with the pid that took them. Elsewhere, or when the table cannot be read,
 * the holder is simply unknown.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { LockHolder } from '../errors.js';

/** glibc's dev_t split (the kernel prints MAJOR:MINOR of the inode's device in hex). */
function deviceNumbers(dev: number): { major: number; minor: number } {
  const high = Math.floor(dev / 2 ** 32);
  const low = dev % 2 ** 32;
  return { major: ((low >>> 8) & 0xfff) | ((high & 0xfffff000) >>> 0), minor: (low & 0xff) | ((low >>> 12) & 0xfff00) };
}

/**
 * A few words of the process's command line: the program and the words after it up to the first
 * option, at most three. Never an option or its value (an API key on a command line must not be
 * copied into another process's error message), nor a positional past the subcommand (a code).
 */
export function describeCommand(argv: readonly string[]): string | undefined {
  const words: string[] = [];
  for (const a of argv) {
    if (a.startsWith('-') || words.length === 3) break;
    words.push(words.length < 2 ? basename(a) : a);
  }
  return words.length ? words.join(' ').slice(0, 120) : undefined;
}

function commandOf(pid: number, procDir: string): string | undefined {
  try {
    return describeCommand(readFileSync(`${procDir}/${pid}/cmdline`, 'utf8').split('\0').filter((w) => w.length > 0));
  } catch {
    return undefined;
  }
}

export interface FindLockHolderOptions {
  /** Default `/proc` (tests point it elsewhere). */
  procDir?: string;
  /** A pid not to report (default: none; the caller's own pid is reported like any other). */
  exceptPid?: number;
}

/**
 * The process holding a lock on `path`, or undefined when none is found or the lock table
 * cannot be read. Never throws.
 */
export function findLockHolder(path: string, options: FindLockHolderOptions = {}): LockHolder | undefined {
  const procDir = options.procDir ?? '/proc';
  let table: string;
  let key: string;
  try {
    const st = statSync(path);
    const { major, minor } = deviceNumbers(st.dev);
    key = `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}:${st.ino}`;
    table = readFileSync(`${procDir}/locks`, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of table.split('\n')) {
    // "1: FLOCK  ADVISORY  WRITE 4242 00:19:3 0 EOF"; waiters are listed as "1: -> FLOCK ...".
    const f = line.trim().split(/\s+/);
    if (f.length < 6 || f[1] === '->' || f[5] !== key) continue;
    const pid = Number(f[4]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === options.exceptPid) continue;
    const command = commandOf(pid, procDir);
    return command ? { pid, command } : { pid };
  }
  return undefined;
}

/** "pid 4242 (node main.js provision)", or "another process" when unknown. */
export function formatLockHolder(holder: LockHolder | undefined): string {
  if (!holder) return 'another process';
  return holder.pid === process.pid ? `this process (pid ${holder.pid})` : `pid ${holder.pid}${holder.command ? ` (${holder.command})` : ''}`;
}
