// FobSession over the in-memory transport against a minimal fob double: the full handshake,
// encrypted commands, safe retries, and each attack refused with its own code.
import { afterEach, describe, expect, it } from 'vitest';
import { generateSigningKeyPair, issueStationCertificate, createRevocationList, type StationCredentials } from '@fobkit/protocol/session';
import { createMemoryTransportPair, FobSession, TransportError, DeviceError, type Timers, type MemoryDirection } from '@fobkit/protocol/client';
import { decodeFrame, encodeFrame, encodeErrorBody, FrameAccumulator, FrameFlags, MessageType, WireErrorCode, decodeErrorBody, type Frame } from '@fobkit/protocol/wire';
import { ProtocolError } from '@fobkit/protocol';
import { FobDouble } from './_sessionFobDouble.js';

const NOW = 1_800_000_000;
const DAY = 86_400;
const SERIAL = 'FK00000013';
const SECRET = Uint8Array.from({ length: 20 }, (_, i) => 0xa0 + i);

function manualTimers() {
  const pending = new Map<number, () => void>();
  let next = 0;
  const timers: Timers = {
    setTimeout: (cb) => {
      pending.set(++next, cb);
      return next;
    },
    clearTimeout: (h) => void pending.delete(h as number),
  };
  return {
    timers,
    get armed() {
      return pending.size;
    },
    /** Fires every armed timer (a timeout that "expires" now). */
    fire() {
      const cbs = [...pending.values()];
      pending.clear();
      for (const cb of cbs) cb();
    },
  };
}

function station(rootPrivateKey: Uint8Array, o: { id?: number; notBefore?: number; notAfter?: number; crl?: Uint8Array } = {}): StationCredentials {
  const key = generateSigningKeyPair();
  const certificate = issueStationCertificate({ rootPrivateKey, id: o.id ?? 1, name: 'line-1', stationPublicKey: key.publicKey, notBefore: o.notBefore ?? NOW - DAY, notAfter: o.notAfter ?? NOW + 30 * DAY });
  return o.crl ? { privateKey: key.privateKey, certificate, revocationList: o.crl } : { privateKey: key.privateKey, certificate };
}

type Tap = (frame: Frame, direction: MemoryDirection, raw: Uint8Array) => Uint8Array | null;

/** Closes every rig's session after each test. */
const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

/** Station and fob double joined by a memory pair; `tap` sees each decoded frame on the wire. The session is closed after the test. */
async function rig(o: { revocationList?: Uint8Array; schema?: Uint8Array; retries?: number } = {}) {
  const root = generateSigningKeyPair();
  const pair = createMemoryTransportPair();
  await pair.a.open();
  await pair.b.open();
  const fob = new FobDouble(pair.b, { rootPublicKey: root.publicKey, revocationList: o.revocationList, now: () => NOW, schema: o.schema });
  const t = manualTimers();
  const events: string[] = [];
  const session = new FobSession({ transport: pair.a, timers: t.timers, clock: () => NOW, retries: o.retries ?? 2, onEvent: (e) => events.push(e.type === 'retry' ? `retry ${e.command} ${e.reason}` : e.type) });
  cleanup.push(() => session.close());
  const wire: { direction: MemoryDirection; bytes: Uint8Array }[] = [];
  let tap: Tap | undefined;
  pair.setFault((chunk, direction) => {
    wire.push({ direction, bytes: chunk });
    if (!tap) return chunk;
    let frame: Frame;
    try {
      frame = decodeFrame(chunk);
    } catch {
      return chunk;
    }
    return tap(frame, direction, chunk);
  });
  return {
    root, pair, fob, session, timers: t, events, wire,
    setTap: (f: Tap | undefined) => void (tap = f),
    creds: station(root.privateKey),
  };
}

async function until(cond: () => boolean): Promise<void> {
  // Yields to the event loop until the condition holds (in-memory delivery is microtasks only).
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise<void>((r) => setImmediate(r));
  if (!cond()) throw new Error('condition never became true');
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a rejection of any shape, matched by the assertions
async function caught(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('FobSession: full provisioning over a secure session', () => {
  it('hello, session, serial, time, seed, calculate, lock, wipe; the seed never in the clear', async () => {
    const r = await rig();
    const hello = await r.session.hello();
    expect(hello).toMatchObject({ model: 'FK-1', state: 'blank', schemaMatches: true });
    const { sid } = await r.session.beginSession(r.creds);
    expect(sid).toHaveLength(8);
    expect(r.session.isSecure).toBe(true);
    expect(await r.session.setSerial(SERIAL)).toEqual({ serial: SERIAL, state: 'serialised' });
    expect(await r.session.setTime(NOW)).toEqual({ previous: NOW, time: NOW });
    const programmed = await r.session.programSeed({ secret: SECRET, algorithm: 'sha1', digits: 6, period: 60, t0: 0 });
    expect(programmed.state).toBe('programmed');
    const calc = await r.session.calculate(59);
    expect(calc.step).toBe(0);
    expect(calc.code).toMatch(/^\d{6}$/);
    expect((await r.session.codeNow()).code).toMatch(/^\d{6}$/);
    expect(await r.session.lock(SERIAL)).toEqual({ state: 'locked' });
    const locked = await caught(r.session.calculate(60));
    expect(locked).toBeInstanceOf(DeviceError);
    expect(locked).toMatchObject({ code: 'DEVICE_ERROR', deviceCode: WireErrorCode.LOCKED, deviceName: 'LOCKED' });
    expect(await r.session.wipe(SERIAL)).toEqual({ state: 'serialised', wipes: 1, confirmedBy: 'response' });
    expect((await r.session.getStatus()).wipes).toBe(1);
    // Every frame after BEGIN_SESSION's request went SECURE, and no byte run of the seed crossed.
    const all = r.wire.map((w) => w.bytes);
    for (const bytes of all) expect(contains(bytes, SECRET.subarray(0, 8))).toBe(false);
    const secureRequests = r.wire.filter((w) => w.direction === 'a->b').map((w) => decodeFrame(w.bytes)).filter((f) => f.flags & FrameFlags.SECURE);
    expect(secureRequests.map((f) => f.type)).toEqual([MessageType.SET_SERIAL, MessageType.SET_TIME, MessageType.PROGRAM_SEED, MessageType.CALCULATE, MessageType.CODE_NOW, MessageType.LOCK, MessageType.CALCULATE, MessageType.WIPE, MessageType.GET_STATUS]);
    expect(r.fob.applied).toEqual(['SET_SERIAL', `SET_TIME ${NOW}`, 'PROGRAM_SEED', 'LOCK', 'WIPE']);
  });

  it('refuses to send PROGRAM_SEED without a session (nothing goes on the wire)', async () => {
    const r = await rig();
    await r.session.hello();
    const before = r.wire.length;
    const e = await caught(r.session.programSeed({ secret: SECRET, algorithm: 'sha1', digits: 6, period: 60, t0: 0 }));
    expect(e).toMatchObject({ code: 'SESSION_FAILED', reason: 'no-session' });
    expect(r.wire.length).toBe(before);
  });

  it('says SCHEMA_MISMATCH clearly when the fob speaks another schema', async () => {
    const r = await rig({ schema: new Uint8Array(8).fill(0xee) });
    const e = await caught(r.session.hello());
    expect(e).toMatchObject({ code: 'SCHEMA_MISMATCH' });
    expect(e.message).toMatch(/eeeeeeeeeeeeeeee.*Update the station software or the fob firmware/);
    expect((await r.session.hello({ acceptSchemaMismatch: true })).schemaMatches).toBe(false);
  });
});

describe('FobSession: attacks, each refused with its own code', () => {
  async function established() {
    const r = await rig();
    await r.session.beginSession(r.creds);
    await r.session.setSerial(SERIAL);
    return r;
  }

  it('a tampered byte in a record (CRC fixed up by the attacker): AUTH_FAILED, session over', async () => {
    const r = await established();
    r.setTap((frame, direction) => {
      if (direction !== 'a->b' || !(frame.flags & FrameFlags.SECURE)) return encodeFrame(frame);
      const body = Uint8Array.from(frame.body);
      body[10]! ^= 0x01;
      return encodeFrame({ ...frame, body });
    });
    const e = await caught(r.session.getStatus());
    expect(e).toMatchObject({ code: 'SESSION_FAILED', reason: 'auth-failed', deviceName: 'AUTH_FAILED', deviceCode: WireErrorCode.AUTH_FAILED });
    expect(r.session.isSecure).toBe(false);
    expect(r.fob.inSession).toBe(false);
  });

  it('a tampered response: the station refuses it (auth-failed) and closes the session', async () => {
    const r = await established();
    r.setTap((frame, direction) => {
      if (direction !== 'b->a' || !(frame.flags & FrameFlags.SECURE)) return encodeFrame(frame);
      const body = Uint8Array.from(frame.body);
      body[body.length - 1]! ^= 0x80;
      return encodeFrame({ ...frame, body });
    });
    expect(await caught(r.session.getStatus())).toMatchObject({ code: 'SESSION_FAILED', reason: 'auth-failed' });
    expect(r.session.isSecure).toBe(false);
  });

  it('a replayed frame: the fob answers REPLAYED and applies nothing', async () => {
    const r = await rig();
    await r.session.beginSession(r.creds);
    await r.session.setSerial(SERIAL);
    await r.session.programSeed({ secret: SECRET, algorithm: 'sha1', digits: 6, period: 60, t0: 0 });
    let captured: Uint8Array | undefined;
    r.setTap((frame, direction, raw) => {
      if (direction === 'a->b' && frame.type === MessageType.WIPE) captured = raw;
      return raw;
    });
    await r.session.wipe(SERIAL);
    expect(r.fob.applied.filter((a) => a === 'WIPE')).toHaveLength(1);
    // The attacker plays the recorded WIPE again (the fob is re-programmed in between).
    r.setTap(undefined);
    await r.session.programSeed({ secret: SECRET, algorithm: 'sha1', digits: 6, period: 60, t0: 0 });
    const answers = new FrameAccumulator();
    const seen: Frame[] = [];
    const off = r.pair.a.onData((c) => seen.push(...answers.push(c)));
    await r.pair.a.write(captured!);
    await until(() => seen.length > 0);
    off();
    expect(seen[0]!.flags & FrameFlags.ERROR).toBeTruthy();
    expect(decodeErrorBody(seen[0]!.body)).toMatchObject({ code: WireErrorCode.REPLAYED, name: 'REPLAYED' });
    expect(r.fob.applied.filter((a) => a === 'WIPE')).toHaveLength(1);
    expect(r.fob.state).toBe('programmed');
    // The station's session survives an attacker's replay.
    expect((await r.session.getStatus()).state).toBe('programmed');
  });

  it('a wrong station key: SESSION_FAILED bad-signature', async () => {
    const r = await rig();
    const impostor = generateSigningKeyPair();
    const e = await caught(r.session.beginSession({ privateKey: impostor.privateKey, certificate: r.creds.certificate }));
    expect(e).toMatchObject({ code: 'SESSION_FAILED', reason: 'bad-signature', deviceName: 'AUTH_FAILED' });
    expect(r.session.isSecure).toBe(false);
  });

  it('a certificate from another root: CERT_INVALID cert-bad-signature', async () => {
    const r = await rig();
    const e = await caught(r.session.beginSession(station(generateSigningKeyPair().privateKey)));
    expect(e).toMatchObject({ code: 'CERT_INVALID', reason: 'cert-bad-signature' });
  });

  it('an expired certificate: CERT_INVALID cert-expired', async () => {
    const r = await rig();
    const e = await caught(r.session.beginSession(station(r.root.privateKey, { notBefore: NOW - 90 * DAY, notAfter: NOW - DAY })));
    expect(e).toMatchObject({ code: 'CERT_INVALID', reason: 'cert-expired' });
    expect(e.message).toMatch(/expired/);
  });

  it('a revoked certificate: CERT_INVALID cert-revoked, and the fob keeps the newer list', async () => {
    const r = await rig();
    const crl = createRevocationList({ rootPrivateKey: r.root.privateKey, seq: 1, ids: [5], issuedAt: NOW });
    const e = await caught(r.session.beginSession(station(r.root.privateKey, { id: 5, crl })));
    expect(e).toMatchObject({ code: 'CERT_INVALID', reason: 'cert-revoked' });
    expect(r.fob.revocationList).toEqual(crl);
    // Another station without a list is still refused: the fob remembers.
    const again = await caught(r.session.beginSession(station(r.root.privateKey, { id: 5 })));
    expect(again).toMatchObject({ reason: 'cert-revoked' });
    await expect(r.session.beginSession(station(r.root.privateKey, { id: 6 }))).resolves.toHaveProperty('sid');
  });

  it('a BEGIN_SESSION replayed against a fresh HELLO: refused (the nonce binds it)', async () => {
    const r = await rig();
    let recorded: Uint8Array | undefined;
    r.setTap((frame, direction, raw) => {
      if (direction === 'a->b' && frame.type === MessageType.BEGIN_SESSION) recorded = raw;
      return raw;
    });
    await r.session.beginSession(r.creds);
    r.setTap(undefined);
    await r.session.hello();
    const answers = new FrameAccumulator();
    const seen: Frame[] = [];
    const off = r.pair.a.onData((c) => seen.push(...answers.push(c)));
    await r.pair.a.write(recorded!);
    await until(() => seen.length > 0);
    off();
    expect(decodeErrorBody(seen[0]!.body)).toMatchObject({ name: 'AUTH_FAILED', msg: expect.stringMatching(/^bad-signature:/) });
  });
});

describe('FobSession: timeouts and safe retries', () => {
  /** Drops the first `n` frames matching `pred`, resolving `dropped` each time. */
  function dropFirst(r: Awaited<ReturnType<typeof rig>>, pred: (f: Frame, d: MemoryDirection) => boolean, n = 1) {
    const state = { dropped: 0 };
    r.setTap((frame, direction, raw) => {
      if (state.dropped < n && pred(frame, direction)) {
        state.dropped++;
        return null;
      }
      return raw;
    });
    return state;
  }

  it('a lost PROGRAM_SEED answer: re-sent, the fob recognises the seed, applied once, check verified', async () => {
    const r = await rig();
    await r.session.beginSession(r.creds);
    await r.session.setSerial(SERIAL);
    const drop = dropFirst(r, (f, d) => d === 'b->a' && f.type === MessageType.PROGRAM_SEED);
    const p = r.session.programSeed({ secret: SECRET, algorithm: 'sha1', digits: 6, period: 60, t0: 0 });
    await until(() => drop.dropped === 1 && r.timers.armed === 1);
    r.timers.fire();
    expect((await p).state).toBe('programmed');
    expect(r.fob.applied.filter((a) => a === 'PROGRAM_SEED')).toHaveLength(1);
    expect(r.events).toContain('retry PROGRAM_SEED timeout');
  });

  it('a lost LOCK request and a lost LOCK answer: locked once', async () => {
    const r = await rig();
    await r.session.beginSession(r.creds);
    await r.session.setSerial(SERIAL);
    await r.session.programSeed({ secret: SECRET, algorithm: 'sha1', digits: 6, period: 60, t0: 0 });
    const drop = dropFirst(r, (f) => f.type === MessageType.LOCK, 2);
    const p = r.session.lock(SERIAL);
    await until(() => drop.dropped === 1 && r.timers.armed === 1);
    r.timers.fire();
    await until(() => drop.dropped === 2 && r.timers.armed === 1);
    r.timers.fire();
    expect(await p).toEqual({ state: 'locked' });
    expect(r.fob.applied.filter((a) => a === 'LOCK')).toHaveLength(1);
  });

  it('a lost WIPE answer: confirmed by GET_STATUS, never wiped twice', async () => {
    const r = await rig();
    await r.session.beginSession(r.creds);
    await r.session.setSerial(SERIAL);
    await r.session.programSeed({ secret: SECRET, algorithm: 'sha1', digits: 6, period: 60, t0: 0 });
    const drop = dropFirst(r, (f, d) => d === 'b->a' && f.type === MessageType.WIPE);
    const p = r.session.wipe(SERIAL);
    await until(() => drop.dropped === 1 && r.timers.armed === 1);
    r.timers.fire();
    expect(await p).toEqual({ state: 'serialised', wipes: 1, confirmedBy: 'status' });
    expect(r.fob.applied.filter((a) => a === 'WIPE')).toHaveLength(1);
  });

  it('a corrupted byte on the line: the frame is dropped by its CRC and the retry succeeds', async () => {
    const r = await rig();
    let corrupted = 0;
    r.pair.setFault((chunk, direction) => {
      if (direction === 'b->a' && corrupted === 0) {
        corrupted++;
        const bad = Uint8Array.from(chunk);
        bad[3] = bad[3] === 0x55 ? 0x56 : 0x55;
        return bad;
      }
      return chunk;
    });
    const p = r.session.getStatus();
    await until(() => corrupted === 1 && r.timers.armed === 1);
    r.timers.fire();
    expect((await p).state).toBe('blank');
    expect(r.events).toContain('frame-dropped');
  });

  it('a late answer to an abandoned attempt is ignored (request ids), even in a session', async () => {
    const r = await rig();
    await r.session.beginSession(r.creds);
    let held: Uint8Array | undefined;
    r.setTap((frame, direction, raw) => {
      if (direction === 'b->a' && frame.type === MessageType.GET_STATUS && !held) {
        held = raw;
        return null;
      }
      return raw;
    });
    const p = r.session.getStatus();
    await until(() => held !== undefined && r.timers.armed === 1);
    r.timers.fire();
    await r.pair.b.write(held!); // arrives before the answer to the retry
    expect((await p).state).toBe('blank');
    expect(r.events).toEqual(expect.arrayContaining(['retry GET_STATUS timeout', 'unexpected-frame']));
    expect((await r.session.codeNow().catch((e: DeviceError) => e.deviceName))).toBe('BAD_STATE');
    expect(r.session.isSecure).toBe(true);
  });

  it('a re-sent SET_TIME carries the time moved on by the seconds that passed', async () => {
    const r = await rig();
    let now = NOW;
    const session = new FobSession({ transport: r.pair.a, timers: r.timers.timers, clock: () => now });
    cleanup.push(() => session.close());
    const drop = dropFirst(r, (f, d) => d === 'b->a' && f.type === MessageType.SET_TIME);
    const p = session.setTime(NOW + 100);
    await until(() => drop.dropped === 1 && r.timers.armed === 1);
    now += 2;
    r.timers.fire();
    expect((await p).time).toBe(NOW + 102);
    expect(r.fob.applied).toEqual([`SET_TIME ${NOW + 100}`, `SET_TIME ${NOW + 102}`]);
  });

  it('BUSY is retried after retryMs; other device errors are final and carry their fields', async () => {
    const r = await rig();
    let busy = 1;
    r.setTap((frame, direction, raw) => {
      if (direction === 'b->a' && frame.type === MessageType.GET_STATUS && busy > 0) {
        busy--;
        return encodeFrame({ ...frame, flags: frame.flags | FrameFlags.ERROR, body: encodeErrorBody({ code: WireErrorCode.BUSY, name: 'BUSY', retryMs: 250 }) });
      }
      if (direction === 'b->a' && frame.type === MessageType.CODE_NOW) {
        return encodeFrame({ ...frame, flags: frame.flags | FrameFlags.ERROR, body: encodeErrorBody({ code: WireErrorCode.RATE_LIMITED, name: 'RATE_LIMITED', msg: 'slow down', retryMs: 30_000 }) });
      }
      return raw;
    });
    const p = r.session.getStatus();
    await until(() => busy === 0 && r.timers.armed === 1);
    r.timers.fire(); // the BUSY wait
    expect((await p).state).toBe('blank');
    expect(r.events).toContain('retry GET_STATUS busy');
    const e = await caught(r.session.codeNow());
    expect(e).toBeInstanceOf(DeviceError);
    expect(e).toMatchObject({ code: 'DEVICE_ERROR', deviceCode: WireErrorCode.RATE_LIMITED, deviceName: 'RATE_LIMITED', retryMs: 30_000, deviceMessage: 'slow down' });
    expect(e.message).toMatch(/CODE_NOW.*RATE_LIMITED \(7\): slow down/);
  });

  it('gives up with TIMEOUT after the bounded retries', async () => {
    const r = await rig({ retries: 1 });
    r.pair.setFault(() => null);
    const p = r.session.codeNow();
    await until(() => r.timers.armed === 1);
    r.timers.fire();
    await until(() => r.timers.armed === 1);
    r.timers.fire();
    const e = await caught(p);
    expect(e).toBeInstanceOf(ProtocolError);
    expect(e.code).toBe('TIMEOUT');
  });

  it('a pulled cable fails the waiting request as disconnected; an abort as canceled', async () => {
    const r = await rig();
    r.pair.setFault(() => null);
    const ac = new AbortController();
    const aborted = r.session.getStatus({ signal: ac.signal });
    await until(() => r.timers.armed === 1);
    ac.abort();
    const c = await caught(aborted);
    expect(c).toBeInstanceOf(TransportError);
    expect(c).toMatchObject({ canceled: true, disconnected: false, code: 'CANCELED' });
    const p = r.session.getStatus();
    await until(() => r.timers.armed === 1);
    r.pair.disconnect();
    const d = await caught(p);
    expect(d).toMatchObject({ disconnected: true, canceled: false, code: 'DISCONNECTED' });
    expect(await caught(r.session.hello())).toMatchObject({ disconnected: true });
  });
});
