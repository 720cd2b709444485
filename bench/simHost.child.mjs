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
 *   { op: 'plug', count, rootPublicKey (base64), ptyDir, timing, linkDir }: starts `count` fobs
 *     on ptys; `linkDir/fob-<i>` then leads to fob i's pty, all of them at once → { ok }
 *   { op: 'stats' } → { framesIn (requests the fobs received so far), cpu (seconds of this process) }
 *   { op: 'unplug' }: takes the links away, all at once, and closes the fobs → { ok }
 *
 * All at once: the station polls its ports, and a poll that fell between two links saw a round's
 * fobs plugged in 50 ms apart (seen in one round of seven), which the round's wall then carried.
 * So the links are made in a directory of their own, and `linkDir` is a symlink to it, replaced
 * by one rename(2).
 */
import { mkdirSync, renameSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { Simulator } from '@fobkit/firmware-sim';

let sim;
let plugged; // { linkDir, target }
let rounds = 0;

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

const ops = {
  async plug({ count, rootPublicKey, ptyDir, timing, linkDir }) {
    sim = await Simulator.start({ count, rootPublicKey: new Uint8Array(Buffer.from(rootPublicKey, 'base64')), ptyDir, transport: 'pty', timing });
    const target = `${linkDir}.round-${rounds++}`;
    mkdirSync(target, { recursive: true });
    sim.fobs.forEach((f, i) => symlinkSync(f.address, `${target}/fob-${i}`));
    symlinkSync(target, `${target}.link`);
    renameSync(`${target}.link`, linkDir);
    plugged = { linkDir, target };
    return {};
  },
  stats() {
    return { framesIn: sim ? sim.fobs.reduce((n, f) => n + f.endpoint.stats.framesIn, 0) : 0, cpu: cpu() };
  },
  async unplug() {
    if (plugged) {
      unlinkSync(plugged.linkDir);
      rmSync(plugged.target, { recursive: true, force: true });
      plugged = undefined;
    }
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
