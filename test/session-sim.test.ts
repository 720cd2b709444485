// FobSession against the real fob model (firmware-sim) over an in-memory link: the contract
// between the station's client and the firmware, including safe retries of PROGRAM_SEED and
// LOCK when an answer is lost and the fob's refusals with their reasons.
import { afterEach, describe, expect, it } from 'vitest';
import { decodeFrame, MessageType } from '@fobkit/protocol/wire';
import { FobSession, TransportError, type Timers, type Transport } from '@fobkit/protocol/client';
import { Simulator } from '../firmware-sim/src/simulator.js';
import { createTestFactory } from '../firmware-sim/src/testing/testFactory.js';

const SERIAL = 'FK00000013';
const SECRET = new Uint8Array(20).fill(7);
const SEED = { secret: SECRET, algorithm: 'sha1', digits: 6, period: 60, t0: 0 } as const;

/** A Transport over the simulator's memory link; `dropAnswer` drops the next answer of a type. */
function memoryTransport(duplex: { write(b: Uint8Array): void; onData(l: (c: Uint8Array) => void): () => void }) {
  let open = false;
  const drops = new Set<number>();
  const dropped: number[] = [];
  const closers = new Set<(e?: TransportError) => void>();
  const transport: Transport = {
    description: 'sim:memory',
    get isOpen() {
      return open;
    },
    open: async () => void (open = true),
    write: async (bytes) => {
      if (!open) throw new TransportError('disconnected', 'closed');
      const copy = bytes.slice();
      queueMicrotask(() => duplex.write(copy));
    },
    onData: (listener) =>
      duplex.onData((chunk) => {
        try {
          const f = decodeFrame(chunk);
          if (drops.delete(f.type)) return void dropped.push(f.type);
        } catch {
          // not exactly one frame: pass it on
        }
        listener(chunk);
      }),
    onClose: (l) => (closers.add(l), () => closers.delete(l)),
    close: async () => void (open = false),
  };
  return { transport, dropAnswer: (type: number) => drops.add(type), dropped };
}

function manualTimers() {
  const pending = new Map<number, () => void>();
  let next = 0;
  const timers: Timers = { setTimeout: (cb) => (pending.set(++next, cb), next), clearTimeout: (h) => void pending.delete(h as number) };
  const fire = () => {
    const callbacks = [...pending.values()];
    pending.clear();
    for (const cb of callbacks) cb();
  };
  return { timers, armed: () => pending.size, fire };
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise<void>((r) => setImmediate(r));
  if (!cond()) throw new Error('condition never became true');
}

const open: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

async function rig() {
  const now = Date.now() / 1000;
  const factory = createTestFactory(now);
  const sim = await Simulator.start({ count: 1, rootPublicKey: factory.rootPublicKey, transport: 'memory' });
  open.push(sim);
  const link = memoryTransport(sim.fobs[0]!.stationDuplex());
  await link.transport.open();
  const t = manualTimers();
  const session = new FobSession({ transport: link.transport, timers: t.timers });
  open.push(session);
  return { now, factory, sim, link, t, session };
}

describe('FobSession ↔ firmware-sim', () => {
  it('provisions a fob end to end; PROGRAM_SEED and LOCK answers lost once each are retried and applied once', async () => {
    const { now, factory, sim, link, t, session } = await rig();
    expect((await session.hello()).schemaMatches).toBe(true);
    await session.beginSession(factory.station);
    await session.setTime(now);
    await session.setSerial(SERIAL);

    link.dropAnswer(MessageType.PROGRAM_SEED);
    const programmed = session.programSeed(SEED);
    await until(() => link.dropped.length === 1 && t.armed() === 1);
    t.fire();
    expect((await programmed).state).toBe('programmed');

    link.dropAnswer(MessageType.LOCK);
    const locked = session.lock(SERIAL);
    await until(() => link.dropped.length === 2 && t.armed() === 1);
    t.fire();
    expect(await locked).toEqual({ state: 'locked' });

    const status = await session.getStatus();
    expect(status).toMatchObject({ state: 'locked', wipes: 0, failedAuth: 0 });
    const shown = await session.codeNow();
    const pressed = sim.fobs[0]!.press();
    if (pressed.step === shown.step) expect(pressed.text).toBe(shown.code); // same 60 s step: same code
  });

  it('refuses a station from another root and a revoked one, each with its reason', async () => {
    const { factory, session } = await rig();
    await expect(session.beginSession(factory.rogue)).rejects.toMatchObject({ code: 'CERT_INVALID', reason: 'cert-bad-signature' });
    await expect(session.beginSession({ ...factory.station, revocationList: factory.revocationList(1, [1]) })).rejects.toMatchObject({ code: 'CERT_INVALID', reason: 'cert-revoked' });
    await expect(session.programSeed(SEED)).rejects.toMatchObject({ code: 'SESSION_FAILED', reason: 'no-session' });
    expect((await session.getStatus()).failedAuth).toBe(2);
  });
});
