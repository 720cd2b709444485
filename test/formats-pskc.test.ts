/**
 * PSKC (RFC 6030) reading and writing on their own: the RFC's encrypted examples as vectors,
 * namespace-prefix independence, MAC checking (strict and soft), key packages that are not fob
 * seeds, and hostile or broken files, each refused with a clear, typed error.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedFileError } from './_seedFileError.js';
import { encodeHex } from '@fobkit/protocol/otp';
import { readPskc, readSeedFile, writePskc, type PskcKeyPackage } from '@fobkit/protocol/formats';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'formats');
interface Vector {
  file: string; protection: 'psk' | 'password'; pskHex?: string; password?: string;
  expect: { serial: string; keyId: string; type: string; digits: number; counter?: number; manufacturer: string; issuer: string; cryptoModuleId: string; secretHex: string };
}
const VECTORS = JSON.parse(readFileSync(join(FIXTURES, 'vectors.json'), 'utf8')) as { source: string; vectors: Vector[] };

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fobkit-pskc-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function fob(serial: string, extra: Partial<PskcKeyPackage> = {}): PskcKeyPackage {
  return { serial, type: 'totp', algorithm: 'sha1', digits: 6, period: 60, secret: new Uint8Array(randomBytes(20)), ...extra };
}

const PSK = new Uint8Array(randomBytes(16));

describe(`RFC 6030 examples (${VECTORS.source})`, () => {
  for (const v of VECTORS.vectors) {
    it(`${v.file}: MACs verify and the secret decrypts to the RFC's value`, () => {
      const input = readFileSync(join(FIXTURES, v.file));
      const options = v.protection === 'psk' ? { psk: new Uint8Array(Buffer.from(v.pskHex!, 'hex')) } : { password: v.password! };
      const r = readPskc(input, options);
      expect(r.protection).toBe(v.protection);
      expect(r.macFailures).toEqual([]);
      expect(r.keys).toHaveLength(1);
      const k = r.keys[0]!;
      expect(encodeHex(k.secret)).toBe(v.expect.secretHex);
      expect({ serial: k.serial, keyId: k.keyId, type: k.type, digits: k.digits, manufacturer: k.manufacturer, issuer: k.issuer, cryptoModuleId: k.cryptoModuleId })
        .toEqual({ serial: v.expect.serial, keyId: v.expect.keyId, type: v.expect.type, digits: v.expect.digits, manufacturer: v.expect.manufacturer, issuer: v.expect.issuer, cryptoModuleId: v.expect.cryptoModuleId });
      expect(k.counter).toBe(v.expect.counter);
    });
  }

  it('without the key or password the reader says which one it needs', () => {
    const fig6 = readFileSync(join(FIXTURES, 'rfc6030-figure6-psk.pskcxml'));
    const fig7 = readFileSync(join(FIXTURES, 'rfc6030-figure7-pbkdf2.pskcxml'));
    const e6 = seedFileError(() => readPskc(fig6));
    expect(e6.code).toBe('PSKC_DECRYPT_FAILED');
    expect(e6.message).toMatch(/pre-shared key.*--psk-file/);
    const e7 = seedFileError(() => readPskc(fig7));
    expect(e7.code).toBe('PSKC_DECRYPT_FAILED');
    expect(e7.message).toMatch(/password-protected.*--password-file/);
  });

  it('a wrong password is refused (decryption or MAC failure), never a wrong secret', () => {
    const fig7 = readFileSync(join(FIXTURES, 'rfc6030-figure7-pbkdf2.pskcxml'));
    const e = seedFileError(() => readPskc(fig7, { password: 'qwertz' }));
    expect(['PSKC_DECRYPT_FAILED', 'PSKC_MAC_FAILED']).toContain(e.code);
  });
});

describe('namespaces: prefixes are resolved, not matched as text', () => {
  const keys = [fob('FK00000013'), fob('FK00000021', { type: 'hotp', counter: 3, digits: 8, algorithm: 'sha256' })];
  const xml = writePskc({ keys, protection: { kind: 'psk', key: PSK } });
  const expected = keys.map((k) => encodeHex(k.secret));

  it('reads the same keys with pskc:, ns0: and a default namespace', () => {
    const ns0 = xml.replace(/<(\/?)pskc:/g, '<$1ns0:').replace('xmlns:pskc=', 'xmlns:ns0=');
    expect(ns0).not.toMatch(/<\/?pskc:/);
    const defaultNs = xml.replace(/<(\/?)pskc:/g, '<$1').replace('xmlns:pskc=', 'xmlns=');
    for (const variant of [xml, ns0, defaultNs]) {
      expect(readPskc(variant, { psk: PSK }).keys.map((k) => encodeHex(k.secret))).toEqual(expected);
    }
  });

  it('the right local names in the wrong namespace are not PSKC', () => {
    const e = seedFileError(() => readPskc(xml.replace('urn:ietf:params:xml:ns:keyprov:pskc', 'urn:example:not-pskc'), { psk: PSK }));
    expect(e.code).toBe('PSKC_INVALID');
    expect(e.message).toMatch(/not a PSKC file/);
  });

  it('an undeclared prefix is refused with its line', () => {
    const bad = xml.replace('<pskc:SerialNo>', '<vendor:SerialNo>').replace('</pskc:SerialNo>', '</vendor:SerialNo>');
    const e = seedFileError(() => readPskc(bad, { psk: PSK }));
    expect(e.code).toBe('PSKC_INVALID');
    expect(e.message).toMatch(/^line (\d+): element <vendor:SerialNo> uses an undeclared namespace prefix 'vendor'/);
    expect(e.line).toBe(bad.slice(0, bad.indexOf('<vendor:')).split('\n').length);
  });
});

describe('MAC checking', () => {
  const keys = [fob('FK00000013'), fob('FK00000021'), fob('FK00000039')];
  const xml = writePskc({ keys, protection: { kind: 'psk', key: PSK } });
  const macs = [...xml.matchAll(/<pskc:ValueMAC>([^<]+)<\/pskc:ValueMAC>/g)].map((m) => m[1]!);
  const badMac = xml.replace(macs[1]!, Buffer.alloc(20, 7).toString('base64'));

  it('strict (default): a wrong ValueMAC refuses the file and names the key package and line', () => {
    const e = seedFileError(() => readPskc(badMac, { psk: PSK }));
    expect(e.code).toBe('PSKC_MAC_FAILED');
    expect(e.message).toMatch(/key package 2 \(serial FK00000021\) <Secret>.*ValueMAC does not verify/);
    expect(e.line).toBe(badMac.slice(0, badMac.indexOf(Buffer.alloc(20, 7).toString('base64'))).split('\n').length);
  });

  it("soft: reads on and reports every failure", () => {
    const two = badMac.replace(macs[2]!, Buffer.alloc(20, 9).toString('base64'));
    const r = readPskc(two, { psk: PSK, macCheck: 'soft' });
    expect(r.keys.map((k) => k.serial)).toEqual(['FK00000013', 'FK00000021', 'FK00000039']);
    expect(r.macFailures.map((f) => [f.serial, f.field, f.reason])).toEqual([['FK00000021', 'Secret', 'mismatch'], ['FK00000039', 'Secret', 'mismatch']]);
  });

  it('a ciphertext altered in transit fails its MAC (strict) and is reported (soft)', () => {
    const cipher = /<pskc:Secret>[\s\S]*?<xenc:CipherValue>([^<]+)</.exec(xml)![1]!;
    const bytes = Buffer.from(cipher, 'base64');
    bytes[3]! ^= 0x10;
    const altered = xml.replace(cipher, bytes.toString('base64'));
    expect(seedFileError(() => readPskc(altered, { psk: PSK })).code).toBe('PSKC_MAC_FAILED');
    expect(readPskc(altered, { psk: PSK, macCheck: 'soft' }).macFailures).toHaveLength(1);
  });

  it('a CBC-encrypted value without a ValueMAC counts as a failure', () => {
    const stripped = xml.replace(/<pskc:ValueMAC>[^<]+<\/pskc:ValueMAC>/, '');
    const e = seedFileError(() => readPskc(stripped, { psk: PSK }));
    expect(e.code).toBe('PSKC_MAC_FAILED');
    expect(e.message).toMatch(/without a ValueMAC/);
    expect(readPskc(stripped, { psk: PSK, macCheck: 'soft' }).macFailures[0]).toMatchObject({ serial: 'FK00000013', reason: 'missing' });
  });

  it('a wrong pre-shared key is refused', () => {
    const wrong = new Uint8Array(PSK);
    wrong[5]! ^= 1;
    expect(['PSKC_DECRYPT_FAILED', 'PSKC_MAC_FAILED']).toContain(seedFileError(() => readPskc(xml, { psk: wrong })).code);
  });
});

describe('what fobkit writes', () => {
  it('encrypted exports never contain a secret in any encoding', () => {
    const keys = [fob('FK00000013'), fob('FK00000021')];
    for (const protection of [{ kind: 'psk', key: PSK } as const, { kind: 'password', password: 'pw-for-test', iterations: 1000 } as const]) {
      const xml = writePskc({ keys, protection });
      for (const k of keys) {
        expect(xml).not.toContain(Buffer.from(k.secret).toString('base64'));
        expect(xml).not.toContain(encodeHex(k.secret));
      }
      expect(xml).not.toContain('PlainValue>' + Buffer.from(keys[0]!.secret).toString('base64'));
    }
  });

  it('text with XML metacharacters and character references survives', () => {
    const k = fob('FK00000013', { manufacturer: 'A & B <Tokens> "GmbH"', friendlyName: "O'Brien's fob" });
    const back = readPskc(writePskc({ keys: [k], insecurePlaintext: true })).keys[0]!;
    expect(back.manufacturer).toBe('A & B <Tokens> "GmbH"');
    expect(back.friendlyName).toBe("O'Brien's fob");
    const refs = writePskc({ keys: [k], insecurePlaintext: true }).replace('<pskc:Model>', '<pskc:Model>').replace('</pskc:SerialNo>', '</pskc:SerialNo><pskc:Model>&#x46;&#75;&amp;#65;</pskc:Model>');
    expect(readPskc(refs).keys[0]!.model).toBe('FK&#65;');
  });

  it('refuses to write without protection unless told insecurePlaintext, and other mistakes', () => {
    const keys = [fob('FK00000013')];
    expect(() => writePskc({ keys })).toThrow(/insecurePlaintext/);
    expect(() => writePskc({ keys, insecurePlaintext: true, protection: { kind: 'psk', key: PSK } })).toThrow(TypeError);
    expect(() => writePskc({ keys, protection: { kind: 'psk', key: new Uint8Array(20) } })).toThrow(/16-, 24- or 32-byte/);
    expect(() => writePskc({ keys, protection: { kind: 'password', password: 'x', iterations: 10 } })).toThrow(/iterations/);
    expect(() => writePskc({ keys: [fob('A'), fob('A')], insecurePlaintext: true })).toThrow(/duplicate serial/);
    expect(() => writePskc({ keys: [fob('A', { t0: 30 })], insecurePlaintext: true })).toThrow(/T0/);
    expect(() => writePskc({ keys: [fob('A', { secret: new Uint8Array(10) })], insecurePlaintext: true })).toThrow(/record 1 \(A\): secret/);
    expect(() => writePskc({ keys: [fob('A', { startDate: '27/11/2026' })], insecurePlaintext: true })).toThrow(/xs:dateTime/);
    expect(() => writePskc({ keys: [], insecurePlaintext: true })).toThrow(/non-empty/);
  });
});

describe('key packages that are not fob seeds are listed, not imported', () => {
  it('OCRA, a 10-byte secret, hexadecimal codes, no code length, no serial', () => {
    const good = fob('GOOD-1');
    const xml = writePskc({
      keys: [good, fob('OCRA-1'), fob('SHORT-1'), fob('HEX-1'), fob('NOLEN-1'), fob('NOSERIAL-1')],
      insecurePlaintext: true,
    });
    const pkgs = xml.split('<pskc:KeyPackage>');
    const edit = (i: number, f: (s: string) => string): void => {
      pkgs[i] = f(pkgs[i]!);
    };
    edit(2, (s) => s.replace('urn:ietf:params:xml:ns:keyprov:pskc:totp', 'urn:ietf:params:xml:ns:keyprov:pskc#OCRA-1:HOTP-SHA1-6:QN08'));
    edit(3, (s) => s.replace(/<pskc:PlainValue>[A-Za-z0-9+/=]{28}<\/pskc:PlainValue>/, `<pskc:PlainValue>${Buffer.alloc(10, 1).toString('base64')}</pskc:PlainValue>`));
    edit(4, (s) => s.replace('Encoding="DECIMAL"', 'Encoding="HEXADECIMAL"'));
    edit(5, (s) => s.replace(/<pskc:ResponseFormat[^>]*\/>/, ''));
    edit(6, (s) => s.replace(/<pskc:SerialNo>[^<]*<\/pskc:SerialNo>/, ''));
    const r = readPskc(pkgs.join('<pskc:KeyPackage>'));
    expect(r.keys.map((k) => k.serial)).toEqual(['GOOD-1']);
    expect(encodeHex(r.keys[0]!.secret)).toBe(encodeHex(good.secret));
    expect(r.skipped.map((s) => [s.index, s.reason.split(' ').slice(0, 2).join(' ')])).toEqual([
      [2, 'unsupported algorithm'],
      [3, 'secret of'],
      [4, 'response encoding'],
      [5, 'no AlgorithmParameters/ResponseFormat'],
      [6, 'no DeviceInfo/SerialNo'],
    ]);
    for (const s of r.skipped) expect(s.line).toBeGreaterThan(1);
  });
});

describe('hostile and broken files are refused with a clear error', () => {
  const plain = writePskc({ keys: [fob('FK00000013')], insecurePlaintext: true });

  it('billion laughs: any DOCTYPE/ENTITY is refused before parsing', () => {
    const lol = ['<?xml version="1.0"?>', '<!DOCTYPE lolz [', ' <!ENTITY lol "lol">',
      ...Array.from({ length: 9 }, (_, i) => ` <!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`), ']>',
      '<KeyContainer xmlns="urn:ietf:params:xml:ns:keyprov:pskc" Version="1.0"><KeyPackage><DeviceInfo><SerialNo>&lol9;</SerialNo></DeviceInfo></KeyPackage></KeyContainer>'].join('\n');
    const e = seedFileError(() => readPskc(lol));
    expect(e.code).toBe('PSKC_INVALID');
    expect(e.message).toMatch(/line 2: refusing a document with a <!DOCTYPE> declaration/);
  });

  it('external entities (XXE) are refused the same way', () => {
    const xxe = plain.replace('<?xml version="1.0" encoding="UTF-8"?>', '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>').replace('>FK00000013<', '>&e;<');
    expect(seedFileError(() => readPskc(xxe)).message).toMatch(/DOCTYPE/);
    // An entity reference with no DOCTYPE at all is an unknown entity, not an expansion.
    expect(seedFileError(() => readPskc(plain.replace('>FK00000013<', '>&e;<'))).message).toMatch(/unknown entity reference &e;/);
  });

  it('truncated base64 in a CipherValue names the element and line', () => {
    const xml = writePskc({ keys: [fob('FK00000013')], protection: { kind: 'psk', key: PSK } });
    const cipher = /<pskc:Secret>[\s\S]*?<xenc:CipherValue>([^<]+)</.exec(xml)![1]!;
    const e = seedFileError(() => readPskc(xml.replace(cipher, cipher.slice(0, -3)), { psk: PSK }));
    expect(e.code).toBe('PSKC_INVALID');
    expect(e.message).toMatch(/^line \d+: key package 1 \(serial FK00000013\) <Secret> CipherValue: truncated base64/);
  });

  it('a file cut off mid-way is not well-formed', () => {
    const e = seedFileError(() => readPskc(plain.slice(0, Math.floor(plain.length / 2))));
    expect(e.code).toBe('PSKC_INVALID');
    expect(e.message).toMatch(/not well-formed XML/);
  });

  it('a 100 MB file is refused by its size, before it is read or parsed', async () => {
    const path = join(dir, 'huge.pskcxml');
    const fd = openSync(path, 'w');
    writeFileSync(fd, plain.slice(0, 200));
    ftruncateSync(fd, 100 * 1024 * 1024);
    closeSync(fd);
    await expect(readSeedFile(path)).rejects.toMatchObject({ code: 'PSKC_INVALID', message: expect.stringMatching(/104857600 bytes, over the limit of 10485760 bytes/) });
    // And handed over in memory, the parser refuses it from its length alone.
    const e = seedFileError(() => readPskc(Buffer.alloc(100 * 1024 * 1024, 0x20)));
    expect(e.message).toMatch(/104857600 bytes, over the limit/);
  });

  it('deep nesting, a non-PSKC root, an unknown version, a hostile PBKDF2 work factor', () => {
    const deep = `<KeyContainer xmlns="urn:ietf:params:xml:ns:keyprov:pskc" Version="1.0">${'<a>'.repeat(500)}${'</a>'.repeat(500)}</KeyContainer>`;
    expect(seedFileError(() => readPskc(deep)).code).toBe('PSKC_INVALID');
    expect(seedFileError(() => readPskc('<html><body/></html>')).message).toMatch(/root element is <html>/);
    expect(seedFileError(() => readPskc(plain.replace('Version="1.0"', 'Version="2.0"'))).message).toMatch(/Version "2.0"/);
    const pw = writePskc({ keys: [fob('FK00000013')], protection: { kind: 'password', password: 'x', iterations: 1000 } });
    expect(seedFileError(() => readPskc(pw.replace('<IterationCount>1000<', '<IterationCount>2000000000<'), { password: 'x' })).message).toMatch(/IterationCount 2000000000 is outside/);
  });
});
