/**
 * Everything one station run needs, opened in the order that keeps the invariants: the journal
 * first (it is the truth), then the backend's pinned registration key, the station credentials,
 * the batch key for derived seeds, and the outbox and serial stock built on the journal. Then a
 * reconciliation report: what a previous run left half-done, and what waits for the backend.
 */
import { readFileSync, statSync } from 'node:fs';
import type { StationConfig } from '../config/stationConfig.js';
import { StationError } from '../errors.js';
import { BackendClient, type RegistrationKey, type StationBackend } from '../backendApi/backendClient.js';
import { StationJournal, type FobRecord } from '../journal/stationJournal.js';
import { acquireJournalLock, type JournalLock } from '../journal/journalLock.js';
import { BATCH_KEY_BYTES } from '../operations/generateSeed.js';
import { LabelWriter } from './labelWriter.js';
import { loadStationCredentials, type LoadedStationCredentials } from '../keys/loadStationCredentials.js';
import { pinRegistrationKey, type PinnedRegistrationKey } from './pinRegistrationKey.js';
import { checkStationRole } from './checkStationRole.js';
import { SerialPool } from './serialPool.js';
import { StationOutbox } from './stationOutbox.js';
import { OfflineExportBackend, type OfflineExportOptions } from './offlineExportBackend.js';

export interface ReconcileReport {
  /** Fobs a previous run left before `done` (plugging them in resumes them). */
  unfinished: { serial: string | null; stage: string; port: string | null }[];
  waitingRegistrations: number;
  waitingActivations: number;
  freeSerials: number;
}

export interface Station {
  config: StationConfig;
  journal: StationJournal;
  backend: StationBackend;
  outbox: StationOutbox;
  serials: SerialPool;
  labels: LabelWriter;
  registrationKey: PinnedRegistrationKey | (RegistrationKey & { source: 'offline-export'; checkedWithBackend: true });
  /** Set with `--offline-export`: the PSKC file that stands in for the backend. */
  offlineExport?: OfflineExportBackend;
  credentials: LoadedStationCredentials;
  batchKey?: Uint8Array;
  reconcile: ReconcileReport;
  close(): Promise<void>;
}

/** Reads a 32-byte batch key (hex or base64url text) from a file only its owner can read. */
export function readBatchKey(path: string): Uint8Array {
  let text: string;
  try {
    if ((statSync(path).mode & 0o077) !== 0 && process.platform !== 'win32') throw new Error('readable by others: chmod 600 it');
    text = readFileSync(path, 'utf8').trim();
  } catch (cause) {
    throw new StationError('CONFIG_INVALID', `batch key file ${path}: ${(cause as Error).message}`, { cause });
  }
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? new Uint8Array(Buffer.from(text, 'hex')) : new Uint8Array(Buffer.from(text, 'base64url'));
  if (key.length !== BATCH_KEY_BYTES) throw new StationError('CONFIG_INVALID', `batch key file ${path} must hold ${BATCH_KEY_BYTES} bytes as hex or base64url`);
  return key;
}

export function reconcileReport(journal: StationJournal): ReconcileReport {
  const unfinished = journal.listFobs().filter((f: FobRecord) => f.outcome === null && f.stage !== 'new').map((f) => ({ serial: f.serial, stage: f.stage, port: f.port }));
  const c = journal.counts();
  return { unfinished, waitingRegistrations: c.waitingRegistration, waitingActivations: c.waitingActivation, freeSerials: c.freeSerials };
}

/** `fobkit provision --offline-export`: what stands in for the backend. */
export type OfflineStationOptions = Omit<OfflineExportOptions, 'journal' | 'batch'>;

/**
 * The journal is locked for the station's life (journalLock.ts): a second station on the same
 * journal is refused before it reads or writes anything.
 * @throws StationError (CONFIG_INVALID, JOURNAL_FAILED, JOURNAL_BUSY, BACKEND_WRONG_ROLE, REGISTRATION_KEY_MISMATCH) or
 *   BackendError when the station cannot run.
 */
export async function openStation(options: {
  config: StationConfig;
  clock?: () => number;
  backend?: StationBackend;
  /** No backend: registrations go into this encrypted PSKC file, serials come from a range (offlineExportBackend.ts). */
  offlineExport?: OfflineStationOptions;
}): Promise<Station> {
  const { config } = options;
  const credentials = loadStationCredentials({ stationKey: config.stationKey, stationCert: config.stationCert, revocationList: config.revocationList });
  const batchKey = config.seedMode === 'derived' ? readBatchKey(config.batchKeyFile!) : undefined;
  let journal: StationJournal;
  let journalLock: JournalLock | undefined;
  try {
    journalLock = acquireJournalLock(config.journal);
    journal = StationJournal.open({ path: config.journal, sync: config.journalSync, clock: options.clock });
  } catch (e) {
    journalLock?.release();
    credentials.privateKey.fill(0);
    batchKey?.fill(0);
    throw e;
  }
  let offline: OfflineExportBackend | undefined;
  try {
    if (options.offlineExport) {
      offline = new OfflineExportBackend({ ...options.offlineExport, journal, batch: config.batch });
      await offline.check();
    }
    const backend = offline ?? options.backend ?? new BackendClient({ baseUrl: config.backendUrl, apiKey: config.apiKey, timeoutMs: 5000, retry: { attempts: 2, baseDelayMs: 200, maxDelayMs: 1000 } });
    // A key without the station role is refused here, before any fob is touched.
    if (!offline) await checkStationRole(backend);
    const registrationKey = offline
      ? { ...offline.registrationKey, source: 'offline-export' as const, checkedWithBackend: true as const }
      : await pinRegistrationKey({ journal, backend, configured: { publicKey: config.registrationKey, kid: config.registrationKeyId } });
    const outbox = new StationOutbox({ journal, backend, clock: options.clock });
    const serials = new SerialPool({ journal, backend, blockSize: config.serialBlock });
    // Stock serials now, so that a backend outage later in the shift does not stop the line.
    if (registrationKey.checkedWithBackend && serials.free < config.serialBlock) await serials.refill().catch(() => undefined);
    const labels = new LabelWriter(config.labels);
    return {
      config, journal, backend, outbox, serials, labels, registrationKey, credentials, batchKey, offlineExport: offline,
      reconcile: reconcileReport(journal),
      async close() {
        await outbox.stop();
        offline?.close();
        journal.close();
        journalLock.release();
        credentials.privateKey.fill(0);
        batchKey?.fill(0);
      },
    };
  } catch (e) {
    offline?.close();
    journal.close();
    journalLock.release();
    credentials.privateKey.fill(0);
    batchKey?.fill(0);
    throw e;
  }
}
