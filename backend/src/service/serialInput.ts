/**
 * Serials given by clients. Anything that looks like a fobkit serial (FK…) must carry a right
 * check digit, so a mistyped serial is rejected as such instead of answering "not found";
 * vendor serials imported from seed files keep their own form.
 */
import { parseSerial } from '@fobkit/protocol/serial';
import { BackendError } from '../errors.js';

const VENDOR_SERIAL = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/** The canonical serial of a fobkit fob. @throws BackendError INVALID_SERIAL */
export function fobkitSerial(input: unknown): string {
  const r = parseSerial(typeof input === 'string' ? input : '');
  if (!r.ok) throw new BackendError('INVALID_SERIAL', r.message);
  return r.serial;
}

/** A fobkit serial (canonical) or a vendor serial (as given). @throws BackendError INVALID_SERIAL */
export function anySerial(input: string): string {
  if (/^\s*fk/i.test(input)) return fobkitSerial(input);
  if (!VENDOR_SERIAL.test(input)) throw new BackendError('INVALID_SERIAL', `'${input.slice(0, 80)}' is not a serial number`);
  return input;
}
