/**
 * A minimal station that speaks raw frames, for the simulator's own tests: it can do what a
 * well-behaved FobSession never does (replay a record, skip the session, send garbage), and it
 * checks the fob's answers at the frame level. Not part of the public API.
 */
import {
  FrameAccumulator,
  FrameFlags,
  MessageType,
  PROTOCOL_VERSION,
  decodeErrorBody,
  decodeResponse,
  encodeFrame,
  encodeFrameHeader,
  encodeRequest,
  type ErrorBody,
  type Frame,
  type RequestBodies,
  type ResponseBodies,
} from '@fobkit/protocol/wire';
import { createStationHandshake, type SecureChannel, type StationCredentials } from '@fobkit/protocol/session';

export interface ByteDuplex {
  write(bytes: Uint8Array): void;
  onData(listener: (chunk: Uint8Array) => void): void;
}

export type RawReply<T> = { ok: true; body: T; frame: Frame } | { ok: false; error: ErrorBody; frame: Frame };

export class RawStation {
  private readonly io: ByteDuplex;
  private readonly acc = new FrameAccumulator();
  private readonly waiting = new Map<number, (f: Frame) => void>();
  private readonly timers = new Map<number, ReturnType<typeof setTimeout>>();
  private nextId = 1;
  private session: { send: SecureChannel; receive: SecureChannel } | null = null;
  private lastHello: { request: Uint8Array; response: Uint8Array; pub: Uint8Array } | null = null;
  /** Every frame sent, as encoded on the wire (for replay tests). */
  readonly sent: Uint8Array[] = [];

  constructor(io: ByteDuplex) {
    this.io = io;
    io.onData((chunk) => {
      for (const f of this.acc.push(chunk)) {
        const w = this.waiting.get(f.requestId);
        if (w) {
          this.waiting.delete(f.requestId);
          w(f);
        }
      }
    });
  }

  /** Sends raw bytes (garbage, a replayed frame). */
  writeRaw(bytes: Uint8Array): void {
    this.io.write(bytes);
  }

  /** Waits for the frame answering `requestId` (e.g. after a replayed frame). */
  awaitReply(requestId: number, timeoutMs = 5000): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(requestId);
        this.timers.delete(requestId);
        reject(new Error(`no answer to request ${requestId} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.timers.set(requestId, timer);
      this.waiting.set(requestId, (f) => {
        clearTimeout(timer);
        this.timers.delete(requestId);
        resolve(f);
      });
    });
  }

  /** Sends a frame and waits for the frame answering its request id. */
  exchange(type: number, body: Uint8Array, flags = 0, timeoutMs = 5000): Promise<Frame> {
    const requestId = this.nextId++ & 0xffff;
    const header = { version: PROTOCOL_VERSION, flags, type, requestId };
    const wireBody = flags & FrameFlags.SECURE ? this.session!.send.seal(encodeFrameHeader(header), body) : body;
    const wire = encodeFrame({ ...header, body: wireBody }, { leadingDelimiter: true });
    this.sent.push(wire);
    const reply = this.awaitReply(requestId, timeoutMs);
    this.io.write(wire);
    return reply;
  }

  /** Sends a request (SECURE when `secure`, default: when a session exists) and decodes the answer. */
  async request<T extends MessageType>(type: T, body: RequestBodies[T], options: { secure?: boolean; timeoutMs?: number } = {}): Promise<RawReply<ResponseBodies[T]>> {
    const secure = options.secure ?? this.session !== null;
    const frame = await this.exchange(type, encodeRequest(type, body), secure ? FrameFlags.SECURE : 0, options.timeoutMs);
    return this.decode(type, frame);
  }

  /** Decodes a reply frame (opening it when SECURE). */
  decode<T extends MessageType>(type: T, frame: Frame): RawReply<ResponseBodies[T]> {
    let payload = frame.body;
    if (frame.flags & FrameFlags.SECURE) {
      const opened = this.session!.receive.open(encodeFrameHeader(frame), frame.body);
      if (!opened.ok) throw new Error(`fob record refused: ${opened.reason}`);
      payload = opened.plaintext;
    }
    if (frame.flags & FrameFlags.ERROR) return { ok: false, error: decodeErrorBody(payload), frame };
    return { ok: true, body: decodeResponse(type, payload), frame };
  }

  /** HELLO; it forgets this station's session unless `keepSession` (a fob keeps its session across a HELLO). */
  async hello(timeoutMs = 5000, options: { keepSession?: boolean } = {}): Promise<ResponseBodies[typeof MessageType.HELLO]> {
    const nonce = new Uint8Array(16);
    for (let i = 0; i < 16; i++) nonce[i] = Math.floor(Math.random() * 256);
    const request = encodeRequest(MessageType.HELLO, { v: PROTOCOL_VERSION, nonce });
    const frame = await this.exchange(MessageType.HELLO, request, 0, timeoutMs);
    if (frame.flags & FrameFlags.ERROR) throw new Error(`HELLO refused: ${decodeErrorBody(frame.body).name}`);
    const body = decodeResponse(MessageType.HELLO, frame.body);
    this.lastHello = { request, response: frame.body.slice(), pub: body.pub };
    if (!options.keepSession) this.session = null;
    return body;
  }

  /** HELLO + BEGIN_SESSION with `station`'s credentials. */
  async openSession(station: StationCredentials): Promise<RawReply<ResponseBodies[typeof MessageType.BEGIN_SESSION]>> {
    await this.hello();
    return this.beginSession(station);
  }

  /** BEGIN_SESSION on the last HELLO (no new HELLO: to test what the fob does with a spent or kept one). */
  async beginSession(station: StationCredentials): Promise<RawReply<ResponseBodies[typeof MessageType.BEGIN_SESSION]>> {
    if (!this.lastHello) throw new Error('HELLO first');
    const hs = createStationHandshake({ helloRequestBody: this.lastHello!.request, helloResponseBody: this.lastHello!.response, fobPublicKey: this.lastHello!.pub, station });
    const frame = await this.exchange(MessageType.BEGIN_SESSION, encodeRequest(MessageType.BEGIN_SESSION, hs.request));
    if (frame.flags & FrameFlags.ERROR) return { ok: false, error: decodeErrorBody(frame.body), frame };
    const opened = hs.receive.open(encodeFrameHeader(frame), frame.body);
    if (!opened.ok) throw new Error(`BEGIN_SESSION answer refused: ${opened.reason}`);
    this.session = { send: hs.send, receive: hs.receive };
    return { ok: true, body: decodeResponse(MessageType.BEGIN_SESSION, opened.plaintext), frame };
  }

  /** Forgets every pending request (the fob went dark; their answers will never come). */
  cancelAll(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.waiting.clear();
  }

  dropSession(): void {
    this.session = null;
  }
}
