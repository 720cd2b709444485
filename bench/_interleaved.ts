/**
 * A small interleaved throughput harness for the bench/ scripts: every contender runs once per
 * round, in rotating order, for a fixed slice of time, so machine noise (another build on the
 * second core, thermal drift) hits all of them alike; the median over rounds is reported.
 */

export interface Contender {
  name: string;
  /** Runs `n` operations and returns a value derived from their results (kept to defeat dead-code elimination). */
  run(n: number): number;
}

export interface ContenderResult {
  name: string;
  /** Median operations per second over the rounds. */
  opsPerSecond: number;
  /** Every round's figure, in round order. */
  rounds: number[];
}

export interface InterleavedOptions {
  rounds: number;
  /** Milliseconds per contender per round. */
  sliceMs: number;
  /** Milliseconds of untimed warm-up per contender before the first round (lets the JIT settle). */
  warmupMs: number;
}

let sink = 0;

function runFor(contender: Contender, ms: number): number {
  let batch = 64;
  let ops = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    sink ^= contender.run(batch);
    ops += batch;
    elapsed = performance.now() - start;
    if (elapsed < ms / 8) batch *= 2;
  }
  return (ops / elapsed) * 1000;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Measures every contender over interleaved rounds. */
export function measureInterleaved(contenders: Contender[], options: InterleavedOptions): ContenderResult[] {
  for (const c of contenders) runFor(c, options.warmupMs);
  const rounds = contenders.map(() => [] as number[]);
  for (let r = 0; r < options.rounds; r++) {
    for (let k = 0; k < contenders.length; k++) {
      const i = (k + r) % contenders.length;
      (globalThis as { gc?: () => void }).gc?.();
      rounds[i]!.push(runFor(contenders[i]!, options.sliceMs));
    }
  }
  if (sink === 0.5) console.log(sink); // never true; keeps `sink` observable
  return contenders.map((c, i) => ({ name: c.name, opsPerSecond: median(rounds[i]!), rounds: rounds[i]! }));
}
