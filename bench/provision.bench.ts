/**
 * `npm run bench:provision`: the factory station through real ptys, a real backend process and
 * `fobkit provision` as a child process, in one run:
 *
 * A. Timing model off, one port: wall time per fob (the station's own attach → done) beside its
 *    floor, round trips per fob (requests the fob received) × the round-trip time measured on the
 *    same pty pair in the same run (GET_STATUS ping-pong), and the station process's CPU time per
 *    fob. Bar: wall ≤ 1.5 × floor + CPU.
 * B. Realistic timing (flash, USB frames, slow MCU): 1, 4 and 16 ports, fobs per hour, and per
 *    fob the ratio of the fob's own modelled time to its wall time. Bar: 16 ports reach
 *    ≥ 0.9 × 16 × the one-port rate. The fob's modelled time is measured, not assumed: the
 *    one-port wall per fob with the model on minus the same with it off.
 *
 * Four processes, as on a real line: the station, the backend, the simulated fobs
 * (bench/simHost.child.mjs, as `fobkit-sim` would run beside a station) and this one, which
 * plugs fobs in, reads the station's events and keeps the figures.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FobSession } from '@fobkit/protocol/client';
import { SerialPortTransport } from '@fobkit/provisioner';
import { killStations, makeStationKeys, runProvision, startBackendProcess, type BackendProcess, type StationKeys } from '../test/provision-harness.js';

/**
 * Part A's fobs (one per round, medians). Twenty, not six: the first rounds after the warm-up
 * still run colder code (station CPU per fob 15–17 ms over six fobs, 12–13 ms over twenty), and
 * six medians swung wall / bar by ±0.1 between runs.
 */
const A_ROUNDS = Number(process.env['BENCH_A_FOBS'] ?? 20);
/**
 * Fobs before part A's measured ones, not reported. The station, the backend and the simulator
 * start as fresh processes, and the backend and the simulator meet each request once per fob, so
 * one warm-up fob left them cold for the first measured ones. The journal-sync comparison that
 * came second then ran 1–3 ms per fob faster for that reason alone, which read as the cost of the
 * two fsyncs. A line runs for a shift; twenty fobs bring the rig to that steady state.
 */
const A_WARMUP = Number(process.env['BENCH_A_WARMUP'] ?? 20);
const PORT_COUNTS = [1, 4, 16];
/**
 * Rounds of each size in part B. Ten, not five: the one-port rate is the mean of this many
 * single-fob rounds. With five, the 16-port ratio of the same code spread over 0.902–0.931 in ten
 * runs; with ten, over 0.920–0.936 in six (about 10 s more per run).
 */
const B_CYCLES = Number(process.env['BENCH_B_CYCLES'] ?? 10);

const dir = mkdtempSync(join(tmpdir(), 'fobkit-bench-provision-'));
const keys: StationKeys = makeStationKeys(join(dir, 'keys'));
let backend: BackendProcess | undefined;
let runs = 0;

/** The simulated fobs' process (bench/simHost.child.mjs): plug, unplug and read its counters. */
let simHost: ChildProcess | undefined;
let simCalls = 0;
const simWaiting = new Map<number, (m: Record<string, unknown>) => void>();
async function sim<T extends Record<string, unknown>>(op: string, args: Record<string, unknown> = {}): Promise<T> {
  if (!simHost) {
    // firmware-sim/dist, without the bench's TypeScript loader.
    simHost = fork(fileURLToPath(new URL('./simHost.child.mjs', import.meta.url)), [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    simHost.on('message', (m: Record<string, unknown>) => simWaiting.get(m['id'] as number)?.(m));
  }
  const id = ++simCalls;
  const reply = await new Promise<Record<string, unknown>>((resolve) => {
    simWaiting.set(id, resolve);
    simHost!.send({ id, op, ...args });
  });
  simWaiting.delete(id);
  if (!reply['ok']) throw new Error(`simulator ${op}: ${String(reply['error'])}`);
  return reply as T;
}
const simStats = (): Promise<{ framesIn: number; cpu: number }> => sim('stats');

const fmt = (x: number, d = 1): string => x.toFixed(d);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

interface Round {
  /** Fobs plugged in this round. */
  fobs: number;
  /** First port attached → last fob done, station clock. */
  wall: number;
  /** Each fob's attach → done. */
  fobWalls: number[];
  /** Station CPU seconds spent in this round (between the last fob of the previous round and the last of this one). */
  cpu: number;
  /** Requests the fobs received in this round. */
  trips: number;
  /** Seconds per pipeline step (begin → end), summed over the round's fobs. */
  steps: Map<string, number>;
  /** CPU seconds of the simulator's process and of the backend process in this round. */
  simCpu: number;
  backendCpu: number;
  /** Mean GET_STATUS round trip on the round's first pty pair, right after its fob was done (last round, when asked for). */
  rtt?: number;
}

/**
 * CPU seconds of a process: the sum of its threads' run time, in nanoseconds, from
 * /proc/<pid>/task/<tid>/schedstat. Not /proc/<pid>/stat: its 10 ms ticks read as 0 for most
 * one-fob rounds of a backend that spends ~2 ms per fob.
 */
function procCpu(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    let ns = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // a thread that ended meanwhile
      }
    }
    return ns / 1e9;
  } catch {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  }
}

/**
 * One warm station process in --watch mode on `ports` pty paths; the bench plugs in `schedule[i]`
 * new fobs in round i (a simulator whose ptys appear at the first of those paths), waits for them
 * to be done, unplugs them, and plugs in the next round's. The first `warmup` rounds warm the
 * rig up (JIT, key pinning, serial block) and are not reported.
 */
async function watchRounds(ports: number, schedule: number[], timing: boolean, extraArgs: string[] = [], rttPings = 0, warmup = 1): Promise<{ rounds: Round[] }> {
  const rounds = schedule.length;
  const id = runs++;
  const ptyDir = join(dir, `pty-${id}`);
  const paths = Array.from({ length: ports }, (_, i) => join(ptyDir, `fob-${i}`));
  const station = join(dir, `station-${id}`);
  const out: Round[] = [];
  let round = 0;
  let done: { at: number; elapsed: number; cpu: number }[] = [];
  let attachedAt: number[] = [];
  let detached = 0;
  let steps = new Map<string, number>();
  const begun = new Map<string, number>();
  let lastCpu = 0;
  let simCpu0 = 0;
  let backendCpu0 = procCpu(backend!.pid);
  // The simulator makes its ptys one after another (a socat each); the station must see a round's
  // fobs plugged in together, so they appear under ptyDir (a symlink the simulator swaps) at once.
  const plug = async (): Promise<void> => {
    await sim('plug', { count: schedule[round]!, rootPublicKey: Buffer.from(keys.rootPublicKey).toString('base64'), ptyDir: join(dir, `staging-${id}-${round}`), timing, linkDir: ptyDir });
    simCpu0 = (await simStats()).cpu;
  };
  const unplug = async (): Promise<void> => {
    await sim('unplug');
  };
  const run = await runProvision({
    args: ['--backend-url', backend!.url, '--station-key', keys.stationKeyFile, '--journal', join(station, 'journal.db'), '--labels', join(station, 'labels.jsonl'), '--serial-block', '100', '--watch', '--poll-ms', '50', '--count', String(schedule.reduce((a, b) => a + b, 0)), ...extraArgs, ...paths.flatMap((p) => ['--port', p])],
    env: { FOBKIT_API_KEY: backend!.keys.station },
    timeoutMs: 600_000,
    onEvent: async (e) => {
      if (e.event === 'reconcile') await plug();
      if (e.event === 'port' && e['state'] === 'attached') attachedAt.push(e['at'] as number);
      if (e.event === 'step' && e.phase === 'begin') begun.set(`${e.port}/${e.step}`, e['at'] as number);
      if (e.event === 'step' && e.phase === 'end') steps.set(e.step!, (steps.get(e.step!) ?? 0) + (e['at'] as number) - (begun.get(`${e.port}/${e.step}`) ?? (e['at'] as number)));
      if (e.event === 'fob') {
        if ((e.result as { outcome: string }).outcome !== 'done') throw new Error(`fob not done: ${JSON.stringify(e.result)}`);
        done.push({ at: e['at'] as number, elapsed: e['elapsed'] as number, cpu: e['cpuSeconds'] as number });
        if (done.length === schedule[round]) {
          const stats = await simStats();
          const cpuNow = Math.max(...done.map((d) => d.cpu));
          // After the last round, on its pty pair and its fob (the station has closed the port; the
          // fob is locked and GET_STATUS needs no session). Not after every round: the station
          // would then sit idle through the pings before each next fob, and its walls grew by
          // 2-3 ms (15 %) from that alone.
          const rtt = rttPings > 0 && out.length === rounds - 1 ? await measureRtt(paths[0]!, rttPings) : undefined;
          out.push({ fobs: done.length, wall: Math.max(...done.map((d) => d.at)) - Math.min(...attachedAt), fobWalls: done.map((d) => d.elapsed), cpu: cpuNow - lastCpu, trips: stats.framesIn, steps, simCpu: stats.cpu - simCpu0, backendCpu: procCpu(backend!.pid) - backendCpu0, rtt });
          steps = new Map();
          lastCpu = cpuNow;
          await unplug();
        }
      }
      if (e.event === 'port' && e['state'] === 'detached' && ++detached === schedule[round]) {
        detached = 0;
        done = [];
        attachedAt = [];
        round++;
        await plug();
        backendCpu0 = procCpu(backend!.pid);
      }
    },
  });
  if (run.summary?.['done'] !== schedule.reduce((a, b) => a + b, 0)) throw new Error(`station did not finish every fob: ${JSON.stringify(run.summary)} ${run.stderr}`);
  return { rounds: out.slice(warmup) };
}

/** Mean GET_STATUS round trip on a fob's pty, as the station's serial stack sees it. */
async function measureRtt(path: string, n: number): Promise<number> {
  const transport = new SerialPortTransport({ path });
  await transport.open();
  const session = new FobSession({ transport });
  try {
    for (let i = 0; i < 20; i++) await session.getStatus();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await session.getStatus();
    return (performance.now() - t0) / n / 1000;
  } finally {
    session.close();
    await transport.close();
  }
}

async function partA(): Promise<{ wallPerFob: number }> {
  // The RTT on the same pty pair in the same run: right after the last fob was done, this process
  // takes the station's place on that fob's pair, with the station's serial stack.
  const { rounds } = await watchRounds(1, new Array<number>(A_WARMUP + A_ROUNDS).fill(1), false, [], 300, A_WARMUP);
  const wall = median(rounds.map((r) => r.fobWalls[0]!));
  const cpu = median(rounds.map((r) => r.cpu));
  const trips = median(rounds.map((r) => r.trips));
  const rtt = rounds.at(-1)!.rtt!;
  const floor = trips * rtt;
  const bar = 1.5 * floor + cpu;
  const ratio = wall / bar;
  console.log(`A. timing model off (flash in memory), one port, ${rounds.length} fobs through one warm station, after ${A_WARMUP} warm-up fobs (medians)`);
  if (process.env['BENCH_STEPS']) console.log(`      per fob, ms: ${[...rounds[0]!.steps.keys()].map((k) => `${k} ${fmt(median(rounds.map((r) => r.steps.get(k) ?? 0)) * 1000, 1)}`).join(', ')}`);
  console.log(`   round trips per fob        ${trips}`);
  console.log(`   round-trip time on the pty ${fmt(rtt * 1000, 2)} ms (GET_STATUS ping-pong on the last fob's pty pair, right after it was done)`);
  console.log(`   floor = trips × RTT        ${fmt(floor * 1000)} ms`);
  console.log(`   station CPU per fob        ${fmt(cpu * 1000)} ms (user+system of the station process)`);
  console.log(`   wall per fob               ${fmt(wall * 1000)} ms  (${fmt(wall / floor, 2)}× floor)`);
  console.log(`   bar: wall ≤ 1.5×floor + CPU = ${fmt(bar * 1000)} ms → ${ratio <= 1 ? 'MET' : 'NOT MET'} (wall / bar = ${fmt(ratio, 2)})`);
  const simCpu = median(rounds.map((r) => r.simCpu));
  const backendCpu = median(rounds.map((r) => r.backendCpu));
  const normal = await watchRounds(1, new Array<number>(A_WARMUP + A_ROUNDS).fill(1), false, ['--journal-sync', 'normal'], 0, A_WARMUP);
  const wallNormal = median(normal.rounds.map((r) => r.fobWalls[0]!));
  console.log(`   where the rest goes: the simulated fob's CPU ${fmt(simCpu * 1000)} ms, the backend's ${fmt(backendCpu * 1000)} ms (same 2 cores),`);
  console.log(`   and the journal's two fsyncs per fob (the serial with the seed, before SET_SERIAL; the release, before the registration leaves): with --journal-sync normal the wall is ${fmt(wallNormal * 1000)} ms`);
  return { wallPerFob: wall };
}

async function partB(offWallPerFob: number): Promise<void> {
  console.log(`B. realistic timing model (flash erase/program, 1 ms USB frames, 4 ms HMAC, 350 ms handshake), one warm station on ${Math.max(...PORT_COUNTS)} ports,`);
  console.log(`   rounds of ${PORT_COUNTS.join(', ')} fobs taking turns, ${B_CYCLES} of each`);
  const rates = new Map<number, number>();
  let modelled = 0;
  let cpuPerFob = 0;
  // Interleaved, as bench/_interleaved.ts does for the other benches: this machine's speed drifts
  // over tens of seconds (the one-port wall of the same code moved by 15 % between runs), and the
  // bar divides one rate by another. One station with 16 ports takes a round of 1 fob, then 4,
  // then 16, and again, so a slow spell slows all three alike.
  const schedule = [Math.max(...PORT_COUNTS), ...Array.from({ length: B_CYCLES }, () => PORT_COUNTS).flat()];
  const { rounds: all } = await watchRounds(Math.max(...PORT_COUNTS), schedule, true);
  for (const ports of PORT_COUNTS) {
    const rounds = all.filter((r) => r.fobs === ports);
    const fobs = rounds.length * ports;
    const seconds = rounds.reduce((s, r) => s + r.wall, 0);
    const rate = (fobs / seconds) * 3600;
    rates.set(ports, rate);
    const walls = rounds.flatMap((r) => r.fobWalls);
    if (ports === 1) modelled = median(walls) - offWallPerFob;
    const stepMs = [...rounds[0]!.steps.keys()].map((k) => `${k} ${fmt((mean(rounds.map((r) => r.steps.get(k) ?? 0)) / ports) * 1000, 0)}`).join(', ');
    if (process.env['BENCH_STEPS']) console.log(`      per fob, ms: ${stepMs}`);
    const perFob = (f: (r: Round) => number): number => (rounds.reduce((a, r) => a + f(r), 0) / fobs) * 1000;
    console.log(`   ${String(ports).padStart(2)} port(s): ${fmt(rate, 0).padStart(6)} fobs/hour   wall per fob ${fmt(mean(walls) * 1000, 0)} ms   fob's modelled time / wall ${fmt(modelled / mean(walls), 2)}`);
    console.log(`      CPU per fob: station ${fmt(perFob((r) => r.cpu), 1)} ms, simulator ${fmt(perFob((r) => r.simCpu), 1)} ms, backend ${fmt(perFob((r) => r.backendCpu), 1)} ms`);
    if (ports === 1) cpuPerFob = perFob((r) => r.cpu + r.simCpu + r.backendCpu) / 1000;
  }
  const one = rates.get(1)!;
  const sixteen = rates.get(16)!;
  console.log(`   fob's modelled time per fob ≈ ${fmt(modelled * 1000, 0)} ms (1-port wall with the model − without)`);
  console.log(`   16 ports at the one-port rate need ${fmt((16 * cpuPerFob) / (3600 / one), 2)} cores for station + simulator + backend (this machine: ${cpus().length} cores, load average ${fmt(loadavg()[0]!, 1)} when the run ended)`);
  console.log(`   bar: 16 ports ≥ 0.9 × 16 × one-port rate = ${fmt(0.9 * 16 * one, 0)} fobs/hour → ${sixteen >= 0.9 * 16 * one ? 'MET' : 'NOT MET'} (16-port / (16 × one-port) = ${fmt(sixteen / (16 * one), 2)})`);
}

try {
  backend = await startBackendProcess(join(dir, 'backend'));
  console.log('bench:provision — fobkit provision ↔ simulated fobs on ptys (firmware-sim in a process of its own) ↔ fobkit-backend (SQLite); each a child process');
  const a = await partA();
  await partB(a.wallPerFob);
} finally {
  killStations();
  simHost?.disconnect();
  await backend?.stop();
  rmSync(dir, { recursive: true, force: true });
}
