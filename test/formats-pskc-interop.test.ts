/**
 * PSKC cross-checks against independent implementations from Debian: every fobkit export
 * passes libpskc's XML Schema validation (`pskctool --validate`) and reads back with the same
 * secrets and parameters in python3-pskc; files written by python3-pskc (plaintext, pre-shared
 * key, password, several key packages) import into fobkit unchanged.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeHex } from '@fobkit/protocol/otp';
import {
  PSKC_HOTP_URI, PSKC_TOTP_URI, readPskc, writePskc,
  type PskcKeyPackage, type PskcProtection,
} from '@fobkit/protocol/formats';
import {
  PYTHON_READ_PSKC, PYTHON_WRITE_PSKC, pskctoolValidate, requireCommand, requirePythonPskc, runPython,
} from './formats-tools.js';

interface PyKey {
  id: string; serial: string; algorithm: string; suite: string | null; secretHex: string;
  counter: number | null; timeOffset: number | null; timeInterval: number | null; timeDrift: number | null;
  responseLength: number | null; responseEncoding: string | null; manufacturer: string | null; model: string | null;
  issueNo: string | null; startDate: string | null; cryptoModule: string | null; issuer: string | null;
  userId: string | null; keyUsage: string[]; policyExpiry: string | null;
}
interface PyRead { encrypted: string | null; mac: string | null; keys: PyKey[] }

let dir: string;
beforeAll(() => {
  requireCommand('pskctool', 'pskctool');
  requirePythonPskc();
  dir = mkdtempSync(join(tmpdir(), 'fobkit-pskc-interop-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function batch(): PskcKeyPackage[] {
  return [
    {
      serial: 'FK00000013', keyId: 'FK00000013', type: 'totp', algorithm: 'sha1', digits: 6, period: 60,
      secret: new Uint8Array(randomBytes(20)), manufacturer: 'fobkit', model: 'FK-1', issueNo: '1',
      startDate: '2026-11-27T08:00:00Z', cryptoModuleId: 'CM-FK00000013', timeDrift: -2, issuer: 'Example Corp',
      friendlyName: 'Fob & <friends>', user: 'alice@example.com',
      policy: { keyUsage: ['OTP'], startDate: '2026-11-27T00:00:00Z', expiryDate: '2031-11-27T00:00:00Z' },
    },
    {
      serial: 'ACME-0042', type: 'totp', algorithm: 'sha256', digits: 8, period: 30,
      secret: new Uint8Array(randomBytes(32)), manufacturer: 'Acme "Tokens" Ltd', model: 'A8',
    },
    {
      serial: '987654321', type: 'hotp', algorithm: 'sha512', digits: 7, period: 30, counter: 41,
      secret: new Uint8Array(randomBytes(64)),
    },
  ];
}

const SUITE = { sha1: 'HMAC-SHA1', sha256: 'HMAC-SHA256', sha512: 'HMAC-SHA512' } as const;

function expectSameAsPython(keys: PskcKeyPackage[], py: PyRead): void {
  expect(py.keys.map((k) => k.serial)).toEqual(keys.map((k) => k.serial));
  keys.forEach((k, i) => {
    const p = py.keys[i]!;
    expect(p.secretHex, `secret of ${k.serial}`).toBe(encodeHex(k.secret));
    expect(p.algorithm).toBe(k.type === 'totp' ? PSKC_TOTP_URI : PSKC_HOTP_URI);
    expect(p.suite).toBe(SUITE[k.algorithm]);
    expect(p.responseLength).toBe(k.digits);
    expect(p.responseEncoding).toBe('DECIMAL');
    expect(p.id).toBe(k.keyId ?? k.serial);
    expect(p.manufacturer).toBe(k.manufacturer ?? null);
    expect(p.model).toBe(k.model ?? null);
    if (k.type === 'totp') {
      expect(p.timeInterval).toBe(k.period);
      expect(p.timeOffset).toBe(0);
      expect(p.timeDrift).toBe(k.timeDrift ?? null);
    } else {
      expect(p.counter).toBe(k.counter);
    }
  });
  const first = py.keys[0]!;
  expect(first.issueNo).toBe('1');
  expect(first.startDate).toBe('2026-11-27T08:00:00+00:00');
  expect(first.cryptoModule).toBe('CM-FK00000013');
  expect(first.issuer).toBe('Example Corp');
  expect(first.userId).toBe('alice@example.com');
  expect(first.keyUsage).toEqual(['OTP']);
  expect(first.policyExpiry).toBe('2031-11-27T00:00:00+00:00');
}

describe('fobkit export → pskctool --validate and python3-pskc', () => {
  const psk = new Uint8Array(randomBytes(16));
  const cases: Array<{ name: string; protection?: PskcProtection; py: { pskHex?: string; password?: string } }> = [
    { name: 'plaintext (insecurePlaintext)', py: {} },
    { name: 'pre-shared key', protection: { kind: 'psk', key: psk, keyName: 'Batch 2026-11 transport key' }, py: { pskHex: encodeHex(psk) } },
    // The default work factor, as a user's export gets it.
    { name: 'password (PBKDF2, default iterations)', protection: { kind: 'password', password: 'correct horse battery staple', keyName: 'Batch password' }, py: { password: 'correct horse battery staple' } },
  ];

  for (const c of cases) {
    it(`${c.name}: validates against the PSKC schema and python3-pskc reads the same secrets`, () => {
      const keys = batch();
      const xml = writePskc(c.protection ? { keys, protection: c.protection, id: 'batch-7' } : { keys, insecurePlaintext: true, id: 'batch-7' });
      const path = join(dir, `export-${c.name.split(' ')[0]}.pskcxml`);
      writeFileSync(path, xml);
      const v = pskctoolValidate(path);
      expect(v.ok, v.output).toBe(true);
      const py = runPython<PyRead>(PYTHON_READ_PSKC, { path, ...c.py });
      expect(py.encrypted).toBe(c.protection ? 'http://www.w3.org/2001/04/xmlenc#aes128-cbc' : null);
      expect(py.mac).toBe(c.protection ? 'http://www.w3.org/2000/09/xmldsig#hmac-sha1' : null);
      expectSameAsPython(keys, py);
      // And fobkit reads its own file back identically.
      const back = readPskc(xml, c.protection?.kind === 'psk' ? { psk } : c.protection?.kind === 'password' ? { password: c.py.password! } : {});
      expect(back.keys.map((k) => encodeHex(k.secret))).toEqual(keys.map((k) => encodeHex(k.secret)));
      expect(back.id).toBe('batch-7');
    });
  }

  it('python3-pskc refuses a fobkit file whose ciphertext was altered (the MAC is really checked there too)', () => {
    const keys = batch();
    const xml = writePskc({ keys, protection: { kind: 'psk', key: psk } });
    const secretCipher = /<pskc:Secret>[\s\S]*?<xenc:CipherValue>([^<]+)</.exec(xml)![1]!;
    const bytes = Buffer.from(secretCipher, 'base64');
    bytes[0]! ^= 1; // in the IV: decryption still succeeds (python decrypts first), only the MAC can tell
    const path = join(dir, 'tampered.pskcxml');
    writeFileSync(path, xml.replace(secretCipher, bytes.toString('base64')));
    expect(() => runPython<PyRead>(PYTHON_READ_PSKC, { path, pskHex: encodeHex(psk) })).toThrow(/MAC value does not match/);
  });

  it('pskctool --validate is a real check: an element out of schema order fails', () => {
    const xml = writePskc({ keys: batch(), insecurePlaintext: true });
    const path = join(dir, 'misordered.pskcxml');
    // Model must follow SerialNo (DeviceInfoType is a sequence).
    writeFileSync(path, xml.replace(/(<pskc:SerialNo>FK00000013<\/pskc:SerialNo>)(\s*)(<pskc:Model>FK-1<\/pskc:Model>)/, '$3$2$1'));
    expect(readFileSync(path, 'utf8')).not.toBe(xml);
    expect(pskctoolValidate(path).ok).toBe(false);
  });
});

describe('python3-pskc export → fobkit import', () => {
  const pyKeys = [
    { id: 'k1', serial: 'VEND-000001', secretHex: encodeHex(randomBytes(20)), algorithm: PSKC_TOTP_URI, digits: 6, period: 60, timeDrift: 1, suite: 'HMAC-SHA1', manufacturer: 'Vendor', model: 'V1' },
    { id: 'k2', serial: 'VEND-000002', secretHex: encodeHex(randomBytes(32)), algorithm: PSKC_TOTP_URI, digits: 8, period: 30, suite: 'HMAC-SHA256', manufacturer: 'Vendor', model: 'V2' },
    { id: 'k3', serial: 'VEND-000003', secretHex: encodeHex(randomBytes(20)), algorithm: PSKC_HOTP_URI, digits: 6, counter: 12 },
    { id: 'k4', serial: 'VEND-000004', secretHex: encodeHex(randomBytes(64)), algorithm: PSKC_TOTP_URI, digits: 7, period: 60, suite: 'HMAC-SHA512' },
  ];
  const psk = randomBytes(16);
  const cases = [
    { name: 'plaintext', req: { protection: 'none' }, options: {} },
    { name: 'pre-shared key', req: { protection: 'psk', pskHex: psk.toString('hex') }, options: { psk: new Uint8Array(psk) } },
    { name: 'password', req: { protection: 'password', password: 'vendor-batch-pw', iterations: 12_000 }, options: { password: 'vendor-batch-pw' } },
  ] as const;

  for (const c of cases) {
    it(`${c.name}: every key package imports with the same secret and parameters`, () => {
      const path = join(dir, `python-${c.req.protection}.pskcxml`);
      runPython(PYTHON_WRITE_PSKC, { ...c.req, path, keys: pyKeys });
      const r = readPskc(readFileSync(path), c.options);
      expect(r.protection).toBe(c.req.protection === 'none' ? 'plaintext' : c.req.protection);
      expect(r.skipped).toEqual([]);
      expect(r.macFailures).toEqual([]);
      expect(r.keys).toHaveLength(pyKeys.length);
      r.keys.forEach((k, i) => {
        const p = pyKeys[i]!;
        expect(k.serial).toBe(p.serial);
        expect(k.keyId).toBe(p.id);
        expect(encodeHex(k.secret)).toBe(p.secretHex);
        expect(k.type).toBe(p.algorithm === PSKC_TOTP_URI ? 'totp' : 'hotp');
        expect(k.algorithm).toBe(p.suite === 'HMAC-SHA256' ? 'sha256' : p.suite === 'HMAC-SHA512' ? 'sha512' : 'sha1');
        expect(k.digits).toBe(p.digits);
        if (p.period !== undefined) {
          expect(k.period).toBe(p.period);
          expect(k.time).toBe(0);
        }
        expect(k.counter).toBe(p.counter);
        expect(k.timeDrift).toBe(p.timeDrift);
        expect(k.manufacturer).toBe(p.manufacturer);
        expect(k.model).toBe(p.model);
      });
    });
  }

  // python3-pskc wraps with RFC 5649 padding whenever a value is not whole 8-byte blocks (a
  // 20-byte SHA-1 seed), under the plain kw-aes URIs, and writes an empty <MACMethod>.
  for (const [encryption, bytes] of [['kw-aes128', 16], ['kw-aes192', 24], ['kw-aes256', 32]] as const) {
    it(`AES key wrap ${encryption}: padded (RFC 5649) and unpadded seeds import, with a warning for the empty MACMethod`, () => {
      const key = randomBytes(bytes);
      const path = join(dir, `python-${encryption}.pskcxml`);
      runPython(PYTHON_WRITE_PSKC, { protection: 'psk', pskHex: key.toString('hex'), encryption, path, keys: pyKeys });
      const xml = readFileSync(path, 'utf8');
      expect(xml).toContain(`xmlenc#${encryption}`);
      expect(xml).toMatch(/<pskc:MACMethod>/); // no Algorithm
      const r = readPskc(xml, { psk: new Uint8Array(key) });
      expect(r.keys.map((k) => encodeHex(k.secret))).toEqual(pyKeys.map((k) => k.secretHex));
      expect(r.keys.map((k) => [k.digits, k.period, k.counter])).toEqual(pyKeys.map((k) => [k.digits, k.period ?? 30, k.counter]));
      expect(r.warnings).toHaveLength(1);
      expect(r.warnings[0]).toMatch(/MACMethod names no algorithm/);
      const wrong = new Uint8Array(key);
      wrong[3]! ^= 1;
      expect(() => readPskc(xml, { psk: wrong })).toThrow(/decryption failed \(wrong pre-shared key or password\?\)/);
    });
  }

  it('an empty MACMethod in a file whose values carry a ValueMAC is refused, naming that problem', () => {
    const path = join(dir, 'python-cbc-empty-mac.pskcxml');
    runPython(PYTHON_WRITE_PSKC, { protection: 'psk', pskHex: psk.toString('hex'), path, keys: pyKeys });
    const xml = readFileSync(path, 'utf8').replace(/<pskc:MACMethod Algorithm="[^"]*">/, '<pskc:MACMethod>');
    expect(xml).toContain('<pskc:ValueMAC>');
    expect(() => readPskc(xml, { psk: new Uint8Array(psk) })).toThrow(/has a ValueMAC but the MACMethod \(line \d+\) names no algorithm, so the MAC cannot be checked/);
  });

  it('fobkit writes AES-192 and AES-256 pre-shared-key files that python3-pskc reads', () => {
    for (const bytes of [24, 32]) {
      const key = randomBytes(bytes);
      const path = join(dir, `fobkit-aes${bytes * 8}.pskcxml`);
      const keys = batch();
      writeFileSync(path, writePskc({ keys, protection: { kind: 'psk', key: new Uint8Array(key) } }));
      expect(readFileSync(path, 'utf8')).toContain(`xmlenc#aes${bytes * 8}-cbc`);
      const py = runPython<PyRead>(PYTHON_READ_PSKC, { path, pskHex: key.toString('hex') });
      expect(py.keys.map((k) => k.secretHex)).toEqual(keys.map((k) => encodeHex(k.secret)));
    }
  });

  it('a python3-pskc file with the wrong pre-shared key is refused, not mis-decrypted', () => {
    const path = join(dir, 'python-psk-wrong.pskcxml');
    runPython(PYTHON_WRITE_PSKC, { protection: 'psk', pskHex: psk.toString('hex'), path, keys: pyKeys });
    const wrong = new Uint8Array(psk);
    wrong[0]! ^= 0x80;
    expect(() => readPskc(readFileSync(path), { psk: wrong })).toThrow(/wrong pre-shared key or password|ValueMAC does not verify/);
  });
});
