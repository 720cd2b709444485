/** @fobkit/provisioner: the factory station and the support/QA tool. */
export const PROVISIONER_VERSION = '0.1.0';

// The factory station (issue "The factory station"): config, journal, backend client, pipeline.
export { StationError, BackendError, isStationError, type StationErrorCode } from './errors.js';
export { loadStationConfig, STATION_ENV, DEFAULT_CONFIG_FILE, type StationConfigInput, type LoadStationConfigOptions } from './config/loadStationConfig.js';
export { validateStationConfig, parseUsbIds, STATION_CONFIG_DEFAULTS, DEFAULT_USB_IDS, type StationConfig, type FobProfile, type SeedMode, type UsbId } from './config/stationConfig.js';
export { StationJournal, type FobRecord, type RegistrationRecord, type RegistrationPayload, type RegistrationStatus, type ActivationRecord, type OpenJournalOptions } from './journal/stationJournal.js';
export { BackendClient, encodeBase64Url, decodeBase64Url, type StationBackend, type RegistrationKey, type BackendClientOptions } from './backendApi/backendClient.js';
export { retryWithBackoff, backoffDelayMs, type BackoffOptions } from './backendApi/retryWithBackoff.js';
export { generateSeed, deriveSeed, SEED_BYTES, BATCH_KEY_BYTES, type GenerateSeedOptions } from './operations/generateSeed.js';
export { provisionFob, type FobPipelineSettings, type ProvisionFobOptions, type ProvisionOutcome, type ProvisionStepEvent, type StepPhase } from './operations/provisionFob.js';
export { PIPELINE_STEPS, FOB_STAGES, stageAtLeast, type PipelineStep, type FobStage } from './operations/pipelineSteps.js';
export type { ProvisioningSession, FobHello, FobStatus } from './operations/provisioningSession.js';
export { chooseVerificationTimes, verifyFobCodes, type VerifyFobCodesResult } from './operations/verifyFobCodes.js';
export { StationOutbox, type StationOutboxOptions, type DeliveryResult } from './station/stationOutbox.js';
export { SerialPool, type SerialPoolOptions } from './station/serialPool.js';
export { LabelWriter, type FobLabel } from './station/labelWriter.js';
export { pinRegistrationKey, type PinnedRegistrationKey } from './station/pinRegistrationKey.js';
export { loadStationCredentials, type LoadedStationCredentials, type LoadStationCredentialsOptions } from './keys/loadStationCredentials.js';
export { openStation, readBatchKey, reconcileReport, type Station, type ReconcileReport } from './station/openStation.js';
export { runStation, type RunStationOptions, type StationEvent, type StationSummary, type FobConnection, type FobResult } from './station/runStation.js';
export { listFobPorts, presentPaths, type ListPorts, type ListedPort } from './station/listFobPorts.js';
export { SerialPortTransport, type SerialPortTransportOptions } from './transport/serialPortTransport.js';
export { connectFob, connectFobOver, toProvisioningSession, type ConnectFobOptions } from './transport/connectFob.js';
export { StationDisplay, formatFobResult, formatSummary, formatDuration, type PortView, type PortState } from './display/stationDisplay.js';
