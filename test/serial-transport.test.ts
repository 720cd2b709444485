/**
 * The station's serial transport (serialport with provisioner's poller-direct reads and writes)
 * on a real pty pair made by socat: bytes both ways and in order, a write far larger than the
 * pty's buffer (the write waits for the poller's 'writable'), a quiet close with a read pending,
 * and the far end going away while the port is open.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TransportError } from '@fobkit/protocol';
import { PtyPair } from '../firmware-sim/src/link/ptyPair.js';
import { SerialPortTransport } from '../provisioner/src/transport/serialPortTransport.js';

const dir = mkdtempSync(join(tmpdir(), 'fobkit-serial-transport-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let pairs = 0;
async function openPair(): Promise<{ pair: PtyPair; a: SerialPortTransport; b: SerialPortTransport }> {
  const n = pairs++;
  const pair = await PtyPair.open(join(dir, `a${n}`), join(dir, `b${n}`));
  const a = new SerialPortTransport({ path: join(dir, `a${n}`) });
  const b = new SerialPortTransport({ path: join(dir, `b${n}`) });
  await a.open();
  await b.open();
  return { pair, a, b };
}

function receive(t: SerialPortTransport, bytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  return new Promise((resolve) => {
    const off = t.onData((c) => {
      chunks.push(Buffer.from(c));
      n += c.length;
      if (n >= bytes) {
        off();
        resolve(Buffer.concat(chunks));
      }
    });
  });
}

describe('SerialPortTransport on a pty pair', () => {
  it('moves bytes both ways in order, a 256 KiB write included', { timeout: 30_000 }, async () => {
    const { pair, a, b } = await openPair();
    try {
      const big = randomBytes(256 * 1024);
      const got = receive(b, big.length);
      await a.write(big);
      expect((await got).equals(big)).toBe(true);

      for (let i = 0; i < 50; i++) {
        const frame = randomBytes(1 + (i * 37) % 300);
        const back = receive(a, frame.length);
        await b.write(frame);
        expect((await back).equals(frame)).toBe(true);
      }
    } finally {
      await a.close();
      await b.close();
      await pair.close();
    }
  });

  it('closes quietly with a read pending; the far end going away closes the port as disconnected', { timeout: 30_000 }, async () => {
    const { pair, a, b } = await openPair();
    const closedA = new Promise<TransportError | undefined>((resolve) => a.onClose(resolve));
    await a.close();
    expect(await closedA).toBeUndefined();
    expect(a.isOpen).toBe(false);
    await expect(a.write(new Uint8Array([1]))).rejects.toMatchObject({ disconnected: true });

    const closedB = new Promise<TransportError | undefined>((resolve) => b.onClose(resolve));
    await pair.close(); // socat stops: b's pty is gone under it
    const error = await closedB;
    expect(error).toMatchObject({ name: 'TransportError', disconnected: true });
    expect(b.isOpen).toBe(false);
  });
});
