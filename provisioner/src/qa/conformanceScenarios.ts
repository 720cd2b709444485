/**
 * The scenarios of `fobkit qa conformance`: what any backend exposing the fobkit API must do
 * with the codes of real (here: virtual) fobs. Each scenario uses fresh fobs and users, so one
 * failure does not cascade. Scenarios that must move time need the backend's test clock
 * (`fobkit-backend serve --test-clock`); the others run against any backend in real time.
 * Window expectations are those of the reference policy: ±1 step around the fob's predicted
 * step (RFC 6238 §5.2 recommends at most one step of network delay).
 */
import { generateTotp, type OtpAlgorithm, type OtpDigits } from '@fobkit/protocol/otp';
import { parseOtpauthUri } from '@fobkit/protocol/formats';
import { BackendError } from '../errors.js';
import type { ValidateResult } from '../backendApi/supportClient.js';
import type { QaBackend } from './qaBackend.js';
import type { VirtualFob } from './virtualFob.js';
import type { Random } from './_random.js';

export interface ScenarioContext {
  env: QaBackend;
  /** Fobs in the drift scenarios. */
  fobs: number;
  random: Random;
  /** Start time of every scenario under the test clock (a morning, mid-step). */
  base: number;
}

export interface Scenario {
  name: string;
  expectation: string;
  needsClock: boolean;
  needsAdmin?: boolean;
  /** Resolves with a short detail on success; throws ScenarioFailure (or anything) on failure. */
  run(ctx: ScenarioContext): Promise<string>;
}

export class ScenarioFailure extends Error {
  override readonly name = 'ScenarioFailure';
}

const DAY = 86_400;

function expect(cond: boolean, detail: string): asserts cond {
  if (!cond) throw new ScenarioFailure(detail);
}

function why(r: ValidateResult): string {
  return r.ok ? 'accepted' : `refused (${r.reason})`;
}

/** A login at the server's now, the code read `lag` seconds earlier. */
async function login(ctx: ScenarioContext, user: string, fob: VirtualFob, lag = 0): Promise<ValidateResult> {
  return ctx.env.login(user, fob, lag);
}

/** A wrong code that cannot be in any window. */
function wrongCode(fob: VirtualFob, now: number, i: number): string {
  const right = new Set([-2, -1, 0, 1, 2].map((d) => fob.codeAtStep(fob.step(now) + d)));
  for (let k = 0; ; k++) {
    const c = fob.codeAtStep(fob.step(now) + 1000 + i * 7 + k);
    if (!right.has(c)) return c;
  }
}

/**
 * Ages fobs: logins on the given days (offsets from now, in days) at a random time of the
 * working day, each code read 5..20 s before the server checks it. Returns the failures.
 */
async function ageFobs(ctx: ScenarioContext, fobs: { user: string; fob: VirtualFob }[], days: number[]): Promise<{ logins: number; failures: string[] }> {
  const start = ctx.env.now();
  const failures: string[] = [];
  let logins = 0;
  for (const d of days) {
    await ctx.env.at(start + d * DAY + ctx.random() * 9 * 3600);
    for (const { user, fob } of fobs) {
      const r = await login(ctx, user, fob, 5 + ctx.random() * 15);
      logins++;
      if (!r.ok) failures.push(`${fob.serial} (${fob.driftPpm} ppm) day ${d}: ${why(r)} at offset ${fob.offset(ctx.env.now()).toFixed(0)} s`);
    }
  }
  return { logins, failures };
}

const range = (from: number, to: number, step: number): number[] => {
  const out: number[] = [];
  for (let d = from; d <= to; d += step) out.push(d);
  return out;
};

const workdays = (weeks: number): number[] => range(0, weeks * 7 - 1, 1).filter((d) => d % 7 < 5);

async function fleet(ctx: ScenarioContext, drifts: number[]): Promise<{ user: string; fob: VirtualFob }[]> {
  const out = [];
  for (const driftPpm of drifts) {
    const user = ctx.env.newUser();
    out.push({ user, fob: await ctx.env.registerFob({ driftPpm, user }) });
  }
  return out;
}

// RFC 6238 Appendix B: the seeds are the ASCII digits repeated to the hash's block-key length.
const RFC_SEEDS: Record<OtpAlgorithm, string> = {
  sha1: '12345678901234567890',
  sha256: '12345678901234567890123456789012',
  sha512: '1234567890123456789012345678901234567890123456789012345678901234',
};
/** RFC 6238 Appendix B, T = 59 … 2000000000 (20000000000 is past the API's 2100 bound on times). */
const RFC_VECTORS: [number, Record<OtpAlgorithm, string>][] = [
  [59, { sha1: '94287082', sha256: '46119246', sha512: '90693936' }],
  [1111111109, { sha1: '07081804', sha256: '68084774', sha512: '25091201' }],
  [1111111111, { sha1: '14050471', sha256: '67062674', sha512: '99943326' }],
  [1234567890, { sha1: '89005924', sha256: '91819424', sha512: '93441116' }],
  [2000000000, { sha1: '69279037', sha256: '90698825', sha512: '38618901' }],
];

export const SCENARIOS: Scenario[] = [
  {
    name: 'RFC 6238 vectors end to end',
    expectation: 'each Appendix B code (SHA-1/256/512, 8 digits, 30 s) accepted at its time, once',
    needsClock: true,
    async run(ctx) {
      const { env } = ctx;
      await env.at(50);
      const fobs = [];
      for (const alg of ['sha1', 'sha256', 'sha512'] as const) {
        const user = env.newUser('rfc');
        fobs.push({ alg, user, fob: await env.registerFob({ secret: new Uint8Array(Buffer.from(RFC_SEEDS[alg], 'ascii')), algorithm: alg, digits: 8, period: 30, user }) });
      }
      let n = 0;
      for (const [time, codes] of RFC_VECTORS) {
        await env.at(time);
        for (const { alg, user, fob } of fobs) {
          expect(fob.code(time) === codes[alg], `suite self-check: ${alg} at ${time} gives ${fob.code(time)}, RFC says ${codes[alg]}`);
          const r = await env.validator.validate(user, codes[alg]);
          expect(r.ok, `${alg} T=${time} code ${codes[alg]}: ${why(r)}`);
          const again = await env.validator.validate(user, codes[alg]);
          expect(!again.ok, `${alg} T=${time}: the same code accepted twice`);
          n++;
        }
      }
      return `${n} vectors`;
    },
  },
  {
    name: 'Codes at exact step boundaries',
    expectation: 'step k+1 refused at k·P − 1 ms, accepted at k·P; step k−2 accepted at k·P − 1 ms, refused at k·P',
    needsClock: true,
    async run(ctx) {
      const { env } = ctx;
      const [a, b, c] = await fleet(ctx, [0, 0, 0]);
      const k = Math.ceil((env.now() + 600) / 60);
      const B = k * 60;
      await env.at(B - 0.001);
      const r1 = await env.validator.validate(a!.user, a!.fob.codeAtStep(k + 1));
      expect(!r1.ok, `step k+1 at k·P − 1 ms: ${why(r1)} (the window reaches past the next step)`);
      const r2 = await env.validator.validate(b!.user, b!.fob.codeAtStep(k - 2));
      expect(r2.ok, `step k−2 at k·P − 1 ms: ${why(r2)}`);
      await env.at(B);
      const r3 = await env.validator.validate(a!.user, a!.fob.codeAtStep(k + 1));
      expect(r3.ok, `step k+1 at k·P: ${why(r3)}`);
      const r4 = await env.validator.validate(c!.user, c!.fob.codeAtStep(k - 2));
      expect(!r4.ok, `step k−2 at k·P: ${why(r4)} (the window reaches too far back)`);
      return `boundary at ${new Date(B * 1000).toISOString()}`;
    },
  },
  {
    name: 'Drift ±20 ppm over six months',
    expectation: 'fobs spread over −20..+20 ppm, used every other day for 180 days: every login accepted at the first try',
    needsClock: true,
    async run(ctx) {
      const n = Math.max(2, ctx.fobs);
      const drifts = Array.from({ length: n }, (_, i) => Math.round((-20 + (40 * i) / (n - 1)) * 10) / 10);
      const fobs = await fleet(ctx, drifts);
      const { logins, failures } = await ageFobs(ctx, fobs, range(0, 180, 2));
      expect(failures.length === 0, `${failures.length}/${logins} refused; first: ${failures[0]}`);
      const worst = Math.max(...fobs.map(({ fob }) => Math.abs(fob.offset(ctx.env.now()))));
      return `${logins} logins, clocks up to ${worst.toFixed(0)} s off`;
    },
  },
  {
    name: 'Drift learnt',
    expectation: "after 90 days of daily use the backend's drift estimate is within 5 ppm of the fob's true drift",
    needsClock: true,
    async run(ctx) {
      const fobs = await fleet(ctx, [17, -13]);
      const { failures } = await ageFobs(ctx, fobs, range(0, 90, 1));
      expect(failures.length === 0, `refused during the 90 days: ${failures[0]}`);
      const seen = [];
      for (const { fob } of fobs) {
        const rec = await ctx.env.support.getToken(fob.serial);
        expect(rec !== null, `GET /v1/tokens/${fob.serial}: not found`);
        const rate = rec.drift?.ratePpm;
        expect(typeof rate === 'number' && Math.abs(rate - fob.driftPpm) <= 5, `${fob.serial}: true ${fob.driftPpm} ppm, backend says ${String(rate)} ppm`);
        seen.push(`${fob.driftPpm}→${rate}`);
      }
      return `ppm true→learnt: ${seen.join(', ')}`;
    },
  },
  {
    name: 'Drift ±50 ppm, weekly use',
    expectation: 'fobs at −50 and +50 ppm (beyond the crystal spec), used once a week for 26 weeks: every login accepted at the first try',
    needsClock: true,
    async run(ctx) {
      const fobs = await fleet(ctx, [-50, 50]);
      const { logins, failures } = await ageFobs(ctx, fobs, range(0, 182, 7));
      expect(failures.length === 0, `${failures.length}/${logins} refused; first: ${failures[0]}`);
      return `${logins} logins, clocks up to ${Math.abs(fobs[0]!.fob.offset(ctx.env.now())).toFixed(0)} s off`;
    },
  },
  {
    name: 'Unused for six months',
    expectation: 'fobs at ±20 ppm used on workdays for 8 weeks, then 182 days in a drawer: the first login after is accepted',
    needsClock: true,
    async run(ctx) {
      const fobs = await fleet(ctx, [20, -20]);
      const before = await ageFobs(ctx, fobs, workdays(8));
      expect(before.failures.length === 0, `refused while in use: ${before.failures[0]}`);
      const after = await ageFobs(ctx, fobs, [182]);
      expect(after.failures.length === 0, after.failures.join('; '));
      return `clocks ${fobs.map(({ fob }) => `${fob.offset(ctx.env.now()) >= 0 ? '+' : ''}${fob.offset(ctx.env.now()).toFixed(0)} s`).join(', ')} off after the drawer`;
    },
  },
  {
    name: 'Replay',
    expectation: 'a code accepted once is refused the second time; an older code after a newer one is refused',
    needsClock: false,
    async run(ctx) {
      const [{ user, fob }] = (await fleet(ctx, [0])) as [{ user: string; fob: VirtualFob }];
      const now = ctx.env.now();
      const code = fob.code(now);
      const r1 = await ctx.env.validator.validate(user, code);
      expect(r1.ok, `first use: ${why(r1)}`);
      const r2 = await ctx.env.validator.validate(user, code);
      expect(!r2.ok, 'the same code was accepted twice');
      const r3 = await ctx.env.validator.validate(user, fob.codeAtStep(fob.step(now) - 1));
      expect(!r3.ok, 'the previous step\'s code was accepted after the current one');
      return `second use: ${why(r2)}`;
    },
  },
  {
    name: 'Concurrent replay',
    expectation: 'one code sent 8 times at once: exactly one login accepted',
    needsClock: false,
    async run(ctx) {
      const [{ user, fob }] = (await fleet(ctx, [0])) as [{ user: string; fob: VirtualFob }];
      const code = fob.code(ctx.env.now());
      const rs = await Promise.all(Array.from({ length: 8 }, () => ctx.env.validator.validate(user, code)));
      const ok = rs.filter((r) => r.ok).length;
      expect(ok === 1, `${ok} of 8 accepted`);
      return '1 of 8 accepted';
    },
  },
  {
    name: 'Support check consumes nothing',
    expectation: "support's check of the current code matches at offset 0, and the user can still log in with it",
    needsClock: false,
    async run(ctx) {
      const [{ user, fob }] = (await fleet(ctx, [0])) as [{ user: string; fob: VirtualFob }];
      const code = fob.code(ctx.env.now());
      const c = await ctx.env.support.checkCode(fob.serial, code);
      expect(c.ok && c.offsetSteps === 0, `check: ${JSON.stringify(c)}`);
      const r = await ctx.env.validator.validate(user, code);
      expect(r.ok, `login after the check: ${why(r)}`);
      return 'check ok, login ok';
    },
  },
  {
    name: 'Resync',
    expectation: "a fob whose clock jumped 5 min is refused; two consecutive codes resync it, the next code is accepted; the same pair again is refused",
    needsClock: false,
    async run(ctx) {
      const { env } = ctx;
      const [{ user, fob }] = (await fleet(ctx, [0])) as [{ user: string; fob: VirtualFob }];
      const r0 = await env.login(user, fob);
      expect(r0.ok, `before the jump: ${why(r0)}`);
      fob.shiftClock(300, env.now());
      const r1 = await env.login(user, fob);
      expect(!r1.ok, 'a code 5 steps ahead was accepted');
      const s = fob.step(env.now());
      const c = await env.support.checkCode(fob.serial, fob.codeAtStep(s));
      expect(c.ok && c.offsetSteps >= 4 && c.offsetSteps <= 6, `check of the jumped code: ${JSON.stringify(c)}`);
      const rs = await env.support.resync(fob.serial, fob.codeAtStep(s), fob.codeAtStep(s + 1));
      expect(rs.ok, `resync: ${JSON.stringify(rs)}`);
      const r2 = await env.validator.validate(user, fob.codeAtStep(s + 2));
      expect(r2.ok, `the next code after the resync: ${why(r2)}`);
      const again = await env.support.resync(fob.serial, fob.codeAtStep(s), fob.codeAtStep(s + 1));
      expect(!again.ok, 'the same resync pair was accepted twice');
      return `check found +${c.offsetSteps} steps; resync ${rs.ok ? `+${rs.offsetSteps}` : ''} steps`;
    },
  },
  {
    name: 'Brute force throttled',
    expectation: 'wrong codes are throttled within 20 attempts, and while throttled even the right code is refused',
    needsClock: false,
    async run(ctx) {
      const { env } = ctx;
      const [{ user, fob }] = (await fleet(ctx, [0])) as [{ user: string; fob: VirtualFob }];
      let throttled: ValidateResult | undefined;
      let i = 0;
      for (; i < 20 && !throttled; i++) {
        const r = await env.validator.validate(user, wrongCode(fob, env.now(), i));
        expect(!r.ok, 'a wrong code was accepted');
        if (r.reason === 'rate-limited' || r.reason === 'locked-out') throttled = r;
      }
      expect(throttled !== undefined, 'still not throttled after 20 wrong codes');
      const right = await env.login(user, fob);
      expect(!right.ok, 'the right code was accepted while throttled: a brute forcer would learn it');
      return `throttled at attempt ${i} (${why(throttled)}${!throttled.ok && throttled.retryAfter ? `, retry after ${throttled.retryAfter} s` : ''})`;
    },
  },
  {
    name: 'Lockout clears itself',
    expectation: 'repeated failures lock the user out (the right code refused); after the lockout time the right code is accepted without anyone unlocking',
    needsClock: true,
    async run(ctx) {
      const { env } = ctx;
      const [{ user, fob }] = (await fleet(ctx, [0])) as [{ user: string; fob: VirtualFob }];
      let locked: ValidateResult | undefined;
      let failures = 0;
      for (let i = 0; i < 60 && !locked; i++) {
        const r = await env.validator.validate(user, wrongCode(fob, env.now(), i));
        expect(!r.ok, 'a wrong code was accepted');
        if (r.reason === 'locked-out') locked = r;
        else if (r.reason === 'rate-limited') await env.advance((r.retryAfter ?? 1) + 0.5);
        else failures++;
      }
      expect(locked !== undefined && !locked.ok, 'never locked out after 60 wrong codes');
      const during = await env.login(user, fob);
      expect(!during.ok, 'the right code was accepted during the lockout');
      const wait = (locked.ok ? 0 : locked.retryAfter ?? 900) + 1;
      await env.advance(wait);
      const after = await env.login(user, fob);
      expect(after.ok, `after ${wait} s: ${why(after)}`);
      return `locked after ${failures} failures, cleared after ${wait} s`;
    },
  },
  {
    name: 'App and fob independent',
    expectation: 'enrolling an app leaves the fob valid; once a second app\'s first code is accepted, only the newest app and the fob are',
    needsClock: true,
    needsAdmin: true,
    async run(ctx) {
      const { env } = ctx;
      const admin = env.admin!;
      const [{ user, fob }] = (await fleet(ctx, [0])) as [{ user: string; fob: VirtualFob }];
      const appCode = (uri: string): string => {
        const k = parseOtpauthUri(uri);
        try {
          return generateTotp({ secret: k.secret, time: env.now(), period: k.period, algorithm: k.algorithm, digits: k.digits as OtpDigits });
        } finally {
          k.secret.fill(0);
        }
      };
      const app1 = await admin.enrolApp(user, 'qa phone 1');
      const f1 = await env.login(user, fob);
      expect(f1.ok, `fob after enrolling an app: ${why(f1)}`);
      const a1 = await env.validator.validate(user, appCode(app1.otpauthUri));
      expect(a1.ok && a1.factor === 'app', `app 1: ${why(a1)}`);
      await env.advance(60);
      const app2 = await admin.enrolApp(user, 'qa phone 2');
      const f2 = await env.login(user, fob);
      expect(f2.ok, `fob after enrolling a second app: ${why(f2)}`);
      // The new app becomes the valid one with its first code; only then is the old one revoked.
      const a2 = await env.validator.validate(user, appCode(app2.otpauthUri));
      expect(a2.ok && a2.factor === 'app', `app 2: ${why(a2)}`);
      const old = await env.validator.validate(user, appCode(app1.otpauthUri));
      expect(!old.ok, 'the replaced app is still accepted');
      return 'fob ok twice, new app ok, old app refused';
    },
  },
  {
    name: 'Unbind and quarantine',
    expectation: 'an unbound fob is refused and cannot be reassigned until a support check proves it; then it serves its new user',
    needsClock: false,
    async run(ctx) {
      const { env } = ctx;
      const [{ user, fob }] = (await fleet(ctx, [0])) as [{ user: string; fob: VirtualFob }];
      const s = fob.step(env.now());
      const r0 = await env.validator.validate(user, fob.codeAtStep(s));
      expect(r0.ok, `before unbinding: ${why(r0)}`);
      const u = await env.support.unbind(fob.serial, 'lost (qa)');
      expect(u.state === 'quarantined', `unbind left the fob ${u.state}`);
      const r1 = await env.validator.validate(user, fob.codeAtStep(s + 1));
      expect(!r1.ok, 'the unbound fob still logs its old user in');
      const newUser = env.newUser();
      let refused = false;
      try {
        await env.support.assign(fob.serial, newUser);
      } catch (e) {
        if (!(e instanceof BackendError) || e.status !== 409) throw e;
        refused = true;
      }
      expect(refused, 'a quarantined fob was reassigned without a check');
      const c = await env.support.checkCode(fob.serial, fob.codeAtStep(s));
      expect(c.ok && c.state === 'available', `check of the quarantined fob: ${JSON.stringify(c)}`);
      await env.support.assign(fob.serial, newUser);
      const r2 = await env.validator.validate(newUser, fob.codeAtStep(s + 1));
      expect(r2.ok, `the new user: ${why(r2)}`);
      return `old user ${why(r1)}; reassigned after check`;
    },
  },
];
