/** A fob's error response (SPEC.md "Error codes") as an exception the station can act on. */
import { ProtocolError } from '../errors.js';
import { messageName, wireErrorName } from '../wire/constants.js';
import type { ErrorBody } from '../wire/messages.js';

export class DeviceError extends ProtocolError {
  override readonly name: string = 'DeviceError';
  /** The wire error code (`WireErrorCode`); codes this version does not know are kept as sent. */
  readonly deviceCode: number;
  /** The wire error name, e.g. `BAD_STATE`. */
  readonly deviceName: string;
  /** For RATE_LIMITED / BUSY: how long the fob asks to wait. */
  readonly retryMs: number | undefined;
  /** The fob's own text (never a secret), if any. */
  readonly deviceMessage: string | undefined;
  /** The message type of the refused request. */
  readonly requestType: number;

  constructor(requestType: number, body: ErrorBody, options?: { cause?: unknown }) {
    const name = wireErrorName(body.code) ?? body.name;
    const command = messageName(requestType) ?? `message 0x${requestType.toString(16)}`;
    super('DEVICE_ERROR', `the fob refused ${command}: ${name} (${body.code})${body.msg ? `: ${body.msg}` : ''}`, options);
    this.deviceCode = body.code;
    this.deviceName = name;
    this.retryMs = body.retryMs;
    this.deviceMessage = body.msg;
    this.requestType = requestType;
  }
}
