/** FobSession and the Transport contract. */
export type { Transport } from './Transport.js';
export { DeviceError, TransportError } from '../errors.js';
export { createMemoryTransportPair, type MemoryTransportPair, type MemoryFault, type MemoryDirection } from './createMemoryTransportPair.js';
export { FobSession, type FobSessionOptions, type FobSessionEvent, type CallOptions, type Timers, type HelloResult, type ProgramSeedOptions, type WipeResult } from './FobSession.js';
