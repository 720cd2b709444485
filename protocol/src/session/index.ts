/** The secure session between station and fob, station certificates, and sealed envelopes. */
export { sealToRecipient, openSealed, generateSealKeyPair, SEAL_VERSION, type SealOptions, type OpenOptions } from './sealToRecipient.js';
export { generateSigningKeyPair, signingPublicKey, keyFingerprint, type SigningKeyPair } from './signingKeyPair.js';
export {
  issueStationCertificate,
  decodeStationCertificate,
  verifyStationCertificate,
  CERTIFICATE_LABEL,
  CERTIFICATE_VERSION,
  MAX_CERTIFICATE_BYTES,
  MAX_STATION_NAME_BYTES,
  MAX_STATION_ID,
  type StationCertificate,
  type IssueStationCertificateOptions,
  type VerifyStationCertificateOptions,
  type VerifyStationCertificateResult,
  type CertificateFailureReason,
} from './stationCertificate.js';
export {
  createRevocationList,
  verifyRevocationList,
  decodeRevocationList,
  REVOCATION_LIST_LABEL,
  MAX_REVOKED_IDS,
  MAX_REVOCATION_LIST_BYTES,
  type RevocationList,
  type CreateRevocationListOptions,
  type VerifyRevocationListResult,
} from './revocationList.js';
export { SecureChannel, RECORD_OVERHEAD, RECORD_COUNTER_BYTES, RECORD_TAG_BYTES, type SecureChannelOptions, type OpenRecordResult, type RecordFailureReason } from './secureChannel.js';
export { computeTranscriptHash, deriveSessionKeys, SESSION_LABEL, SESSION_ID_BYTES, type TranscriptParts, type SessionKeys } from './sessionKeys.js';
export { createStationHandshake, type StationHandshake, type StationCredentials, type CreateStationHandshakeOptions, type BeginSessionFields } from './createStationHandshake.js';
export { acceptSession, type AcceptSessionOptions, type AcceptSessionResult, type AcceptSessionFailureReason } from './acceptSession.js';
export {
  encodeKeyFile,
  parseKeyFile,
  isPrivateKeyFile,
  PRIVATE_KEY_FILE_TYPES,
  type KeyFile,
  type KeyFileType,
  type RootKeyFile,
  type RootPublicKeyFile,
  type StationKeyFile,
  type RevocationListFile,
  type StationRegistryFile,
  type StationRegistryEntry,
} from './keyFiles.js';
export { describeSessionFailure, sessionFailureErrorBody, sessionReasonFromMessage, type SessionFailureReason } from './sessionFailure.js';
export { SessionError } from '../errors.js';
