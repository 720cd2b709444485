/**
 * The fob's persistent state and its encoding as a flash record payload (FLASH.md §3): a list of
 * TLV fields (tag u8, length u16 BE, value), unknown tags skipped so a newer firmware's record
 * still loads. The secrets (the device's X25519 private key and the OTP seed) are never stored in
 * the clear: they sit in one AES-256-GCM field under the device's hardware-unique key (HUK, which
 * a real MCU keeps in fuses and the simulator in a separate 0600 file), bound to the hardware id.
 */
import { createCipheriv, createDecipheriv, randomBytes as nodeRandomBytes } from 'node:crypto';
import type { OtpAlgorithm, OtpDigits } from '@fobkit/protocol/otp';

export type LifeState = 'blank' | 'serialised' | 'programmed' | 'locked';
export const LIFE_STATES: readonly LifeState[] = ['blank', 'serialised', 'programmed', 'locked'];

export interface SeedSlot {
  secret: Uint8Array;
  algorithm: OtpAlgorithm;
  digits: OtpDigits;
  period: number;
  t0: number;
  /** First 8 bytes of SHA-256(secret): recognises a retried PROGRAM_SEED. */
  check: Uint8Array;
}

export interface FobRecord {
  state: LifeState;
  serial: string | null;
  devicePublicKey: Uint8Array;
  devicePrivateKey: Uint8Array;
  seed: SeedSlot | null;
  wipes: number;
  /** Failed authentications over the fob's life. */
  failedAuthTotal: number;
  /** Consecutive failed authentications (drives the growing delay; a success resets it). */
  failedAuthStreak: number;
  /** The newest root-signed revocation list the fob has seen, as received. */
  crl: Uint8Array | null;
  crlSeq: number;
  /** Set when the fob found no valid record in flash and reinitialised itself (sticky). */
  flashRecovered: boolean;
  /**
   * Whole Unix seconds that true time is known to be past (SPEC.md "Clock guard"): never lowered.
   * Certificates that expired before it are refused even without a clock.
   */
  timeFloor: number;
  /** The locked fob's clock reference (SPEC.md "Clock guard"); null until LOCK and after WIPE. */
  clockRef: ClockReference | null;
}

/**
 * What a locked fob's SET_TIME is judged against (SPEC.md "Clock guard"): the clock value at the
 * reference (LOCK, or the set that followed a lost clock) and the RTC's free-running counter then.
 * `time + (counter now − counter)` is the uncorrected clock, which no station can move.
 */
export interface ClockReference {
  time: number;
  counter: number;
}

/** FLASH.md §3 tags. */
export const TAG = {
  state: 0x01,
  serial: 0x02,
  devicePublicKey: 0x03,
  sealedSecrets: 0x04,
  otpProfile: 0x05,
  seedCheck: 0x06,
  wipes: 0x07,
  failedAuthTotal: 0x08,
  failedAuthStreak: 0x09,
  crl: 0x0a,
  crlSeq: 0x0b,
  flags: 0x0c,
  timeFloor: 0x0d,
  clockRef: 0x0e,
} as const;
/** Inside the sealed field. */
const SECRET_TAG = { devicePrivateKey: 0x01, seed: 0x02 } as const;
const ALGORITHMS: readonly OtpAlgorithm[] = ['sha1', 'sha256', 'sha512'];
const SEAL_AAD_LABEL = 'fobkit/flash/v1';

function tlv(tag: number, value: Uint8Array): Uint8Array {
  const out = new Uint8Array(3 + value.length);
  out[0] = tag;
  out[1] = value.length >> 8;
  out[2] = value.length & 0xff;
  out.set(value, 3);
  return out;
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0);
  return b;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function parseTlv(buf: Uint8Array): Map<number, Uint8Array> | null {
  const fields = new Map<number, Uint8Array>();
  let o = 0;
  while (o < buf.length) {
    if (o + 3 > buf.length) return null;
    const tag = buf[o]!;
    const len = (buf[o + 1]! << 8) | buf[o + 2]!;
    if (o + 3 + len > buf.length) return null;
    fields.set(tag, buf.subarray(o + 3, o + 3 + len));
    o += 3 + len;
  }
  return fields;
}

function aad(hardwareId: Uint8Array): Uint8Array {
  return concat([new TextEncoder().encode(SEAL_AAD_LABEL), hardwareId]);
}

/** Encodes a record for flash. Temporary plaintext buffers are zeroed. */
export function encodeFobRecord(r: FobRecord, huk: Uint8Array, hardwareId: Uint8Array, randomBytes: (n: number) => Uint8Array = nodeRandomBytes): Uint8Array {
  const secretParts = [tlv(SECRET_TAG.devicePrivateKey, r.devicePrivateKey)];
  if (r.seed) secretParts.push(tlv(SECRET_TAG.seed, r.seed.secret));
  const plain = concat(secretParts);
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', huk, nonce);
  cipher.setAAD(aad(hardwareId));
  const sealed = concat([nonce, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  plain.fill(0);
  for (const p of secretParts) p.fill(0);

  const parts = [
    tlv(TAG.state, Uint8Array.of(LIFE_STATES.indexOf(r.state))),
    tlv(TAG.devicePublicKey, r.devicePublicKey),
    tlv(TAG.sealedSecrets, sealed),
    tlv(TAG.wipes, u32(r.wipes)),
    tlv(TAG.failedAuthTotal, u32(r.failedAuthTotal)),
    tlv(TAG.failedAuthStreak, u32(r.failedAuthStreak)),
    tlv(TAG.crlSeq, u32(r.crlSeq)),
    tlv(TAG.flags, Uint8Array.of(r.flashRecovered ? 1 : 0)),
  ];
  if (r.serial !== null) parts.push(tlv(TAG.serial, new TextEncoder().encode(r.serial)));
  if (r.seed) {
    const profile = new Uint8Array(12);
    const dv = new DataView(profile.buffer);
    profile[0] = ALGORITHMS.indexOf(r.seed.algorithm);
    profile[1] = r.seed.digits;
    dv.setUint16(2, r.seed.period);
    dv.setFloat64(4, r.seed.t0);
    parts.push(tlv(TAG.otpProfile, profile), tlv(TAG.seedCheck, r.seed.check));
  }
  if (r.crl) parts.push(tlv(TAG.crl, r.crl));
  if (r.timeFloor > 0) parts.push(tlv(TAG.timeFloor, u32(r.timeFloor)));
  if (r.clockRef) {
    const ref = new Uint8Array(16);
    const dv = new DataView(ref.buffer);
    dv.setFloat64(0, r.clockRef.time);
    dv.setFloat64(8, r.clockRef.counter);
    parts.push(tlv(TAG.clockRef, ref));
  }
  return concat(parts);
}

/**
 * Decodes a record payload; null when it is not a well-formed record for this device (which the
 * caller reports as a flash fault, never as a blank fob).
 */
export function decodeFobRecord(payload: Uint8Array, huk: Uint8Array, hardwareId: Uint8Array): FobRecord | null {
  const f = parseTlv(payload);
  if (!f) return null;
  const stateByte = f.get(TAG.state)?.[0];
  const pub = f.get(TAG.devicePublicKey);
  const sealed = f.get(TAG.sealedSecrets);
  if (stateByte === undefined || stateByte >= LIFE_STATES.length || !pub || pub.length !== 32 || !sealed || sealed.length < 28) return null;
  let plain: Uint8Array;
  try {
    const d = createDecipheriv('aes-256-gcm', huk, sealed.subarray(0, 12));
    d.setAAD(aad(hardwareId));
    d.setAuthTag(sealed.subarray(sealed.length - 16));
    plain = new Uint8Array(Buffer.concat([d.update(sealed.subarray(12, sealed.length - 16)), d.final()]));
  } catch {
    return null;
  }
  const secrets = parseTlv(plain);
  const devicePrivateKey = secrets?.get(SECRET_TAG.devicePrivateKey)?.slice();
  const seedSecret = secrets?.get(SECRET_TAG.seed)?.slice();
  plain.fill(0);
  if (!devicePrivateKey || devicePrivateKey.length !== 32) return null;
  const num = (tag: number): number => {
    const v = f.get(tag);
    return v && v.length === 4 ? new DataView(v.buffer, v.byteOffset).getUint32(0) : 0;
  };
  let seed: SeedSlot | null = null;
  const profile = f.get(TAG.otpProfile);
  const check = f.get(TAG.seedCheck);
  if (seedSecret && profile && profile.length === 12 && check && check.length === 8) {
    const dv = new DataView(profile.buffer, profile.byteOffset, 12);
    const algorithm = ALGORITHMS[profile[0]!];
    const digits = profile[1];
    if (!algorithm || (digits !== 6 && digits !== 7 && digits !== 8)) return null;
    seed = { secret: seedSecret, algorithm, digits, period: dv.getUint16(2), t0: dv.getFloat64(4), check: check.slice() };
  }
  const state = LIFE_STATES[stateByte]!;
  if ((state === 'programmed' || state === 'locked') !== (seed !== null)) return null;
  const serial = f.get(TAG.serial);
  const ref = f.get(TAG.clockRef);
  let clockRef: ClockReference | null = null;
  if (ref) {
    if (ref.length !== 16) return null;
    const dv = new DataView(ref.buffer, ref.byteOffset, 16);
    clockRef = { time: dv.getFloat64(0), counter: dv.getFloat64(8) };
    if (!Number.isFinite(clockRef.time) || !Number.isFinite(clockRef.counter)) return null;
  }
  return {
    state,
    serial: serial ? new TextDecoder().decode(serial) : null,
    devicePublicKey: pub.slice(),
    devicePrivateKey,
    seed,
    wipes: num(TAG.wipes),
    failedAuthTotal: num(TAG.failedAuthTotal),
    failedAuthStreak: num(TAG.failedAuthStreak),
    crl: f.get(TAG.crl)?.slice() ?? null,
    crlSeq: num(TAG.crlSeq),
    flashRecovered: ((f.get(TAG.flags)?.[0] ?? 0) & 1) === 1,
    timeFloor: num(TAG.timeFloor),
    clockRef,
  };
}
