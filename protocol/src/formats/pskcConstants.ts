/**
 * Namespace and algorithm URIs of PSKC (RFC 6030) and the XML Encryption / Signature / PKCS #5
 * vocabularies it borrows. Section numbers are RFC 6030's unless said otherwise.
 */

/** §4, the PSKC namespace. */
export const PSKC_NS = 'urn:ietf:params:xml:ns:keyprov:pskc';
/** XML Encryption 1.0 (EncryptionMethod, CipherData, CipherValue). */
export const XENC_NS = 'http://www.w3.org/2001/04/xmlenc#';
/** XML Encryption 1.1 (DerivedKey, KeyDerivationMethod, PBKDF2-params), used by §6.2. */
export const XENC11_NS = 'http://www.w3.org/2009/xmlenc11#';
/** XML Signature (KeyName, hmac-sha1). */
export const DS_NS = 'http://www.w3.org/2000/09/xmldsig#';
/** PKCS #5 v2.0 schema namespace; RFC 6030 Figure 7 puts PBKDF2-params in it. */
export const PKCS5_NS = 'http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#';

/** §10.1, the HOTP algorithm profile. */
export const PSKC_HOTP_URI = 'urn:ietf:params:xml:ns:keyprov:pskc:hotp';
/** The TOTP profile (RFC 6238 keys in PSKC, as registered by the PSKC algorithm profiles draft). */
export const PSKC_TOTP_URI = 'urn:ietf:params:xml:ns:keyprov:pskc:totp';

/** §6.2: PBKDF2 named by its PKCS #5 v2.0 URI. */
export const PBKDF2_URI = `${PKCS5_NS}pbkdf2`;
export const AES128_CBC_URI = `${XENC_NS}aes128-cbc`;
export const HMAC_SHA1_URI = `${DS_NS}hmac-sha1`;

export type MacHash = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

/** §6.1.1 MACMethod / PBKDF2 PRF algorithms we accept, by URI. */
export const MAC_ALGORITHMS: Readonly<Record<string, MacHash>> = {
  [HMAC_SHA1_URI]: 'sha1',
  'http://www.w3.org/2001/04/xmldsig-more#hmac-sha224': 'sha224',
  'http://www.w3.org/2001/04/xmldsig-more#hmac-sha256': 'sha256',
  'http://www.w3.org/2001/04/xmldsig-more#hmac-sha384': 'sha384',
  'http://www.w3.org/2001/04/xmldsig-more#hmac-sha512': 'sha512',
};

export interface EncryptionAlgorithm {
  mode: 'cbc' | 'kw';
  keyBytes: 16 | 24 | 32;
}

/** §6.1 encryption algorithms we read (we write AES-128-CBC only). */
export const ENCRYPTION_ALGORITHMS: Readonly<Record<string, EncryptionAlgorithm>> = {
  [AES128_CBC_URI]: { mode: 'cbc', keyBytes: 16 },
  [`${XENC_NS}aes192-cbc`]: { mode: 'cbc', keyBytes: 24 },
  [`${XENC_NS}aes256-cbc`]: { mode: 'cbc', keyBytes: 32 },
  [`${XENC_NS}kw-aes128`]: { mode: 'kw', keyBytes: 16 },
  [`${XENC_NS}kw-aes192`]: { mode: 'kw', keyBytes: 24 },
  [`${XENC_NS}kw-aes256`]: { mode: 'kw', keyBytes: 32 },
};

/** OATH hash suites as written in AlgorithmParameters/Suite. */
export const SUITES = { sha1: 'HMAC-SHA1', sha256: 'HMAC-SHA256', sha512: 'HMAC-SHA512' } as const;
