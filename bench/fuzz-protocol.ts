/**
 * `npm run fuzz:protocol`: at least a million random and mutated inputs against the frame
 * decoder (FrameAccumulator, decodeFrame) and the message decoders; see
 * protocol/src/wire/_fuzzWire.ts for the strategies and invariants. Prints counts and
 * throughput; exits 1 on a broken invariant (with seed and input to reproduce), on a buffer
 * above its bound, or on a single input taking longer than a second (a hang, measured in wall-clock time).
 *
 *   npm run fuzz:protocol -- [--inputs 1000000] [--seed 1]
 */
import { parseArgs } from 'node:util';
import { runWireFuzz, FuzzFailure } from '../protocol/src/wire/_fuzzWire.js';
import { MAX_ENCODED_FRAME_BYTES } from '../protocol/src/wire/constants.js';

const { values } = parseArgs({ options: { inputs: { type: 'string', default: '1000000' }, seed: { type: 'string' } } });
const inputs = Number(values.inputs);
const seed = values.seed !== undefined ? Number(values.seed) : (Date.now() % 2 ** 31);
if (!Number.isInteger(inputs) || inputs < 1 || !Number.isInteger(seed)) {
  console.error('usage: fuzz-protocol [--inputs N] [--seed S]');
  process.exit(2);
}

// Wall-clock, so generous: the machine is shared and a GC pause is not a hang.
const HANG_MS = 5000;
const heapBefore = process.memoryUsage().heapUsed;
const started = performance.now();
const cpuBefore = process.cpuUsage();
console.log(`fuzz:protocol: ${inputs.toLocaleString('en')} inputs, seed ${seed}`);
try {
  const report = runWireFuzz({
    inputs,
    seed,
    progressEvery: 100_000,
    onProgress: (done) => console.log(`  ${done.toLocaleString('en')} inputs, ${((performance.now() - started) / 1000).toFixed(1)} s`),
  });
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  globalThis.gc?.();
  const heapAfter = process.memoryUsage().heapUsed;
  const mb = (n: number) => (n / 1048576).toFixed(1);
  console.log(`inputs            ${report.inputs.toLocaleString('en')} (${mb(report.bytes)} MiB) in ${seconds.toFixed(1)} s: ${Math.round(report.inputs / seconds).toLocaleString('en')} inputs/s, ${mb(report.bytes / seconds)} MiB/s`);
  console.log(`cpu               ${cpuSeconds.toFixed(1)} s: ${Math.round(report.inputs / cpuSeconds).toLocaleString('en')} inputs per CPU second (wall clock includes other load on the machine)`);
  console.log(`by strategy       ${Object.entries(report.byStrategy).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  const { stream } = report;
  console.log(`stream decoder    frames ${stream.frames}, dropped bytes ${stream.droppedBytes}, badCobs ${stream.badCobs}, badCrc ${stream.badCrc}, oversize ${stream.oversize}, short ${stream.short}, badVersion ${stream.badVersion}, incomplete ${stream.incomplete}`);
  console.log(`decodeFrame       ok ${report.decodeFrame.ok}, rejected ${JSON.stringify(report.decodeFrame.rejected)}`);
  console.log(`messages          ok ${report.messages.ok}, rejected ${JSON.stringify(report.messages.rejected)}, SECURE bodies skipped ${report.messages.secureSkipped}`);
  console.log(`max buffered      ${report.maxBufferedBytes} bytes (bound ${MAX_ENCODED_FRAME_BYTES})`);
  console.log(`slowest input     ${report.slowestInputMs.toFixed(2)} ms (hang limit ${HANG_MS} ms)`);
  console.log(`heap              ${mb(heapBefore)} MiB before, ${mb(heapAfter)} MiB after`);
  if (report.maxBufferedBytes > MAX_ENCODED_FRAME_BYTES) throw new Error('buffer above its bound');
  if (report.slowestInputMs > HANG_MS) throw new Error(`an input took ${report.slowestInputMs.toFixed(0)} ms`);
  console.log('fuzz:protocol: no escaping exception, bounded buffer, no hang');
} catch (e) {
  console.error(`fuzz:protocol: FAILED: ${e instanceof FuzzFailure ? e.message : e instanceof Error ? e.stack : String(e)}`);
  process.exit(1);
}
