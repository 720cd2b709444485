/**
 * The MCU's NOR flash as the firmware sees it: pages that are erased to 0xFF as a whole and then
 * programmed in small units, where programming can only clear bits (so writing over unerased data
 * corrupts it, as on the real part). Two backings: a file per fob (the simulator's state dir) and
 * memory (unit tests, the 1,000-fob bench).
 */
import { closeSync, fsyncSync, openSync, readSync, writeSync, fstatSync } from 'node:fs';
import { SimError } from '../errors.js';

export interface FlashGeometry {
  pageSize: number;
  pageCount: number;
  /** Smallest programmable unit in bytes (a double word on common Cortex-M parts). */
  programUnit: number;
}

/** 1 KiB pages, 8-byte program unit: an STM32L0/L4-like part; 5 pages is header + A/B slots of 2 pages. */
export const DEFAULT_GEOMETRY: Readonly<FlashGeometry> = { pageSize: 1024, pageCount: 5, programUnit: 8 };

export interface FlashDevice extends FlashGeometry {
  read(offset: number, length: number): Uint8Array;
  /** Erases `page`, or only its first `bytes` bytes (a torn erase). */
  erasePage(page: number, bytes?: number): void;
  /** Programs `bytes` at `offset`; bits can only go from 1 to 0. */
  program(offset: number, bytes: Uint8Array): void;
  /** Makes every write durable (fsync for a file). */
  sync(): void;
  close(): void;
}

abstract class BaseFlash implements FlashDevice {
  readonly pageSize: number;
  readonly pageCount: number;
  readonly programUnit: number;
  protected readonly cells: Uint8Array;

  protected constructor(geometry: FlashGeometry, cells: Uint8Array) {
    this.pageSize = geometry.pageSize;
    this.pageCount = geometry.pageCount;
    this.programUnit = geometry.programUnit;
    this.cells = cells;
  }

  get size(): number {
    return this.cells.length;
  }

  read(offset: number, length: number): Uint8Array {
    this.bounds(offset, length);
    return this.cells.slice(offset, offset + length);
  }

  erasePage(page: number, bytes = this.pageSize): void {
    if (!Number.isInteger(page) || page < 0 || page >= this.pageCount) throw new RangeError(`page ${page} out of range`);
    const start = page * this.pageSize;
    this.cells.fill(0xff, start, start + Math.min(bytes, this.pageSize));
    this.persist(start, Math.min(bytes, this.pageSize));
  }

  program(offset: number, bytes: Uint8Array): void {
    this.bounds(offset, bytes.length);
    if (offset % this.programUnit !== 0) throw new RangeError(`program offset ${offset} is not aligned to ${this.programUnit}`);
    for (let i = 0; i < bytes.length; i++) this.cells[offset + i]! &= bytes[i]!;
    this.persist(offset, bytes.length);
  }

  sync(): void {}
  close(): void {}

  protected abstract persist(offset: number, length: number): void;

  private bounds(offset: number, length: number): void {
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > this.cells.length) {
      throw new RangeError(`flash access ${offset}+${length} outside 0..${this.cells.length}`);
    }
  }
}

/** Flash held in memory; `image()` exposes a copy for tests. */
export class MemoryFlash extends BaseFlash {
  constructor(geometry: FlashGeometry = DEFAULT_GEOMETRY, initial?: Uint8Array) {
    const cells = new Uint8Array(geometry.pageSize * geometry.pageCount).fill(0xff);
    if (initial) cells.set(initial.subarray(0, cells.length));
    super(geometry, cells);
  }

  image(): Uint8Array {
    return this.cells.slice();
  }

  protected persist(): void {}
}

/**
 * Flash backed by a file of exactly `pageSize × pageCount` bytes. Every erase and program is
 * written through to the file at once (a process killed mid-run leaves what the flash would
 * hold); `sync()` adds an fsync.
 * @throws SimError FLASH_IO when the file cannot be opened or has the wrong size.
 */
export class FileFlash extends BaseFlash {
  readonly path: string;
  private fd: number | null;

  constructor(path: string, geometry: FlashGeometry = DEFAULT_GEOMETRY) {
    const size = geometry.pageSize * geometry.pageCount;
    const cells = new Uint8Array(size).fill(0xff);
    let fd: number;
    try {
      fd = openSync(path, 'a+', 0o600);
      closeSync(fd);
      fd = openSync(path, 'r+', 0o600);
      const actual = fstatSync(fd).size;
      if (actual === 0) {
        writeSync(fd, cells, 0, size, 0);
      } else if (actual !== size) {
        closeSync(fd);
        throw new SimError('FLASH_IO', `flash image ${path} is ${actual} bytes, expected ${size}`);
      } else {
        readSync(fd, cells, 0, size, 0);
      }
    } catch (cause) {
      if (cause instanceof SimError) throw cause;
      throw new SimError('FLASH_IO', `cannot open flash image ${path}`, { cause });
    }
    super(geometry, cells);
    this.path = path;
    this.fd = fd;
  }

  override sync(): void {
    if (this.fd !== null) fsyncSync(this.fd);
  }

  override close(): void {
    if (this.fd === null) return;
    try {
      fsyncSync(this.fd);
    } finally {
      closeSync(this.fd);
      this.fd = null;
    }
  }

  protected persist(offset: number, length: number): void {
    if (this.fd === null) throw new SimError('FLASH_IO', `flash image ${this.path} is closed`);
    try {
      writeSync(this.fd, this.cells, offset, length, offset);
    } catch (cause) {
      throw new SimError('FLASH_IO', `cannot write flash image ${this.path}`, { cause });
    }
  }
}
