/**
 * VPN through RADIUS, end to end with the real parts: Debian's FreeRADIUS (`freeradius -f` on a
 * configuration made from integrations/freeradius/, its REST module calling
 * `POST /v1/validate?status=1`), a real `fobkit-backend serve` process, simulated fobs on real
 * ptys provisioned as a station does, their codes read off the fob (CODE_NOW) and typed into
 * `radclient` as a VPN gateway would send them. Only an accepted code is an Access-Accept.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FobSession } from '@fobkit/protocol/client';
import { Simulator } from '../firmware-sim/src/simulator.js';
import { SerialPortTransport } from '../provisioner/src/transport/serialPortTransport.js';
import { makeStationKeys, startBackendProcess, type BackendProcess } from './provision-harness.js';
import { provisionFob, type ProvisionedFob } from './support-rig.js';
import { freeUdpPort, radclientAuth, radiusToolsMissing, startFreeradius, writeRadiusConfig, type RunningRadius } from './radius-rig.js';

const missing = radiusToolsMissing();
if (missing && process.env.CI === 'true') throw new Error(`radius-freeradius: ${missing}`);
if (missing) process.stdout.write(`radius-freeradius: skipped, ${missing}\n`);

const FOBS = ['alice', 'pat', 'carol', 'lou', 'dora', 'sam'] as const;
type Name = (typeof FOBS)[number];
const SECRET = 'radius-test-secret-8d1f';

describe.skipIf(missing !== null)('RADIUS through FreeRADIUS rlm_rest', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fobkit-radius-'));
  let sim: Simulator;
  let backend: BackendProcess;
  let radius: RunningRadius;
  let port: number;
  const fobs = {} as Record<Name, ProvisionedFob>;
  const ask = (user: string, password: string, secret = SECRET) => radclientAuth({ dir: join(dir, 'raddb'), port, secret, user, password, timeoutSeconds: secret === SECRET ? 5 : 2 });

  /** The code the fob shows now, read over its pty. */
  const codeOnFob = async (name: Name): Promise<string> => {
    const transport = new SerialPortTransport({ path: sim.fobs[FOBS.indexOf(name)]!.address });
    await transport.open();
    const session = new FobSession({ transport, timeoutMs: 3000 });
    try {
      return (await session.codeNow()).code;
    } finally {
      session.close();
      await transport.close();
    }
  };
  const otherCode = (c: string) => c.slice(0, -1) + String((Number(c.at(-1)) + 5) % 10);

  beforeAll(async () => {
    execFileSync('socat', ['-V'], { stdio: 'ignore' });
    const keys = makeStationKeys(join(dir, 'keys'));
    // Three failures lock out (instead of ten behind a minute of growing delays), so the test
    // reaches a lockout without waiting.
    backend = await startBackendProcess(join(dir, 'backend'), ['--lockout-failures', '3']);
    sim = await Simulator.start({ count: FOBS.length, transport: 'pty', ptyDir: join(dir, 'pty'), rootPublicKey: keys.rootPublicKey, driftPpm: 0 });
    for (const name of FOBS) fobs[name] = await provisionFob(sim.fobs[FOBS.indexOf(name)]!.address, keys.stationKeyFile, backend, { user: name });
    port = await freeUdpPort();
    writeRadiusConfig({ dir: join(dir, 'raddb'), port, secret: SECRET, backendUrl: backend.url, validatorKey: backend.keys.validator });
    radius = await startFreeradius(join(dir, 'raddb'));
  }, 120_000);

  afterAll(async () => {
    await radius?.stop();
    await sim?.close();
    await backend?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("accepts the fob's current code once: the same code again and a wrong code are rejected", async () => {
    const code = await codeOnFob('alice');
    expect(await ask('alice', code)).toBe('accept');
    expect(await ask('alice', code)).toBe('reject');
    expect(await ask('alice', otherCode(code))).toBe('reject');
    const user = await backend.call<{ fob: { lastUsed: number | null }; failures: { count: number } }>('support', 'GET', '/v1/users/alice');
    expect(user.body.fob.lastUsed).not.toBeNull();
    expect(user.body.failures.count).toBe(1);
  });

  it('takes the PIN followed by the code when the user has a PIN, and refuses the code alone', async () => {
    expect((await backend.call('support', 'PUT', '/v1/users/pat/pin', { pin: 'k3y-ring' })).status).toBe(200);
    const code = await codeOnFob('pat');
    expect(await ask('pat', code)).toBe('reject');
    expect(await ask('pat', `k3y-rinG${code}`)).toBe('reject');
    expect(await ask('pat', `k3y-ring${code}`)).toBe('accept');
  });

  it('rejects the code of a fob unbound from its user, and of a disabled fob', async () => {
    expect((await backend.call('support', 'POST', `/v1/tokens/${fobs.carol.serial}/unbind`, { reason: 'lost' })).status).toBe(200);
    expect(await ask('carol', await codeOnFob('carol'))).toBe('reject');
    expect((await backend.call('support', 'POST', `/v1/tokens/${fobs.dora.serial}/disable`, { reason: 'left' })).status).toBe(200);
    expect(await ask('dora', await codeOnFob('dora'))).toBe('reject');
  });

  it("rejects a locked-out user's right code", async () => {
    const code = await codeOnFob('lou');
    for (let i = 0; i < 3; i++) expect(await ask('lou', otherCode(code))).toBe('reject');
    const user = await backend.call<{ failures: { lockedUntil: number | null } }>('support', 'GET', '/v1/users/lou');
    expect(user.body.failures.lockedUntil).not.toBeNull();
    expect(await ask('lou', code)).toBe('reject');
    // Still unused: once support unlocks, the same code is accepted.
    expect((await backend.call('support', 'POST', '/v1/users/lou/unlock', {})).status).toBe(200);
    expect(await ask('lou', await codeOnFob('lou'))).toBe('accept');
  });

  it('gives no Accept to a gateway with the wrong shared secret, and the code stays unused', async () => {
    const code = await codeOnFob('sam');
    expect(await ask('sam', code, 'not-the-secret')).not.toBe('accept');
    expect(await ask('sam', code)).toBe('accept');
  });

  it('never lets an answer that is not a 200 through: the backend down is a Reject', async () => {
    await backend.stop();
    try {
      expect(await ask('pat', 'k3y-ring123456')).toBe('reject');
    } finally {
      await backend.start();
    }
  });

  it("rejects a refusal even if the module were pointed at validate's default mode (200 for everything): the site also reads the body", async () => {
    await radius.stop();
    const mod = join(dir, 'raddb', 'mods-enabled', 'fobkit');
    const shipped = readFileSync(mod, 'utf8');
    writeFileSync(mod, shipped.replace('/v1/validate?status=1', '/v1/validate'));
    radius = await startFreeradius(join(dir, 'raddb'));
    try {
      const code = await codeOnFob('alice');
      expect(await ask('alice', otherCode(code))).toBe('reject');
      expect(await ask('carol', await codeOnFob('carol'))).toBe('reject'); // no-factor, answered 200 in this mode
    } finally {
      await radius.stop();
      writeFileSync(mod, shipped);
      radius = await startFreeradius(join(dir, 'raddb'));
    }
  });

  it('prints neither codes nor the validator key', () => {
    expect(radius.output()).not.toContain(backend.keys.validator);
    expect(radius.output()).not.toContain('k3y-ring');
  });
});
