/**
 * Atomic record storage on NOR flash with two alternating slots (A/B), the scheme of FLASH.md:
 * every update writes a complete record with the next generation number and a CRC-32 into the
 * slot that does NOT hold the current record; at boot the valid record with the highest
 * generation wins. A power cut while erasing or programming leaves a slot that fails its CRC, so
 * the fob comes back with the previous record (the state before) or, if the record was complete,
 * with the new one (the state after), never something in between.
 *
 * The power-cut injector tears the next commit at a chosen point (during the erase, or after N
 * programmed bytes) and throws SimError POWER_CUT: the caller treats that as the fob losing power.
 */
import { crc32 } from 'node:zlib';
import { SimError } from '../errors.js';
import type { FlashDevice } from './flashDevice.js';

/** FLASH.md §1: image header on page 0. */
export const IMAGE_MAGIC = [0x46, 0x4b, 0x46, 0x49] as const; // "FKFI"
export const IMAGE_LAYOUT_VERSION = 1;
export const IMAGE_HEADER_BYTES = 20;
/** FLASH.md §2: record header. */
export const RECORD_MAGIC = [0x46, 0x52] as const; // "FR"
export const RECORD_FORMAT = 1;
export const RECORD_HEADER_BYTES = 10;
export const RECORD_CRC_BYTES = 4;
export const SLOT_PAGES = 2;
export const SLOT_COUNT = 2;

export type FlashStatus =
  /** A valid record was found. */
  | 'ok'
  /** Header written, no record ever completed (erased slots, or a torn first commit). */
  | 'virgin'
  /** No valid record although the slots hold data (or the header is damaged). */
  | 'corrupt';

export interface PowerCut {
  /** Tear the commit after this many further complete commits (0 = the next one). */
  skip?: number;
  /** Where to stop: in the middle of erasing the slot, or after `bytes` programmed bytes. */
  phase: 'erase' | 'program';
  /** For `program`: bytes programmed before the cut (rounded down to the program unit). For `erase`: bytes of the first page erased. */
  bytes?: number;
}

export interface FlashCommitCost {
  pageErases: number;
  programmedBytes: number;
}

export interface LoadedRecord {
  status: FlashStatus;
  generation: number;
  payload: Uint8Array | null;
}

export class FlashStore {
  readonly device: FlashDevice;
  readonly hardwareId: Uint8Array;
  private generation = 0;
  private currentSlot = -1;
  private cut: PowerCut | null = null;
  /** Complete commits since this store was opened. */
  commits = 0;

  /**
   * Opens the store on `device`. A fully erased device is "manufactured": the image header with
   * `hardwareId` is written (this is factory programming, not a fob flash write).
   */
  constructor(device: FlashDevice, hardwareId: Uint8Array) {
    if (hardwareId.length !== 8) throw new RangeError('hardwareId must be 8 bytes');
    if (device.pageCount < 1 + SLOT_PAGES * SLOT_COUNT) throw new RangeError(`flash needs at least ${1 + SLOT_PAGES * SLOT_COUNT} pages`);
    this.device = device;
    const header = device.read(0, IMAGE_HEADER_BYTES);
    if (header.every((b) => b === 0xff)) {
      device.program(0, encodeImageHeader(device, hardwareId));
      this.hardwareId = hardwareId.slice();
    } else {
      this.hardwareId = decodeImageHeader(header)?.hardwareId ?? hardwareId.slice();
    }
  }

  /** The hardware id in an image file's header, or null when the header is erased or damaged. */
  static readHardwareId(device: FlashDevice): Uint8Array | null {
    return decodeImageHeader(device.read(0, IMAGE_HEADER_BYTES))?.hardwareId ?? null;
  }

  get slotBytes(): number {
    return SLOT_PAGES * this.device.pageSize;
  }

  /** Largest payload a slot holds. */
  get maxPayload(): number {
    return this.slotBytes - RECORD_HEADER_BYTES - RECORD_CRC_BYTES;
  }

  /** Reads both slots and selects the newest valid record. */
  load(): LoadedRecord {
    const headerOk = decodeImageHeader(this.device.read(0, IMAGE_HEADER_BYTES)) !== null;
    let best: { slot: number; generation: number; payload: Uint8Array } | null = null;
    // With A/B slots a complete record always survives a later torn write, so "no valid record"
    // has exactly one innocent cause: the very first commit was torn. Its slots are then erased or
    // hold the start of a generation-1 record; anything else is damage.
    let firstCommitTorn = true;
    for (let slot = 0; slot < SLOT_COUNT; slot++) {
      const raw = this.device.read(this.slotOffset(slot), this.slotBytes);
      const erased = raw.every((b) => b === 0xff);
      const genOne = raw[0] === RECORD_MAGIC[0] && raw[1] === RECORD_MAGIC[1] && new DataView(raw.buffer).getUint32(4) === 1;
      if (!erased && !genOne) firstCommitTorn = false;
      const rec = decodeRecord(raw);
      if (rec && (!best || rec.generation > best.generation)) best = { slot, ...rec };
    }
    if (best && headerOk) {
      this.generation = best.generation;
      this.currentSlot = best.slot;
      return { status: 'ok', generation: best.generation, payload: best.payload };
    }
    this.generation = 0;
    this.currentSlot = -1;
    return { status: firstCommitTorn && headerOk ? 'virgin' : 'corrupt', generation: 0, payload: null };
  }

  /**
   * Re-initialises a corrupt image: rewrites the header and erases both slots. The caller then
   * commits a fresh record (and says so: FLASH.md §4).
   */
  reformat(): void {
    this.device.erasePage(0);
    this.device.program(0, encodeImageHeader(this.device, this.hardwareId));
    for (let p = 1; p < 1 + SLOT_PAGES * SLOT_COUNT; p++) this.device.erasePage(p);
    this.generation = 0;
    this.currentSlot = -1;
  }

  /** Tears a future commit (see {@link PowerCut}). */
  armPowerCut(cut: PowerCut): void {
    if (cut.phase !== 'erase' && cut.phase !== 'program') throw new RangeError("phase must be 'erase' or 'program'");
    this.cut = { skip: cut.skip ?? 0, phase: cut.phase, bytes: cut.bytes };
  }

  disarmPowerCut(): void {
    this.cut = null;
  }

  get powerCutArmed(): boolean {
    return this.cut !== null;
  }

  /**
   * Writes `payload` as the next record, atomically (A/B). Returns what it cost (for the timing model).
   * @throws SimError POWER_CUT when an armed power cut tears this commit; FLASH_FULL when too big.
   */
  commit(payload: Uint8Array): FlashCommitCost {
    if (payload.length > this.maxPayload) throw new SimError('FLASH_FULL', `record of ${payload.length} bytes exceeds the slot payload of ${this.maxPayload}`);
    const slot = this.currentSlot === 0 ? 1 : 0;
    const record = encodeRecord(this.generation + 1, payload, this.device.programUnit);
    const base = this.slotOffset(slot);
    const firstPage = base / this.device.pageSize;
    let cut: PowerCut | null = null;
    if (this.cut) {
      if ((this.cut.skip ?? 0) > 0) this.cut.skip = (this.cut.skip ?? 0) - 1;
      else {
        cut = this.cut;
        this.cut = null;
      }
    }
    if (cut?.phase === 'erase') {
      this.device.erasePage(firstPage, cut.bytes ?? this.device.pageSize / 2);
      throw new SimError('POWER_CUT', 'power cut while erasing a flash slot');
    }
    for (let p = 0; p < SLOT_PAGES; p++) this.device.erasePage(firstPage + p);
    if (cut?.phase === 'program') {
      const unit = this.device.programUnit;
      const n = Math.min(record.length, Math.floor((cut.bytes ?? record.length / 2) / unit) * unit);
      if (n > 0) this.device.program(base, record.subarray(0, n));
      throw new SimError('POWER_CUT', `power cut after ${n} of ${record.length} programmed bytes`);
    }
    this.device.program(base, record);
    this.generation++;
    this.currentSlot = slot;
    this.commits++;
    return { pageErases: SLOT_PAGES, programmedBytes: record.length };
  }

  get currentGeneration(): number {
    return this.generation;
  }

  private slotOffset(slot: number): number {
    return this.device.pageSize * (1 + slot * SLOT_PAGES);
  }
}

function encodeImageHeader(device: FlashDevice, hardwareId: Uint8Array): Uint8Array {
  const h = new Uint8Array(IMAGE_HEADER_BYTES);
  h.set(IMAGE_MAGIC, 0);
  h[4] = IMAGE_LAYOUT_VERSION;
  h[5] = Math.log2(device.pageSize);
  h[6] = SLOT_PAGES;
  h[7] = SLOT_COUNT;
  h.set(hardwareId, 8);
  new DataView(h.buffer).setUint32(16, crc32(h.subarray(0, 16)));
  return h;
}

function decodeImageHeader(h: Uint8Array): { hardwareId: Uint8Array } | null {
  if (h.length < IMAGE_HEADER_BYTES || !IMAGE_MAGIC.every((b, i) => h[i] === b) || h[4] !== IMAGE_LAYOUT_VERSION) return null;
  if (new DataView(h.buffer, h.byteOffset).getUint32(16) !== crc32(h.subarray(0, 16))) return null;
  return { hardwareId: h.slice(8, 16) };
}

/** FLASH.md §2: magic | format | flags | generation u32 | length u16 | payload | crc32, padded with 0xFF. */
export function encodeRecord(generation: number, payload: Uint8Array, programUnit = 1): Uint8Array {
  const len = RECORD_HEADER_BYTES + payload.length + RECORD_CRC_BYTES;
  const out = new Uint8Array(Math.ceil(len / programUnit) * programUnit).fill(0xff);
  const dv = new DataView(out.buffer);
  out.set(RECORD_MAGIC, 0);
  out[2] = RECORD_FORMAT;
  out[3] = 0;
  dv.setUint32(4, generation);
  dv.setUint16(8, payload.length);
  out.set(payload, RECORD_HEADER_BYTES);
  dv.setUint32(RECORD_HEADER_BYTES + payload.length, crc32(out.subarray(0, RECORD_HEADER_BYTES + payload.length)));
  return out;
}

/** The record in a slot, or null when the slot holds no complete, intact record. */
export function decodeRecord(raw: Uint8Array): { generation: number; payload: Uint8Array } | null {
  if (raw.length < RECORD_HEADER_BYTES + RECORD_CRC_BYTES) return null;
  if (raw[0] !== RECORD_MAGIC[0] || raw[1] !== RECORD_MAGIC[1] || raw[2] !== RECORD_FORMAT) return null;
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const generation = dv.getUint32(4);
  const length = dv.getUint16(8);
  if (generation === 0 || generation === 0xffff_ffff) return null;
  const end = RECORD_HEADER_BYTES + length;
  if (end + RECORD_CRC_BYTES > raw.length) return null;
  if (dv.getUint32(end) !== crc32(raw.subarray(0, end))) return null;
  return { generation, payload: raw.slice(RECORD_HEADER_BYTES, end) };
}
