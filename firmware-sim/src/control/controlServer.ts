/**
 * The simulator's control endpoint for QA scripts and tests: JSON over HTTP on 127.0.0.1 or a
 * Unix socket, one route per control operation of {@link SimulatedFob} (README, "The simulator").
 * Bodies are bounded (16 KiB); errors are `{ error: { code, message } }` with 400 or 404.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { rmSync } from 'node:fs';
import { SimError, isSimError } from '../errors.js';
import type { Simulator, SimulatedFob } from '../simulator.js';
import type { PowerCut } from '../flash/flashStore.js';
import type { LinkFaultSpec } from '../link/linkFaults.js';

export const MAX_CONTROL_BODY_BYTES = 16 * 1024;

export type ControlReply = { status: number; body: unknown };

class BadRequest extends Error {}

function num(body: Record<string, unknown>, key: string, optional = false): number | undefined {
  const v = body[key];
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new BadRequest(`${key} must be a finite number`);
  return v;
}

/**
 * Routes one control request. Pure with respect to HTTP, so tests and other front ends can call it.
 */
export function handleControlRequest(sim: Simulator, method: string, path: string, body: Record<string, unknown>): ControlReply {
  try {
    const parts = path.replace(/\/+$/, '').split('/').filter(Boolean);
    if (parts[0] !== 'v1') return notFound(path);
    if (parts[1] === 'time' && parts.length === 2) {
      if (method === 'GET') return ok({ now: sim.now(), mode: sim.clock.mode });
      if (method === 'POST') {
        if (body.set !== undefined) sim.clock.set(num(body, 'set')!);
        else sim.advanceTime(num(body, 'advance')!);
        return ok({ now: sim.now(), mode: sim.clock.mode });
      }
    }
    if (parts[1] === 'fobs' && parts.length === 2 && method === 'GET') {
      return ok(sim.fobs.map((f) => ({ index: f.index, hardwareId: f.hardwareId, address: f.address, state: f.fob.state, serial: f.fob.serial, powered: f.fob.powered })));
    }
    if (parts[1] === 'fobs' && parts.length >= 3) {
      if (!/^\d+$/.test(parts[2]!)) return notFound(path);
      const fob = sim.fob(Number(parts[2]));
      return fobRoute(fob, method, parts.slice(3).join('/'), body) ?? notFound(path);
    }
    return notFound(path);
  } catch (e) {
    if (e instanceof BadRequest || e instanceof RangeError || e instanceof TypeError) return { status: 400, body: { error: { code: 'BAD_REQUEST', message: e.message } } };
    if (isSimError(e, 'UNKNOWN_FOB')) return { status: 404, body: { error: { code: e.code, message: e.message } } };
    throw e;
  }
}

function fobRoute(fob: SimulatedFob, method: string, action: string, body: Record<string, unknown>): ControlReply | null {
  const key = `${method} ${action}`;
  switch (key) {
    case 'GET ':
      return ok(fob.status());
    case 'GET display':
      return ok(fob.display());
    case 'POST press':
      return ok(fob.press());
    case 'POST clock':
      fob.shiftClock(num(body, 'shift')!);
      return ok(fob.status());
    case 'POST drift':
      fob.setDrift(num(body, 'ppm')!);
      return ok(fob.status());
    case 'POST temperature':
      fob.setTemperature(body.celsius === null ? null : num(body, 'celsius')!);
      return ok(fob.status());
    case 'POST battery':
      if (body.replace === true) fob.replaceBattery();
      else fob.drainBattery(num(body, 'pct')!);
      return ok(fob.status());
    case 'POST power-cut': {
      const phase = body.phase ?? 'program';
      if (phase !== 'erase' && phase !== 'program') throw new BadRequest("phase must be 'erase' or 'program'");
      const cut: PowerCut = { phase };
      const bytes = num(body, 'bytes', true);
      const skip = num(body, 'skip', true);
      if (bytes !== undefined) cut.bytes = bytes;
      if (skip !== undefined) cut.skip = skip;
      fob.cutPowerAtNextWrite(cut);
      return ok({ armed: cut });
    }
    case 'POST power':
      if (body.on === false) fob.fob.cutPower();
      else if (body.on === true) fob.restart();
      else throw new BadRequest('on must be true (restart) or false (cut power now)');
      return ok(fob.status());
    case 'POST link': {
      const spec: LinkFaultSpec = {};
      if (body.direction !== undefined) {
        if (body.direction !== 'in' && body.direction !== 'out' && body.direction !== 'both') throw new BadRequest("direction must be 'in', 'out' or 'both'");
        spec.direction = body.direction;
      }
      for (const k of ['dropBytes', 'corruptBytes', 'dropRate', 'corruptRate'] as const) {
        const v = num(body, k, true);
        if (v !== undefined) spec[k] = v;
      }
      fob.injectLinkFaults(spec);
      return ok(fob.status().link);
    }
    case 'DELETE link':
      fob.clearLinkFaults();
      return ok(fob.status().link);
    case 'POST unresponsive':
      if (typeof body.unresponsive !== 'boolean') throw new BadRequest('unresponsive must be true or false');
      fob.setUnresponsive(body.unresponsive);
      return ok(fob.status());
    default:
      return null;
  }
}

const ok = (body: unknown): ControlReply => ({ status: 200, body });
const notFound = (path: string): ControlReply => ({ status: 404, body: { error: { code: 'NOT_FOUND', message: `no route ${path}` } } });

export interface ControlServer {
  /** `http://127.0.0.1:PORT` or `unix:/path/to.sock`. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves the control API on `127.0.0.1:port` (port 0: any free port) or on a Unix socket.
 * @throws SimError PORT_FAILED when it cannot listen.
 */
export function startControlServer(sim: Simulator, where: { port: number; host?: string } | { socketPath: string }): Promise<ControlServer> {
  const server = createServer((req, res) => void serve(sim, req, res));
  return new Promise((resolve, reject) => {
    server.once('error', (e) => reject(new SimError('PORT_FAILED', `cannot start the control endpoint: ${e.message}`, { cause: e })));
    const done = (url: string, cleanup?: () => void) => resolve({ url, close: () => closeServer(server, cleanup) });
    if ('socketPath' in where) {
      rmSync(where.socketPath, { force: true });
      server.listen(where.socketPath, () => done(`unix:${where.socketPath}`, () => rmSync(where.socketPath, { force: true })));
    } else {
      const host = where.host ?? '127.0.0.1';
      server.listen(where.port, host, () => {
        const a = server.address();
        done(`http://${host}:${typeof a === 'object' && a ? a.port : where.port}`);
      });
    }
  });
}

function closeServer(server: Server, cleanup?: () => void): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => {
      cleanup?.();
      resolve();
    });
    server.closeAllConnections();
  });
}

async function serve(sim: Simulator, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const send = (status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  try {
    let size = 0;
    const chunks: Buffer[] = [];
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_CONTROL_BODY_BYTES) return send(413, { error: { code: 'TOO_LARGE', message: `body exceeds ${MAX_CONTROL_BODY_BYTES} bytes` } });
      chunks.push(chunk as Buffer);
    }
    let body: Record<string, unknown> = {};
    if (size > 0) {
      try {
        const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
        body = parsed as Record<string, unknown>;
      } catch {
        return send(400, { error: { code: 'BAD_REQUEST', message: 'body must be a JSON object' } });
      }
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const reply = handleControlRequest(sim, req.method ?? 'GET', url.pathname, body);
    send(reply.status, reply.body);
  } catch (e) {
    send(500, { error: { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) } });
  }
}
