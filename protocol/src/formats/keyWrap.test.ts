/**
 * AES key wrap as PSKC files use it (kw-aes128/192/256): RFC 3394 and, for values that are not
 * whole 8-byte blocks (python-pskc's 20-byte SHA-1 seeds), RFC 5649 with padding. Vectors from
 * both RFCs (vectors/keyWrap.json).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decryptValue, unwrapKey, wrapKeyPadded } from './_pskcCrypto.js';
import { XENC_NS } from './pskcConstants.js';

interface Vector { rfc: number; name: string; kekHex: string; keyHex: string; wrappedHex: string }
const data = JSON.parse(readFileSync(join(import.meta.dirname, 'vectors', 'keyWrap.json'), 'utf8')) as { source: string; vectors: Vector[] };
const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));

describe('AES key unwrap (RFC 3394 and RFC 5649)', () => {
  it('names its source', () => {
    expect(data.source).toMatch(/RFC 5649/);
    expect(data.vectors.filter((v) => v.rfc === 5649)).toHaveLength(2);
  });

  it.each(data.vectors)('RFC $rfc: $name', (v) => {
    expect(Buffer.from(unwrapKey(hex(v.kekHex), hex(v.wrappedHex))).toString('hex')).toBe(v.keyHex);
    if (v.rfc === 5649) expect(Buffer.from(wrapKeyPadded(hex(v.kekHex), hex(v.keyHex))).toString('hex')).toBe(v.wrappedHex);
    const uri = `${XENC_NS}kw-aes${v.kekHex.length * 4}`;
    expect(Buffer.from(decryptValue(uri, hex(v.kekHex), hex(v.wrappedHex), 'Secret', 1)).toString('hex')).toBe(v.keyHex);
  });

  it('refuses a damaged wrapped key or a wrong KEK as a decryption failure', () => {
    for (const v of data.vectors) {
      const damaged = hex(v.wrappedHex);
      damaged[damaged.length - 1]! ^= 1;
      const uri = `${XENC_NS}kw-aes${v.kekHex.length * 4}`;
      expect(() => decryptValue(uri, hex(v.kekHex), damaged, 'Secret', 7)).toThrow(/Secret: decryption failed \(wrong pre-shared key or password\?\)/);
      const wrongKek = hex(v.kekHex);
      wrongKek[0]! ^= 1;
      expect(() => decryptValue(uri, wrongKek, hex(v.wrappedHex), 'Secret', 7)).toThrow(/decryption failed/);
    }
  });
});
