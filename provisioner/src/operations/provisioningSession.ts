/**
 * The part of `FobSession` (@fobkit/protocol/client) the provisioning pipeline uses, written as
 * an interface so the pipeline depends on the contract and not on a transport: the station runs
 * it over serialport, the tests over ptys or the in-memory pair. One method per wire command
 * (DEVELOPERS.md "Messages"); each rejects with a ProtocolError (DEVICE_ERROR with the fob's
 * wire error, TIMEOUT, DISCONNECTED, SESSION_FAILED, CERT_INVALID...).
 */

export type FobLifecycleState = 'blank' | 'serialised' | 'programmed' | 'locked';

export interface FobHello {
  model: string;
  hw: string;
  fw: string;
  serial?: string;
  state: string;
  caps: string[];
  /** The fob's static X25519 public key: its identity in the journal. */
  pub: Uint8Array;
}

export interface FobStatus {
  time: number;
  timeValid: boolean;
  state: string;
  wipes?: number;
  batteryLow?: boolean;
}

export interface ProvisioningSession {
  hello(): Promise<FobHello>;
  /** BEGIN_SESSION with this station's credentials (bound by whoever built the session). */
  beginSession(): Promise<void>;
  getStatus(): Promise<FobStatus>;
  setSerial(serial: string): Promise<{ serial: string; state: string }>;
  setTime(time: number): Promise<{ previous: number; time: number }>;
  /** Rejects with ProtocolError BAD_MESSAGE when the fob confirms another seed (check mismatch). */
  programSeed(p: { secret: Uint8Array; algorithm: 'sha1' | 'sha256' | 'sha512'; digits: 6 | 7 | 8; period: number; t0: number }): Promise<{ state: string; check: Uint8Array }>;
  calculate(time: number): Promise<{ code: string; step: number }>;
  lock(serial: string): Promise<{ state: string }>;
  wipe(serial: string): Promise<{ state: string; wipes: number }>;
}
