/** The request body schemas of every endpoint (also rendered into the OpenAPI document). */
import { base64url, int, num, obj, oneOf, optional, str } from './schema.js';
import { MAX_RESERVE } from '../service/serials.js';
import { PIN_MAX_LENGTH, PIN_MIN_LENGTH } from '../service/userPin.js';

/** 2100-01-01: a bound on every timestamp, so no arithmetic overflows a step counter. */
const MAX_TIME = 4_102_444_800;
const code = str({ min: 6, max: 8, pattern: /^[0-9]+$/, description: 'the code shown on the fob or app' });
/** An IPv4/IPv6 address (with zone or port) or a host name: what an integration knows of its client. */
const SOURCE_PATTERN = /^[0-9A-Za-z.:_%[\]-]{1,64}$/;
export const USER_PATTERN = /^[\p{L}\p{N}._@+\\-]{1,128}$/u;

export const bodies = {
  reserve: obj({ count: int({ min: 1, max: MAX_RESERVE, description: 'how many serials' }) }),
  register: obj({
    serial: str({ max: 32, description: 'fobkit serial with check digit, e.g. FK00000013' }),
    model: str({ max: 64 }),
    sealedSecret: base64url({ maxBytes: 256, description: 'the seed sealed to the registration key with context seed:<serial>' }),
    kid: str({ max: 64, description: 'the registration key id the seed was sealed to' }),
    algorithm: oneOf(['sha1', 'sha256', 'sha512'] as const),
    digits: oneOf([6, 7, 8] as const),
    period: int({ min: 1, max: 3600 }),
    t0: num({ min: 0, max: MAX_TIME }),
    batch: optional(str({ max: 64 })),
    provisionedAt: num({ min: 0, max: MAX_TIME, description: 'Unix seconds' }),
    clockOffset: num({ min: -86_400, max: 86_400, description: 'fob clock minus true time at provisioning, seconds (positive: fob ahead)' }),
  }),
  none: obj({}),
  assign: obj({ user: str({ max: 128, pattern: USER_PATTERN }) }),
  unbind: obj({ reason: str({ max: 200, description: 'e.g. lost, returned, broken' }) }),
  reason: obj({ reason: optional(str({ max: 200 })) }),
  check: obj({
    code,
    time: optional(num({ min: 0, max: MAX_TIME, description: 'when the code was shown (Unix seconds); default now' })),
    step: optional(int({ min: 0, max: 0xffff_ffff, description: 'the TOTP step the code was made at, when read off the fob (CODE_NOW); only that step is checked' })),
  }),
  resync: obj({
    code1: code,
    code2: code,
    clockOffset: optional(num({ min: -86_400, max: 86_400, description: "the fob's clock minus true time, seconds, as measured by a caller with the fob in hand (fobkit inspect); anchors the drift model when consistent with the codes" })),
  }),
  enrolApp: obj({ label: optional(str({ max: 64, description: 'e.g. "iPhone"' })) }),
  validate: obj({
    user: str({ max: 128, pattern: USER_PATTERN }),
    code: str({ min: 1, max: 8 + PIN_MAX_LENGTH, description: 'what the user typed: the code, or the PIN followed by the code when the user has a PIN' }),
    source: optional(str({ max: 64, pattern: SOURCE_PATTERN, description: "the client's address (IP or host name) as the integration saw it; recorded in the auth log" })),
  }),
  pin: obj({ pin: str({ min: PIN_MIN_LENGTH, max: PIN_MAX_LENGTH, description: 'the static PIN typed before the code (any printable characters); stored hashed only' }) }),
};

