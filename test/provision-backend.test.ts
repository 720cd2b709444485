/**
 * The station's side of the backend contract, against the real backend (in-process, on an
 * SQLite file): registration-key pinning, serial blocks, registration through the outbox while
 * the backend is down and after it comes back, conflicts, activation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { sealToRecipient } from '@fobkit/protocol/session';
import { startServer, createApiKey, type RunningServer } from '@fobkit/backend';
import { BackendClient, SerialPool, StationJournal, StationOutbox, pinRegistrationKey, isStationError, type RegistrationPayload } from '@fobkit/provisioner';

let dir: string;
let server: RunningServer | undefined;
let port: number;
let stationKey: string;
let supportKey: string;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

async function startBackend(): Promise<RunningServer> {
  server = await startServer({ db: `sqlite:${join(dir, 'backend.db')}`, kekFile: join(dir, 'backend.kek'), listen: `127.0.0.1:${port}`, logError: () => undefined });
  return server;
}

async function stopBackend(): Promise<void> {
  await server?.close();
  server = undefined;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fobkit-provision-backend-'));
  port = await freePort();
  const s = await startBackend();
  stationKey = (await createApiKey(s.backend.ctx, 'test', 'station')).token;
  supportKey = (await createApiKey(s.backend.ctx, 'test', 'support')).token;
});
afterAll(async () => {
  await stopBackend();
  rmSync(dir, { recursive: true, force: true });
});

const url = (): string => `http://127.0.0.1:${port}`;
const client = (apiKey = stationKey): BackendClient => new BackendClient({ baseUrl: url(), apiKey, timeoutMs: 2000, retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 20 } });

async function tokenState(serial: string): Promise<string | undefined> {
  const res = await fetch(`${url()}/v1/tokens/${serial}`, { headers: { authorization: `Bearer ${supportKey}` } });
  if (res.status === 404) return undefined;
  return ((await res.json()) as { state: string }).state;
}

describe('station ↔ backend', () => {
  it('pins the registration key on first use and refuses a different one later', async () => {
    const journal = StationJournal.open({ path: join(dir, 'pin.db') });
    try {
      const first = await pinRegistrationKey({ journal, backend: client() });
      expect(first.source).toBe('first-use');
      expect(first.publicKey.length).toBe(32);
      const again = await pinRegistrationKey({ journal, backend: client() });
      expect(again.source).toBe('journal');
      const wrong = Buffer.alloc(32, 9).toString('base64url');
      await expect(pinRegistrationKey({ journal, backend: client(), configured: { publicKey: wrong } })).rejects.toMatchObject({ code: 'REGISTRATION_KEY_MISMATCH' });
    } finally {
      journal.close();
    }
  });

  it('a wrong API key is BACKEND_UNAUTHORIZED, not something to retry', async () => {
    const e = await client('nope').reserveSerials(1).catch((x: unknown) => x);
    expect(isStationError(e, 'BACKEND_UNAUTHORIZED')).toBe(true);
  });

  it('registrations wait in the outbox while the backend is down and are delivered when it is back, then activation', async () => {
    const journal = StationJournal.open({ path: join(dir, 'outbox.db') });
    const backend = client();
    const key = await pinRegistrationKey({ journal, backend });
    const serials = new SerialPool({ journal, backend, blockSize: 3 });
    const outbox = new StationOutbox({ journal, backend, baseDelayMs: 20, maxDelayMs: 100 });
    try {
      const fob = journal.createFob({ deviceKey: 'aa', batch: 'B' });
      const serial = await serials.assign(fob.id, { maxWaitMs: 1000 });
      expect(journal.freeSerialCount()).toBe(2);
      const payload: RegistrationPayload = {
        serial, model: 'FK-1', kid: key.kid, algorithm: 'sha1', digits: 6, period: 60, t0: 0, batch: 'B', provisionedAt: Math.floor(Date.now() / 1000), clockOffset: 0,
        sealedSecret: sealToRecipient({ recipientPublicKey: key.publicKey, plaintext: new Uint8Array(randomBytes(20)), context: `seed:${serial}` }),
      };
      const reg = journal.holdRegistration(fob.id, payload);
      journal.releaseRegistration(reg.id);

      await stopBackend();
      outbox.start();
      expect(await outbox.waitForRegistration(reg.id, { maxWaitMs: 300 })).toBe('timeout');
      expect(journal.getRegistration(reg.id).attempts).toBeGreaterThan(0);
      expect(journal.pendingRegistrationCount()).toBe(1);
      // Serials still come from the stock while the backend is down.
      const fob2 = journal.createFob({ deviceKey: 'bb', batch: 'B' });
      expect(await serials.assign(fob2.id, { maxWaitMs: 100 })).not.toBe(serial);

      await startBackend();
      expect(await outbox.waitForRegistration(reg.id, { maxWaitMs: 10_000 })).toBe('acknowledged');
      expect(journal.getFob(fob.id).stage).toBe('registered');
      expect(await tokenState(serial)).toBe('pending');

      journal.recordLocked(fob.id, serial);
      expect(await outbox.waitForActivation(serial, { maxWaitMs: 10_000 })).toBe('acknowledged');
      expect(await tokenState(serial)).toBe('available');

      // The same registration again is a success (idempotent); a different seed is a conflict.
      await expect(backend.register(payload)).resolves.toMatchObject({ serial });
      const other = { ...payload, sealedSecret: sealToRecipient({ recipientPublicKey: key.publicKey, plaintext: new Uint8Array(randomBytes(20)), context: `seed:${serial}` }) };
      await expect(backend.register(other)).rejects.toMatchObject({ code: 'BACKEND_CONFLICT', status: 409 });
    } finally {
      await outbox.stop();
      journal.close();
      if (!server) await startBackend();
    }
  });

  it('with no serial in stock and the backend down, assign gives up with NO_SERIALS after its wait', async () => {
    const journal = StationJournal.open({ path: join(dir, 'noserial.db') });
    await stopBackend();
    try {
      const fob = journal.createFob({ deviceKey: 'cc', batch: 'B' });
      const pool = new SerialPool({ journal, backend: client(), blockSize: 2 });
      await expect(pool.assign(fob.id, { maxWaitMs: 200 })).rejects.toMatchObject({ code: 'NO_SERIALS' });
    } finally {
      journal.close();
      await startBackend();
    }
  });
});
