/**
 * `fobkit provision --offline-export FILE` (issue "Interoperability", "Where users reach it"):
 * a station without a backend. This {@link StationBackend} stands in for the backend so that the
 * pipeline, the journal and the outbox keep every invariant of the factory station unchanged:
 *
 * - registering a fob = adding its KeyPackage to an encrypted PSKC (RFC 6030) file, written to a
 *   temporary file, fsynced, renamed over the export and the directory fsynced, before the
 *   outbox acknowledges it — so no fob is locked before its seed is durably in the export;
 * - the journal keeps the seed sealed, as always, to an X25519 key this station derives from
 *   the export's own protection secret (HKDF of the pre-shared key; PBKDF2 then HKDF of the
 *   password): whoever can open the journal's sealed seeds can already open the export, no one
 *   else can, and a restarted station can finish a registration a crash interrupted;
 * - serials come from the operator's `--serial-range START-END` (fobkit serials with their check
 *   digits); the next unused one is recorded in the journal, and the journal's serial table
 *   never gives one to two fobs;
 * - activation has nothing to do and is acknowledged at once.
 *
 * With `--insecure-plaintext` there is no secret to derive from: the seal key is random and
 * lives in memory for one run only, so a registration a crash interrupted cannot be finished;
 * the fob (never locked) is then set aside by the pipeline and must be wiped and provisioned
 * again.
 */
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { hkdf } from '@noble/hashes/hkdf.js';
import { pbkdf2 } from '@noble/hashes/pbkdf2.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { openSealed } from '@fobkit/protocol/session';
import { formatSerial, parseSerial } from '@fobkit/protocol/serial';
import { readPskc, writePskc, type PskcKeyPackage, type PskcProtection } from '@fobkit/protocol/formats';
import type { OtpAlgorithm, OtpDigits } from '@fobkit/protocol/otp';
import { BackendError, StationError } from '../errors.js';
import type { RegistrationKey, StationBackend } from '../backendApi/backendClient.js';
import type { RegistrationPayload, StationJournal } from '../journal/stationJournal.js';
import { writePrivateFile } from '../files/writePrivateFile.js';

/** An inclusive range of fobkit serials, by sequence number. */
export interface SerialRange {
  first: number;
  last: number;
}

export interface OfflineExportOptions {
  /** The PSKC file this station writes (mode 0600). */
  file: string;
  /** PSK or password protection; absent only with `insecurePlaintext`. */
  protection?: PskcProtection;
  insecurePlaintext?: boolean;
  serialRange: SerialRange;
  journal: StationJournal;
  /** KeyContainer/@Id. */
  batch: string;
  manufacturer?: string;
}

const SEAL_LABEL = 'fobkit/offline-export/seal/v1';
/** PBKDF2-SHA-256 work for a password-derived seal key (once per station start). */
const SEAL_PBKDF2_ITERATIONS = 200_000;
const META_NEXT_SERIAL = 'offline-serial-next';
const MAX_SERIAL_SEQUENCE = 9_999_999;

/**
 * Parses `FK00001004-FK00001996` (each with its check digit) into sequence numbers.
 * @throws RangeError naming what is wrong.
 */
export function parseSerialRange(text: string): SerialRange {
  const m = /^\s*([A-Za-z0-9]+)\s*-\s*([A-Za-z0-9]+)\s*$/.exec(text);
  if (!m) throw new RangeError(`--serial-range must be START-END, two fobkit serials such as ${formatSerial(1000)}-${formatSerial(1999)}`);
  const seq = (s: string): number => {
    const r = parseSerial(s);
    if (!r.ok) throw new RangeError(`--serial-range: ${r.message}`);
    return r.sequence;
  };
  const first = seq(m[1]!);
  const last = seq(m[2]!);
  if (last < first) throw new RangeError(`--serial-range: ${m[2]} comes before ${m[1]}`);
  return { first, last };
}

/** The seal key pair of an export: derived from its protection secret, or random (plaintext). */
export function deriveOfflineSealKey(protection: PskcProtection | undefined): { privateKey: Uint8Array; publicKey: Uint8Array; kid: string } {
  let ikm: Uint8Array;
  if (!protection) ikm = new Uint8Array(nodeRandomBytes(32));
  else if (protection.kind === 'psk') ikm = Uint8Array.from(protection.key);
  else ikm = pbkdf2(sha256, new TextEncoder().encode(protection.password), new TextEncoder().encode(SEAL_LABEL), { c: SEAL_PBKDF2_ITERATIONS, dkLen: 32 });
  const privateKey = hkdf(sha256, ikm, new TextEncoder().encode(SEAL_LABEL), new TextEncoder().encode('x25519 private key'), 32);
  ikm.fill(0);
  const publicKey = x25519.getPublicKey(privateKey);
  const kid = `offline-${Buffer.from(sha256(publicKey).subarray(0, 6)).toString('hex')}`;
  return { privateKey, publicKey, kid };
}

export class OfflineExportBackend implements StationBackend {
  readonly file: string;
  private readonly protection: PskcProtection | undefined;
  private readonly journal: StationJournal;
  private readonly range: SerialRange;
  private readonly batch: string;
  private readonly manufacturer: string;
  private readonly seal: { privateKey: Uint8Array; publicKey: Uint8Array; kid: string };
  /** One file rewrite at a time (the outbox delivers several registrations in parallel). */
  private writing: Promise<unknown> = Promise.resolve();

  /** @throws StationError CONFIG_INVALID when the protection is missing or the export cannot be read with it. */
  constructor(o: OfflineExportOptions) {
    if (!o.protection && !o.insecurePlaintext) throw new StationError('CONFIG_INVALID', '--offline-export needs --psk-file or --password-file (or --insecure-plaintext for a file that never leaves a protected system)');
    if (o.protection && o.insecurePlaintext) throw new StationError('CONFIG_INVALID', '--insecure-plaintext contradicts --psk-file/--password-file');
    this.file = resolve(o.file);
    this.protection = o.protection;
    this.journal = o.journal;
    this.range = o.serialRange;
    this.batch = o.batch;
    this.manufacturer = o.manufacturer ?? 'fobkit';
    this.seal = deriveOfflineSealKey(o.protection);
  }

  /** Checks that an existing export opens with this protection (so a wrong key fails at start, not at the first fob). */
  async check(): Promise<{ fobs: number }> {
    const keys = await this.readExisting();
    for (const k of keys) k.secret.fill(0);
    return { fobs: keys.length };
  }

  /** The key the pipeline seals each journaled seed to (context `seed:<serial>`). */
  get registrationKey(): RegistrationKey {
    return { kid: this.seal.kid, publicKey: this.seal.publicKey };
  }

  getRegistrationKey(): Promise<RegistrationKey> {
    return Promise.resolve(this.registrationKey);
  }

  /** The next `count` serials of the range, recorded in the journal before they are handed out. */
  reserveSerials(count: number): Promise<string[]> {
    const stored = Number(this.journal.getMeta(META_NEXT_SERIAL) ?? NaN);
    const next = Number.isSafeInteger(stored) ? Math.max(stored, this.range.first) : this.range.first;
    const end = Math.min(this.range.last, next + count - 1, MAX_SERIAL_SEQUENCE);
    if (next > end) {
      return Promise.reject(new StationError('NO_SERIALS', `the serial range ${formatSerial(this.range.first)}-${formatSerial(this.range.last)} is used up: give the next block with --serial-range`));
    }
    const serials: string[] = [];
    for (let s = next; s <= end; s++) serials.push(formatSerial(s));
    // The high-water mark first: a crash in between wastes serials, never reuses one.
    this.journal.transaction(() => this.journal.setMeta(META_NEXT_SERIAL, String(end + 1)), { durable: true });
    return Promise.resolve(serials);
  }

  /**
   * Opens the seed and adds its KeyPackage to the export (replacing one with the same serial, so
   * a registration repeated after a crash is idempotent). Resolves only once the file is fsynced.
   * @throws BackendError (not retryable) when the seed does not open with this export's key.
   */
  register(p: RegistrationPayload): Promise<{ serial: string; state: string }> {
    const job = this.writing.then(() => this.addToExport(p));
    this.writing = job.catch(() => undefined);
    return job;
  }

  activate(): Promise<{ state: string }> {
    return Promise.resolve({ state: 'available' });
  }

  /** Zeroes the seal key. */
  close(): void {
    this.seal.privateKey.fill(0);
  }

  private async readExisting(): Promise<PskcKeyPackage[]> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new StationError('CONFIG_INVALID', `cannot read the offline export ${this.file}: ${(e as Error).message}`, { cause: e });
    }
    try {
      const r = readPskc(bytes, this.protection?.kind === 'psk' ? { psk: this.protection.key } : this.protection?.kind === 'password' ? { password: this.protection.password } : {});
      if ((r.protection === 'plaintext') !== !this.protection) throw new Error(`it is ${r.protection === 'plaintext' ? 'not encrypted' : `${r.protection}-protected`}`);
      return r.keys;
    } catch (e) {
      throw new StationError('CONFIG_INVALID', `the offline export ${this.file} exists but does not open with the given protection (${(e as Error).message}): use another file or the key it was written with`, { cause: e });
    }
  }

  private async addToExport(p: RegistrationPayload): Promise<{ serial: string; state: string }> {
    if (p.kid !== this.seal.kid) {
      throw new BackendError('BACKEND_REJECTED', `the seed of ${p.serial} was sealed to ${p.kid}, not to this export's key ${this.seal.kid} (another protection key, or an --insecure-plaintext run that crashed)`, 422, 'UNKNOWN_KID');
    }
    let secret: Uint8Array;
    try {
      secret = openSealed({ recipientPrivateKey: this.seal.privateKey, envelope: p.sealedSecret, context: `seed:${p.serial}` });
    } catch (cause) {
      throw new BackendError('BACKEND_REJECTED', `the journaled seed of ${p.serial} does not open with this export's key`, 422, 'SEAL_FAILED', { cause });
    }
    const keys = (await this.readExisting()).filter((k) => {
      if (k.serial !== p.serial) return true;
      k.secret.fill(0);
      return false;
    });
    try {
      keys.push({
        serial: p.serial, keyId: p.serial, secret, type: 'totp', algorithm: p.algorithm as OtpAlgorithm, digits: p.digits as OtpDigits,
        period: p.period, t0: p.t0, manufacturer: this.manufacturer, model: p.model,
        startDate: new Date(p.provisionedAt * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        // TimeDrift is in steps (RFC 6030 §4.3.4): the fob's clock offset measured at SET_TIME.
        timeDrift: Math.round(p.clockOffset / p.period), policy: { keyUsage: ['OTP'] },
      });
      const text = writePskc({ keys, id: this.batch, ...(this.protection ? { protection: this.protection } : { insecurePlaintext: true }) });
      try {
        await writePrivateFile(this.file, text, { mode: 'replace' });
      } catch (e) {
        // Retryable: the registration stays in the outbox and the fob unlocked until a write succeeds.
        throw new BackendError('BACKEND_UNREACHABLE', `cannot write the offline export ${this.file}: ${(e as Error).message}`, 0, 'EXPORT_FAILED', { cause: e });
      }
    } finally {
      for (const k of keys) k.secret.fill(0);
    }
    return { serial: p.serial, state: 'exported' };
  }
}
