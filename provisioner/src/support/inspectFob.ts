/**
 * `inspectFob`: support's one-minute diagnosis of a returned fob. It reads the fob over its
 * session (HELLO, GET_STATUS, CODE_NOW: no authentication needed), the backend's record of it,
 * and checks the code on display with the backend's non-consuming check, then concludes with
 * one verdict and what to do next (and the other findings, in order of importance). With
 * `fix` it corrects a drifted clock: `server` re-anchors the backend's drift model with two
 * consecutive codes (a resync), `clock` also sets the fob's clock to the station's (a locked
 * fob only takes SET_TIME inside a station session) before that resync. The resync carries the
 * fob's clock offset as measured here, so the backend then expects the fob where it is and an
 * inspect right after a fix says OK (issue 17.2); after `clock` on a fob that ran ahead and was
 * used, the backend re-allows the steps the fob never used (its step ledger, issue 17.1).
 *
 * "Drifted" means logins are at risk: the backend expects the fob's clock elsewhere, or the
 * code on the fob is one a login would refuse (outside the backend's window, or older than the
 * fob's last login). A clock far from true time that the backend follows is a note, not a fault.
 */
import { DeviceError } from '@fobkit/protocol';
import type { FobSession } from '@fobkit/protocol/client';
import { WireErrorCode } from '@fobkit/protocol/wire';
import type { StationCredentials } from '@fobkit/protocol/session';
import type { LoginOutlook, SupportClient, TokenRecord } from '../backendApi/supportClient.js';

export type Verdict =
  | 'ok'
  | 'not-programmed'
  | 'not-registered'
  | 'revoked'
  | 'clock-lost'
  | 'seed-mismatch'
  | 'quarantined'
  | 'disabled'
  | 'clock-drifted'
  | 'battery-low';

export interface Finding {
  verdict: Verdict;
  summary: string;
  next: string;
}

export interface InspectFobOptions {
  fob: FobSession;
  backend: SupportClient;
  /** The station's clock, Unix seconds. */
  clock?: () => number;
  /** Above this |fob clock − station clock| the clock counts as drifted (default 90 s). */
  maxOffsetSeconds?: number;
  fix?: 'server' | 'clock';
  /** Needed by `fix: 'clock'`. */
  station?: StationCredentials;
  /** Check a quarantined fob's code (which returns it to stock when it matches). */
  release?: boolean;
  /** Waits for the fob's next code during a fix (default: real time). */
  sleep?: (ms: number) => Promise<void>;
  onProgress?: (progress: InspectProgress) => void;
}

/** What a fix is doing, for a progress line (the wait for the next code takes up to a period). */
export interface InspectProgress {
  stage: 'setting-clock' | 'waiting-for-next-code' | 'resyncing';
  message: string;
  /** With `waiting-for-next-code`: how long, seconds. */
  waitSeconds?: number;
}

export interface InspectReport {
  ok: boolean;
  verdict: Verdict;
  summary: string;
  next: string;
  findings: Finding[];
  fob: {
    serial: string | null; model: string; hw: string; fw: string; state: string;
    time: number; timeValid: boolean; stationTime: number; offsetSeconds: number;
    batteryPct: number; batteryMv: number; batteryLow: boolean; lifeDays: number; presses: number; failedAuth: number; wipes: number;
  };
  record: Pick<TokenRecord, 'state' | 'enabled' | 'user' | 'period' | 'provisionedAt' | 'clockOffset' | 'drift' | 'lastUsed' | 'failures'> | null;
  code: { checked: boolean; ok?: boolean; offsetSteps?: number; matchedAt?: 'station-time' | 'fob-time'; login?: LoginOutlook };
  drift: { offsetSeconds: number; sinceProvisioningSeconds?: number; ppm?: number; backendExpectsSeconds?: number };
  /** Things worth knowing that are not faults (a clock far from true time that the backend follows). */
  notes: string[];
  /** `code` TIME_JUMP: the locked fob refused the clock correction (SPEC.md "Clock guard"); only a wipe and a new provisioning reset it. */
  fix?: { kind: 'server' | 'clock'; ok: boolean; detail: string; code?: 'TIME_JUMP' };
}

const DAY = 86_400;
/** Beyond this the offset is not a crystal's doing (tuning-fork crystals: ±20 ppm, aged and cold a few times that). */
const MAX_CRYSTAL_PPM = 200;

function ago(seconds: number): string {
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 2 * DAY) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / DAY)} days ago`;
}
const ORDER: Verdict[] = ['not-programmed', 'not-registered', 'revoked', 'clock-lost', 'seed-mismatch', 'quarantined', 'disabled', 'clock-drifted', 'battery-low'];

const signed = (x: number, digits = 0): string => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(digits)}`;

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const REPROVISION = (serial: string): string =>
  `wipe it and provision it again: fobkit wipe --port … --serial ${serial} --yes, then fobkit provision (a locked fob's clock moves only by what drift explains)`;

/**
 * Sets the fob's clock to the station's in a station session. A locked fob corrects drift only
 * (SPEC.md "Clock guard"): a bigger correction is refused with TIME_JUMP and changes nothing,
 * which is a verdict (the fob needs a wipe and a new provisioning), not a failure to run.
 */
async function setFobClock(o: InspectFobOptions, time: number): Promise<{ ok: true; previous: number; time: number } | { ok: false; detail: string }> {
  if (!o.station) throw new RangeError('fix clock needs the station key (a locked fob only takes SET_TIME in a station session)');
  await o.fob.beginSession(o.station);
  try {
    return { ok: true, ...(await o.fob.setTime(time)) };
  } catch (e) {
    if (e instanceof DeviceError && e.deviceCode === WireErrorCode.TIME_JUMP) {
      return { ok: false, detail: `the fob refused the correction (TIME_JUMP${e.deviceMessage ? `: ${e.deviceMessage.replace(/^time-jump:\s*/, '')}` : ''})` };
    }
    throw e;
  }
}

/**
 * Reads two consecutive codes from the fob (waiting for the step to turn) and resyncs the
 * backend with them.
 */
async function resyncFromFob(o: InspectFobOptions, serial: string, clock: () => number): Promise<{ ok: boolean; detail: string }> {
  const sleep = o.sleep ?? defaultSleep;
  for (let attempt = 0; attempt < 2; attempt++) {
    const first = await o.fob.codeNow();
    const wait = Math.ceil(first.remaining);
    o.onProgress?.({ stage: 'waiting-for-next-code', waitSeconds: wait, message: `waiting ${wait} s for the fob's next code (a resync needs two consecutive codes)` });
    await sleep(Math.ceil(first.remaining * 1000) + 250);
    const second = await o.fob.codeNow();
    if (second.step !== first.step + 1) continue;
    // Measured now, with the fob in hand: the backend anchors on it (two codes alone only place
    // the fob somewhere inside a step).
    const status = await o.fob.getStatus();
    const measured = status.timeValid ? status.time - clock() : undefined;
    o.onProgress?.({ stage: 'resyncing', message: 'sending the two codes to the backend' });
    const r = await o.backend.resync(serial, first.code, second.code, measured);
    if (r.ok) return { ok: true, detail: `the backend now expects the fob's clock ${signed(r.offsetSeconds)} s off` };
    return { ok: false, detail: `the backend refused the resync (${r.reason}${r.reason === 'replayed' ? ': the fob shows codes it had already used' : ''})` };
  }
  return { ok: false, detail: 'could not read two consecutive codes from the fob' };
}

/**
 * Inspects the fob on `o.fob` (an open session).
 * @throws ProtocolError/DeviceError when the fob does not answer; BackendError when the backend
 *   cannot be asked. Never a verdict: a verdict is a result.
 */
export async function inspectFob(o: InspectFobOptions): Promise<InspectReport> {
  const clock = o.clock ?? (() => Date.now() / 1000);
  const maxOffset = o.maxOffsetSeconds ?? 90;
  const hello = await o.fob.hello();
  const status = await o.fob.getStatus();
  const stationTime = clock();
  const offset = status.time - stationTime;
  const findings: Finding[] = [];
  const report: InspectReport = {
    ok: true, verdict: 'ok', summary: '', next: '', findings,
    fob: {
      serial: hello.serial ?? null, model: hello.model, hw: hello.hw, fw: hello.fw, state: status.state,
      time: status.time, timeValid: status.timeValid, stationTime, offsetSeconds: Math.round(offset * 10) / 10,
      batteryPct: status.batteryPct, batteryMv: status.batteryMv, batteryLow: status.batteryLow, lifeDays: status.lifeDays,
      presses: status.presses, failedAuth: status.failedAuth, wipes: status.wipes,
    },
    record: null,
    code: { checked: false },
    drift: { offsetSeconds: Math.round(offset * 10) / 10 },
    notes: [],
  };
  const add = (verdict: Verdict, summary: string, next: string): void => {
    findings.push({ verdict, summary, next });
  };
  if (status.batteryLow) add('battery-low', `battery low: ${status.batteryPct} % (${status.batteryMv} mV), about ${Math.round(status.lifeDays)} days left`, 'replace the battery (or the fob) before handing it out again; after a swap, run fobkit inspect again to check the clock');

  const serial = hello.serial;
  if (!serial || (status.state !== 'programmed' && status.state !== 'locked')) {
    add('not-programmed', `the fob is ${status.state}${serial ? ` (serial ${serial})` : ''}: it holds no seed`, 'it never finished provisioning or was wiped: put it back on the factory station (fobkit provision)');
    return conclude(report);
  }
  const record = await o.backend.getToken(serial);
  if (!record) {
    add('not-registered', `the backend has no record of ${serial}`, "do not hand it out: check the station's outbox for a registration still waiting (fobkit provision resumes deliveries), or whether the fob belongs to another deployment");
    return conclude(report);
  }
  report.record = { state: record.state, enabled: record.enabled, user: record.user, period: record.period, provisionedAt: record.provisionedAt, clockOffset: record.clockOffset, drift: record.drift, lastUsed: record.lastUsed, failures: record.failures };
  const expected = record.drift?.seconds ?? 0;
  report.drift.backendExpectsSeconds = expected;
  const since = stationTime - record.provisionedAt;
  if (since > 0) {
    report.drift.sinceProvisioningSeconds = Math.round(since);
    if (since >= 60 && status.timeValid) report.drift.ppm = Math.round(((offset - record.clockOffset) / since) * 1e6 * 10) / 10;
  }
  if (record.state === 'revoked') {
    add('revoked', `${serial} is revoked on the backend`, 'do not reissue it: wipe it (fobkit wipe --port … --serial … --yes) for refurbishment, or scrap it');
    return conclude(report);
  }
  let offsetNow = offset;
  let clockSet = false;
  if (!status.timeValid) {
    if (o.fix !== 'clock') {
      add('clock-lost', "the fob's clock is not set (its battery ran flat or was swapped)", 'set its clock: fobkit inspect --port … --fix clock (needs the station key)');
      return conclude(report);
    }
    o.onProgress?.({ stage: 'setting-clock', message: "setting the fob's clock to the station's" });
    const set = await setFobClock(o, clock());
    if (!set.ok) {
      report.fix = { kind: 'clock', ok: false, code: 'TIME_JUMP', detail: set.detail };
      add('clock-lost', `the fob's clock is not set and it cannot be set to now: ${set.detail}`, REPROVISION(serial));
      return conclude(report);
    }
    clockSet = true;
    const now = await o.fob.getStatus();
    offsetNow = now.time - clock();
    Object.assign(report.fob, { time: now.time, timeValid: now.timeValid, offsetSeconds: Math.round(offsetNow * 10) / 10 });
    report.drift.offsetSeconds = report.fob.offsetSeconds;
    delete report.drift.ppm;
    report.fix = { kind: 'clock', ok: true, detail: "the fob's lost clock was set to the station's" };
  }
  const quarantined = record.state === 'quarantined';
  if (quarantined && !o.release) {
    add('quarantined', `${serial} is quarantined (unbound from its user${lastUnbindReason(record)})`, 'to put it back into stock: fobkit inspect --port … --release (a matching code returns it to available); to retire it: wipe it');
  } else {
    const now = await o.fob.codeNow();
    // At the step the fob made its code at: anywhere else in the day searched, a match is another
    // seed's code colliding with this one's (about 3 in 1,000), not this seed.
    let c = await o.backend.checkCode(serial, now.code, clock(), now.step);
    report.code = { checked: true, ok: c.ok, ...(c.ok ? { offsetSteps: c.offsetSteps, matchedAt: 'station-time' as const, ...(c.login ? { login: c.login } : {}) } : {}) };
    if (!c.ok && Math.abs(offsetNow) > DAY - 2 * record.period) {
      c = await o.backend.checkCode(serial, now.code, Math.max(0, clock() + offsetNow), now.step);
      if (c.ok) report.code = { checked: true, ok: true, offsetSteps: c.offsetSteps, matchedAt: 'fob-time' };
    }
    if (!c.ok) {
      add('seed-mismatch', `the code on the fob (step ${now.step}) does not match ${serial}'s seed on the backend, even a day either side`, 'the fob is defective or not the one registered under this serial: do not reissue, send it for RMA');
      return conclude(report);
    }
    if (quarantined && c.state === 'available') report.record.state = 'available';
  }
  if (!record.enabled) add('disabled', `${serial} is disabled on the backend`, 'enable it again once the reason is cleared, or unbind it');

  // A login with the code on the fob would be refused although the code is right: the backend
  // looks elsewhere, or the fob's clock went back behind its last login.
  const login = report.code.login;
  const loginRefused = login === 'outside-window' || login === 'superseded';
  const expectsElsewhere = Math.abs(offsetNow - expected) > record.period / 2;
  const drifted = expectsElsewhere || loginRefused;
  const farOff = Math.abs(offsetNow) > maxOffset;
  if (drifted || (o.fix === 'clock' && farOff && !clockSet)) {
    const ppm = report.drift.ppm === undefined ? ''
      : Math.abs(report.drift.ppm) <= MAX_CRYSTAL_PPM ? ` (≈ ${signed(report.drift.ppm, 1)} ppm since provisioning ${ago(since)})`
        : ` (a jump, not crystal drift: provisioned ${ago(since)}; a battery swap or a wrong clock setting)`;
    // Said only when the offsets alone do not explain it.
    const why = login === 'superseded' ? "; the fob's clock is behind its last login, so its codes are refused as used"
      : login === 'outside-window' && !expectsElsewhere ? '; its codes are outside the window the backend searches' : '';
    const summary = drifted
      ? `clock drifted by ${signed(offsetNow)} s${ppm}; the backend expects ${signed(expected)} s${why}`
      : `clock ${signed(offsetNow)} s off true time${ppm}; the backend follows it`;
    if (o.fix) {
      let detail = '';
      let ok = true;
      if (o.fix === 'clock' && !clockSet) {
        o.onProgress?.({ stage: 'setting-clock', message: "setting the fob's clock to the station's" });
        const set = await setFobClock(o, clock());
        if (!set.ok) {
          report.fix = { kind: 'clock', ok: false, code: 'TIME_JUMP', detail: set.detail };
          add('clock-drifted', `${summary}; ${set.detail}`, `${REPROVISION(serial)}; until then fobkit inspect --fix server lets the backend follow its clock`);
          return conclude(report);
        }
        detail = `fob clock reset (was ${signed(set.previous - set.time)} s off); `;
        const after = await o.fob.getStatus();
        Object.assign(report.fob, { time: after.time, timeValid: after.timeValid, offsetSeconds: Math.round((after.time - clock()) * 10) / 10 });
        report.drift.offsetSeconds = report.fob.offsetSeconds;
      }
      const r = await resyncFromFob(o, serial, clock);
      ok = r.ok;
      detail += r.detail;
      report.fix = { kind: o.fix, ok, detail };
      if (ok) report.findings.unshift({ verdict: 'clock-drifted', summary: `${summary}: fixed, ${detail}`, next: 'hand it back; logins work again' });
      else add('clock-drifted', `${summary}; the fix failed: ${detail}`, 'try again, or resync by hand: fobkit resync SERIAL CODE1 CODE2');
    } else {
      add('clock-drifted', summary, 'fobkit inspect --port … --fix server (the backend follows the fob), or --fix clock to reset the fob (needs the station key)');
    }
  }
  if (!drifted && farOff && !report.fix) report.notes.push(`the fob's clock is ${signed(offsetNow)} s off true time; the backend follows it, so logins work (--fix clock resets it)`);
  if (!drifted && o.fix && !report.fix) report.fix = { kind: o.fix, ok: true, detail: 'nothing to fix: the clock is where the backend expects it' };
  return conclude(report);
}

function lastUnbindReason(record: TokenRecord): string {
  const h = [...(record.history ?? [])].reverse().find((e) => e.action === 'token.unbind');
  const reason = h?.detail?.['reason'];
  return typeof reason === 'string' ? `: ${reason}` : '';
}

function conclude(report: InspectReport): InspectReport {
  const fixed = report.fix?.ok === true;
  const problems = report.findings.filter((f) => !(fixed && f.verdict === 'clock-drifted' && f.summary.includes('fixed')));
  problems.sort((a, b) => ORDER.indexOf(a.verdict) - ORDER.indexOf(b.verdict));
  const fixedFinding = report.findings.find((f) => f.verdict === 'clock-drifted' && fixed);
  report.findings = [...problems, ...(fixedFinding ? [fixedFinding] : [])];
  const top = problems[0] ?? fixedFinding;
  if (!top) {
    report.ok = true;
    report.verdict = 'ok';
    report.summary = `OK: the fob works and matches the backend (clock ${signed(report.fob.offsetSeconds)} s, battery ${report.fob.batteryPct} %)${report.fix ? `; ${report.fix.detail}` : ''}${report.notes.length ? `; note: ${report.notes.join('; ')}` : ''}`;
    report.next = report.record?.state === 'assigned' ? `nothing to do: it is ${report.record.user}'s fob; if they still fail, check what they type (fobkit check)` : 'it can go back into stock or to a user (fobkit assign)';
    return report;
  }
  report.ok = problems.length === 0;
  report.verdict = top.verdict;
  report.summary = top.summary;
  report.next = top.next;
  return report;
}
