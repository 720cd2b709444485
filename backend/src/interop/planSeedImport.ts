/**
 * Seed-file import for pre-seeded vendor fobs, in two steps: `planSeedImport` checks every fob in
 * the file against the database and the profile the operator expects, without writing anything
 * (that is the dry run); `applySeedImport` stores the fobs a clean plan says are new.
 *
 * Problems found (each names the fob and, where known, the line in the file):
 * - duplicate serial: twice in the file, or already in the backend with another seed or profile
 *   (the same fob with the same seed again is "already imported", not a problem);
 * - unsupported algorithm: HOTP or OCRA keys, unknown hash suites, odd code formats;
 * - profile mismatch: period, digits or hash other than expected, the cause of most failed
 *   imports in the field (a 30 s vendor batch loaded as 60 s fobs validates nothing);
 * - invalid serial, an unknown T0, a failed MAC (with `--mac-check soft`).
 * Vendor serials are kept as printed on the fobs; fobkit's check digit applies only to `FK…`.
 */
import { constantTimeEqual, type OtpAlgorithm, type OtpDigits } from '@fobkit/protocol/otp';
import type { ParsedSeedFile, PskcKeyPackage, SeedFileFormat, SeedRecord } from '@fobkit/protocol/formats';
import { BackendError } from '../errors.js';
import type { BackendContext } from '../service/context.js';
import { anySerial } from '../service/serialInput.js';
import { importToken, openTokenSeed } from '../service/tokens.js';
import type { TokenRow } from '../store/rows.js';

export interface ExpectedProfile {
  algorithm: OtpAlgorithm;
  digits: OtpDigits;
  period: number;
}

/** The fob's own profile (DEVELOPERS.md): what a batch is checked against unless told otherwise. */
export const DEFAULT_EXPECTED_PROFILE: ExpectedProfile = { algorithm: 'sha1', digits: 6, period: 60 };

export type ImportProblemKind =
  | 'duplicate-serial' | 'unsupported-algorithm' | 'profile-mismatch' | 'invalid-serial' | 'unsupported-t0' | 'mac-failed' | 'conflict';

export interface ImportProblem {
  kind: ImportProblemKind;
  message: string;
}

export interface ImportPlanEntry {
  /** 1-based position in the file (key package or data line order). */
  index: number;
  serial: string;
  /** Line in the file, when the format knows it. */
  line?: number;
  status: 'new' | 'already-imported' | 'problem';
  problems: ImportProblem[];
  type?: 'totp' | 'hotp';
  algorithm?: OtpAlgorithm;
  digits?: OtpDigits;
  period?: number;
  model?: string;
  /** PSKC TimeDrift × period: the fob clock's offset, seconds (positive: ahead). */
  clockOffset?: number;
}

export interface ImportPlan {
  format: SeedFileFormat;
  protection: ParsedSeedFile['protection'];
  expected: ExpectedProfile;
  entries: ImportPlanEntry[];
  counts: { new: number; alreadyImported: number; problems: number };
}

interface PlannedRecord {
  entry: ImportPlanEntry;
  record?: SeedRecord | PskcKeyPackage;
}

const PLANS = new WeakMap<ImportPlan, PlannedRecord[]>();

/**
 * Checks a parsed seed file; reads the database, writes nothing.
 * @throws BackendError only on database failures; every problem with the file's content is an
 *   entry in the plan.
 */
export async function planSeedImport(ctx: BackendContext, parsed: ParsedSeedFile, expected: ExpectedProfile = DEFAULT_EXPECTED_PROFILE): Promise<ImportPlan> {
  const planned: PlannedRecord[] = [];
  parsed.records.forEach((record, i) => {
    const pskc = record as PskcKeyPackage;
    const entry: ImportPlanEntry = {
      index: i + 1, serial: record.serial, status: 'new', problems: [],
      type: record.type, algorithm: record.algorithm, digits: record.digits, period: record.period,
    };
    const model = record.model ?? record.manufacturer;
    if (model !== undefined) entry.model = model.slice(0, 64);
    entry.clockOffset = (pskc.timeDrift ?? 0) * record.period;
    const add = (kind: ImportProblemKind, message: string): void => {
      entry.problems.push({ kind, message });
    };
    try {
      entry.serial = anySerial(record.serial);
    } catch (e) {
      add('invalid-serial', (e as Error).message);
    }
    if (record.type !== 'totp') add('unsupported-algorithm', 'an event-based (HOTP) fob: the backend validates time-based (TOTP) fobs');
    if (record.type === 'totp') {
      if (record.period !== expected.period) add('profile-mismatch', `time step ${record.period} s, the batch is expected to be ${expected.period} s (--expect-period)`);
      if (record.digits !== expected.digits) add('profile-mismatch', `${record.digits}-digit codes, expected ${expected.digits} (--expect-digits)`);
      if (record.algorithm !== expected.algorithm) add('profile-mismatch', `HMAC-${record.algorithm.toUpperCase()}, expected HMAC-${expected.algorithm.toUpperCase()} (--expect-algorithm)`);
    }
    if ((pskc.time ?? 0) !== 0 || (record.t0 ?? 0) !== 0) add('unsupported-t0', `a time origin other than the Unix epoch (PSKC Time ${pskc.time ?? record.t0}); its meaning is not defined`);
    if (Math.abs(entry.clockOffset) > 86_400) add('profile-mismatch', `a clock drift of ${entry.clockOffset} s, more than a day`);
    planned.push({ entry, record });
  });
  for (const s of parsed.skipped) {
    planned.push({ entry: { index: s.index, serial: s.serial ?? s.keyId ?? `#${s.index}`, line: s.line, status: 'problem', problems: [{ kind: 'unsupported-algorithm', message: s.reason }] } });
  }
  for (const f of parsed.macFailures) {
    const hit = planned.find((p) => p.entry.serial === f.serial || (p.record as PskcKeyPackage | undefined)?.keyId === f.keyId);
    const message = `the ${f.field} ValueMAC ${f.reason === 'missing' ? 'is missing' : 'does not verify'} (line ${f.line}): the value may have been altered`;
    if (hit) hit.entry.problems.push({ kind: 'mac-failed', message });
  }
  planned.sort((a, b) => a.entry.index - b.entry.index);

  const bySerial = new Map<string, PlannedRecord[]>();
  for (const p of planned) bySerial.set(p.entry.serial, [...(bySerial.get(p.entry.serial) ?? []), p]);
  for (const [serial, group] of bySerial) {
    if (group.length > 1) {
      for (const p of group) p.entry.problems.push({ kind: 'duplicate-serial', message: `serial ${serial} appears ${group.length} times in the file (entries ${group.map((g) => g.entry.index).join(', ')})` });
    }
  }

  for (const p of planned) {
    const { entry, record } = p;
    if (!record || entry.problems.some((x) => x.kind === 'invalid-serial')) continue;
    const existing = await ctx.db.get<TokenRow>('SELECT * FROM tokens WHERE serial = ?', [entry.serial]);
    if (!existing) continue;
    const stored = openTokenSeed(ctx, existing);
    const same = constantTimeEqual(stored, record.secret) && existing.algorithm === record.algorithm && existing.digits === record.digits
      && existing.period === record.period && existing.t0 === 0;
    stored.fill(0);
    if (same) entry.status = 'already-imported';
    else entry.problems.push({ kind: 'duplicate-serial', message: `serial ${entry.serial} is already in the backend (${existing.source}, ${existing.state}) with another seed or profile` });
  }

  for (const p of planned) if (p.entry.problems.length > 0) p.entry.status = 'problem';
  const entries = planned.map((p) => p.entry);
  const plan: ImportPlan = {
    format: parsed.format, protection: parsed.protection, expected, entries,
    counts: {
      new: entries.filter((e) => e.status === 'new').length,
      alreadyImported: entries.filter((e) => e.status === 'already-imported').length,
      problems: entries.filter((e) => e.status === 'problem').length,
    },
  };
  PLANS.set(plan, planned);
  return plan;
}

export interface ImportOutcome {
  serial: string;
  result: 'imported' | 'unchanged' | 'failed';
  message?: string;
}

/**
 * Stores the plan's new fobs (state `available`, or `pending` when asked), audited per fob as
 * `token.import`, each committed on its own and in file order: an import cut short leaves the
 * first fobs imported, and running the same plan again imports the rest (the ones already there
 * are recognised, `unchanged`). `onOutcome` hears each fob as it is done; once `signal` is
 * aborted no further fob is started. Refuses a plan with problems unless `skipProblems`, which
 * imports the clean fobs and leaves the others out.
 * @throws BackendError INVALID_REQUEST when the plan has problems and `skipProblems` is false.
 */
export async function applySeedImport(
  ctx: BackendContext, actor: string, plan: ImportPlan,
  options: { batch?: string; state?: 'pending' | 'available'; skipProblems?: boolean; onOutcome?: (o: ImportOutcome) => void; signal?: AbortSignal } = {},
): Promise<ImportOutcome[]> {
  const planned = PLANS.get(plan);
  if (!planned) throw new TypeError('plan must come from planSeedImport');
  if (plan.counts.problems > 0 && !options.skipProblems) {
    throw new BackendError('INVALID_REQUEST', `${plan.counts.problems} fob(s) in the file have problems; nothing was imported (fix the file or the expected profile, or pass --skip-problems)`);
  }
  const outcomes: ImportOutcome[] = [];
  const done = (o: ImportOutcome) => {
    outcomes.push(o);
    options.onOutcome?.(o);
  };
  for (const { entry, record } of planned) {
    if (options.signal) {
      // One event-loop turn per fob: the SQLite driver is synchronous, so without it a signal
      // handler (the CLI's Ctrl-C) would not run before the whole file was done.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (options.signal.aborted) break;
    }
    if (!record || entry.status === 'problem') continue;
    if (entry.status === 'already-imported') {
      done({ serial: entry.serial, result: 'unchanged' });
      continue;
    }
    try {
      const r = await importToken(ctx, actor, {
        serial: entry.serial, secret: record.secret, algorithm: record.algorithm, digits: record.digits, period: record.period, t0: 0,
        ...(entry.model === undefined ? {} : { model: entry.model }), ...(options.batch === undefined ? {} : { batch: options.batch }),
        state: options.state ?? 'available', clockOffset: entry.clockOffset ?? 0,
      });
      done({ serial: entry.serial, result: r.created ? 'imported' : 'unchanged' });
    } catch (e) {
      if (!(e instanceof BackendError) || e.code === 'INTERNAL') throw e;
      done({ serial: entry.serial, result: 'failed', message: e.message });
    }
  }
  return outcomes;
}

/** Zeroes every secret the parsed file holds (call when done with plan and import). */
export function wipeParsedSeedFile(parsed: ParsedSeedFile): void {
  for (const r of parsed.records) r.secret.fill(0);
}
