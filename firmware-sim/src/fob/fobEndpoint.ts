/**
 * The fob's USB endpoint: frames in and out (protocol/SPEC.md "Framing"), the secure session
 * (SPEC.md "Secure session", fob side via `acceptSession`), and dispatch of each request to the
 * fob's state machine. One request at a time, as on the MCU; a short queue absorbs pipelined
 * requests and anything beyond it is answered BUSY.
 *
 * Responses to a SECURE request are SECURE (`RESPONSE|SECURE`, or `RESPONSE|SECURE|ERROR` for an
 * error body sealed in the session). Errors about a request that could not be opened (no
 * session, bad record, replay) are plaintext `RESPONSE|ERROR`.
 */
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { MessageError } from '@fobkit/protocol';
import {
  Capability,
  FrameAccumulator,
  FrameFlags,
  MessageType,
  PROTOCOL_VERSION,
  SCHEMA_HASH,
  WireErrorCode,
  decodeRequest,
  encodeErrorBody,
  encodeFrame,
  encodeFrameHeader,
  encodeResponse,
  messageName,
  type DroppedFrame,
  type ErrorBody,
  type Frame,
  type RequestBodies,
} from '@fobkit/protocol/wire';
import { acceptSession, decodeRevocationList, decodeStationCertificate, sessionFailureErrorBody, type SecureChannel } from '@fobkit/protocol/session';
import { isSimError } from '../errors.js';
import type { RandomBytes } from '../_types.js';
import { LinkFaults } from '../link/linkFaults.js';
import type { FobLink } from '../link/fobLink.js';
import { usbTransferMs } from '../timingModel.js';
import type { CommandResult, WireErrorName } from './commandHandlers.js';
import { FOB_FW_VERSION, FOB_HW_VERSION, FOB_MODEL, type Fob, type FobCommand } from './fob.js';
import { ModelledTime } from './modelledTime.js';

/** Requests held while one is being processed; more are answered BUSY. */
export const MAX_QUEUED_REQUESTS = 8;

export const FOB_CAPABILITIES: readonly string[] = [
  Capability.SESSION_V1,
  Capability.SHA1,
  Capability.SHA256,
  Capability.SHA512,
  Capability.DIGITS_8,
  Capability.RTC,
  Capability.WIPE,
];

interface Session {
  sid: Uint8Array;
  send: SecureChannel;
  receive: SecureChannel;
}

type Reply = { ok: true; body: Uint8Array } | { ok: false; error: WireErrorName; msg: string; retryMs?: number };

export interface EndpointStats {
  framesIn: number;
  framesOut: number;
  busy: number;
  dropped: number;
}

export class FobEndpoint {
  readonly fob: Fob;
  readonly link: FobLink;
  readonly faults: LinkFaults;
  readonly stats: EndpointStats = { framesIn: 0, framesOut: 0, busy: 0, dropped: 0 };
  private readonly accumulator: FrameAccumulator;
  private readonly randomBytes: RandomBytes;
  private hello: { request: Uint8Array; response: Uint8Array } | null = null;
  private session: Session | null = null;
  private queue: Frame[] = [];
  private running = false;
  private idleWaiters: (() => void)[] = [];

  constructor(fob: Fob, link: FobLink, options: { randomBytes?: RandomBytes; faults?: LinkFaults } = {}) {
    this.fob = fob;
    this.link = link;
    this.faults = options.faults ?? new LinkFaults();
    this.randomBytes = options.randomBytes ?? ((n) => new Uint8Array(nodeRandomBytes(n)));
    this.accumulator = new FrameAccumulator({ onDrop: (d) => this.onDrop(d) });
    link.onData((chunk) => this.receive(chunk));
  }

  /** Forgets the session and any partial frame (the MCU restarted, or the cable was re-plugged). */
  reset(): void {
    this.endSession();
    this.hello = null;
    this.accumulator.reset();
    this.queue = [];
  }

  /** Decoder counters (garbage, bad CRC, oversize) since start. */
  get decoderStats() {
    return this.accumulator.stats;
  }

  /** Resolves when no request is queued or being processed. */
  idle(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private receive(raw: Uint8Array): void {
    if (!this.fob.powered || this.fob.unresponsive) return;
    const chunk = this.faults.apply('in', raw);
    for (const frame of this.accumulator.push(chunk)) {
      if (frame.flags & FrameFlags.RESPONSE) continue; // a fob never receives responses
      this.stats.framesIn++;
      if (this.queue.length >= MAX_QUEUED_REQUESTS) {
        this.stats.busy++;
        this.sendError(frame, { error: 'BUSY', msg: 'too many requests in flight', retryMs: 50 }, false);
        continue;
      }
      this.queue.push(frame);
    }
    if (!this.running && this.queue.length > 0) void this.drain();
  }

  private onDrop(d: DroppedFrame): void {
    this.stats.dropped++;
    const h = d.error?.header;
    if (d.reason === 'version' && h && !(h.flags & FrameFlags.RESPONSE) && this.fob.powered && !this.fob.unresponsive) {
      this.sendError({ type: h.type, requestId: h.requestId }, { error: 'UNSUPPORTED', msg: `protocol version ${h.version} is not supported` }, false);
    }
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const frame = this.queue.shift()!;
        if (!this.fob.powered) {
          this.queue = [];
          break;
        }
        try {
          await this.process(frame);
        } catch (e) {
          if (isSimError(e, 'POWER_CUT') || isSimError(e, 'NOT_RUNNING')) {
            this.reset();
            break;
          }
          // A bug in the model, not a fob behaviour: say so loudly, and let the station retry once.
          this.fob.reportFault(e);
          this.sendError(frame, { error: 'BUSY', msg: 'internal firmware fault', retryMs: 100 }, false);
        }
      }
    } finally {
      this.running = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private async process(frame: Frame): Promise<void> {
    // The request's USB frames, the MCU's work and the answer's frames, in the fob's own time:
    // the host's work for it runs inside that time (see ModelledTime).
    const time = new ModelledTime();
    await time.spend(usbTransferMs(this.fob.timing, frame.body.length + 9));
    const name = messageName(frame.type);
    const secure = (frame.flags & FrameFlags.SECURE) !== 0;
    let body = frame.body;
    if (secure) {
      if (!this.session) return this.sendBody(frame, sessionFailureErrorBody('no-session'), time);
      const opened = this.session.receive.open(encodeFrameHeader(frame), frame.body);
      if (!opened.ok) {
        // SPEC.md "Records": a record that does not authenticate ends the session; a replay does
        // not (an attacker's replay must not cut the station off).
        if (opened.reason !== 'replayed') this.endSession();
        return this.sendBody(frame, sessionFailureErrorBody(opened.reason), time);
      }
      body = opened.plaintext;
    }
    try {
      if (!name) return this.sendError(frame, { error: 'UNSUPPORTED', msg: `unknown message type 0x${frame.type.toString(16)}` }, secure, time);
      let request: RequestBodies[MessageType];
      try {
        request = decodeRequest(frame.type, body);
      } catch (e) {
        if (e instanceof MessageError) return this.sendError(frame, { error: 'INVALID_ARGUMENT', msg: e.message }, secure, time);
        throw e;
      }
      let reply: Reply | null;
      try {
        reply = await this.dispatch(frame, request, secure, time);
      } finally {
        // The decoder's copy of a seed: the fob keeps only its own (in the record).
        if (frame.type === MessageType.PROGRAM_SEED) (request as RequestBodies[typeof MessageType.PROGRAM_SEED]).secret.fill(0);
      }
      if (reply === null) return; // BEGIN_SESSION answered itself
      if (reply.ok) this.sendOk(frame, reply.body, secure, time);
      else this.sendError(frame, reply, secure, time);
    } finally {
      if (secure) body.fill(0);
    }
  }

  private async dispatch(frame: Frame, request: RequestBodies[MessageType], secure: boolean, time: ModelledTime): Promise<Reply | null> {
    const fob = this.fob;
    switch (frame.type) {
      case MessageType.HELLO: {
        // A HELLO starts a new transcript for the next BEGIN_SESSION but leaves a running session
        // alone (a station may re-read the fob's identity mid-session); BEGIN_SESSION replaces it.
        fob.usbSessionStarted();
        const response = encodeResponse(MessageType.HELLO, {
          v: PROTOCOL_VERSION,
          model: FOB_MODEL,
          hw: FOB_HW_VERSION,
          fw: FOB_FW_VERSION,
          ...(fob.serial !== null ? { serial: fob.serial } : {}),
          state: fob.state,
          caps: [...FOB_CAPABILITIES],
          nonce: this.randomBytes(16),
          pub: fob.devicePublicKey.slice(),
          schema: SCHEMA_HASH.slice(),
        });
        this.hello = { request: frame.body.slice(), response };
        return { ok: true, body: response };
      }
      case MessageType.GET_STATUS: {
        const s = fob.status();
        return {
          ok: true,
          body: encodeResponse(MessageType.GET_STATUS, {
            time: clampTime(s.timeValid ? s.time : Math.max(0, s.time)),
            timeValid: s.timeValid,
            batteryMv: s.batteryMv,
            batteryPct: Math.min(100, Math.max(0, Math.round(s.batteryPct))),
            batteryLow: s.batteryLow,
            lifeDays: Math.min(65_535, s.lifeDays),
            presses: Math.min(0xffff_ffff, s.presses),
            failedAuth: Math.min(0xffff_ffff, s.failedAuth),
            state: s.state,
            wipes: Math.min(65_535, s.wipes),
          }),
        };
      }
      case MessageType.BEGIN_SESSION:
        await this.beginSession(frame, request as RequestBodies[typeof MessageType.BEGIN_SESSION], time);
        return null;
      default: {
        const command = { name: messageName(frame.type), body: request } as FobCommand;
        const result: CommandResult<unknown> = await fob.execute(command, secure && this.session !== null, time);
        if (!result.ok) return result;
        return { ok: true, body: encodeResponse(frame.type as MessageType, result.response as never) };
      }
    }
  }

  private async beginSession(frame: Frame, request: RequestBodies[typeof MessageType.BEGIN_SESSION], time: ModelledTime): Promise<void> {
    const fob = this.fob;
    this.endSession();
    // F0: the kept HELLO bodies serve this one attempt, whatever its outcome.
    const hello = this.hello;
    this.hello = null;
    if (!hello) return this.sendError(frame, { error: 'BAD_STATE', msg: 'HELLO first: every BEGIN_SESSION needs a fresh HELLO' }, false, time);
    const retryMs = fob.authRetryAfterMs();
    if (retryMs > 0) return this.sendError(frame, { error: 'RATE_LIMITED', msg: 'too many failed authentications', retryMs }, false, time);
    // The certificate's validity is judged at the fob's clock, never before its time floor
    // (SPEC.md "Clock guard"): a certificate that expired before the newest time the fob has seen
    // is refused even while the clock is lost.
    const status = fob.status();
    let now = status.time;
    if (!status.timeValid) {
      // A fob whose battery died has no trusted time, and a locked one accepts SET_TIME only in a
      // session: refusing here would brick it. Without a clock it cannot tell a certificate that
      // is not valid yet, so it takes the certificate's own start as "now" (as devices without a
      // trusted clock do), still bounded below by the floor for expiry.
      const cert = decodeStationCertificate(request.cert);
      now = cert.ok ? cert.certificate.notBefore : 0;
    }
    now = Math.max(now, fob.timeFloor);
    // The modelled handshake time is the fob's whole time for it, its own computation included
    // (see ModelledTime).
    const crl = fob.crl;
    const result = acceptSession({
      staticPrivateKey: fob.devicePrivateKey,
      helloRequestBody: hello.request,
      helloResponseBody: hello.response,
      request,
      rootPublicKey: fob.rootPublicKey,
      ...(crl.bytes ? { revocationList: crl.bytes } : {}),
      now,
    });
    await time.spend(fob.timing.handshakeMs);
    const decodedCrl = result.newRevocationList ? decodeRevocationList(result.newRevocationList) : undefined;
    const newCrl = decodedCrl?.ok ? { seq: decodedCrl.revocationList.seq, bytes: result.newRevocationList!, issuedAt: decodedCrl.revocationList.issuedAt } : undefined;
    await fob.recordHandshake({ ok: result.ok, ...(newCrl ? { crl: newCrl } : {}), ...(result.ok ? { notBefore: result.certificate.notBefore } : {}) }, time);
    if (!result.ok) return this.sendBody(frame, sessionFailureErrorBody(result.reason), time);
    this.session = { sid: result.sid, send: result.send, receive: result.receive };
    this.sendOk(frame, encodeResponse(MessageType.BEGIN_SESSION, { sid: result.sid }), true, time);
  }

  private endSession(): void {
    if (!this.session) return;
    this.session.send.close();
    this.session.receive.close();
    this.session = null;
  }

  private sendOk(request: Frame, body: Uint8Array, secure: boolean, time: ModelledTime): void {
    this.sendFrame(request, FrameFlags.RESPONSE, body, secure, time);
  }

  private sendError(request: Pick<Frame, 'type' | 'requestId'>, e: { error: WireErrorName; msg: string; retryMs?: number }, secure: boolean, time = new ModelledTime()): void {
    const body = encodeErrorBody({ code: WireErrorCode[e.error], name: e.error, msg: e.msg.slice(0, 200), ...(e.retryMs !== undefined ? { retryMs: e.retryMs } : {}) });
    this.sendFrame(request, FrameFlags.RESPONSE | FrameFlags.ERROR, body, secure, time);
  }

  /** A ready error body (the session's reason-token bodies), in the clear. */
  private sendBody(request: Pick<Frame, 'type' | 'requestId'>, body: ErrorBody, time: ModelledTime): void {
    this.sendFrame(request, FrameFlags.RESPONSE | FrameFlags.ERROR, encodeErrorBody(body), false, time);
  }

  /** Sends the answer once `time` says its USB frames are through (at once with the timing model off). */
  private sendFrame(request: Pick<Frame, 'type' | 'requestId'>, flags: number, body: Uint8Array, secure: boolean, time: ModelledTime): void {
    if (!this.fob.powered || this.fob.unresponsive) return;
    const useSession = secure && this.session !== null;
    const header = { version: PROTOCOL_VERSION, flags: flags | (useSession ? FrameFlags.SECURE : 0), type: request.type, requestId: request.requestId };
    let payload = body;
    if (useSession) {
      payload = this.session!.send.seal(encodeFrameHeader(header), body);
      body.fill(0);
    }
    const wire = encodeFrame({ ...header, body: payload });
    this.stats.framesOut++;
    const out = this.faults.apply('out', wire);
    const ms = time.remaining(usbTransferMs(this.fob.timing, wire.length));
    if (ms > 0) setTimeout(() => this.link.write(out), ms);
    else this.link.write(out);
  }
}

function clampTime(t: number): number {
  return Math.min(0xffff_ffff, Math.max(0, t));
}
