/**
 * The fleet study of `fobkit qa fleet`: ages a fleet of virtual fobs for D days against a
 * backend with the test clock and reports what a product owner needs before choosing the
 * validation window: the share of logins accepted at the first try, the drift distribution
 * (and the first-try share per drift band), and how many fobs needed support to resync them.
 *
 * The model: crystal drift normal with σ ≈ 7 ppm (32 kHz tuning-fork crystals are specified
 * at ±20 ppm at 25 °C, i.e. about 3σ) plus a few outliers at 30..120 ppm (damaged or cold-soaked
 * crystals); the clock set to the second at provisioning. Users log in on workdays between
 * 08:00 and 18:00 UTC, one to three times, 90 % of workdays; half take a two-to-four-week
 * holiday; one in ten uses the fob only a few days a month. The code is typed 5..20 s after it
 * is read. A refused login is retried once with a fresh code; a second refusal is a call to
 * support, who resyncs the fob with two consecutive codes.
 */
import { QaBackend, type QaBackendOptions } from './qaBackend.js';
import type { VirtualFob } from './virtualFob.js';
import { normal, seededRandom, type Random } from './_random.js';

export interface FleetStudyOptions extends QaBackendOptions {
  count: number;
  days: number;
  seed?: number;
  sigmaPpm?: number;
  /** Share of fobs with an outlier crystal (default 0.03). */
  outlierShare?: number;
  /** Called after each simulated day. */
  onDay?: (day: number, days: number) => void;
}

export interface DriftBand {
  fromPpm: number;
  toPpm: number;
  fobs: number;
  logins: number;
  firstTry: number;
}

export interface FleetReport {
  fobs: number;
  days: number;
  seed: number;
  logins: number;
  acceptedFirstTry: number;
  acceptedAfterRetry: number;
  acceptedAfterResync: number;
  neverAccepted: number;
  firstTryShare: number;
  resyncs: number;
  fobsResynced: number;
  drift: { meanPpm: number; sigmaPpm: number; minPpm: number; maxPpm: number; bands: DriftBand[] };
  /** |backend's learnt drift − true drift| at the end, ppm. */
  learntErrorPpm: { median: number; p95: number; max: number } | null;
  worstOffsetSeconds: number;
}

interface Member {
  user: string;
  fob: VirtualFob;
  rare: boolean;
  holiday: [number, number] | null;
  logins: number;
  firstTry: number;
  resynced: boolean;
}

const DAY = 86_400;
const BAND_EDGES = [-Infinity, -40, -20, -10, -5, 0, 5, 10, 20, 40, Infinity];

function driftOf(random: Random, sigma: number, outlierShare: number): number {
  if (random() < outlierShare) return Math.round((random() < 0.5 ? -1 : 1) * (30 + random() * 90) * 10) / 10;
  return Math.round(normal(random) * sigma * 10) / 10;
}

/** Login times (true time) of one member on day `d`, sorted. */
function loginTimes(m: Member, dayStart: number, d: number, random: Random): number[] {
  const weekday = d % 7 < 5;
  if (!weekday) return [];
  if (m.holiday && d >= m.holiday[0] && d < m.holiday[1]) return [];
  if (m.rare ? random() > 0.15 : random() > 0.9) return [];
  const n = m.rare ? 1 : 1 + Math.floor(random() * 3);
  const slots = new Set<number>();
  while (slots.size < n) slots.add(Math.floor(random() * 10)); // distinct hours 08..17
  return [...slots].sort((a, b) => a - b).map((h) => dayStart + (8 + h) * 3600 + random() * 3000);
}

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

/**
 * Runs the study.
 * @throws RangeError on bad options or when the backend has no test clock; BackendError when
 *   the backend fails.
 */
export async function runFleetStudy(o: FleetStudyOptions): Promise<FleetReport> {
  if (!Number.isInteger(o.count) || o.count < 1 || o.count > 10_000) throw new RangeError('--count must be an integer from 1 to 10000');
  if (!Number.isInteger(o.days) || o.days < 1 || o.days > 3650) throw new RangeError('--days must be an integer from 1 to 3650');
  const seed = o.seed ?? 1;
  const random = seededRandom(seed);
  const env = await QaBackend.connect(o);
  if (!env.hasTestClock) throw new RangeError(`the backend at ${env.baseUrl} has no test clock (run it with fobkit-backend serve --test-clock, or leave out --backend-url to get a temporary one)`);
  const start = (Math.floor(Date.now() / 1000 / DAY) + 1) * DAY; // a Monday or not: day 0 counts as a workday
  const members: Member[] = [];
  try {
    await env.at(start + 7 * 3600);
    for (let i = 0; i < o.count; i++) {
      const user = env.newUser('fleet');
      const fob = await env.registerFob({ driftPpm: driftOf(random, o.sigmaPpm ?? 7, o.outlierShare ?? 0.03), offsetAtSet: (random() - 0.5) * 0.2, user });
      const holidayStart = Math.floor(random() * o.days);
      members.push({ user, fob, rare: random() < 0.1, holiday: random() < 0.5 ? [holidayStart, holidayStart + 14 + Math.floor(random() * 14)] : null, logins: 0, firstTry: 0, resynced: false });
    }
    let logins = 0, firstTry = 0, afterRetry = 0, afterResync = 0, never = 0, resyncs = 0;
    for (let d = 0; d < o.days; d++) {
      const events = members.flatMap((m) => loginTimes(m, start + d * DAY, d, random).map((t) => ({ t, m }))).sort((a, b) => a.t - b.t);
      for (const { t, m } of events) {
        await env.at(t + 5 + random() * 15);
        logins++;
        m.logins++;
        const r = await env.validator.validate(m.user, m.fob.code(t));
        if (r.ok) {
          firstTry++;
          m.firstTry++;
          continue;
        }
        await env.advance(30 + random() * 30);
        const retry = await env.validator.validate(m.user, m.fob.code(env.now() - 10));
        if (retry.ok) {
          afterRetry++;
          continue;
        }
        const s = m.fob.step(env.now());
        const rs = await env.support.resync(m.fob.serial, m.fob.codeAtStep(s), m.fob.codeAtStep(s + 1));
        resyncs++;
        m.resynced = true;
        const after = rs.ok ? await env.validator.validate(m.user, m.fob.codeAtStep(s + 2)) : rs;
        if (after.ok) afterResync++;
        else never++;
      }
      o.onDay?.(d + 1, o.days);
    }
    const end = env.now();
    const drifts = members.map((m) => m.fob.driftPpm);
    const mean = drifts.reduce((a, b) => a + b, 0) / drifts.length;
    const sigma = Math.sqrt(drifts.reduce((a, b) => a + (b - mean) ** 2, 0) / drifts.length);
    const bands: DriftBand[] = [];
    for (let i = 0; i + 1 < BAND_EDGES.length; i++) {
      const inBand = members.filter((m) => m.fob.driftPpm >= BAND_EDGES[i]! && m.fob.driftPpm < BAND_EDGES[i + 1]!);
      bands.push({ fromPpm: BAND_EDGES[i]!, toPpm: BAND_EDGES[i + 1]!, fobs: inBand.length, logins: inBand.reduce((a, m) => a + m.logins, 0), firstTry: inBand.reduce((a, m) => a + m.firstTry, 0) });
    }
    const errors: number[] = [];
    for (const m of members) {
      const rec = await env.support.getToken(m.fob.serial);
      if (rec && typeof rec.drift?.ratePpm === 'number') errors.push(Math.abs(rec.drift.ratePpm - m.fob.driftPpm));
    }
    errors.sort((a, b) => a - b);
    return {
      fobs: members.length, days: o.days, seed, logins,
      acceptedFirstTry: firstTry, acceptedAfterRetry: afterRetry, acceptedAfterResync: afterResync, neverAccepted: never,
      firstTryShare: logins ? firstTry / logins : 1,
      resyncs, fobsResynced: members.filter((m) => m.resynced).length,
      drift: { meanPpm: mean, sigmaPpm: sigma, minPpm: Math.min(...drifts), maxPpm: Math.max(...drifts), bands },
      learntErrorPpm: errors.length ? { median: quantile(errors, 0.5), p95: quantile(errors, 0.95), max: errors[errors.length - 1]! } : null,
      worstOffsetSeconds: Math.max(...members.map((m) => Math.abs(m.fob.offset(end)))),
    };
  } finally {
    for (const m of members) m.fob.dispose();
    await env.release().catch(() => undefined);
  }
}
