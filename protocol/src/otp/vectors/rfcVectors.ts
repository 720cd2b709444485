/**
 * The one loader of the OTP test vectors (RFC 4226 Appendix D, RFC 6238 Appendix B), kept as
 * JSON data files with their source so every suite (unit, property, CLI, cross-checks) uses the
 * same values. Test-only: nothing in the package's entry points imports this module.
 */
import { readFileSync } from 'node:fs';
import type { OtpAlgorithm, OtpDigits } from '../otpOptions.js';

export interface HotpVector {
  counter: number;
  /** HMAC-SHA-1 of the counter, hex (RFC 4226 Table 1). */
  hmac: string;
  /** The 31-bit dynamic-truncation value (RFC 4226 Table 2 "Decimal"). */
  truncated: number;
  hotp: string;
}

export interface TotpVector {
  time: number;
  utc: string;
  /** The step T as 16 upper-case hex digits, as the RFC prints it. */
  step: string;
  totp: string;
  algorithm: OtpAlgorithm;
}

export interface RfcVectors {
  hotp: { source: string; secret: Uint8Array; algorithm: OtpAlgorithm; digits: OtpDigits; vectors: HotpVector[] };
  totp: { source: string; seeds: Record<OtpAlgorithm, Uint8Array>; period: number; t0: number; digits: OtpDigits; vectors: TotpVector[] };
}

function readJson(name: string): Record<string, unknown> {
  const data = JSON.parse(readFileSync(new URL(name, import.meta.url), 'utf8')) as Record<string, unknown>;
  if (typeof data.source !== 'string' || !data.source || !Array.isArray(data.vectors) || data.vectors.length === 0) {
    throw new Error(`${name}: a vector file needs a non-empty "source" and "vectors"`);
  }
  return data;
}

const ascii = (s: unknown): Uint8Array => new TextEncoder().encode(String(s));

/** Loads both vector files (fresh copies each call, so a test may mutate them). */
export function loadRfcVectors(): RfcVectors {
  const h = readJson('./rfc4226.json');
  const t = readJson('./rfc6238.json');
  const seeds = t.seedsAscii as Record<OtpAlgorithm, string>;
  return {
    hotp: {
      source: h.source as string,
      secret: ascii(h.secretAscii),
      algorithm: h.algorithm as OtpAlgorithm,
      digits: h.digits as OtpDigits,
      vectors: h.vectors as HotpVector[],
    },
    totp: {
      source: t.source as string,
      seeds: { sha1: ascii(seeds.sha1), sha256: ascii(seeds.sha256), sha512: ascii(seeds.sha512) },
      period: t.period as number,
      t0: t.t0 as number,
      digits: t.digits as OtpDigits,
      vectors: t.vectors as TotpVector[],
    },
  };
}
