/**
 * Finds plugged-in fobs: serialport's port list filtered by the USB vendor/product ids of the
 * station configuration (`--ports auto`). Explicit `--port` paths are checked for existence, so
 * `--watch` notices a device node (or a simulator's pty) appearing and disappearing.
 */
import { existsSync } from 'node:fs';
import { SerialPort } from 'serialport';
import type { UsbId } from '../config/stationConfig.js';
import { StationError } from '../errors.js';

export interface ListedPort {
  path: string;
  vendorId?: string;
  productId?: string;
  serialNumber?: string;
}

export type ListPorts = () => Promise<ListedPort[]>;

/**
 * Paths of the listed ports whose USB ids are in `usb` (case-insensitive).
 * @throws StationError NO_PORTS when the list cannot be read.
 */
export async function listFobPorts(usb: readonly UsbId[], listPorts: ListPorts = () => SerialPort.list()): Promise<string[]> {
  const wanted = new Set(usb.map((u) => `${u.vendorId.toLowerCase()}:${u.productId.toLowerCase()}`));
  let ports: ListedPort[];
  try {
    ports = await listPorts();
  } catch (cause) {
    throw new StationError('NO_PORTS', `cannot list the serial ports (${(cause as Error).message}); on Linux this needs udevadm (package udev), or give --port PATH`, { cause });
  }
  return ports.filter((p) => p.vendorId && p.productId && wanted.has(`${p.vendorId.toLowerCase()}:${p.productId.toLowerCase()}`)).map((p) => p.path).sort();
}

/** The explicit paths that exist right now. */
export function presentPaths(paths: readonly string[]): string[] {
  return paths.filter((p) => existsSync(p));
}
