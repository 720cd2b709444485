/**
 * The operator's view of the station, as text: one line per port (state, serial, current step,
 * elapsed), an overall line (done, failed, waiting for the backend, fobs per minute, ETA when a
 * count is given), and one line per finished fob with the reason when it did not succeed. Pure:
 * it folds {@link StationEvent}s into a model and renders strings; the CLI decides where they go.
 */
import type { StationEvent, StationSummary } from '../station/runStation.js';
import type { ProvisionOutcome } from '../operations/provisionFob.js';

export type PortState = 'idle' | 'working' | 'done' | 'failed' | 'skipped' | 'interrupted' | 'waiting';

export interface PortView {
  port: string;
  state: PortState;
  serial?: string;
  step?: string;
  startedAt?: number;
  endedAt?: number;
  reason?: string;
}

const STATE_OF: Record<ProvisionOutcome['outcome'], PortState> = { done: 'done', failed: 'failed', skipped: 'skipped', interrupted: 'interrupted', waiting: 'waiting' };

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m${String(Math.floor(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Longest port name shown whole; /dev/serial/by-id/… names are longer and differ at their end. */
export const MAX_PORT_WIDTH = 24;

/** The port as shown: whole, or `…` and its last characters (where by-id names differ). */
export function shortPort(port: string, max = MAX_PORT_WIDTH): string {
  return port.length <= max ? port : `…${port.slice(port.length - (max - 1))}`;
}

/** One line for a finished fob: what happened, and why when it is not a success. */
export function formatFobResult(fullPort: string, r: ProvisionOutcome, elapsed: number): string {
  const port = shortPort(fullPort);
  const serial = r.serial ?? '(no serial)';
  switch (r.outcome) {
    case 'done':
      return `${port}: ${serial} done${r.resumed ? ' (resumed)' : ''}${r.refurbished ? ' (refurbished: same serial, new seed)' : ''}${r.activationPending ? ', activation waiting for the backend' : ''} in ${formatDuration(elapsed)}`;
    case 'skipped':
      return `${port}: ${serial} left alone: ${r.reason}`;
    case 'failed':
      return `${port}: ${serial} FAILED at ${r.step}: ${r.reason}`;
    case 'interrupted':
      return `${port}: ${serial} interrupted at ${r.step}: ${r.reason}`;
    case 'waiting':
      return `${port}: ${serial} waiting: ${r.reason}`;
  }
}

export class StationDisplay {
  readonly ports = new Map<string, PortView>();
  private readonly count: number | undefined;
  private readonly startedAt: number;
  private done = 0;
  private failed = 0;
  private other = 0;
  private waitingRegistrations = 0;
  private waitingActivations = 0;
  private lastError: string | undefined;

  constructor(options: { count?: number; startedAt: number }) {
    this.count = options.count;
    this.startedAt = options.startedAt;
  }

  /** Folds one event in; returns a line to print permanently (a finished fob), if any. */
  apply(e: StationEvent): string | undefined {
    switch (e.type) {
      case 'port': {
        const v = this.ports.get(e.port) ?? { port: e.port, state: 'idle' as PortState };
        if (e.state === 'attached') Object.assign(v, { state: 'working', serial: undefined, step: 'open', startedAt: e.at, endedAt: undefined, reason: undefined });
        if (e.state === 'detached') Object.assign(v, { state: 'idle', step: undefined, serial: undefined, startedAt: undefined, endedAt: undefined, reason: undefined });
        this.ports.set(e.port, v);
        return undefined;
      }
      case 'step': {
        const v = this.ports.get(e.port) ?? { port: e.port, state: 'working' as PortState, startedAt: e.at };
        v.step = e.step;
        if (e.serial) v.serial = e.serial;
        if (e.step === 'register' && e.phase === 'begin') v.state = 'waiting';
        else if (v.state === 'waiting' && e.phase !== 'begin') v.state = 'working';
        this.ports.set(e.port, v);
        return undefined;
      }
      case 'fob': {
        const v = this.ports.get(e.port) ?? { port: e.port, state: 'idle' as PortState };
        v.state = STATE_OF[e.result.outcome];
        v.endedAt = e.at;
        if (e.result.serial) v.serial = e.result.serial;
        v.reason = 'reason' in e.result ? e.result.reason : undefined;
        this.ports.set(e.port, v);
        if (e.result.outcome === 'done') this.done++;
        else if (e.result.outcome === 'failed') this.failed++;
        else this.other++;
        return formatFobResult(e.port, e.result, e.elapsed);
      }
      case 'outbox':
        this.waitingRegistrations = e.waitingRegistrations;
        this.waitingActivations = e.waitingActivations;
        this.lastError = e.lastError;
        return undefined;
    }
  }

  portLine(v: PortView, now: number): string {
    const elapsed = v.startedAt === undefined ? '' : formatDuration((v.endedAt ?? now) - v.startedAt);
    const step = v.state === 'working' || v.state === 'waiting' ? (v.step ?? '') : (v.reason ?? '');
    return `${shortPort(v.port).padEnd(14)} ${v.state.padEnd(11)} ${(v.serial ?? '').padEnd(10)} ${elapsed.padStart(7)}  ${step}`.trimEnd();
  }

  overallLine(now: number): string {
    const minutes = (now - this.startedAt) / 60;
    const rate = minutes > 0 ? this.done / minutes : 0;
    const parts = [`done ${this.done}`, `failed ${this.failed}`];
    if (this.other) parts.push(`other ${this.other}`);
    const waiting = this.waitingRegistrations + this.waitingActivations;
    parts.push(`waiting for backend ${waiting}${waiting && this.lastError ? ` (${this.lastError.slice(0, 60)})` : ''}`);
    parts.push(`${rate.toFixed(1)} fobs/min`);
    if (this.count !== undefined) {
      const left = Math.max(0, this.count - this.done);
      parts.push(`${this.done}/${this.count}`, left === 0 ? 'ETA now' : rate > 0 ? `ETA ${formatDuration((left / rate) * 60)}` : 'ETA —');
    }
    return parts.join(' · ');
  }

  /** Every port line and the overall line. */
  render(now: number): string[] {
    return [...[...this.ports.values()].sort((a, b) => a.port.localeCompare(b.port)).map((v) => this.portLine(v, now)), this.overallLine(now)];
  }
}

/**
 * The end-of-run summary, for people. `listFobs` (default true) repeats the line of every fob
 * that is not done; the live display turns it off, as each fob's line is already on the screen.
 */
export function formatSummary(s: StationSummary, options: { listFobs?: boolean } = {}): string[] {
  const lines = [`summary: ${s.done} done, ${s.failed} failed, ${s.skipped} left alone, ${s.interrupted} interrupted, ${s.waiting} waiting, in ${formatDuration(s.elapsed)}`];
  if (s.waitingRegistrations || s.waitingActivations) {
    lines.push(`outbox: ${s.waitingRegistrations} registration(s) and ${s.waitingActivations} activation(s) still waiting for the backend; run fobkit provision again to deliver them (nothing is lost: they are in the journal)`);
  }
  if (options.listFobs !== false) for (const r of s.results) if (r.result.outcome !== 'done') lines.push(`  ${formatFobResult(r.port, r.result, r.elapsed)}`);
  return lines;
}
