// A minimal fob for the session/client tests: the record layer and the state rules of
// DEVELOPERS.md, nothing more (the real model is firmware-sim). Not a test file itself.
import { x25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
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
  seedCheck,
  wireErrorName,
  type ErrorBody,
  type Frame,
} from '@fobkit/protocol/wire';
import { acceptSession, sessionFailureErrorBody, type SecureChannel } from '@fobkit/protocol/session';
import { constantTimeEqual, generateTotp } from '@fobkit/protocol/otp';
import type { Transport } from '@fobkit/protocol/client';

type State = 'blank' | 'serialised' | 'programmed' | 'locked';

export interface FobDoubleOptions {
  rootPublicKey: Uint8Array;
  revocationList?: Uint8Array;
  now: () => number;
  schema?: Uint8Array;
}

export class FobDouble {
  readonly staticKey = x25519.keygen();
  state: State = 'blank';
  serial: string | undefined;
  seed: { secret: Uint8Array; alg: 'sha1' | 'sha256' | 'sha512'; digits: number; period: number; t0: number } | undefined;
  wipes = 0;
  /** Commands that changed state, to prove a retry never applied twice. */
  applied: string[] = [];
  /** Wire errors sent, by name. */
  errorsSent: string[] = [];
  revocationList: Uint8Array | undefined;
  #hello: { request: Uint8Array; response: Uint8Array } | undefined;
  #session: { send: SecureChannel; receive: SecureChannel } | undefined;
  readonly #frames = new FrameAccumulator();
  readonly #transport: Transport;
  readonly #opts: FobDoubleOptions;

  constructor(transport: Transport, opts: FobDoubleOptions) {
    this.#transport = transport;
    this.#opts = opts;
    this.revocationList = opts.revocationList;
    transport.onData((chunk) => {
      for (const f of this.#frames.push(chunk)) this.#handle(f);
    });
  }

  get inSession(): boolean {
    return this.#session !== undefined;
  }

  #reply(req: Frame, body: Uint8Array, secure: boolean, error = false): void {
    const header = { version: PROTOCOL_VERSION, flags: FrameFlags.RESPONSE | (secure ? FrameFlags.SECURE : 0) | (error ? FrameFlags.ERROR : 0), type: req.type, requestId: req.requestId };
    const wireBody = secure ? this.#session!.send.seal(encodeFrameHeader(header), body) : body;
    void this.#transport.write(encodeFrame({ ...header, body: wireBody }));
  }

  #error(req: Frame, e: ErrorBody, secure: boolean): void {
    this.errorsSent.push(e.name);
    this.#reply(req, encodeErrorBody(e), secure && this.#session !== undefined, true);
  }

  #fail(code: keyof typeof WireErrorCode, msg?: string): ErrorBody {
    return msg === undefined ? { code: WireErrorCode[code], name: code } : { code: WireErrorCode[code], name: code, msg };
  }

  #endSession(): void {
    this.#session?.send.close();
    this.#session?.receive.close();
    this.#session = undefined;
  }

  #handle(req: Frame): void {
    if (req.flags & FrameFlags.RESPONSE) return;
    let plaintext = req.body;
    const secure = (req.flags & FrameFlags.SECURE) !== 0;
    if (secure) {
      if (!this.#session) return this.#error(req, sessionFailureErrorBody('no-session'), false);
      const opened = this.#session.receive.open(encodeFrameHeader(req), req.body);
      if (!opened.ok) {
        if (opened.reason !== 'replayed') this.#endSession();
        return this.#error(req, sessionFailureErrorBody(opened.reason), false);
      }
      plaintext = opened.plaintext;
    }
    const authed = secure;
    const type = req.type;
    let body: unknown;
    try {
      body = decodeRequest(type, plaintext);
    } catch {
      return this.#error(req, this.#fail('INVALID_ARGUMENT'), secure);
    }
    const ok = (t: number, b: unknown) => this.#reply(req, encodeResponse(t as never, b as never), secure);
    const needAuth = () => {
      this.#error(req, sessionFailureErrorBody('no-session'), secure);
    };
    switch (type) {
      case MessageType.HELLO: {
        const response = encodeResponse(MessageType.HELLO, {
          v: PROTOCOL_VERSION, model: 'FK-1', hw: 'A', fw: '1.0.0', ...(this.serial ? { serial: this.serial } : {}), state: this.state,
          caps: ['session/v1'], nonce: sha256(new Uint8Array([...req.body, 1])).slice(0, 16), pub: this.staticKey.publicKey, schema: this.#opts.schema ?? SCHEMA_HASH,
        });
        this.#hello = { request: Uint8Array.from(req.body), response };
        return this.#reply(req, response, false);
      }
      case MessageType.BEGIN_SESSION: {
        this.#endSession();
        const hello = this.#hello;
        this.#hello = undefined;
        if (!hello) return this.#error(req, sessionFailureErrorBody('malformed'), false);
        const r = acceptSession({
          staticPrivateKey: this.staticKey.secretKey, helloRequestBody: hello.request, helloResponseBody: hello.response,
          request: body as never, rootPublicKey: this.#opts.rootPublicKey, revocationList: this.revocationList, now: this.#opts.now(),
        });
        if (r.newRevocationList) this.revocationList = r.newRevocationList;
        if (!r.ok) return this.#error(req, sessionFailureErrorBody(r.reason), false);
        this.#session = { send: r.send, receive: r.receive };
        return this.#reply(req, encodeResponse(MessageType.BEGIN_SESSION, { sid: r.sid }), true);
      }
      case MessageType.GET_STATUS:
        return ok(type, { time: this.#opts.now(), timeValid: true, batteryMv: 3000, batteryPct: 90, batteryLow: false, lifeDays: 1000, presses: 0, failedAuth: 0, state: this.state, wipes: this.wipes });
      case MessageType.SET_SERIAL: {
        if (!authed) return needAuth();
        const { serial } = body as { serial: string };
        if (this.state === 'blank') {
          this.serial = serial;
          this.state = 'serialised';
          this.applied.push('SET_SERIAL');
        } else if (this.serial !== serial) return this.#error(req, this.#fail('BAD_STATE'), secure);
        return ok(type, { serial, state: this.state });
      }
      case MessageType.SET_TIME: {
        if (this.state === 'locked' && !authed) return needAuth();
        const { time } = body as { time: number };
        this.applied.push(`SET_TIME ${time}`);
        return ok(type, { previous: this.#opts.now(), time });
      }
      case MessageType.PROGRAM_SEED: {
        if (!authed) return needAuth();
        const seed = body as NonNullable<FobDouble['seed']>;
        const check = seedCheck(seed.secret);
        if (this.state === 'serialised') {
          this.seed = seed;
          this.state = 'programmed';
          this.applied.push('PROGRAM_SEED');
        } else if (!(this.state === 'programmed' && this.seed && constantTimeEqual(this.seed.secret, seed.secret))) {
          return this.#error(req, this.#fail('BAD_STATE'), secure);
        }
        return ok(type, { state: this.state, check });
      }
      case MessageType.CALCULATE: {
        if (this.state === 'locked') return this.#error(req, this.#fail('LOCKED'), secure);
        if (this.state !== 'programmed' || !this.seed) return this.#error(req, this.#fail('BAD_STATE'), secure);
        const { time } = body as { time: number };
        const code = generateTotp({ secret: this.seed.secret, time, algorithm: this.seed.alg, digits: this.seed.digits as 6, period: this.seed.period, t0: this.seed.t0 });
        return ok(type, { code, step: Math.floor((time - this.seed.t0) / this.seed.period) });
      }
      case MessageType.CODE_NOW: {
        if (!this.seed) return this.#error(req, this.#fail('BAD_STATE'), secure);
        const time = this.#opts.now();
        const code = generateTotp({ secret: this.seed.secret, time, algorithm: this.seed.alg, digits: this.seed.digits as 6, period: this.seed.period, t0: this.seed.t0 });
        return ok(type, { code, step: Math.floor(time / this.seed.period), remaining: this.seed.period - (time % this.seed.period) });
      }
      case MessageType.LOCK: {
        if (!authed) return needAuth();
        const { serial } = body as { serial: string };
        if (serial !== this.serial) return this.#error(req, this.#fail('INVALID_ARGUMENT', 'serial does not match'), secure);
        if (this.state === 'programmed') {
          this.state = 'locked';
          this.applied.push('LOCK');
        } else if (this.state !== 'locked') return this.#error(req, this.#fail('BAD_STATE'), secure);
        return ok(type, { state: this.state });
      }
      case MessageType.WIPE: {
        if (!authed) return needAuth();
        if (this.state !== 'programmed' && this.state !== 'locked') return this.#error(req, this.#fail('BAD_STATE'), secure);
        this.seed = undefined;
        this.state = 'serialised';
        this.wipes++;
        this.applied.push('WIPE');
        return ok(type, { state: this.state, wipes: this.wipes });
      }
      default:
        return this.#error(req, { code: WireErrorCode.UNSUPPORTED, name: wireErrorName(WireErrorCode.UNSUPPORTED)! }, secure);
    }
  }
}
