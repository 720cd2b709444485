/**
 * Reads a PSKC 1.0 document (RFC 6030): plaintext, pre-shared-key (§6.1) or password (§6.2)
 * protected, from any producer (namespace prefixes are resolved, not matched as text).
 *
 * Every ValueMAC is verified (§6.1.1: HMAC over IV||ciphertext under the MACKey, itself
 * encrypted under the encryption key) before the value is decrypted; a CBC-encrypted value
 * without a MAC counts as a failure. `macCheck: 'strict'` (default) refuses the file at the
 * first failure; `'soft'` reads on and reports every failure in `macFailures`.
 *
 * Key packages that parse but cannot be a fob seed (an OCRA key, a 10-byte secret, a
 * hexadecimal response) are returned in `skipped` with the reason, so an importer can list them.
 */
import { SeedFileError } from '../errors.js';
import { MAX_SECRET_BYTES, MIN_SECRET_BYTES, type OtpAlgorithm, type OtpDigits } from '../otp/otpOptions.js';
import { childOf, childrenOf, DEFAULT_MAX_SEED_FILE_BYTES, parseXmlSafely, type XmlElement } from './_xml.js';
import { decodeBase64Strict, decryptValue, derivePbkdf2, macHashOf, macMatches } from './_pskcCrypto.js';
import {
  ENCRYPTION_ALGORITHMS, MAC_ALGORITHMS, PKCS5_NS, PSKC_HOTP_URI, PSKC_NS, PSKC_TOTP_URI, XENC11_NS, XENC_NS, type MacHash,
} from './pskcConstants.js';
import type { PskcKeyPackage, PskcMacFailure, PskcPolicy, PskcSkippedPackage, ReadPskcResult } from './pskcTypes.js';
import type { OtpType } from './seedRecord.js';

export interface ReadPskcOptions {
  /** The pre-shared AES key for a §6.1 file. */
  psk?: Uint8Array;
  /** The password for a §6.2 (PBKDF2) file. */
  password?: string;
  /** 'strict' (default): a failing MAC refuses the file. 'soft': read on, report each failure. */
  macCheck?: 'strict' | 'soft';
  /** Refuse larger input before parsing. Default 10 MiB. */
  maxBytes?: number;
  /** Refuse a PBKDF2 work factor above this (a hostile file could ask for years of CPU). */
  maxPbkdf2Iterations?: number;
}

export const DEFAULT_MAX_PBKDF2_ITERATIONS = 10_000_000;
/** TOTP's default step when a file has no TimeInterval (RFC 6238 §4.1). */
const DEFAULT_TIME_INTERVAL = 30;

const ALGORITHM_URIS: Readonly<Record<string, OtpType>> = {
  [PSKC_HOTP_URI]: 'hotp',
  [PSKC_TOTP_URI]: 'totp',
  // Earlier drafts of RFC 6030, still found in vendor files.
  'http://www.ietf.org/keyprov/pskc#hotp': 'hotp',
  'http://www.ietf.org/keyprov/pskc#totp': 'totp',
};
const PBKDF2_URIS = new Set([`${PKCS5_NS}pbkdf2`, `${XENC11_NS}pbkdf2`]);
const DATA_FIELDS = ['Secret', 'Counter', 'Time', 'TimeInterval', 'TimeDrift'] as const;

interface Keys {
  encryptionKey?: Uint8Array;
  macKey?: Uint8Array;
  macHash?: MacHash;
  /** Line of a MACMethod without an Algorithm (python-pskc writes one for key-wrapped files). */
  emptyMacMethodLine?: number;
}

/**
 * Parses and decrypts a PSKC document.
 * @throws SeedFileError PSKC_INVALID (oversized, DOCTYPE/entities, malformed XML or base64, not
 *   a KeyContainer, unsupported version or key derivation), PSKC_DECRYPT_FAILED (encrypted but no
 *   key or password given, wrong key, bad ciphertext), PSKC_MAC_FAILED (strict mode).
 */
export function readPskc(input: string | Uint8Array, options: ReadPskcOptions = {}): ReadPskcResult {
  const { macCheck = 'strict', maxBytes = DEFAULT_MAX_SEED_FILE_BYTES, maxPbkdf2Iterations = DEFAULT_MAX_PBKDF2_ITERATIONS } = options;
  if (macCheck !== 'strict' && macCheck !== 'soft') throw new RangeError(`macCheck must be 'strict' or 'soft'`);
  if (options.psk !== undefined && options.password !== undefined) throw new TypeError('give either psk or password, not both');
  const root = parseXmlSafely(input, maxBytes);
  if (root.ns !== PSKC_NS || root.name !== 'KeyContainer') {
    throw new SeedFileError('PSKC_INVALID', `not a PSKC file: the root element is <${root.name}>${root.ns ? ` in ${root.ns}` : ''}, expected KeyContainer in ${PSKC_NS}`, { line: root.line });
  }
  const version = root.attrs.get('Version');
  if (version !== '1.0' && version !== '1') throw new SeedFileError('PSKC_INVALID', `unsupported PSKC Version ${JSON.stringify(version ?? null)} (expected 1.0)`, { line: root.line });

  const keys: Keys = {};
  const result: ReadPskcResult = { id: root.attrs.get('Id'), protection: 'plaintext', keys: [], skipped: [], macFailures: [], warnings: [] };
  try {
    const encryptionKeyElement = childOf(root, PSKC_NS, 'EncryptionKey');
    if (encryptionKeyElement) {
      const derived = childOf(encryptionKeyElement, XENC11_NS, 'DerivedKey');
      result.protection = derived ? 'password' : 'psk';
      keys.encryptionKey = derived ? deriveKey(derived, options, maxPbkdf2Iterations) : presharedKey(options, encryptionKeyElement.line);
    }
    const macMethod = childOf(root, PSKC_NS, 'MACMethod');
    if (macMethod) readMacMethod(macMethod, keys);

    childrenOf(root, PSKC_NS, 'KeyPackage').forEach((pkg, i) => {
      const outcome = readKeyPackage(pkg, i + 1, keys, macCheck, result.macFailures);
      if ('reason' in outcome) result.skipped.push(outcome);
      else result.keys.push(outcome);
    });
    if (result.keys.length + result.skipped.length === 0) {
      throw new SeedFileError('PSKC_INVALID', 'the KeyContainer holds no KeyPackage', { line: root.line });
    }
    // Reached only when no value needed the MAC (a ValueMAC or a CBC value would have stopped
    // the read, or been reported under soft checking): the empty MACMethod protected nothing.
    if (keys.emptyMacMethodLine !== undefined && result.macFailures.length === 0) {
      result.warnings.push(`line ${keys.emptyMacMethodLine}: the MACMethod names no algorithm (as python-pskc writes key-wrapped files); no value uses a MAC, key wrap checks each value's integrity itself`);
    }
    return result;
  } catch (e) {
    for (const key of result.keys) key.secret.fill(0);
    throw e;
  } finally {
    // A PSK is the caller's; derived and MAC keys are ours.
    if (result.protection === 'password') keys.encryptionKey?.fill(0);
    if (keys.macKey !== keys.encryptionKey) keys.macKey?.fill(0);
  }
}

function presharedKey(options: ReadPskcOptions, line: number): Uint8Array {
  if (!options.psk) throw new SeedFileError('PSKC_DECRYPT_FAILED', 'the file is encrypted with a pre-shared key: give the key (--psk-file)', { line });
  if (!(options.psk instanceof Uint8Array)) throw new TypeError('psk must be a Uint8Array');
  return options.psk;
}

function deriveKey(derived: XmlElement, options: ReadPskcOptions, maxIterations: number): Uint8Array {
  const method = childOf(derived, XENC11_NS, 'KeyDerivationMethod');
  const algorithm = method?.attrs.get('Algorithm') ?? '';
  if (!method || !PBKDF2_URIS.has(algorithm)) {
    throw new SeedFileError('PSKC_INVALID', `unsupported key derivation ${JSON.stringify(algorithm)} (only PBKDF2, RFC 6030 §6.2)`, { line: (method ?? derived).line });
  }
  const params = [...childrenOf(method, XENC11_NS, 'PBKDF2-params'), ...childrenOf(method, PKCS5_NS, 'PBKDF2-params')];
  if (params.length !== 1) throw new SeedFileError('PSKC_INVALID', 'KeyDerivationMethod needs exactly one PBKDF2-params', { line: method.line });
  const p = params[0]!;
  const saltText = childOf(childOf(p, '*', 'Salt') ?? p, '*', 'Specified');
  if (!saltText) throw new SeedFileError('PSKC_INVALID', 'PBKDF2-params has no Salt/Specified value', { line: p.line });
  const salt = decodeBase64Strict(saltText.text, 'PBKDF2 salt', saltText.line);
  const iterations = integerChild(p, 'IterationCount', 1, maxIterations);
  const keyLength = integerChild(p, 'KeyLength', 16, 32);
  const prfElement = childOf(p, '*', 'PRF');
  const prfUri = prfElement?.attrs.get('Algorithm');
  const prf: MacHash | undefined = prfUri === undefined ? 'sha1' : MAC_ALGORITHMS[prfUri];
  if (!prf) throw new SeedFileError('PSKC_INVALID', `unsupported PBKDF2 PRF ${prfUri}`, { line: prfElement!.line });
  if (options.password === undefined) throw new SeedFileError('PSKC_DECRYPT_FAILED', 'the file is password-protected: give the password (--password-file)', { line: derived.line });
  if (typeof options.password !== 'string') throw new TypeError('password must be a string');
  return derivePbkdf2(options.password, salt, iterations, keyLength, prf);
}

function integerChild(parent: XmlElement, name: string, min: number, max: number): number {
  const el = childOf(parent, '*', name);
  if (!el || !/^\d{1,10}$/.test(el.text)) throw new SeedFileError('PSKC_INVALID', `PBKDF2-params needs an integer ${name}`, { line: (el ?? parent).line });
  const value = Number(el.text);
  if (value < min || value > max) throw new SeedFileError('PSKC_INVALID', `PBKDF2 ${name} ${value} is outside ${min}..${max}`, { line: el.line });
  return value;
}

function readMacMethod(macMethod: XmlElement, keys: Keys): void {
  const uri = macMethod.attrs.get('Algorithm') ?? '';
  if (uri === '') {
    // Harmless only if no value uses a MAC: readDataValue refuses a ValueMAC, and a CBC value
    // (which needs one), naming this; the MAC key is not needed, so it is not opened either.
    keys.emptyMacMethodLine = macMethod.line;
    return;
  }
  keys.macHash = macHashOf(uri);
  if (!keys.macHash) throw new SeedFileError('PSKC_INVALID', `unsupported MACMethod ${JSON.stringify(uri)}`, { line: macMethod.line });
  const macKey = childOf(macMethod, PSKC_NS, 'MACKey');
  if (!macKey) {
    // Drafts before RFC 6030 MACed with the encryption key itself; python-pskc reads those too.
    keys.macKey = keys.encryptionKey;
    return;
  }
  const { algorithm, cipherValue } = encryptedParts(macKey, 'MACKey');
  if (!keys.encryptionKey) throw new SeedFileError('PSKC_DECRYPT_FAILED', 'the MAC key is encrypted but the file names no EncryptionKey', { line: macKey.line });
  keys.macKey = decryptValue(algorithm, keys.encryptionKey, cipherValue, 'MACKey', macKey.line);
}

function encryptedParts(el: XmlElement, what: string): { algorithm: string; cipherValue: Uint8Array } {
  const method = childOf(el, XENC_NS, 'EncryptionMethod');
  const algorithm = method?.attrs.get('Algorithm');
  if (!algorithm) throw new SeedFileError('PSKC_INVALID', `${what}: missing xenc:EncryptionMethod/@Algorithm`, { line: el.line });
  const value = childOf(childOf(el, XENC_NS, 'CipherData') ?? el, XENC_NS, 'CipherValue');
  if (!value) throw new SeedFileError('PSKC_INVALID', `${what}: missing xenc:CipherData/xenc:CipherValue`, { line: el.line });
  return { algorithm, cipherValue: decodeBase64Strict(value.text, `${what} CipherValue`, value.line) };
}

type PackageOutcome = PskcKeyPackage | PskcSkippedPackage;

function readKeyPackage(pkg: XmlElement, index: number, keys: Keys, macCheck: 'strict' | 'soft', failures: PskcMacFailure[]): PackageOutcome {
  const info = childOf(pkg, PSKC_NS, 'DeviceInfo');
  const text = (parent: XmlElement | undefined, name: string): string | undefined => (parent ? childOf(parent, PSKC_NS, name)?.text : undefined);
  const serial = text(info, 'SerialNo');
  const keyElements = childrenOf(pkg, PSKC_NS, 'Key');
  const keyEl = keyElements[0];
  const keyId = keyEl?.attrs.get('Id');
  const skip = (reason: string, line: number): PskcSkippedPackage => ({ index, keyId, serial, reason, line });
  const label = `key package ${index}${serial ? ` (serial ${serial})` : ''}`;
  if (!keyEl) return skip('no Key in the KeyPackage', pkg.line);
  if (keyElements.length > 1) return skip(`${keyElements.length} Keys in one KeyPackage (a fob holds one)`, keyElements[1]!.line);

  // Data first: a MAC failure must be found even in a package that is skipped for another reason.
  const data = childOf(keyEl, PSKC_NS, 'Data');
  const values: Partial<Record<(typeof DATA_FIELDS)[number], Uint8Array | number>> = {};
  if (data) {
    const failuresBefore = failures.length;
    try {
      for (const field of DATA_FIELDS) {
        const el = childOf(data, PSKC_NS, field);
        if (el) values[field] = readDataValue(el, field, label, keys, macCheck, failures, { keyId, serial });
      }
    } catch (e) {
      (values.Secret as Uint8Array | undefined)?.fill(0);
      // Soft checking: a value whose MAC already failed and that then does not decrypt is the
      // tampering that was reported; the package is skipped, the rest of the file still reads.
      if (e instanceof SeedFileError && e.code === 'PSKC_DECRYPT_FAILED' && failures.length > failuresBefore) {
        return skip(`does not decrypt after a MAC failure: ${e.message}`, e.line ?? data.line);
      }
      throw e;
    }
  }
  const secret = values.Secret as Uint8Array | undefined;
  const skipWiping = (reason: string, line: number): PskcSkippedPackage => {
    secret?.fill(0);
    return skip(reason, line);
  };

  if (!serial) return skipWiping('no DeviceInfo/SerialNo (an imported fob is known by the serial printed on it)', (info ?? pkg).line);
  const uri = keyEl.attrs.get('Algorithm') ?? '';
  const type = ALGORITHM_URIS[uri];
  if (!type) return skipWiping(`unsupported algorithm ${JSON.stringify(uri)} (fobkit takes HOTP and TOTP)`, keyEl.line);
  const params = childOf(keyEl, PSKC_NS, 'AlgorithmParameters');
  const suiteEl = params ? childOf(params, PSKC_NS, 'Suite') : undefined;
  const algorithm = suiteEl ? suiteAlgorithm(suiteEl.text) : 'sha1';
  if (!algorithm) return skipWiping(`unsupported hash suite ${JSON.stringify(suiteEl!.text)}`, suiteEl!.line);
  const format = params ? childOf(params, PSKC_NS, 'ResponseFormat') : undefined;
  if (!format) return skipWiping('no AlgorithmParameters/ResponseFormat (the code length is unknown)', keyEl.line);
  const encoding = format.attrs.get('Encoding') ?? 'DECIMAL';
  if (encoding.toUpperCase() !== 'DECIMAL') return skipWiping(`response encoding ${encoding} (a fob shows DECIMAL codes)`, format.line);
  const digits = Number(format.attrs.get('Length'));
  if (digits !== 6 && digits !== 7 && digits !== 8) return skipWiping(`response length ${format.attrs.get('Length') ?? 'missing'} (fobkit takes 6, 7 or 8 digits)`, format.line);
  if (!secret) return skipWiping('no Data/Secret', (data ?? keyEl).line);
  if (secret.length < MIN_SECRET_BYTES || secret.length > MAX_SECRET_BYTES) {
    return skipWiping(`secret of ${secret.length} bytes (fobkit takes ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES})`, (data ?? keyEl).line);
  }
  const period = (values.TimeInterval as number | undefined) ?? DEFAULT_TIME_INTERVAL;
  if (type === 'totp' && (!Number.isSafeInteger(period) || period < 1 || period > 3600)) return skipWiping(`time interval ${period} s (fobkit takes 1 to 3600)`, (data ?? keyEl).line);

  const out: PskcKeyPackage = { serial, type, algorithm, digits: digits as OtpDigits, secret, period };
  if (keyId !== undefined) out.keyId = keyId;
  assign(out, 'manufacturer', text(info, 'Manufacturer'));
  assign(out, 'model', text(info, 'Model'));
  assign(out, 'issueNo', text(info, 'IssueNo'));
  assign(out, 'startDate', text(info, 'StartDate'));
  assign(out, 'expiryDate', text(info, 'ExpiryDate') ?? text(info, 'Expiry'));
  const cm = childOf(pkg, PSKC_NS, 'CryptoModuleInfo');
  assign(out, 'cryptoModuleId', text(cm, 'Id'));
  assign(out, 'issuer', text(keyEl, 'Issuer'));
  assign(out, 'friendlyName', text(keyEl, 'FriendlyName'));
  assign(out, 'user', text(keyEl, 'UserId') ?? text(info, 'UserId'));
  if (values.Counter !== undefined) out.counter = values.Counter as number;
  if (values.Time !== undefined) out.time = values.Time as number;
  if (values.TimeDrift !== undefined) out.timeDrift = values.TimeDrift as number;
  const policy = readPolicy(childOf(keyEl, PSKC_NS, 'Policy'));
  if (policy) out.policy = policy;
  return out;
}

function assign<K extends keyof PskcKeyPackage>(target: PskcKeyPackage, key: K, value: PskcKeyPackage[K] | undefined): void {
  if (value !== undefined && value !== '') target[key] = value;
}

function suiteAlgorithm(suite: string): OtpAlgorithm | undefined {
  const s = suite.toUpperCase().replace(/[^A-Z0-9]/g, '');
  if (s === 'HMACSHA1' || s === 'SHA1') return 'sha1';
  if (s === 'HMACSHA256' || s === 'SHA256') return 'sha256';
  if (s === 'HMACSHA512' || s === 'SHA512') return 'sha512';
  return undefined;
}

function readDataValue(
  el: XmlElement, field: (typeof DATA_FIELDS)[number], label: string, keys: Keys,
  macCheck: 'strict' | 'soft', failures: PskcMacFailure[], ids: { keyId: string | undefined; serial: string | undefined },
): Uint8Array | number {
  const plain = childOf(el, PSKC_NS, 'PlainValue');
  const encrypted = childOf(el, PSKC_NS, 'EncryptedValue');
  const what = `${label} <${field}>`;
  if (plain && encrypted) throw new SeedFileError('PSKC_INVALID', `${what} has both PlainValue and EncryptedValue`, { line: el.line });
  if (plain) {
    if (field === 'Secret') return decodeBase64Strict(plain.text, what, plain.line);
    if (!/^[+-]?\d{1,15}$/.test(plain.text)) throw new SeedFileError('PSKC_INVALID', `${what} is not an integer`, { line: plain.line });
    return Number(plain.text);
  }
  if (!encrypted) throw new SeedFileError('PSKC_INVALID', `${what} has neither PlainValue nor EncryptedValue`, { line: el.line });

  const { algorithm, cipherValue } = encryptedParts(encrypted, what);
  if (!keys.encryptionKey) throw new SeedFileError('PSKC_DECRYPT_FAILED', `${what} is encrypted: give the pre-shared key (--psk-file) or password (--password-file)`, { line: encrypted.line });
  const macEl = childOf(el, PSKC_NS, 'ValueMAC');
  const needsMac = ENCRYPTION_ALGORITHMS[algorithm]?.mode !== 'kw';
  let failure: PskcMacFailure['reason'] | undefined;
  if (macEl) {
    const mac = decodeBase64Strict(macEl.text, `${what} ValueMAC`, macEl.line);
    if (keys.emptyMacMethodLine !== undefined) {
      throw new SeedFileError('PSKC_INVALID', `${what} has a ValueMAC but the MACMethod (line ${keys.emptyMacMethodLine}) names no algorithm, so the MAC cannot be checked`, { line: macEl.line });
    }
    if (!keys.macKey || !keys.macHash) throw new SeedFileError('PSKC_INVALID', `${what} has a ValueMAC but the file has no MACMethod`, { line: macEl.line });
    if (!macMatches(keys.macHash, keys.macKey, cipherValue, mac)) failure = 'mismatch';
  } else if (needsMac) {
    failure = 'missing';
  }
  if (failure) {
    const message = failure === 'missing'
      ? `${what} is CBC-encrypted without a ValueMAC, so tampering cannot be detected (RFC 6030 §6.1.1)${keys.emptyMacMethodLine !== undefined ? ` (and the MACMethod on line ${keys.emptyMacMethodLine} names no algorithm)` : ''}`
      : `${what}: the ValueMAC does not verify: the file was altered, or the key or password is wrong`;
    if (macCheck === 'strict') throw new SeedFileError('PSKC_MAC_FAILED', message, { line: (macEl ?? el).line });
    failures.push({ ...ids, field, reason: failure, line: (macEl ?? el).line });
  }
  const bytes = decryptValue(algorithm, keys.encryptionKey, cipherValue, what, encrypted.line);
  if (field === 'Secret') return bytes;
  return decryptedInteger(bytes, what, encrypted.line);
}

/** python-pskc writes encrypted integers big-endian; older producers wrote ASCII digits. */
function decryptedInteger(bytes: Uint8Array, what: string, line: number): number {
  const ascii = Buffer.from(bytes).toString('latin1');
  if (/^\d{1,15}$/.test(ascii)) return Number(ascii);
  if (bytes.length > 6) throw new SeedFileError('PSKC_INVALID', `${what} decrypts to an integer too large`, { line });
  let value = 0;
  for (const b of bytes) value = value * 256 + b;
  return value;
}

function readPolicy(el: XmlElement | undefined): PskcPolicy | undefined {
  if (!el) return undefined;
  const policy: PskcPolicy = {};
  const start = childOf(el, PSKC_NS, 'StartDate')?.text;
  const expiry = childOf(el, PSKC_NS, 'ExpiryDate')?.text;
  if (start) policy.startDate = start;
  if (expiry) policy.expiryDate = expiry;
  const usage = childrenOf(el, PSKC_NS, 'KeyUsage').map((u) => u.text).filter((u) => u !== '');
  if (usage.length > 0) policy.keyUsage = usage;
  const n = childOf(el, PSKC_NS, 'NumberOfTransactions');
  if (n && /^\d{1,15}$/.test(n.text)) policy.numberOfTransactions = Number(n.text);
  return Object.keys(policy).length > 0 ? policy : undefined;
}
