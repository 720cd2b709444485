import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { sealToRecipient } from '@fobkit/protocol/session';
import { readPskc } from '@fobkit/protocol/formats';
import { formatSerial } from '@fobkit/protocol/serial';
import { StationJournal, type RegistrationPayload } from '../journal/stationJournal.js';
import { OfflineExportBackend, deriveOfflineSealKey, parseSerialRange } from './offlineExportBackend.js';

let dir: string;
let journal: StationJournal;
const psk = new Uint8Array(randomBytes(16));
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fobkit-offline-'));
  journal = StationJournal.open({ path: join(dir, 'station.db') });
});
afterEach(() => {
  journal.close();
  rmSync(dir, { recursive: true, force: true });
});

const [S0, S1, S2] = [formatSerial(1000), formatSerial(1001), formatSerial(1002)];

function backend(o: { file?: string; key?: Uint8Array } = {}): OfflineExportBackend {
  return new OfflineExportBackend({ file: o.file ?? join(dir, 'out.pskcxml'), protection: { kind: 'psk', key: o.key ?? psk }, serialRange: parseSerialRange(`${S0}-${S2}`), journal, batch: 'B1' });
}

function registration(b: OfflineExportBackend, serial: string, secret: Uint8Array): RegistrationPayload {
  const k = b.registrationKey;
  return {
    serial, model: 'FK-1', sealedSecret: sealToRecipient({ recipientPublicKey: k.publicKey, plaintext: secret, context: `seed:${serial}` }), kid: k.kid,
    algorithm: 'sha1', digits: 6, period: 60, t0: 0, batch: 'B1', provisionedAt: 1_800_000_000, clockOffset: 61,
  };
}

describe('OfflineExportBackend', () => {
  it('parses a serial range and refuses a bad check digit or a reversed range', () => {
    expect(parseSerialRange('FK00010008-FK00010996')).toEqual({ first: 1000, last: 1099 });
    expect(() => parseSerialRange('FK00010007-FK00010996')).toThrow(/check digit/);
    expect(() => parseSerialRange('FK00010996-FK00010008')).toThrow(/comes before/);
    expect(() => parseSerialRange(S0)).toThrow(/START-END/);
  });

  it('hands out each serial of the range once, across restarts, then says the range is used up', async () => {
    const a = backend();
    expect(await a.reserveSerials(2)).toEqual([S0, S1]);
    const again = backend(); // a restarted station on the same journal
    expect(await again.reserveSerials(5)).toEqual([S2]);
    await expect(again.reserveSerials(1)).rejects.toMatchObject({ code: 'NO_SERIALS', message: expect.stringMatching(/used up/) });
  });

  it('adds each registration to the PSK-protected file (mode 0600), idempotently, with the profile and TimeDrift in steps', async () => {
    const b = backend();
    const s1 = new Uint8Array(randomBytes(20));
    const s2 = new Uint8Array(randomBytes(20));
    await Promise.all([b.register(registration(b, S0, s1)), b.register(registration(b, S1, s2))]);
    await b.register(registration(b, S0, s1)); // repeated after a crash
    const file = join(dir, 'out.pskcxml');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const r = readPskc(readFileSync(file), { psk });
    expect(r.id).toBe('B1');
    expect(r.keys.map((k) => k.serial).sort()).toEqual([S0, S1]);
    const k1 = r.keys.find((k) => k.serial === S0)!;
    expect(Buffer.from(k1.secret).equals(Buffer.from(s1))).toBe(true);
    expect(k1).toMatchObject({ type: 'totp', algorithm: 'sha1', digits: 6, period: 60, timeDrift: 1, model: 'FK-1' });
    expect(readFileSync(file).includes(Buffer.from(s1).toString('base64'))).toBe(false);
  });

  it('refuses a seed sealed to another key (no lock may follow), and an existing export it cannot open', async () => {
    const b = backend();
    const other = deriveOfflineSealKey({ kind: 'psk', key: new Uint8Array(16).fill(1) });
    const p = { ...registration(b, S0, new Uint8Array(20).fill(3)), kid: other.kid };
    await expect(b.register(p)).rejects.toMatchObject({ code: 'BACKEND_REJECTED', retryable: false });
    await b.register(registration(b, S1, new Uint8Array(20).fill(4)));
    await expect(backend({ key: new Uint8Array(16).fill(9) }).check()).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    writeFileSync(join(dir, 'junk.pskcxml'), 'not xml');
    await expect(backend({ file: join(dir, 'junk.pskcxml') }).check()).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it('derives the same seal key from the same secret (a restart can open its journal), another from another', () => {
    const a = deriveOfflineSealKey({ kind: 'psk', key: psk });
    const b = deriveOfflineSealKey({ kind: 'psk', key: psk });
    expect(a.kid).toBe(b.kid);
    expect(deriveOfflineSealKey({ kind: 'psk', key: new Uint8Array(16) }).kid).not.toBe(a.kid);
    expect(deriveOfflineSealKey(undefined).kid).not.toBe(deriveOfflineSealKey(undefined).kid);
  });
});
