/**
 * Classifies a failure while talking to a fob: was the fob lost (unplugged, silent: resume when
 * it is back), did it refuse this station (certificate), or did it answer with an error? Reads
 * the ProtocolError's stable code and, for DEVICE_ERROR, the wire error name the client attaches.
 */
import { ProtocolError } from '@fobkit/protocol';

export type FobFailureKind = 'lost' | 'rejected-station' | 'device-error' | 'other';

export interface FobFailure {
  kind: FobFailureKind;
  code: string;
  /** The fob's wire error name (BAD_STATE, AUTH_FAILED...), for DEVICE_ERROR. */
  deviceName?: string;
  message: string;
}

const LOST = new Set(['TIMEOUT', 'DISCONNECTED', 'CANCELED']);
const STATION_REFUSED = new Set(['AUTH_FAILED', 'AUTH_REQUIRED']);

function deviceNameOf(e: unknown): string | undefined {
  const o = e as { deviceName?: unknown; deviceCode?: unknown; wireName?: unknown; name?: unknown; errorName?: unknown };
  for (const v of [o.deviceName, o.wireName, o.errorName]) if (typeof v === 'string') return v;
  if (typeof o.deviceCode === 'string') return o.deviceCode;
  return undefined;
}

export function describeFobError(e: unknown): FobFailure {
  if (e instanceof ProtocolError) {
    const deviceName = e.code === 'DEVICE_ERROR' ? deviceNameOf(e) : undefined;
    if (LOST.has(e.code)) return { kind: 'lost', code: e.code, message: e.message };
    if (e.code === 'CERT_INVALID' || (deviceName !== undefined && STATION_REFUSED.has(deviceName)) || (e.code === 'SESSION_FAILED' && /cert|auth|revok|expire/i.test(e.message))) {
      return { kind: 'rejected-station', code: e.code, deviceName, message: e.message };
    }
    if (e.code === 'DEVICE_ERROR') return { kind: 'device-error', code: e.code, deviceName, message: e.message };
    return { kind: 'other', code: e.code, message: e.message };
  }
  const err = e as { code?: unknown; message?: unknown; disconnected?: unknown; canceled?: unknown };
  if (err && (err.disconnected === true || err.canceled === true)) return { kind: 'lost', code: err.disconnected ? 'DISCONNECTED' : 'CANCELED', message: String(err.message) };
  return { kind: 'other', code: typeof err?.code === 'string' ? err.code : 'ERROR', message: e instanceof Error ? e.message : String(e) };
}
