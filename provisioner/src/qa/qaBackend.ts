/**
 * The backend as the QA suites see it: one client per role (found by probing each API key, so
 * a tester passes keys without saying which is which), virtual fobs registered the way a
 * station registers real ones (serial reserved, seed sealed to the registration key with
 * context `seed:<serial>`, register, activate, assign), and the server's clock: frozen and
 * moved through the test-clock extension when the backend has it (`serve --test-clock`),
 * otherwise the real time, and scenarios that must move time are skipped. Everything a run
 * creates is recorded, and {@link QaBackend.cleanUp} retires it at the end (issue 17 item 7).
 */
import { randomBytes } from 'node:crypto';
import { sealToRecipient } from '@fobkit/protocol/session';
import { BackendClient } from '../backendApi/backendClient.js';
import { BackendError } from '../errors.js';
import { SupportClient } from '../backendApi/supportClient.js';
import { VirtualFob, type VirtualFobOptions } from './virtualFob.js';

export type QaRole = 'station' | 'support' | 'validator' | 'admin';

export interface QaBackendOptions {
  baseUrl: string;
  apiKeys: string[];
  timeoutMs?: number;
}

/** Thrown by a scenario step that needs something this backend lacks. */
export class ScenarioSkip extends Error {
  override readonly name = 'ScenarioSkip';
}

/** Which role a key has, by calls that only that role may make (403 for the others). */
async function probeRole(client: SupportClient): Promise<QaRole | undefined> {
  const allowed = async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<boolean> => {
    try {
      await client.request(method, path, body);
      return true;
    } catch (e) {
      // SERIAL_NOT_YOURS: a station key, on a serial another station reserved (backend/API.md).
      if (e instanceof BackendError && (e.status === 401 || (e.status === 403 && e.backendCode !== 'SERIAL_NOT_YOURS'))) return false;
      if (e instanceof BackendError && e.status >= 400 && e.status < 500) return true; // allowed, just not found / bad state
      throw e;
    }
  };
  if (await allowed('GET', '/v1/audit?limit=1')) return 'admin';
  if (await allowed('GET', '/v1/tokens/FK00000013')) return 'support';
  if (await allowed('POST', '/v1/validate', { user: 'fobkit-qa-probe', code: '000000' })) return 'validator';
  if (await allowed('POST', '/v1/tokens/FK00000013/activate', {})) return 'station';
  return undefined;
}

export interface RegisterVirtualFobOptions extends Omit<VirtualFobOptions, 'serial' | 'setAt'> {
  /** Assign to this user (the fob is activated either way). */
  user?: string;
}

export class QaBackend {
  readonly baseUrl: string;
  readonly station: BackendClient;
  readonly validator: SupportClient;
  /** Support or admin. */
  readonly support: SupportClient;
  readonly admin: SupportClient | undefined;
  readonly hasTestClock: boolean;
  private frozenAt: number | undefined;
  private serials: string[] = [];
  private registrationKey: { kid: string; publicKey: Uint8Array } | undefined;
  private userSeq = 0;
  /** What this run made, for cleanUp(). */
  private readonly createdSerials = new Set<string>();
  private readonly createdUsers = new Set<string>();
  // Unique per run even when two runs against one backend start within the same second (a
  // shared backend keeps the users of earlier runs, and a user can hold only one fob).
  private readonly runId = `${Math.floor(Date.now() / 1000).toString(36)}${randomBytes(3).toString('hex')}`;

  private constructor(init: { baseUrl: string; station: BackendClient; validator: SupportClient; support: SupportClient; admin?: SupportClient; hasTestClock: boolean }) {
    this.baseUrl = init.baseUrl;
    this.station = init.station;
    this.validator = init.validator;
    this.support = init.support;
    this.admin = init.admin;
    this.hasTestClock = init.hasTestClock;
  }

  /**
   * Probes the keys and the test clock.
   * @throws RangeError when a station, a validator and a support-or-admin key are not all given;
   *   BackendError when the backend cannot be reached.
   */
  static async connect(o: QaBackendOptions): Promise<QaBackend> {
    const roles = new Map<QaRole, string>();
    for (const key of o.apiKeys) {
      const role = await probeRole(new SupportClient({ baseUrl: o.baseUrl, apiKey: key, timeoutMs: o.timeoutMs, retry: { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 } }));
      if (!role) throw new RangeError('an API key was refused by the backend (unknown or revoked)');
      if (!roles.has(role)) roles.set(role, key);
    }
    const missing = (['station', 'validator'] as const).filter((r) => !roles.has(r));
    if (!roles.has('support') && !roles.has('admin')) missing.push('support or admin' as never);
    if (missing.length) throw new RangeError(`the suites need API keys with the roles station, validator and support (or admin); missing: ${missing.join(', ')} (found: ${[...roles.keys()].join(', ') || 'none'})`);
    const client = (role: QaRole): SupportClient => new SupportClient({ baseUrl: o.baseUrl, apiKey: roles.get(role)!, timeoutMs: o.timeoutMs });
    const admin = roles.has('admin') ? client('admin') : undefined;
    const hasTestClock = admin ? (await admin.getTestClock()) !== null : false;
    return new QaBackend({
      baseUrl: o.baseUrl,
      station: new BackendClient({ baseUrl: o.baseUrl, apiKey: roles.get('station')!, timeoutMs: o.timeoutMs }),
      validator: client('validator'),
      support: admin ?? client('support'),
      admin,
      hasTestClock,
    });
  }

  /** The server's time as the suites use it: the frozen test clock, or the real time. */
  now(): number {
    return this.frozenAt ?? Date.now() / 1000;
  }

  /** Freezes the server's clock at `time`. @throws ScenarioSkip without the test clock. */
  async at(time: number): Promise<number> {
    if (!this.hasTestClock || !this.admin) throw new ScenarioSkip('backend has no test clock');
    const v = await this.admin.setTestClock({ time });
    this.frozenAt = v.time;
    return v.time;
  }

  /** Moves the frozen clock on by `seconds`. */
  advance(seconds: number): Promise<number> {
    return this.at(this.now() + seconds);
  }

  /** Gives the server its real clock back (end of a run). */
  async release(): Promise<void> {
    if (this.hasTestClock && this.admin && this.frozenAt !== undefined) await this.admin.setTestClock({ real: true });
    this.frozenAt = undefined;
  }

  /** A user name unique to this run. */
  newUser(prefix = 'qa'): string {
    const user = `${prefix}-${this.runId}-${++this.userSeq}`;
    this.createdUsers.add(user);
    return user;
  }

  /**
   * Retires everything this run made: every fob it registered is unbound and revoked (the API
   * deletes nothing: a revoked fob stays in the audit trail, but no user holds it and it never
   * validates again), every user it made loses their app and their failure count. Never throws:
   * what could not be retired is counted in `failed`.
   */
  async cleanUp(): Promise<{ fobsRevoked: number; users: number; failed: number }> {
    let fobsRevoked = 0;
    let failed = 0;
    for (const serial of this.createdSerials) {
      try {
        const t = await this.support.getToken(serial);
        if (t && t.state === 'assigned') await this.support.unbind(serial, 'qa conformance cleanup');
        if (t && t.state !== 'revoked') await this.support.revoke(serial, 'qa conformance cleanup');
        fobsRevoked++;
      } catch {
        failed++;
      }
    }
    for (const user of this.createdUsers) {
      try {
        if (this.admin) await this.admin.request('DELETE', `/v1/users/${encodeURIComponent(user)}/app`).catch((e: unknown) => {
          if (!(e instanceof BackendError && e.status === 404)) throw e;
        });
        await this.support.request('POST', `/v1/users/${encodeURIComponent(user)}/unlock`, {}).catch((e: unknown) => {
          if (!(e instanceof BackendError && e.status === 404)) throw e;
        });
      } catch {
        failed++;
      }
    }
    return { fobsRevoked, users: this.createdUsers.size, failed };
  }

  private async nextSerial(): Promise<string> {
    if (this.serials.length === 0) this.serials = await this.station.reserveSerials(20);
    return this.serials.shift()!;
  }

  /** Registers a virtual fob as a station would, at the server's current time, and activates (and assigns) it. */
  async registerFob(o: RegisterVirtualFobOptions = {}): Promise<VirtualFob> {
    this.registrationKey ??= await this.station.getRegistrationKey();
    const serial = await this.nextSerial();
    const now = this.now();
    const fob = new VirtualFob({ ...o, serial, setAt: now });
    this.createdSerials.add(serial);
    const sealed = sealToRecipient({ recipientPublicKey: this.registrationKey.publicKey, plaintext: fob.seed, context: `seed:${serial}` });
    await this.station.register({
      serial, model: 'FK-1 (virtual)', sealedSecret: sealed, kid: this.registrationKey.kid, algorithm: fob.algorithm, digits: fob.digits,
      period: fob.period, t0: fob.t0, batch: 'qa', provisionedAt: now, clockOffset: Math.round(fob.offset(now) * 1000) / 1000,
    });
    await this.station.activate(serial);
    if (o.user) await this.support.assign(serial, o.user);
    return fob;
  }

  /** Validates what the fob shows at the server's current time (optionally read `lag` s earlier). */
  login(user: string, fob: VirtualFob, lag = 0): ReturnType<SupportClient['validate']> {
    return this.validator.validate(user, fob.code(this.now() - lag));
  }
}

/** The base URL without a trailing slash; refuses what is not http(s). */
export function checkBackendUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new RangeError(`'${url}' is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new RangeError(`'${url}' is not an http(s) URL`);
  return url.replace(/\/+$/, '');
}
