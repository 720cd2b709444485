/**
 * FobSession: the station's end of the conversation with one fob (DEVELOPERS.md "Client"), one
 * method per wire command over a Transport. It matches responses to requests by type and
 * request id (one request in flight at a time), times each attempt out, and retries only what is
 * safe to retry (SPEC.md "Retries"):
 *   - reads (HELLO, GET_STATUS, CALCULATE, CODE_NOW) and commands the fob treats as idempotent
 *     (SET_SERIAL same serial, PROGRAM_SEED same seed — checked by `check` —, LOCK same serial)
 *     are re-sent after a timeout, each attempt with a new request id and, in a session, a new
 *     record counter;
 *   - SET_TIME is re-sent with the time moved on by the time that passed;
 *   - WIPE is never re-sent blindly: after a timeout the state is read first;
 *   - BEGIN_SESSION needs a fresh HELLO for every attempt (the fob's nonce is single-use);
 *   - BUSY is retried after the fob's retryMs; every other error response is final.
 * PROGRAM_SEED is refused locally unless a session is established, so a seed never crosses the
 * wire in the clear.
 */
import { randomBytes as nobleRandomBytes } from '@noble/hashes/utils.js';
import { DeviceError, ProtocolError, SessionError, TransportError } from '../errors.js';
import { constantTimeEqual } from '../otp/constantTimeEqual.js';
import { FrameFlags, MessageType, PROTOCOL_VERSION, WireErrorCode, messageName, type MessageName } from '../wire/constants.js';
import { FrameAccumulator } from '../wire/FrameAccumulator.js';
import { encodeFrame, encodeFrameHeader, type Frame } from '../wire/frame.js';
import { decodeErrorBody, decodeResponse, encodeRequest } from '../wire/messageCodec.js';
import { SCHEMA_HASH, type RequestBodies, type ResponseBodies } from '../wire/schema.js';
import { seedCheck } from '../wire/seedCheck.js';
import type * as M from '../wire/messages.js';
import { createStationHandshake, type StationCredentials } from '../session/createStationHandshake.js';
import type { SecureChannel } from '../session/secureChannel.js';
import { sessionReasonFromMessage, type SessionFailureReason } from '../session/sessionFailure.js';
import type { Transport } from './Transport.js';

/** Injected timers, so tests fire timeouts without sleeping. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export type FobSessionEvent =
  | { type: 'retry'; command: MessageName; attempt: number; reason: 'timeout' | 'busy' }
  | { type: 'frame-dropped'; reason: string; bytes: number }
  | { type: 'unexpected-frame'; messageType: number; requestId: number };

export interface FobSessionOptions {
  /** The transport (opened by the caller, before the first command); the session never closes it. */
  transport: Transport;
  /** Per attempt (default 2000 ms). */
  timeoutMs?: number;
  /** Extra attempts after the first for retryable failures (default 2; 0..10). */
  retries?: number;
  /** Longest BUSY wait honoured before giving up (default 5000 ms). */
  maxBusyWaitMs?: number;
  timers?: Timers;
  /** Unix seconds; used to move a re-sent SET_TIME on. */
  clock?: () => number;
  randomBytes?: (n: number) => Uint8Array;
  /** Diagnostics (never carries a secret). */
  onEvent?: (event: FobSessionEvent) => void;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Overrides the session's per-attempt timeout. */
  timeoutMs?: number;
}

export interface HelloResult extends M.HelloResponse {
  /** False only with `acceptSchemaMismatch` (otherwise a mismatch throws). */
  schemaMatches: boolean;
}

export interface ProgramSeedOptions {
  /** The OTP secret; the caller keeps ownership (and zeroes it). */
  secret: Uint8Array;
  algorithm: M.OtpAlgorithmName;
  digits: 6 | 7 | 8;
  period: number;
  t0: number;
}

export interface WipeResult extends M.WipeResponse {
  /** 'status' when the answer was lost and the wipe was confirmed by GET_STATUS. */
  confirmedBy: 'response' | 'status';
}

interface Pending {
  type: number;
  requestId: number;
  resolve(frame: Frame): void;
  reject(error: unknown): void;
}

interface ExchangePolicy {
  /** Re-send after a timeout. */
  retryOnTimeout: boolean;
  /** Refuse to send unless a session is established. */
  secureOnly?: boolean;
  /** Zero the encoded request bodies when done (they hold a secret). */
  secret?: boolean;
  /** Always in the clear, even in a session (HELLO: its bodies are the transcript). */
  plain?: boolean;
}

const defaultTimers: Timers = { setTimeout: (cb, ms) => setTimeout(cb, ms), clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) };

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

export class FobSession {
  readonly #transport: Transport;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #maxBusyWaitMs: number;
  readonly #timers: Timers;
  readonly #clock: () => number;
  readonly #randomBytes: (n: number) => Uint8Array;
  readonly #onEvent: ((event: FobSessionEvent) => void) | undefined;
  readonly #frames: FrameAccumulator;
  readonly #unsubscribe: (() => void)[];
  #pending: Pending | undefined;
  #line: Promise<void> = Promise.resolve();
  #nextRequestId = 1;
  #closed: TransportError | undefined;
  #hello: { request: Uint8Array; response: Uint8Array; pub: Uint8Array } | undefined;
  #send: SecureChannel | undefined;
  #receive: SecureChannel | undefined;
  #sid: Uint8Array | undefined;

  /** @throws RangeError on a bad option. */
  constructor(options: FobSessionOptions) {
    const { transport, timeoutMs = 2000, retries = 2, maxBusyWaitMs = 5000 } = options;
    if (!transport || typeof transport.write !== 'function') throw new TypeError('transport must be a Transport');
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError('timeoutMs must be a positive number');
    if (!Number.isInteger(retries) || retries < 0 || retries > 10) throw new RangeError('retries must be an integer 0..10');
    this.#transport = transport;
    this.#timeoutMs = timeoutMs;
    this.#retries = retries;
    this.#maxBusyWaitMs = maxBusyWaitMs;
    this.#timers = options.timers ?? defaultTimers;
    this.#clock = options.clock ?? (() => Date.now() / 1000);
    this.#randomBytes = options.randomBytes ?? nobleRandomBytes;
    this.#onEvent = options.onEvent;
    this.#frames = new FrameAccumulator({ onDrop: (d) => this.#onEvent?.({ type: 'frame-dropped', reason: d.reason, bytes: d.bytes }) });
    this.#unsubscribe = [
      transport.onData((chunk) => {
        for (const frame of this.#frames.push(chunk)) this.#onFrame(frame);
      }),
      transport.onClose((error) => this.#shutdown(error ?? new TransportError('disconnected', `${transport.description} closed`))),
    ];
  }

  /** True once beginSession succeeded, until the session ends. */
  get isSecure(): boolean {
    return this.#send !== undefined;
  }

  /** The session id of the established session. */
  get sessionId(): Uint8Array | undefined {
    return this.#sid?.slice();
  }

  /** Ends the session (zeroes its keys), fails a waiting request as canceled, detaches from the transport. */
  close(): void {
    this.#shutdown(new TransportError('canceled', 'the fob session was closed'));
  }

  // ---- commands -------------------------------------------------------------------------------

  /**
   * HELLO: who the fob is, and the start of a session transcript.
   * @throws ProtocolError SCHEMA_MISMATCH when the fob speaks another protocol version or message
   *   schema (unless `acceptSchemaMismatch`); TIMEOUT, DISCONNECTED, CANCELED; DeviceError.
   */
  async hello(options: CallOptions & { acceptSchemaMismatch?: boolean } = {}): Promise<HelloResult> {
    const nonce = this.#randomBytes(16);
    const { raw, request } = await this.#exchange(MessageType.HELLO, () => encodeRequest(MessageType.HELLO, { v: PROTOCOL_VERSION, nonce }), { retryOnTimeout: true, plain: true }, options);
    const hello = decodeResponse(MessageType.HELLO, raw);
    const schemaMatches = hello.v === PROTOCOL_VERSION && constantTimeEqual(hello.schema, SCHEMA_HASH);
    if (!schemaMatches && !options.acceptSchemaMismatch) {
      throw new ProtocolError(
        'SCHEMA_MISMATCH',
        `the fob (${hello.model} hw ${hello.hw} fw ${hello.fw}) speaks protocol v${hello.v} schema ${hex(hello.schema)}; this station speaks v${PROTOCOL_VERSION} schema ${hex(SCHEMA_HASH)}. Update the station software or the fob firmware so they match.`,
      );
    }
    this.#hello = { request, response: raw, pub: hello.pub };
    return { ...hello, schemaMatches };
  }

  /**
   * Opens a secure session with the station's credentials (sends HELLO first when this session
   * holds no unused HELLO). Any previous session ends.
   * @throws SessionError (code CERT_INVALID or SESSION_FAILED, with `reason`) when the fob refuses
   *   or its answer does not authenticate; TIMEOUT after the retries; DISCONNECTED; CANCELED.
   */
  async beginSession(station: StationCredentials, options: CallOptions = {}): Promise<{ sid: Uint8Array }> {
    for (let attempt = 0; ; attempt++) {
      const hello = this.#hello ?? (await this.hello(options), this.#hello!);
      this.#hello = undefined; // the fob's nonce is single-use: one BEGIN_SESSION per HELLO
      this.#endSecure();
      const hs = createStationHandshake({ helloRequestBody: hello.request, helloResponseBody: hello.response, fobPublicKey: hello.pub, station, randomBytes: this.#randomBytes });
      let frame: Frame;
      try {
        frame = await this.#attempt(MessageType.BEGIN_SESSION, encodeRequest(MessageType.BEGIN_SESSION, hs.request), undefined, options);
      } catch (e) {
        hs.send.close();
        hs.receive.close();
        if (e instanceof ProtocolError && e.code === 'TIMEOUT' && attempt < this.#retries) {
          this.#onEvent?.({ type: 'retry', command: 'BEGIN_SESSION', attempt: attempt + 1, reason: 'timeout' });
          continue;
        }
        throw e;
      }
      try {
        const raw = this.#unwrap(frame, hs.receive, true);
        if (raw.error) {
          const device = new DeviceError(MessageType.BEGIN_SESSION, raw.error);
          if (raw.error.code === WireErrorCode.BUSY && attempt < this.#retries) {
            hs.send.close();
            hs.receive.close();
            await this.#busyWait(raw.error, 'BEGIN_SESSION', attempt, options);
            continue;
          }
          const reason: SessionFailureReason | undefined = sessionReasonFromMessage(raw.error.msg) ?? (raw.error.code === WireErrorCode.CLOCK_INVALID ? 'clock-invalid' : undefined);
          if (reason === undefined) throw device; // e.g. RATE_LIMITED with retryMs: not a verdict on the credentials
          throw new SessionError(reason, `the fob refused the session: ${device.deviceName}${raw.error.msg ? `: ${raw.error.msg}` : ''}`, { cause: device, deviceCode: raw.error.code, deviceName: device.deviceName });
        }
        const { sid } = decodeResponse(MessageType.BEGIN_SESSION, raw.body);
        if (!constantTimeEqual(sid, hs.sid)) throw new SessionError('sid-mismatch');
        this.#send = hs.send;
        this.#receive = hs.receive;
        this.#sid = sid;
        return { sid: sid.slice() };
      } catch (e) {
        if (this.#send !== hs.send) {
          hs.send.close();
          hs.receive.close();
        }
        throw e;
      }
    }
  }

  /** GET_STATUS. */
  async getStatus(options: CallOptions = {}): Promise<M.GetStatusResponse> {
    return this.#command(MessageType.GET_STATUS, () => ({}), { retryOnTimeout: true }, options);
  }

  /** SET_SERIAL (needs a session; the same serial again is accepted by the fob, so retries are safe). */
  async setSerial(serial: string, options: CallOptions = {}): Promise<M.SetSerialResponse> {
    return this.#command(MessageType.SET_SERIAL, () => ({ serial }), { retryOnTimeout: true }, options);
  }

  /**
   * SET_TIME to `time` (Unix seconds; default: the session's clock now). A re-sent request
   * carries `time` plus the seconds that passed since the first attempt.
   */
  async setTime(time: number = this.#clock(), options: CallOptions = {}): Promise<M.SetTimeResponse> {
    const started = this.#clock();
    return this.#command(MessageType.SET_TIME, () => ({ time: Math.max(0, time + (this.#clock() - started)) }), { retryOnTimeout: true }, options);
  }

  /**
   * PROGRAM_SEED over the secure session only. The fob answers `check` = SHA-256(secret)[0..8);
   * a re-sent request after a lost answer is recognised by the fob as the same seed, and the
   * check proves the fob holds exactly this seed.
   * @throws SessionError 'no-session' before anything is sent when no session is established;
   *   ProtocolError BAD_MESSAGE when the fob confirms another seed; DeviceError; TIMEOUT.
   */
  async programSeed(seed: ProgramSeedOptions, options: CallOptions = {}): Promise<M.ProgramSeedResponse> {
    if (!this.isSecure) throw new SessionError('no-session', 'PROGRAM_SEED needs a secure session: a seed is never sent in the clear');
    const expected = seedCheck(seed.secret);
    const result = await this.#command(
      MessageType.PROGRAM_SEED,
      () => ({ secret: seed.secret, alg: seed.algorithm, digits: seed.digits, period: seed.period, t0: seed.t0 }),
      { retryOnTimeout: true, secureOnly: true, secret: true },
      options,
    );
    if (!constantTimeEqual(result.check, expected)) {
      throw new ProtocolError('BAD_MESSAGE', 'the fob confirmed a different seed than the one sent (check mismatch); do not lock or ship this fob');
    }
    return result;
  }

  /** CALCULATE: the code at `time` (refused by a locked fob). */
  async calculate(time: number, options: CallOptions = {}): Promise<M.CalculateResponse> {
    return this.#command(MessageType.CALCULATE, () => ({ time }), { retryOnTimeout: true }, options);
  }

  /** CODE_NOW: what the display shows now. */
  async codeNow(options: CallOptions = {}): Promise<M.CodeNowResponse> {
    return this.#command(MessageType.CODE_NOW, () => ({}), { retryOnTimeout: true }, options);
  }

  /** LOCK, confirmed by the fob's serial (irreversible; a locked fob answers ok to the same serial again). */
  async lock(serial: string, options: CallOptions = {}): Promise<M.LockResponse> {
    return this.#command(MessageType.LOCK, () => ({ serial }), { retryOnTimeout: true }, options);
  }

  /**
   * WIPE: erase the seed, keep the serial. Not idempotent on the fob, so after a timeout the
   * state is read first and the request re-sent only if the fob is not wiped yet.
   */
  async wipe(serial: string, options: CallOptions = {}): Promise<WipeResult> {
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await this.#command(MessageType.WIPE, () => ({ serial, confirm: 'WIPE' }), { retryOnTimeout: false }, options);
        return { ...r, confirmedBy: 'response' };
      } catch (e) {
        if (!(e instanceof ProtocolError && e.code === 'TIMEOUT') || attempt >= this.#retries) throw e;
        const status = await this.getStatus(options);
        if (status.state === 'serialised') return { state: status.state, wipes: status.wipes, confirmedBy: 'status' };
        this.#onEvent?.({ type: 'retry', command: 'WIPE', attempt: attempt + 1, reason: 'timeout' });
      }
    }
  }

  // ---- machinery ------------------------------------------------------------------------------

  async #command<T extends MessageType>(type: T, body: () => RequestBodies[T], policy: ExchangePolicy, options: CallOptions): Promise<ResponseBodies[T]> {
    const { raw } = await this.#exchange(type, () => encodeRequest(type, body()), policy, options);
    try {
      return decodeResponse(type, raw);
    } finally {
      raw.fill(0);
    }
  }

  /** Sends with retries; returns the plaintext response body and the last request body. */
  async #exchange(type: MessageType, encode: () => Uint8Array, policy: ExchangePolicy, options: CallOptions): Promise<{ raw: Uint8Array; request: Uint8Array }> {
    const name = messageName(type)!;
    for (let attempt = 0; ; attempt++) {
      if (policy.secureOnly && !this.isSecure) throw new SessionError('no-session', `${name} needs a secure session`);
      const request = encode();
      const receive = policy.plain ? undefined : this.#receive;
      let frame: Frame;
      try {
        frame = await this.#attempt(type, request, policy.plain ? undefined : this.#send, options);
      } catch (e) {
        if (policy.secret) request.fill(0);
        if (e instanceof ProtocolError && e.code === 'TIMEOUT' && policy.retryOnTimeout && attempt < this.#retries) {
          this.#onEvent?.({ type: 'retry', command: name, attempt: attempt + 1, reason: 'timeout' });
          continue;
        }
        throw e;
      }
      if (policy.secret) request.fill(0);
      const out = this.#unwrap(frame, receive, receive !== undefined);
      if (!out.error) return { raw: out.body, request };
      if (out.error.code === WireErrorCode.BUSY && attempt < this.#retries) {
        await this.#busyWait(out.error, name, attempt, options);
        continue;
      }
      const device = new DeviceError(type, out.error);
      const plain = (frame.flags & FrameFlags.SECURE) === 0;
      const sessionCodes: number[] = [WireErrorCode.AUTH_FAILED, WireErrorCode.REPLAYED, WireErrorCode.AUTH_REQUIRED];
      if (receive && plain && sessionCodes.includes(out.error.code)) {
        // The fob refused our record or lost the session: it is over on both ends.
        this.#endSecure();
        const reason = sessionReasonFromMessage(out.error.msg) ?? (out.error.code === WireErrorCode.REPLAYED ? 'replayed' : out.error.code === WireErrorCode.AUTH_REQUIRED ? 'no-session' : 'auth-failed');
        throw new SessionError(reason, `the fob ended the session: ${device.message}`, { cause: device, deviceCode: out.error.code, deviceName: device.deviceName });
      }
      throw device;
    }
  }

  /**
   * Opens a response: a SECURE body through `receive`, an ERROR body decoded. `mustBeSecure`:
   * a successful answer in the clear is a downgrade and refused.
   */
  #unwrap(frame: Frame, receive: SecureChannel | undefined, mustBeSecure: boolean): { body: Uint8Array; error?: undefined } | { error: M.ErrorBody; body?: undefined } {
    let body = frame.body;
    if (frame.flags & FrameFlags.SECURE) {
      if (!receive) throw new SessionError('not-secure', 'the fob sent a secure record outside a session');
      const opened = receive.open(encodeFrameHeader(frame), frame.body);
      if (!opened.ok) {
        this.#endSecure();
        throw new SessionError(opened.reason === 'replayed' ? 'replayed' : 'auth-failed', `a response from the fob did not authenticate (${opened.reason}); the session is closed`);
      }
      body = opened.plaintext;
    } else if (mustBeSecure && !(frame.flags & FrameFlags.ERROR)) {
      this.#endSecure();
      throw new SessionError('not-secure');
    }
    if (frame.flags & FrameFlags.ERROR) return { error: decodeErrorBody(body) };
    return { body };
  }

  async #busyWait(error: M.ErrorBody, command: MessageName, attempt: number, options: CallOptions): Promise<void> {
    const ms = Math.min(error.retryMs ?? 100, this.#maxBusyWaitMs);
    this.#onEvent?.({ type: 'retry', command, attempt: attempt + 1, reason: 'busy' });
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.#timers.clearTimeout(handle);
        reject(new TransportError('canceled', `${command} was canceled`));
      };
      const handle = this.#timers.setTimeout(() => {
        options.signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      if (options.signal?.aborted) onAbort();
      else options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** One request frame out, its response frame back; one at a time on the line. */
  async #attempt(type: MessageType, plaintext: Uint8Array, send: SecureChannel | undefined, options: CallOptions): Promise<Frame> {
    const previous = this.#line;
    let release!: () => void;
    this.#line = new Promise<void>((r) => (release = r));
    await previous;
    try {
      return await this.#roundTrip(type, plaintext, send, options);
    } finally {
      release();
    }
  }

  #roundTrip(type: MessageType, plaintext: Uint8Array, send: SecureChannel | undefined, options: CallOptions): Promise<Frame> {
    const name = messageName(type)!;
    if (this.#closed) return Promise.reject(this.#closed);
    if (!this.#transport.isOpen) return Promise.reject(new TransportError('disconnected', `${this.#transport.description} is not open`));
    if (options.signal?.aborted) return Promise.reject(new TransportError('canceled', `${name} was canceled`));
    if (send && send !== this.#send) return Promise.reject(new SessionError('no-session', 'the session ended'));
    const requestId = this.#nextRequestId;
    this.#nextRequestId = (this.#nextRequestId % 0xffff) + 1;
    const header = { version: PROTOCOL_VERSION, flags: send ? FrameFlags.SECURE : 0, type, requestId };
    const body = send ? send.seal(encodeFrameHeader(header), plaintext) : plaintext;
    const wire = encodeFrame({ ...header, body }, { leadingDelimiter: true });
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    return new Promise<Frame>((resolve, reject) => {
      const timer: { handle?: unknown } = {};
      const cleanup = () => {
        this.#timers.clearTimeout(timer.handle);
        options.signal?.removeEventListener('abort', onAbort);
        if (this.#pending === pending) this.#pending = undefined;
      };
      const onAbort = () => {
        cleanup();
        reject(new TransportError('canceled', `${name} was canceled`));
      };
      const pending: Pending = {
        type,
        requestId,
        resolve: (frame) => {
          cleanup();
          resolve(frame);
        },
        reject: (error) => {
          cleanup();
          reject(error);
        },
      };
      this.#pending = pending;
      options.signal?.addEventListener('abort', onAbort, { once: true });
      timer.handle = this.#timers.setTimeout(() => {
        cleanup();
        reject(new ProtocolError('TIMEOUT', `no answer to ${name} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#transport.write(wire).catch((e: unknown) => pending.reject(e instanceof TransportError ? e : new TransportError('disconnected', `cannot write to ${this.#transport.description}`, { cause: e })));
    });
  }

  #onFrame(frame: Frame): void {
    const p = this.#pending;
    if (!(frame.flags & FrameFlags.RESPONSE) || !p || frame.type !== p.type || frame.requestId !== p.requestId) {
      // A late answer to an attempt we gave up on, or noise that passed the CRC: not ours.
      this.#onEvent?.({ type: 'unexpected-frame', messageType: frame.type, requestId: frame.requestId });
      return;
    }
    p.resolve(frame);
  }

  #endSecure(): void {
    this.#send?.close();
    this.#receive?.close();
    this.#send = undefined;
    this.#receive = undefined;
    this.#sid = undefined;
  }

  #shutdown(error: TransportError): void {
    if (!this.#closed) this.#closed = error;
    this.#endSecure();
    this.#hello = undefined;
    for (const off of this.#unsubscribe.splice(0)) off();
    this.#pending?.reject(error);
  }
}
