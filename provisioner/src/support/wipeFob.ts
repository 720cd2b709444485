/**
 * `wipeFob`: refurbishing a returned fob. The fob erases its seed and keeps its serial
 * (SPEC.md WIPE: programmed/locked → serialised). The serial support typed must be the fob's
 * own, so the fob on the bench is the one meant; WIPE needs a station session.
 */
import type { FobSession } from '@fobkit/protocol/client';
import type { StationCredentials } from '@fobkit/protocol/session';

export type WipeFobResult =
  | { ok: true; serial: string; state: string; wipes: number }
  | { ok: false; reason: 'serial-mismatch'; serial: string; fobSerial: string | null }
  | { ok: false; reason: 'nothing-to-wipe'; serial: string; state: string };

/**
 * @param serial the normalised serial support expects on the fob.
 * @throws SessionError when the fob refuses the station; DeviceError; ProtocolError (TIMEOUT…).
 */
export async function wipeFob(o: { fob: FobSession; station: StationCredentials; serial: string }): Promise<WipeFobResult> {
  const hello = await o.fob.hello();
  const fobSerial = hello.serial ?? null;
  if (fobSerial !== o.serial) return { ok: false, reason: 'serial-mismatch', serial: o.serial, fobSerial };
  if (hello.state !== 'programmed' && hello.state !== 'locked') return { ok: false, reason: 'nothing-to-wipe', serial: o.serial, state: hello.state };
  await o.fob.beginSession(o.station);
  const r = await o.fob.wipe(o.serial);
  return { ok: true, serial: o.serial, state: r.state, wipes: r.wipes };
}
