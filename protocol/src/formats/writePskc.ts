/**
 * Writes a PSKC 1.0 KeyContainer (RFC 6030 §4) with one KeyPackage per fob, built with
 * fast-xml-parser's XMLBuilder in the element order of the RFC's XML schema (§11), so that
 * schema validators (libpskc's `pskctool --validate`) accept it.
 *
 * Protection (§6): a pre-shared AES-128 key (§6.1) or a password through PBKDF2 (§6.2). Either
 * way each Secret is AES-128-CBC encrypted under a fresh IV and carries a ValueMAC, HMAC-SHA1
 * over IV||ciphertext (§6.1.1) under a random MAC key that is itself encrypted under the
 * encryption key (MACMethod/MACKey). Plaintext secrets only with `insecurePlaintext: true`.
 */
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { XMLBuilder } from 'fast-xml-parser';
import { assertSeedRecord, describeRecord } from './seedRecord.js';
import { computeMac, derivePbkdf2, encodeBase64, encryptCbc } from './_pskcCrypto.js';
import {
  AES128_CBC_URI, DS_NS, HMAC_SHA1_URI, PBKDF2_URI, PSKC_HOTP_URI, PSKC_NS, PSKC_TOTP_URI, SUITES, XENC11_NS, XENC_NS,
} from './pskcConstants.js';
import type { PskcKeyPackage, PskcPolicy, PskcProtection } from './pskcTypes.js';

export interface WritePskcOptions {
  keys: readonly PskcKeyPackage[];
  /** Required unless `insecurePlaintext` is true. */
  protection?: PskcProtection;
  /** Write every secret in the clear. Only for a file that never leaves a protected system. */
  insecurePlaintext?: boolean;
  /** KeyContainer/@Id, e.g. the batch name. */
  id?: string;
  randomBytes?: (n: number) => Uint8Array;
}

/** RFC 2104 §3: an HMAC key as long as the hash output (SHA-1: 20 bytes). */
const MAC_KEY_BYTES = 20;
const AES128_KEY_BYTES = 16;
/** §6.1: the CBC algorithm of a pre-shared key by its length (AES-128, -192, -256). */
const CBC_URI_BY_KEY_BYTES: Readonly<Record<number, string>> = { 16: AES128_CBC_URI, 24: `${XENC_NS}aes192-cbc`, 32: `${XENC_NS}aes256-cbc` };
const PBKDF2_SALT_BYTES = 16;
/** Default PBKDF2-HMAC-SHA1 work factor; SHA-1 as PRF because importers (privacyIDEA) ignore PRF. */
export const DEFAULT_PBKDF2_ITERATIONS = 200_000;
/** Below this a password-protected file is a formality. */
export const MIN_PBKDF2_ITERATIONS = 1_000;

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

type XmlObject = Record<string, unknown>;

/**
 * Serialises the keys into a PSKC document (UTF-8 XML text).
 * @throws TypeError when neither `protection` nor `insecurePlaintext` is given (or both), or a
 *   key lacks a field; RangeError on a bad secret, parameter, date, a PSK that is not 16, 24 or 32 bytes,
 *   duplicate serials or key ids, a T0 other than 0 or fewer than 1 000 PBKDF2 iterations.
 */
export function writePskc(options: WritePskcOptions): string {
  const { keys, protection, insecurePlaintext = false, id, randomBytes = defaultRandomBytes } = options;
  if (!Array.isArray(keys) || keys.length === 0) throw new RangeError('keys must be a non-empty array');
  if (protection && insecurePlaintext) throw new TypeError('give either protection or insecurePlaintext, not both');
  if (!protection && !insecurePlaintext) {
    throw new TypeError('protection is required (a pre-shared key or a password); pass insecurePlaintext: true to write secrets in the clear');
  }
  checkKeys(keys);

  let encryptionKey: Uint8Array | undefined;
  let macKey: Uint8Array | undefined;
  try {
    const container: XmlObject = {
      '@_xmlns:pskc': PSKC_NS,
      '@_xmlns:xenc': XENC_NS,
      ...(protection?.kind === 'psk' ? { '@_xmlns:ds': DS_NS } : {}),
      ...(protection?.kind === 'password' ? { '@_xmlns:xenc11': XENC11_NS } : {}),
      '@_Version': '1.0',
      ...(id === undefined ? {} : { '@_Id': checkedText(id, 'id') }),
    };
    if (protection) {
      encryptionKey = setUpEncryption(container, protection, randomBytes);
      macKey = randomBytes(MAC_KEY_BYTES);
      container['pskc:MACMethod'] = {
        '@_Algorithm': HMAC_SHA1_URI,
        'pskc:MACKey': encryptedValue(encryptionKey, macKey, randomBytes).xml,
      };
    }
    container['pskc:KeyPackage'] = keys.map((key) => keyPackage(key, encryptionKey, macKey, randomBytes));
    const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', format: true, indentBy: '  ', suppressEmptyNode: true });
    return builder.build({ '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' }, 'pskc:KeyContainer': container }) as string;
  } finally {
    // The PSK belongs to the caller; a derived key and the MAC key are ours to wipe.
    if (protection?.kind === 'password') encryptionKey?.fill(0);
    macKey?.fill(0);
  }
}

function defaultRandomBytes(n: number): Uint8Array {
  return new Uint8Array(nodeRandomBytes(n));
}

function checkKeys(keys: readonly PskcKeyPackage[]): void {
  const serials = new Set<string>();
  const ids = new Set<string>();
  keys.forEach((key, i) => {
    const where = describeRecord(i, key);
    assertSeedRecord(key, where);
    if (key.t0 !== undefined && key.t0 !== 0) throw new RangeError(`${where}: PSKC can only carry T0 = 0 (got ${key.t0})`);
    if (key.time !== undefined && key.time !== 0) throw new RangeError(`${where}: time must be 0 (the meaning of another PSKC <Time> is not defined)`);
    if (key.timeDrift !== undefined && !Number.isSafeInteger(key.timeDrift)) throw new RangeError(`${where}: timeDrift must be an integer number of steps`);
    for (const field of ['startDate', 'expiryDate'] as const) {
      const v = key[field] ?? key.policy?.[field];
      if (v !== undefined && !DATE_TIME.test(v)) throw new RangeError(`${where}: ${field} must be an xs:dateTime like 2026-01-31T00:00:00Z`);
    }
    if (serials.has(key.serial)) throw new RangeError(`${where}: duplicate serial`);
    serials.add(key.serial);
    const keyId = key.keyId ?? key.serial;
    if (ids.has(keyId)) throw new RangeError(`${where}: duplicate key id ${keyId}`);
    ids.add(keyId);
  });
}

function setUpEncryption(container: XmlObject, protection: PskcProtection, randomBytes: (n: number) => Uint8Array): Uint8Array {
  if (protection.kind === 'psk') {
    if (!(protection.key instanceof Uint8Array) || CBC_URI_BY_KEY_BYTES[protection.key.length] === undefined) {
      throw new RangeError('protection.key must be a 16-, 24- or 32-byte AES key');
    }
    container['pskc:EncryptionKey'] = { 'ds:KeyName': checkedText(protection.keyName ?? 'Pre-shared-key', 'protection.keyName') };
    return protection.key;
  }
  if (protection.kind !== 'password') throw new TypeError(`protection.kind must be 'psk' or 'password'`);
  if (typeof protection.password !== 'string' || protection.password.length === 0) throw new TypeError('protection.password must be a non-empty string');
  const iterations = protection.iterations ?? DEFAULT_PBKDF2_ITERATIONS;
  if (!Number.isSafeInteger(iterations) || iterations < MIN_PBKDF2_ITERATIONS) {
    throw new RangeError(`protection.iterations must be an integer ≥ ${MIN_PBKDF2_ITERATIONS}`);
  }
  const salt = protection.salt ?? randomBytes(PBKDF2_SALT_BYTES);
  if (!(salt instanceof Uint8Array) || salt.length < 8) throw new RangeError('protection.salt must be at least 8 bytes');
  container['pskc:EncryptionKey'] = {
    'xenc11:DerivedKey': {
      'xenc11:KeyDerivationMethod': {
        '@_Algorithm': PBKDF2_URI,
        // RFC 6030 Figure 7 and python-pskc leave the PBKDF2 parameter children unqualified.
        'xenc11:PBKDF2-params': {
          Salt: { Specified: encodeBase64(salt) },
          IterationCount: String(iterations),
          KeyLength: String(AES128_KEY_BYTES),
        },
      },
      ...(protection.keyName === undefined ? {} : { 'xenc11:MasterKeyName': checkedText(protection.keyName, 'protection.keyName') }),
    },
  };
  return derivePbkdf2(protection.password, salt, iterations, AES128_KEY_BYTES, 'sha1');
}

function encryptedValue(key: Uint8Array, plaintext: Uint8Array, randomBytes: (n: number) => Uint8Array): { xml: XmlObject; cipherValue: Uint8Array } {
  const cipherValue = encryptCbc(key, plaintext, randomBytes(16));
  return {
    cipherValue,
    xml: {
      'xenc:EncryptionMethod': { '@_Algorithm': CBC_URI_BY_KEY_BYTES[key.length] ?? AES128_CBC_URI },
      'xenc:CipherData': { 'xenc:CipherValue': encodeBase64(cipherValue) },
    },
  };
}

function keyPackage(key: PskcKeyPackage, encryptionKey: Uint8Array | undefined, macKey: Uint8Array | undefined, randomBytes: (n: number) => Uint8Array): XmlObject {
  const deviceInfo: XmlObject = {};
  setText(deviceInfo, 'pskc:Manufacturer', key.manufacturer);
  setText(deviceInfo, 'pskc:SerialNo', key.serial);
  setText(deviceInfo, 'pskc:Model', key.model);
  setText(deviceInfo, 'pskc:IssueNo', key.issueNo);
  setText(deviceInfo, 'pskc:StartDate', key.startDate);
  setText(deviceInfo, 'pskc:ExpiryDate', key.expiryDate);

  let secret: XmlObject;
  if (encryptionKey && macKey) {
    const enc = encryptedValue(encryptionKey, key.secret, randomBytes);
    secret = { 'pskc:EncryptedValue': enc.xml, 'pskc:ValueMAC': encodeBase64(computeMac('sha1', macKey, enc.cipherValue)) };
  } else {
    secret = { 'pskc:PlainValue': encodeBase64(key.secret) };
  }
  const data: XmlObject = { 'pskc:Secret': secret };
  if (key.type === 'hotp') {
    data['pskc:Counter'] = { 'pskc:PlainValue': String(key.counter ?? 0) };
  } else {
    data['pskc:Time'] = { 'pskc:PlainValue': '0' };
    data['pskc:TimeInterval'] = { 'pskc:PlainValue': String(key.period) };
    if (key.timeDrift !== undefined) data['pskc:TimeDrift'] = { 'pskc:PlainValue': String(key.timeDrift) };
  }

  const keyXml: XmlObject = {
    '@_Id': checkedText(key.keyId ?? key.serial, 'keyId'),
    '@_Algorithm': key.type === 'totp' ? PSKC_TOTP_URI : PSKC_HOTP_URI,
  };
  setText(keyXml, 'pskc:Issuer', key.issuer);
  keyXml['pskc:AlgorithmParameters'] = {
    'pskc:Suite': SUITES[key.algorithm],
    'pskc:ResponseFormat': { '@_Length': String(key.digits), '@_Encoding': 'DECIMAL' },
  };
  setText(keyXml, 'pskc:FriendlyName', key.friendlyName);
  keyXml['pskc:Data'] = data;
  setText(keyXml, 'pskc:UserId', key.user);
  const policy = policyXml(key.policy);
  if (policy) keyXml['pskc:Policy'] = policy;

  const pkg: XmlObject = { 'pskc:DeviceInfo': deviceInfo };
  if (key.cryptoModuleId !== undefined) pkg['pskc:CryptoModuleInfo'] = { 'pskc:Id': checkedText(key.cryptoModuleId, 'cryptoModuleId') };
  pkg['pskc:Key'] = keyXml;
  return pkg;
}

function policyXml(policy: PskcPolicy | undefined): XmlObject | undefined {
  if (!policy) return undefined;
  const out: XmlObject = {};
  setText(out, 'pskc:StartDate', policy.startDate);
  setText(out, 'pskc:ExpiryDate', policy.expiryDate);
  if (policy.keyUsage?.length) out['pskc:KeyUsage'] = policy.keyUsage.map((u) => checkedText(u, 'policy.keyUsage'));
  if (policy.numberOfTransactions !== undefined) {
    if (!Number.isSafeInteger(policy.numberOfTransactions) || policy.numberOfTransactions < 0) throw new RangeError('policy.numberOfTransactions must be a non-negative integer');
    out['pskc:NumberOfTransactions'] = String(policy.numberOfTransactions);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function setText(target: XmlObject, element: string, value: string | undefined): void {
  if (value !== undefined) target[element] = checkedText(value, element.replace(/^pskc:/, ''));
}

/** XML 1.0 cannot carry most control characters at all; refuse them rather than write a broken file. */
function checkedText(value: string, field: string): string {
  if (typeof value !== 'string') throw new TypeError(`${field} must be a string`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/.test(value)) throw new RangeError(`${field} contains a character XML cannot carry`);
  return value;
}
