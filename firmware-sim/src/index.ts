/**
 * @fobkit/firmware-sim: a faithful model of the fob's firmware (life cycle, A/B flash records,
 * drifting battery-backed RTC, battery, button and LCD, secure session) that plugs into a real
 * pty, a TCP port or memory, plus the fleet simulator and its control endpoint.
 */
export const FIRMWARE_SIM_VERSION = '0.1.0';

export { SimError, isSimError, type SimErrorCode } from './errors.js';
export { Simulator, SimulatedFob, type SimulatorOptions, type SimTransport } from './simulator.js';
export { SimulationClock, type SimulationClockOptions, type ClockListener } from './clock/simulationClock.js';
export { Fob, FOB_MODEL, FOB_HW_VERSION, FOB_FW_VERSION, type FobOptions, type FobStatus, type FobEvent, type FobCommand, type FobHardwareSnapshot } from './fob/fob.js';
export { FobEndpoint, FOB_CAPABILITIES, MAX_QUEUED_REQUESTS, type EndpointStats } from './fob/fobEndpoint.js';
export type { WireErrorName, CommandResult, CommandContext } from './fob/commandHandlers.js';
/** Kept for callers of 0.1.0; it is `@fobkit/protocol/wire`'s seedCheck (the PROGRAM_SEED check is part of the wire contract). */
export { seedCheck } from '@fobkit/protocol/wire';
export { authDelayMs, FREE_AUTH_FAILURES, MAX_DELAY_MS } from './fob/authThrottle.js';
export type { LifeState, FobRecord } from './fob/fobRecord.js';
export { FlashStore, encodeRecord, decodeRecord, type PowerCut, type FlashStatus, type FlashCommitCost } from './flash/flashStore.js';
export { MemoryFlash, FileFlash, DEFAULT_GEOMETRY, type FlashDevice, type FlashGeometry } from './flash/flashDevice.js';
export { Rtc, driftFromSeed, TUNING_FORK_PPM_PER_C2, TUNING_FORK_TURNOVER_C, TYPICAL_DRIFT_PPM, type RtcSnapshot } from './hardware/rtc.js';
export { Battery, DEFAULT_BATTERY_PROFILE, type BatteryProfile, type BatterySnapshot } from './hardware/battery.js';
export { Display, DEFAULT_DISPLAY_TIMEOUT_S, type LcdView } from './hardware/display.js';
export { TIMING_OFF, TIMING_REALISTIC, type TimingModel } from './timingModel.js';
export { MemoryFobLink, MemoryStationTransport, type FobLink } from './link/fobLink.js';
export { LinkFaults, type LinkFaultSpec, type LinkDirection } from './link/linkFaults.js';
export { PtyPair } from './link/ptyPair.js';
export { SerialFobLink } from './link/serialFobLink.js';
export { TcpFobLink } from './link/tcpFobLink.js';
export { startControlServer, handleControlRequest, MAX_CONTROL_BODY_BYTES, type ControlServer, type ControlReply } from './control/controlServer.js';
