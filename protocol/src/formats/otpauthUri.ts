/**
 * `otpauth://` key URIs (the Key Uri Format authenticator apps read from a QR code):
 * `otpauth://totp/Issuer:account?secret=BASE32&issuer=Issuer&algorithm=SHA1&digits=6&period=30`.
 * The label is `issuer:account`, each part percent-encoded; the secret is unpadded base32;
 * `counter` is required for hotp; defaults are SHA1, 6 digits, 30 s.
 */
import { SeedFileError } from '../errors.js';
import { encodeBase32 } from '../otp/base32.js';
import {
  assertAlgorithm, assertDigits, assertPeriod, assertSecret,
  type OtpAlgorithm, type OtpDigits,
} from '../otp/otpOptions.js';
import { decodeSecretField, integerField } from './_lines.js';
import type { OtpType } from './seedRecord.js';

export interface OtpauthKey {
  type: OtpType;
  /** The account name shown in the app (the user's login or e-mail). */
  account: string;
  /** Who issued it, shown above the code; written both as label prefix and `issuer=`. */
  issuer?: string;
  secret: Uint8Array;
  algorithm: OtpAlgorithm;
  digits: OtpDigits;
  /** TOTP step in seconds. */
  period: number;
  /** HOTP counter (required for hotp). */
  counter?: number;
}

/** Longer than any QR code an app scans. */
const MAX_URI_LENGTH = 4096;

/**
 * Builds the URI. Contains the secret: show it as a QR code once, never log it.
 * @throws TypeError/RangeError on an empty account, a ':' in the issuer or account, bad secret or parameters.
 */
export function buildOtpauthUri(key: OtpauthKey): string {
  if (key.type !== 'totp' && key.type !== 'hotp') throw new RangeError(`type must be 'totp' or 'hotp', got ${String(key.type)}`);
  if (typeof key.account !== 'string' || key.account.trim() === '') throw new TypeError('account must be a non-empty string');
  // Key Uri Format: neither part of the label may contain a colon (it separates them).
  if (key.account.includes(':')) throw new RangeError('account must not contain ":"');
  if (key.issuer !== undefined && (typeof key.issuer !== 'string' || key.issuer === '' || key.issuer.includes(':'))) {
    throw new RangeError('issuer must be a non-empty string without ":"');
  }
  assertSecret(key.secret);
  assertAlgorithm(key.algorithm);
  assertDigits(key.digits);
  const label = key.issuer === undefined ? encodeURIComponent(key.account) : `${encodeURIComponent(key.issuer)}:${encodeURIComponent(key.account)}`;
  const params = new URLSearchParams();
  params.set('secret', encodeBase32(key.secret));
  if (key.issuer !== undefined) params.set('issuer', key.issuer);
  params.set('algorithm', key.algorithm.toUpperCase());
  params.set('digits', String(key.digits));
  if (key.type === 'totp') {
    assertPeriod(key.period);
    params.set('period', String(key.period));
  } else {
    const counter = key.counter ?? 0;
    if (!Number.isSafeInteger(counter) || counter < 0) throw new RangeError('counter must be a non-negative safe integer');
    params.set('counter', String(counter));
  }
  // URLSearchParams writes spaces as '+', which several apps show literally: use %20.
  return `otpauth://${key.type}/${label}?${params.toString().replace(/\+/g, '%20')}`;
}

/**
 * Parses a key URI.
 * @throws SeedFileError FORMAT_INVALID: not otpauth://, unknown type, no account, a missing or
 *   invalid secret (never echoed), an issuer parameter that contradicts the label, bad parameters.
 */
export function parseOtpauthUri(uri: string): OtpauthKey {
  if (typeof uri !== 'string') throw new TypeError('uri must be a string');
  const fail = (message: string): never => {
    throw new SeedFileError('FORMAT_INVALID', `otpauth URI: ${message}`);
  };
  if (uri.length > MAX_URI_LENGTH) fail(`longer than ${MAX_URI_LENGTH} characters`);
  const m = /^otpauth:\/\/([^/?#]*)\/([^?#]*)(?:\?([^#]*))?$/i.exec(uri.trim());
  if (!m) return fail('expected otpauth://TYPE/LABEL?PARAMETERS');
  const type = m[1]!.toLowerCase();
  if (type !== 'totp' && type !== 'hotp') return fail(`type ${JSON.stringify(m[1])} (expected totp or hotp)`);
  let label: string;
  let params: URLSearchParams;
  try {
    label = decodeURIComponent(m[2]!);
    params = new URLSearchParams(m[3] ?? '');
  } catch (e) {
    return fail(`bad percent-encoding (${(e as Error).message})`);
  }
  for (const name of ['secret', 'issuer', 'algorithm', 'digits', 'period', 'counter']) {
    if (params.getAll(name).length > 1) fail(`parameter ${name} given more than once`);
  }
  const colon = label.indexOf(':');
  const labelIssuer = colon < 0 ? undefined : label.slice(0, colon).trim();
  const account = (colon < 0 ? label : label.slice(colon + 1)).trim();
  if (account === '') fail('no account name in the label');
  const issuerParam = params.get('issuer') ?? undefined;
  if (issuerParam !== undefined && labelIssuer !== undefined && issuerParam.trim() !== labelIssuer) {
    fail(`issuer parameter ${JSON.stringify(issuerParam)} contradicts the label's ${JSON.stringify(labelIssuer)}`);
  }
  const secretText = params.get('secret');
  if (!secretText) return fail('no secret parameter');
  const secret = decodeSecretField(secretText, 'base32', 'secret', undefined);
  try {
    const alg = (params.get('algorithm') ?? 'SHA1').toLowerCase();
    if (alg !== 'sha1' && alg !== 'sha256' && alg !== 'sha512') fail(`algorithm ${JSON.stringify(params.get('algorithm'))} (SHA1, SHA256 or SHA512)`);
    const digits = integerField(params.get('digits') ?? '6', 'digits', 6, 8, undefined) as OtpDigits;
    const period = integerField(params.get('period') ?? '30', 'period', 1, 3600, undefined);
    const key: OtpauthKey = { type, account, secret, algorithm: alg as OtpAlgorithm, digits, period };
    const issuer = issuerParam ?? labelIssuer;
    if (issuer) key.issuer = issuer;
    if (type === 'hotp') {
      const counter = params.get('counter');
      if (counter === null) fail('hotp needs a counter parameter');
      key.counter = integerField(counter!, 'counter', 0, Number.MAX_SAFE_INTEGER, undefined);
    }
    return key;
  } catch (e) {
    secret.fill(0);
    throw e;
  }
}
