/**
 * How long the real fob takes. Off by default so tests run at full speed; `--realistic` turns on
 * delays of the order of a small Cortex-M0+ at 16 MHz with a full-speed USB CDC link (data-sheet
 * orders of magnitude: page erase ~22 ms, double-word program ~90 µs, software HMAC-SHA-1 a few
 * ms, X25519 and Ed25519 in software ~100-200 ms). Delays are timers, so many fobs overlap.
 */

export interface TimingModel {
  enabled: boolean;
  flashPageEraseMs: number;
  flashProgramUsPerByte: number;
  /** Per 64-byte full-speed USB packet, each way (1 ms frames). */
  usbPacketMs: number;
  hmacMs: number;
  /** X25519 + HKDF of a session handshake plus the Ed25519 verifications of certificate and transcript. */
  handshakeMs: number;
}

export const TIMING_OFF: Readonly<TimingModel> = Object.freeze({ enabled: false, flashPageEraseMs: 0, flashProgramUsPerByte: 0, usbPacketMs: 0, hmacMs: 0, handshakeMs: 0 });

export const TIMING_REALISTIC: Readonly<TimingModel> = Object.freeze({
  enabled: true,
  flashPageEraseMs: 22,
  flashProgramUsPerByte: 11,
  usbPacketMs: 1,
  hmacMs: 4,
  handshakeMs: 350,
});

/** Milliseconds a flash commit takes. */
export function flashCommitMs(t: TimingModel, cost: { pageErases: number; programmedBytes: number }): number {
  return t.enabled ? cost.pageErases * t.flashPageEraseMs + (cost.programmedBytes * t.flashProgramUsPerByte) / 1000 : 0;
}

/** Milliseconds to move `bytes` over USB in one direction. */
export function usbTransferMs(t: TimingModel, bytes: number): number {
  return t.enabled ? Math.max(1, Math.ceil(bytes / 64)) * t.usbPacketMs : 0;
}

/** Resolves after `ms` (immediately, without a timer, when 0). */
export function delay(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
