/**
 * Finds plugged-in fobs: serialport's port list filtered by the USB vendor/product ids of the
 * station configuration (`--ports auto`). Explicit `--port` paths are checked for existence, so
 * `--watch` notices a device node (or a simulator's pty) appearing and disappearing.
 */
import { existsSync } from 'node:fs';
import { SerialPort } from 'serialport';
import type { UsbId } from '../config/stationConfig.js';

export interface ListedPort {
  path: string;
  vendorId?: string;
  productId?: string;
  serialNumber?: string;
}

export type ListPorts = () => Promise<ListedPort[]>;

/** Paths of the listed ports whose USB ids are in `usb` (case-insensitive). */
export async function listFobPorts(usb: readonly UsbId[], listPorts: ListPorts = () => SerialPort.list()): Promise<string[]> {
  const wanted = new Set(usb.map((u) => `${u.vendorId.toLowerCase()}:${u.productId.toLowerCase()}`));
  const ports = await listPorts();
  return ports.filter((p) => p.vendorId && p.productId && wanted.has(`${p.vendorId.toLowerCase()}:${p.productId.toLowerCase()}`)).map((p) => p.path).sort();
}

/** The explicit paths that exist right now. */
export function presentPaths(paths: readonly string[]): string[] {
  return paths.filter((p) => existsSync(p));
}
