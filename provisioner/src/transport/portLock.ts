/**
 * One process per serial port. serialport's `lock: true` takes `flock(fd, LOCK_EX | LOCK_NB)` on
 * the opened device (bindings-cpp, serialport_unix.cpp) and fails the open with "Cannot lock
 * port" when another open file holds it. On Linux that works for a pty's slave (/dev/pts/N) as
 * for a USB CDC-ACM device: the lock is on the inode, so two processes (or two opens in one
 * process) exclude each other, and the kernel drops it when the holder dies, so a killed station
 * never leaves a stale lock behind. It does not stop a program that opens the port without
 * asking for the lock (a terminal emulator); every fobkit command asks.
 *
 * The refusal names the holder from the kernel's lock table when it can ({@link findLockHolder}).
 */
import { realpathSync } from 'node:fs';
import { BusyError, StationError } from '../errors.js';
import { findLockHolder, formatLockHolder } from '../files/findLockHolder.js';

/** True when an open failed only because another open file holds the port's lock. */
export function isPortLockRefusal(err: unknown): boolean {
  return err instanceof Error && /cannot lock port/i.test(err.message);
}

function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** PORT_BUSY for `path`, naming the process that holds it when the kernel says. */
export function portBusyError(path: string, cause?: unknown): BusyError {
  const holder = findLockHolder(realPath(path));
  return new BusyError('PORT_BUSY', `${path} is in use by ${formatLockHolder(holder)}: one process per port (stop the other one, or use another port)`, path, holder, { cause });
}

/**
 * PORT_UNAVAILABLE for a port that cannot be opened for another reason (missing, permissions),
 * with serialport's message made readable: "Error: No such file or directory, cannot open X"
 * becomes "no such file or directory".
 */
export function portUnavailableError(path: string, cause: unknown): StationError {
  const raw = cause instanceof Error ? cause.message : String(cause);
  const reason = raw.replace(/^Error:?\s*/i, '').replace(/,?\s*cannot open .*$/i, '').trim() || raw;
  const hint = /no such file/i.test(reason) ? ' (is the fob plugged in, the simulator running, the path typed right?)' : /permission denied/i.test(reason) ? ' (is this user in the dialout group?)' : '';
  return new StationError('PORT_UNAVAILABLE', `cannot open ${path}: ${reason.charAt(0).toLowerCase()}${reason.slice(1)}${hint}`, { cause });
}
