/**
 * The simulator's files in a state directory, beside the flash images: the directory lock, each
 * fob's hardware-unique key (0600) and its battery-backed hardware state (FLASH.md §4).
 */
import { chmodSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { join } from 'node:path';
import { SimError } from './errors.js';
import type { FobHardwareSnapshot } from './fob/fob.js';

export interface HardwareFile extends FobHardwareSnapshot {
  version: 1;
  hardwareId: string;
  rootPublicKey: string;
}

export const LOCK_FILE = 'sim.lock';

/**
 * One simulator per state directory: two processes writing the same flash images would corrupt
 * them. A lock left by a process that no longer runs is taken over.
 * @throws SimError FLASH_IO naming the process that holds the directory.
 */
export function lockStateDir(dir: string): void {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new SimError('FLASH_IO', `cannot lock ${dir}`, { cause: e });
    }
    const holder = Number.parseInt(readFileSync(path, 'utf8'), 10);
    if (Number.isInteger(holder) && holder > 0 && isRunning(holder)) {
      throw new SimError('FLASH_IO', `${dir} is in use by another simulator (pid ${holder}${holder === process.pid ? ', this process: close the other Simulator first' : ''})`);
    }
    rmSync(path, { force: true });
  }
  throw new SimError('FLASH_IO', `cannot lock ${dir}`);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function loadOrCreateSecret(path: string): Uint8Array {
  if (existsSync(path)) {
    const b = readFileSync(path);
    if (b.length === 32) return new Uint8Array(b);
    throw new SimError('FLASH_IO', `${path} is not a 32-byte key`);
  }
  const key = new Uint8Array(nodeRandomBytes(32));
  writeFileSync(path, key, { mode: 0o600 });
  chmodSync(path, 0o600);
  return key;
}

export function readHardwareFile(path: string): HardwareFile | null {
  if (!existsSync(path)) return null;
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as HardwareFile;
    if (parsed.version !== 1 || typeof parsed.hardwareId !== 'string' || !parsed.rtc || !parsed.battery) throw new Error('unexpected content');
    return parsed;
  } catch (cause) {
    throw new SimError('FLASH_IO', `cannot read ${path}`, { cause });
  }
}

export function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 1) + '\n', { mode: 0o600 });
  renameSync(tmp, path);
}
