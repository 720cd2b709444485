/**
 * Seed-file formats other backends import and vendors ship: PSKC (RFC 6030), the Entra ID
 * hardware OATH CSV, the privacyIDEA/LinOTP OATH CSV, the pam_oath usersfile and otpauth:// URIs.
 */
export * from './pskcConstants.js';
export type { PskcKeyPackage, PskcPolicy, PskcProtection, PskcMacFailure, PskcSkippedPackage, ReadPskcResult } from './pskcTypes.js';
export { writePskc, DEFAULT_PBKDF2_ITERATIONS, MIN_PBKDF2_ITERATIONS, type WritePskcOptions } from './writePskc.js';
export { readPskc, DEFAULT_MAX_PBKDF2_ITERATIONS, type ReadPskcOptions } from './readPskc.js';
export { assertSeedRecord, type SeedRecord, type OtpType } from './seedRecord.js';
export { DEFAULT_MAX_SEED_FILE_BYTES } from './_xml.js';
export { writeEntraCsv, parseEntraCsv, ENTRA_CSV_HEADER, ENTRA_PERIODS, type WriteEntraCsvOptions } from './entraCsv.js';
export { writeOathCsv, parseOathCsv } from './oathCsv.js';
export { writePamOathUsersfile, parsePamOathUsersfile, PAM_OATH_PERIODS, type WritePamOathOptions } from './pamOathUsersfile.js';
export { buildOtpauthUri, parseOtpauthUri, type OtpauthKey } from './otpauthUri.js';
export {
  detectSeedFileFormat, readSeedFile, parseSeedFile, writeSeedFile, isPlaintextFormat, SEED_FILE_FORMATS,
  type SeedFileFormat, type ParsedSeedFile, type WriteSeedFileOptions,
} from './seedFile.js';
export { parsePskFile, parsePasswordFile } from './protectionFiles.js';
