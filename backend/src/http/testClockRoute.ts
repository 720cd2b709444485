/**
 * The test-clock extension, for QA only: `fobkit-backend serve --test-clock` makes the server's
 * clock settable over the API, so a conformance suite (`fobkit qa conformance`) and the fleet
 * study (`fobkit qa fleet`) can age fobs by months in seconds. Off unless that flag is given; a
 * production server never has these routes (they answer 404 like any unknown path).
 *
 *   GET  /v1/test/clock                         (admin) → { time, frozen }
 *   POST /v1/test/clock { time }                (admin) → freezes the clock at `time` (Unix s)
 *   POST /v1/test/clock { advance }             (admin) → moves it by `advance` seconds
 *   POST /v1/test/clock { real: true }          (admin) → back to the system clock
 *
 * Moving the clock backwards is allowed (a suite may start a new scenario earlier); it is the
 * caller's business to keep each fob's own history monotonic.
 */
import { BackendError } from '../errors.js';
import type { Clock } from '../service/context.js';
import type { Route } from './routes.js';
import { num, obj, optional, type Schema } from './schema.js';

/** 2100-01-01, the same bound as every timestamp in a request body. */
const MAX_TIME = 4_102_444_800;
/** Ten years either way per call. */
const MAX_ADVANCE = 10 * 366 * 86_400;

export interface SettableClock {
  clock: Clock;
  frozen(): boolean;
  set(time: number): void;
  advance(seconds: number): void;
  real(): void;
}

/** A clock that follows `system` until set; once set it stands still until advanced or released. */
export function createSettableClock(system: Clock = () => Date.now() / 1000): SettableClock {
  let fixed: number | undefined;
  let offset = 0;
  return {
    clock: () => (fixed !== undefined ? fixed : system() + offset),
    frozen: () => fixed !== undefined,
    set: (time) => {
      fixed = time;
    },
    advance: (seconds) => {
      if (fixed !== undefined) fixed += seconds;
      else offset += seconds;
    },
    real: () => {
      fixed = undefined;
      offset = 0;
    },
  };
}

const trueOnly: Schema<boolean> = {
  parse: (v, path) => {
    if (v !== true) throw new BackendError('INVALID_REQUEST', `${path} must be true`);
    return true;
  },
  json: { const: true, description: 'follow the system clock again' },
};

const clockBody = obj({
  time: optional(num({ min: 0, max: MAX_TIME, description: 'freeze the clock at this instant (Unix seconds)' })),
  advance: optional(num({ min: -MAX_ADVANCE, max: MAX_ADVANCE, description: 'move the clock by this many seconds' })),
  real: optional(trueOnly),
});

/** The two routes of the extension, bound to `c`. */
export function testClockRoutes(c: SettableClock): Route[] {
  const view = () => ({ time: c.clock(), frozen: c.frozen() });
  return [
    { method: 'GET', path: '/v1/test/clock', roles: ['admin'], summary: 'Test clock (serve --test-clock only): the server time', handler: async () => ({ body: view() }) },
    { method: 'POST', path: '/v1/test/clock', roles: ['admin'], body: clockBody, summary: 'Test clock (serve --test-clock only): set, advance or release the server time', handler: async (_ctx, req) => {
      const b = req.body as { time?: number; advance?: number; real?: boolean };
      const given = [b.time !== undefined, b.advance !== undefined, b.real === true].filter(Boolean).length;
      if (given !== 1) throw new BackendError('INVALID_REQUEST', 'give exactly one of time, advance or real: true');
      if (b.time !== undefined) c.set(b.time);
      else if (b.advance !== undefined) {
        const next = c.clock() + b.advance;
        if (next < 0 || next > MAX_TIME) throw new BackendError('INVALID_REQUEST', 'the clock would leave 1970..2100');
        c.advance(b.advance);
      } else c.real();
      return { body: view() };
    } },
  ];
}
