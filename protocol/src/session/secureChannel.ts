/**
 * The record layer of the secure session (SPEC.md §Secure session, "Records"): one
 * SecureChannel per direction, AES-256-GCM (NIST SP 800-38D) with a 96-bit nonce made of
 * 4 zero bytes and the record counter (u64 BE). Record body: `counter u64 BE | ciphertext | tag`.
 * The associated data is the frame header, so a record cannot be moved to another message type,
 * request id or flag set. The counter is unique per key (each direction has its own key), which
 * is the one thing GCM needs; the receiver accepts only counters above the highest it has
 * authenticated, so a replayed or reordered record is refused.
 */
import { aesGcmOpen, aesGcmSeal } from './_aesGcm.js';
import { assertBytes } from './_bytes.js';

export const RECORD_COUNTER_BYTES = 8;
export const RECORD_TAG_BYTES = 16;
/** Bytes a record adds to its plaintext. */
export const RECORD_OVERHEAD = RECORD_COUNTER_BYTES + RECORD_TAG_BYTES;
const MAX_COUNTER = (1n << 64n) - 1n;

export type RecordFailureReason = 'malformed' | 'replayed' | 'auth-failed' | 'closed';

export type OpenRecordResult = { ok: true; plaintext: Uint8Array; counter: bigint } | { ok: false; reason: RecordFailureReason };

export interface SecureChannelOptions {
  /** 32-byte AES key; the channel keeps its own copy and zeroes it on close. */
  key: Uint8Array;
  /** A channel either seals (this side sends) or opens (this side receives), never both. */
  direction: 'send' | 'receive';
}

function nonceFor(counter: bigint): Uint8Array {
  const nonce = new Uint8Array(12);
  new DataView(nonce.buffer).setBigUint64(4, counter, false);
  return nonce;
}

export class SecureChannel {
  readonly direction: 'send' | 'receive';
  #key: Uint8Array;
  /** Last counter sealed (send) or highest counter authenticated (receive); 0 = none yet. */
  #counter = 0n;
  #closed = false;

  constructor(options: SecureChannelOptions) {
    assertBytes(options.key, 'key', 32);
    if (options.direction !== 'send' && options.direction !== 'receive') throw new TypeError("direction must be 'send' or 'receive'");
    this.#key = Uint8Array.from(options.key);
    this.direction = options.direction;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The last counter sealed or accepted (0n before the first record). */
  get counter(): bigint {
    return this.#counter;
  }

  /**
   * Encrypts `plaintext` into a record body bound to `aad` (the frame header). Counters start at 1.
   * @throws Error when the channel is closed, is a receive channel, or its counter is exhausted.
   */
  seal(aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    assertBytes(aad, 'aad');
    assertBytes(plaintext, 'plaintext');
    if (this.#closed) throw new Error('secure channel is closed');
    if (this.direction !== 'send') throw new Error('a receive channel cannot seal');
    if (this.#counter >= MAX_COUNTER) throw new Error('secure channel counter exhausted; start a new session');
    const counter = ++this.#counter;
    const nonce = nonceFor(counter);
    const sealed = aesGcmSeal(this.#key, nonce, aad, plaintext);
    const record = new Uint8Array(RECORD_COUNTER_BYTES + sealed.length);
    record.set(nonce.subarray(4), 0);
    record.set(sealed, RECORD_COUNTER_BYTES);
    return record;
  }

  /**
   * Authenticates and decrypts a record body. Never throws on bad input: the result says why
   * a record was refused. A refused record leaves the channel's state unchanged.
   */
  open(aad: Uint8Array, record: Uint8Array): OpenRecordResult {
    if (this.#closed) return { ok: false, reason: 'closed' };
    if (this.direction !== 'receive') throw new Error('a send channel cannot open');
    if (!(aad instanceof Uint8Array) || !(record instanceof Uint8Array) || record.length < RECORD_OVERHEAD) return { ok: false, reason: 'malformed' };
    const counter = new DataView(record.buffer, record.byteOffset, record.byteLength).getBigUint64(0, false);
    // Replay check first and explicitly: a counter not above the highest accepted is refused.
    if (counter <= this.#counter) return { ok: false, reason: 'replayed' };
    const plaintext = aesGcmOpen(this.#key, nonceFor(counter), aad, record.subarray(RECORD_COUNTER_BYTES));
    if (!plaintext) return { ok: false, reason: 'auth-failed' };
    this.#counter = counter;
    return { ok: true, plaintext, counter };
  }

  /** Zeroes the key; later seals throw and opens fail with 'closed'. Idempotent. */
  close(): void {
    this.#key.fill(0);
    this.#closed = true;
  }
}
