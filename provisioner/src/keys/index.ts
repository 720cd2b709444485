/** Factory root and station keys: files, operations and loading (no CLI here). */
export { KeyFileError, readKeyFile, writeKeyFile } from './keyFileStore.js';
export {
  createRoot,
  issueStation,
  revokeStation,
  describeKeyFile,
  wipeKeyFile,
  ROOT_KEY_FILE,
  ROOT_PUBLIC_KEY_FILE,
  REVOCATION_LIST_FILE,
  STATION_REGISTRY_FILE,
  STATION_KEY_FILE,
  CLOCK_SKEW_ALLOWANCE_S,
  type CreateRootResult,
  type IssueStationResult,
  type RevokeStationResult,
} from './keyOperations.js';
export { loadStationCredentials, type LoadedStationCredentials, type LoadStationCredentialsOptions } from './loadStationCredentials.js';
