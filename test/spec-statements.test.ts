/**
 * Checks the statements of protocol/SPEC.md that a fob or station implementer relies on against
 * the code, reading the numbers from the text of SPEC.md itself: the one-time-code worked example
 * (and oathtool), the handshake worked example (recomputed from the bytes SPEC.md prints, and equal
 * to protocol/vectors/handshake.json), the Damm table, the error-code table, the clock guard's
 * constants, CODE_NOW's `remaining`, what a never-set clock reports, and how a BEGIN_SESSION with
 * fields of the wrong size is answered.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { x25519 } from '@noble/curves/ed25519.js';
import { dynamicTruncate, encodeCounter, generateTotp, totpStep } from '@fobkit/protocol/otp';
import { dammCheckDigit, formatSerial } from '@fobkit/protocol/serial';
import {
  acceptSession, computeTranscriptHash, decodeStationCertificate, deriveSessionKeys, signingPublicKey, verifyRevocationList,
} from '@fobkit/protocol/session';
import {
  CLOCK_DRIFT_ALLOWANCE_PPM, CLOCK_SET_MARGIN_SECONDS, Capability, FrameFlags, LOST_CLOCK_MAX_GAP_SECONDS, MessageType, TIME_FLOOR_PERSIST_SECONDS, WireErrorCode,
  decodeErrorBody, decodeRequest, decodeResponse, encodeRequest,
} from '@fobkit/protocol/wire';
import { ed25519 } from '@noble/curves/ed25519.js';
import { SimulationClock } from '../firmware-sim/src/clock/simulationClock.js';
import { Simulator } from '../firmware-sim/src/simulator.js';
import { RawStation } from '../firmware-sim/src/testing/rawStation.js';
import { createTestFactory } from '../firmware-sim/src/testing/testFactory.js';
import { clockAllowance } from '../firmware-sim/src/fob/clockGuard.js';
import { FOB_CAPABILITIES } from '../firmware-sim/src/fob/fobEndpoint.js';

const SPEC = readFileSync(new URL('../protocol/SPEC.md', import.meta.url), 'utf8');
const VECTOR = JSON.parse(readFileSync(new URL('../protocol/vectors/handshake.json', import.meta.url), 'utf8'));
const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const h = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** The text of the section under `heading` (to the next heading of the same or a higher level). */
function section(heading: string): string {
  const start = SPEC.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`SPEC.md has no "${heading}"`);
  const level = heading.split(' ')[0]!;
  const rest = SPEC.slice(start + heading.length + 2);
  const end = rest.search(new RegExp(`\\n#{1,${level.length}} `));
  return end < 0 ? rest : rest.slice(0, end);
}

/** The first fenced block of a section. */
function block(text: string): string {
  const m = /```\n([\s\S]*?)```/.exec(text);
  if (!m) throw new Error('no code block');
  return m[1]!;
}

/** `label   hex` lines of a worked example, with continuation lines of hex indented under the value. */
function hexFields(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let last: string | null = null;
  for (const line of text.split('\n')) {
    const cont = /^ {23}([0-9a-f]+)$/.exec(line);
    if (cont && last) {
      out.set(last, out.get(last)! + cont[1]);
      continue;
    }
    const m = /^(\S.*?)\s{2,}([0-9a-f ]+?)(?:\s{2,}.*)?$/.exec(line);
    last = null;
    if (m && /^[0-9a-f ]+$/.test(m[2]!)) {
      last = m[1]!.trim();
      out.set(last, m[2]!.replace(/ /g, ''));
    }
  }
  return out;
}

let sim: Simulator | null = null;
afterEach(async () => {
  await sim?.close();
  sim = null;
});
async function simFob(start: number) {
  const clock = new SimulationClock({ mode: 'manual', start });
  const factory = createTestFactory(start);
  sim = await Simulator.start({ count: 1, rootPublicKey: factory.rootPublicKey, clock, driftPpm: 0 });
  return { clock, factory, fob: sim.fob(0), station: new RawStation(sim.fob(0).stationDuplex()) };
}

describe('SPEC.md "One-time codes": the worked example', () => {
  const text = section('## One-time codes');
  const lines = new Map(block(text).split('\n').filter(Boolean).map((l) => {
    const m = /^(.+?)\s{2,}(.*)$/.exec(l)!;
    return [m[1]!.trim(), m[2]!] as const;
  }));
  const secret = hex(lines.get('secret')!.split(' ')[0]!);
  const time = Number(lines.get('time')!.split(' ')[0]);

  it('every intermediate value is what the reference computes', () => {
    const step = totpStep({ time, period: 60 });
    expect(lines.get('step')).toBe(`${step} = 0x${step.toString(16).padStart(8, '0')}`);
    const c = encodeCounter(step);
    expect(lines.get('C')).toBe(h(c));
    const mac = createHmac('sha1', secret).update(c).digest();
    expect(lines.get('mac')).toBe(mac.toString('hex'));
    const offset = mac[mac.length - 1]! & 0x0f;
    expect(lines.get('offset')).toBe(`mac[19] & 0x0f = 0x${mac[19]!.toString(16)} & 0x0f = ${offset}`);
    const bin = dynamicTruncate(mac);
    expect(lines.get('bin')).toMatch(new RegExp(`= ${bin}$`));
    const code6 = generateTotp({ secret, time, period: 60 });
    const code8 = generateTotp({ secret, time, period: 60, digits: 8 });
    expect(lines.get('code, 6 digits')).toBe(`${bin} mod 10^6 = ${code6}`);
    expect(lines.get('code, 8 digits')).toBe(`${bin} mod 10^8 = ${code8}`);
    const sha256Secret = new TextEncoder().encode('12345678901234567890123456789012');
    expect(lines.get('sha256, 8 digits')).toMatch(new RegExp(`: ${generateTotp({ secret: sha256Secret, time, period: 60, digits: 8, algorithm: 'sha256' })}$`));
  });

  it('oathtool, run as SPEC.md shows it, prints the same codes', () => {
    const cmd = /`(oathtool --totp [^`]+)`/.exec(text)![1]!;
    const args = cmd.match(/"[^"]*"|\S+/g)!.slice(1).map((a) => a.replace(/^"|"$/g, ''));
    const code6 = generateTotp({ secret, time, period: 60 });
    expect(execFileSync('oathtool', args, { encoding: 'utf8' }).trim()).toBe(code6);
    expect(execFileSync('oathtool', ['-d', '8', ...args], { encoding: 'utf8' }).trim()).toBe(generateTotp({ secret, time, period: 60, digits: 8 }));
  });
});

describe('SPEC.md "Worked example" of the handshake, recomputed from its own bytes', () => {
  const f = hexFields(block(section('### Worked example')));
  const Q = hex(f.get('HELLO request body Q')!);
  const R = hex(f.get('HELLO response body R')!);
  const cert = hex(f.get('certificate')!);
  const crl = hex(f.get('revocation list')!);
  const eph = hex(f.get('eph')!);

  it('prints the same bytes as protocol/vectors/handshake.json', () => {
    expect(h(Q)).toBe(VECTOR.inputs.helloRequestBody);
    expect(h(R)).toBe(VECTOR.inputs.helloResponseBody);
    expect(h(cert)).toBe(VECTOR.outputs.certificate);
    expect(h(crl)).toBe(VECTOR.outputs.revocationList);
    expect(f.get('BEGIN_SESSION body')).toBe(VECTOR.outputs.beginSessionRequestBody);
    expect(f.get('th')).toBe(VECTOR.outputs.transcriptHash);
  });

  it('R decodes as SPEC.md says, and th, sig, keys and sid follow from the printed inputs', () => {
    expect(decodeResponse(MessageType.HELLO, R)).toMatchObject({ v: 1, fw: '1.0.0', hw: 'A', model: 'FK-1', caps: ['session/v1'], state: 'blank' });
    expect(h(decodeResponse(MessageType.HELLO, R).pub)).toBe(f.get('fob static pub'));
    expect(h(x25519.getPublicKey(new Uint8Array(32).fill(3)))).toBe(f.get('fob static pub'));
    expect(h(signingPublicKey(new Uint8Array(32).fill(1)))).toBe(f.get('root pub'));
    expect(h(x25519.getPublicKey(new Uint8Array(32).fill(4)))).toBe(h(eph));
    const th = computeTranscriptHash({ helloRequestBody: Q, helloResponseBody: R, eph, certificate: cert });
    expect(h(th)).toBe(f.get('th'));
    const certificate = decodeStationCertificate(cert);
    expect(certificate).toMatchObject({ ok: true, certificate: { id: 1, name: 'line-1', notBefore: 1767225600, notAfter: 1798761600 } });
    expect(ed25519.verify(hex(f.get('sig')!), th, certificate.ok ? certificate.certificate.publicKey : new Uint8Array(32))).toBe(true);
    const keys = deriveSessionKeys(x25519.getSharedSecret(new Uint8Array(32).fill(4), hex(f.get('fob static pub')!)), th);
    expect([h(keys.stationToFob), h(keys.fobToStation), h(keys.sid)]).toEqual([f.get('station→fob key'), f.get('fob→station key'), f.get('sid')]);
  });

  it('the revocation list is root-signed with seq 1, ids [7], iat 1767225600, and the fob accepts the session with it', () => {
    expect(verifyRevocationList({ revocationList: crl, rootPublicKey: hex(f.get('root pub')!) })).toMatchObject({ ok: true, revocationList: { seq: 1, ids: [7], issuedAt: 1767225600 } });
    const request = decodeRequest(MessageType.BEGIN_SESSION, hex(f.get('BEGIN_SESSION body')!));
    expect(h(request.eph)).toBe(h(eph));
    const r = acceptSession({ staticPrivateKey: new Uint8Array(32).fill(3), helloRequestBody: Q, helloResponseBody: R, request: { ...request, crl }, rootPublicKey: hex(f.get('root pub')!), now: 1767225600 });
    expect(r.ok && h(r.sid)).toBe(f.get('sid'));
  });
});

describe('SPEC.md tables and constants against the code', () => {
  it('the Damm table is the code\'s: every check digit of 2,000 sequences agrees, and FK00000013', () => {
    const rows = block(SPEC.slice(SPEC.indexOf('one Damm check digit'))).trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/).slice(1).map(Number));
    expect(rows).toHaveLength(10);
    const damm = (digits: string) => [...digits].reduce((i, d) => rows[i]![Number(d)]!, 0);
    for (let n = 1; n <= 2000; n++) {
      const body = String((n * 4999) % 10_000_000).padStart(7, '0');
      expect(damm(body)).toBe(dammCheckDigit(body));
    }
    expect(formatSerial(1)).toBe('FK00000013');
  });

  it('the error-code table lists exactly WireErrorCode, 14 TIME_JUMP included', () => {
    const rows = [...section('## Error codes').matchAll(/^\| (\d+) \| ([A-Z_]+) \|/gm)].map((m) => [m[2]!, Number(m[1])]);
    expect(Object.fromEntries(rows)).toEqual({ ...WireErrorCode });
    expect(WireErrorCode.TIME_JUMP).toBe(14);
  });

  it('the clock guard constants and the allowance after a year are the code\'s', () => {
    const text = section('## Clock guard');
    const constant = (name: string) => Number(new RegExp(`\`${name}\`\\s*= (\\d+)`).exec(text)![1]);
    expect(constant('CLOCK_SET_MARGIN_SECONDS')).toBe(CLOCK_SET_MARGIN_SECONDS);
    expect(constant('CLOCK_DRIFT_ALLOWANCE_PPM')).toBe(CLOCK_DRIFT_ALLOWANCE_PPM);
    expect(constant('LOST_CLOCK_MAX_GAP_SECONDS')).toBe(LOST_CLOCK_MAX_GAP_SECONDS);
    expect(constant('TIME_FLOOR_PERSIST_SECONDS')).toBe(TIME_FLOOR_PERSIST_SECONDS);
    const year = /after a year \(`E` = (\d+) s\) `A` = ([\d.]+) s/.exec(text)!;
    expect(clockAllowance(Number(year[1])).toFixed(2)).toBe(year[2]);
  });

  it('a fob lists every version-1 capability it supports (absent means unsupported)', () => {
    expect([...FOB_CAPABILITIES].sort()).toEqual(Object.values(Capability).sort());
    expect(section('### 0x01 HELLO')).toMatch(/a capability that is absent is \*\*not supported\*\*/);
  });
});

describe('SPEC.md statements about the fob, on the simulator', () => {
  it('CODE_NOW `remaining` follows the formula, at each example time SPEC.md gives', async () => {
    const examples = [...section('### 0x08 CODE_NOW').matchAll(/now ([\d.]+) → (?:step (\d+), )?remaining (\d+)/g)];
    expect(examples.length).toBe(3);
    const { clock, factory, station } = await simFob(1_800_000_000);
    await station.request(MessageType.SET_TIME, { time: 1_800_000_000 });
    await station.openSession(factory.station);
    await station.request(MessageType.SET_SERIAL, { serial: 'FK00000013' });
    await station.request(MessageType.PROGRAM_SEED, { secret: new Uint8Array(20).fill(7), alg: 'sha1', digits: 6, period: 60, t0: 0 });
    for (const [, now, step, remaining] of examples) {
      clock.set(Number(now));
      const r = await station.request(MessageType.CODE_NOW, {});
      expect(r).toMatchObject({ ok: true, body: { remaining: Number(remaining), ...(step ? { step: Number(step) } : {}) } });
      expect(r.ok && r.body.remaining).toBe(Math.max(1, Math.ceil(60 - (Number(now) % 60))));
    }
  });

  it('a never-set clock: GET_STATUS timeValid false with a small count, CODE_NOW and LOCK CLOCK_INVALID, CALCULATE works', async () => {
    const { clock, factory, station } = await simFob(1_800_000_000);
    clock.advance(12.5);
    expect(await station.request(MessageType.GET_STATUS, {})).toMatchObject({ ok: true, body: { timeValid: false, time: 12.5 } });
    expect((await station.openSession(factory.station)).ok).toBe(true);
    await station.request(MessageType.SET_SERIAL, { serial: 'FK00000013' });
    const secret = new Uint8Array(20).fill(7);
    await station.request(MessageType.PROGRAM_SEED, { secret: secret.slice(), alg: 'sha1', digits: 6, period: 60, t0: 0 });
    const now = await station.request(MessageType.CODE_NOW, {});
    expect(now).toMatchObject({ ok: false, error: { name: 'CLOCK_INVALID', msg: expect.stringMatching(/^clock-invalid:/) } });
    expect(await station.request(MessageType.CALCULATE, { time: 1_800_000_000 })).toMatchObject({ ok: true, body: { code: generateTotp({ secret, time: 1_800_000_000 }) } });
    expect(await station.request(MessageType.LOCK, { serial: 'FK00000013' })).toMatchObject({ ok: false, error: { name: 'CLOCK_INVALID' } });
  });

  it('BEGIN_SESSION with a field of the wrong size: INVALID_ARGUMENT, the HELLO is not spent, failedAuth unchanged, the session goes on', async () => {
    const { factory, station, fob } = await simFob(1_800_000_000);
    await station.request(MessageType.SET_TIME, { time: 1_800_000_000 });
    expect((await station.openSession(factory.station)).ok).toBe(true);
    await station.hello(5000, { keepSession: true });
    const good = encodeRequest(MessageType.BEGIN_SESSION, { eph: new Uint8Array(32).fill(9), sig: new Uint8Array(64), cert: new Uint8Array(32) });
    // The same body with `eph` one byte short: 58 20 (32 bytes) becomes 58 1f, the last byte dropped.
    const short = Uint8Array.from([...good.subarray(0, 6), 0x1f, ...good.subarray(7, 7 + 31), ...good.subarray(7 + 32)]);
    const frame = await station.exchange(MessageType.BEGIN_SESSION, short);
    expect(decodeErrorBody(frame.body)).toMatchObject({ code: WireErrorCode.INVALID_ARGUMENT, name: 'INVALID_ARGUMENT' });
    expect(fob.status().failedAuth).toBe(0);
    // The previous session still answers: a record of it is opened and answered SECURE.
    const status = await station.request(MessageType.GET_STATUS, {}, { secure: true });
    expect(status).toMatchObject({ ok: true, body: { failedAuth: 0 } });
    expect(status.frame.flags & FrameFlags.SECURE).toBe(FrameFlags.SECURE);
    // The HELLO was not spent: a BEGIN_SESSION on it, without a new HELLO, opens a session.
    expect((await station.beginSession(factory.station)).ok).toBe(true);
    // ...and that one did spend it.
    expect(await station.beginSession(factory.station)).toMatchObject({ ok: false, error: { name: 'BAD_STATE' } });
    expect(SPEC).toMatch(/answered \*\*INVALID_ARGUMENT\*\* at\nstep 4/);
  });
});
