/**
 * The simulated fobs of `npm run bench:provision`, in a process of their own, as `fobkit-sim`
 * runs beside a station: firmware-sim as it ships (firmware-sim/dist, so `npm run build` after
 * changing it), plain JavaScript so that no TypeScript loader is in the measured process.
 *
 * Why not in the bench process: that process also reads and parses every JSON event the station
 * prints (about thirty per fob), and a fob's answer then waited behind that work on the same
 * thread: in-path time that neither the fob nor the station would spend.
 *
 * Messages from the parent (child_process.fork IPC), each answered with { id, ... }:
 *   { op: 'plug', count, rootPublicKey (base64), ptyDir, timing, links: [path] }: starts `count`
 *     fobs on ptys and links each pty to its path (a round's fobs appear at once) → { ok }
 *   { op: 'stats' } → { framesIn (requests the fobs received so far), cpu (seconds of this process) }
 *   { op: 'unplug' }: removes the links and closes the fobs → { ok }
 */
import { rmSync, symlinkSync } from 'node:fs';
import { Simulator } from '@fobkit/firmware-sim';

let sim;
let links = [];

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

const ops = {
  async plug({ count, rootPublicKey, ptyDir, timing, links: paths }) {
    sim = await Simulator.start({ count, rootPublicKey: new Uint8Array(Buffer.from(rootPublicKey, 'base64')), ptyDir, transport: 'pty', timing });
    links = paths;
    sim.fobs.forEach((f, i) => symlinkSync(f.address, paths[i]));
    return { addresses: sim.fobs.map((f) => f.address) };
  },
  stats() {
    return { framesIn: sim ? sim.fobs.reduce((n, f) => n + f.endpoint.stats.framesIn, 0) : 0, cpu: cpu() };
  },
  async unplug() {
    for (const p of links) rmSync(p, { force: true });
    links = [];
    await sim?.close();
    sim = undefined;
    return {};
  },
};

process.on('message', async (m) => {
  try {
    process.send({ id: m.id, ok: true, ...(await ops[m.op](m)) });
  } catch (e) {
    process.send({ id: m.id, ok: false, error: e instanceof Error ? e.message : String(e) });
  }
});
process.on('disconnect', async () => {
  await ops.unplug().catch(() => undefined);
  process.exit(0);
});
