import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_GEOMETRY, MemoryFlash } from './flashDevice.js';
import { FlashStore, decodeRecord, encodeRecord } from './flashStore.js';
import { isSimError } from '../errors.js';
import { decodeFobRecord, encodeFobRecord, type FobRecord } from '../fob/fobRecord.js';
import { Fob } from '../fob/fob.js';
import { SimulationClock } from '../clock/simulationClock.js';

const HW = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
const payload = (n: number, fill: number) => new Uint8Array(n).fill(fill);

describe('FlashStore (A/B records)', () => {
  it('starts virgin, then alternates slots with growing generations', () => {
    const store = new FlashStore(new MemoryFlash(), HW);
    expect(store.load().status).toBe('virgin');
    for (let g = 1; g <= 5; g++) {
      store.commit(payload(50 + g, g));
      const again = new FlashStore(store.device, HW).load();
      expect(again).toMatchObject({ status: 'ok', generation: g });
      expect(again.payload).toEqual(payload(50 + g, g));
    }
    expect(FlashStore.readHardwareId(store.device)).toEqual(HW);
  });

  it('a torn commit at any byte leaves the previous or the new record, never garbage', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 400 }), fc.boolean(), fc.integer({ min: 1, max: 300 }), (prior, bytes, erase, size) => {
        const flash = new MemoryFlash();
        const store = new FlashStore(flash, HW);
        store.load();
        for (let g = 1; g <= prior; g++) store.commit(payload(size, g));
        store.armPowerCut(erase ? { phase: 'erase', bytes } : { phase: 'program', bytes });
        let cut = false;
        try {
          store.commit(payload(size, 0xee));
        } catch (e) {
          cut = isSimError(e, 'POWER_CUT');
        }
        expect(cut).toBe(true);
        const loaded = new FlashStore(flash, HW).load();
        expect(loaded.status).toBe('ok');
        const complete = !erase && bytes >= encodeRecord(prior + 1, payload(size, 0), 8).length;
        expect(loaded.generation).toBe(complete ? prior + 1 : prior);
        expect(loaded.payload).toEqual(complete ? payload(size, 0xee) : payload(size, prior));
      }),
      { numRuns: 300 },
    );
  });

  it('says "corrupt" when no slot holds a valid record but the slots are not blank', () => {
    const flash = new MemoryFlash();
    const store = new FlashStore(flash, HW);
    store.load();
    store.commit(payload(40, 1));
    store.commit(payload(40, 2));
    // Bit rot in both slots (program can only clear bits).
    flash.program(DEFAULT_GEOMETRY.pageSize + 16, new Uint8Array(8));
    flash.program(DEFAULT_GEOMETRY.pageSize * 3 + 16, new Uint8Array(8));
    expect(new FlashStore(flash, HW).load().status).toBe('corrupt');
  });

  it('rejects a record with a flipped bit', () => {
    const rec = encodeRecord(3, payload(30, 7), 8);
    expect(decodeRecord(rec)).not.toBeNull();
    rec[20]! ^= 0x10;
    expect(decodeRecord(rec)).toBeNull();
  });
});

describe('fob record encoding', () => {
  const huk = new Uint8Array(32).fill(0x42);
  const secret = Uint8Array.from({ length: 20 }, (_, i) => 0xa0 + i);
  const record = (): FobRecord => ({
    state: 'locked', serial: 'FK00000013', devicePublicKey: new Uint8Array(32).fill(3), devicePrivateKey: new Uint8Array(32).fill(4),
    seed: { secret: secret.slice(), algorithm: 'sha256', digits: 8, period: 30, t0: 0, check: new Uint8Array(8).fill(5) },
    wipes: 2, failedAuthTotal: 7, failedAuthStreak: 1, crl: Uint8Array.of(1, 2, 3), crlSeq: 4, flashRecovered: false,
    timeFloor: 1_800_000_000, clockRef: { time: 1_800_000_123.5, counter: 4321.25 },
  });

  it('round-trips and never holds the seed or the device key in the clear', () => {
    const bytes = encodeFobRecord(record(), huk, HW);
    expect(decodeFobRecord(bytes, huk, HW)).toEqual(record());
    expect(Buffer.from(bytes).includes(Buffer.from(secret))).toBe(false);
    expect(Buffer.from(bytes).includes(Buffer.from(new Uint8Array(32).fill(4)))).toBe(false);
  });

  it('does not open under another device key or hardware id', () => {
    const bytes = encodeFobRecord(record(), huk, HW);
    expect(decodeFobRecord(bytes, new Uint8Array(32).fill(1), HW)).toBeNull();
    expect(decodeFobRecord(bytes, huk, Uint8Array.of(8, 7, 6, 5, 4, 3, 2, 1))).toBeNull();
  });
});

describe('a fob whose flash holds no valid record', () => {
  it('reinitialises and says so instead of pretending to be new', async () => {
    const flash = new MemoryFlash();
    const opts = { index: 0, flash, hardwareId: HW, huk: new Uint8Array(32).fill(9), clock: new SimulationClock({ mode: 'manual', start: 1e9 }), rootPublicKey: new Uint8Array(32), driftPpm: 0 };
    const first = new Fob(opts);
    expect(first.status()).toMatchObject({ flash: 'ok', state: 'blank', flashGeneration: 1 });
    await first.storeCrl(1, Uint8Array.of(1, 2, 3));
    expect(first.flashGeneration).toBe(2);
    const pub = first.devicePublicKey.slice();
    // Rot both records.
    flash.program(DEFAULT_GEOMETRY.pageSize + 24, new Uint8Array(8));
    flash.program(DEFAULT_GEOMETRY.pageSize * 3 + 24, new Uint8Array(8));
    const second = new Fob(opts);
    expect(second.status()).toMatchObject({ flash: 'recovered', state: 'blank' });
    expect(second.devicePublicKey).not.toEqual(pub);
    // The flag is sticky: it survives another restart.
    expect(new Fob(opts).status().flash).toBe('recovered');
  });
});
