/**
 * One backend server of `npm run bench:backend`, in a worker thread: the backend as it ships
 * (backend/dist, the code `fobkit-backend serve` runs, so `npm run build` after changing it),
 * with the benchmark's clock. Plain JavaScript so that no TypeScript loader is in the measured
 * thread.
 *
 * workerData: { mode: 'validate' | 'ceiling', db, kekFile, clock: SharedArrayBuffer, period, baseStep, ceilingPath }
 */
import { parentPort, workerData } from 'node:worker_threads';
import { bodies, startServer } from '@fobkit/backend';
const { mode, db, kekFile, clock: clockBuffer, period: PERIOD, baseStep: BASE_STEP, ceilingPath } = workerData;
const steps = new Int32Array(clockBuffer);
// Mid-step, so codes of the step before and after are both inside the ±1 window.
const clock = () => (BASE_STEP + Atomics.load(steps, 0)) * PERIOD + PERIOD / 2;

// The ceiling is the same server (router, key check, body schema, JSON answer) with one extra
// route whose whole work is one indexed UPDATE of the fob's row, found by user through the index
// validation uses.
/** @type {import('@fobkit/backend').Route} */
const ceiling = {
  method: 'POST',
  path: ceilingPath,
  roles: ['validator'],
  body: bodies.validate,
  summary: 'bench ceiling',
  handler: async (ctx, req) => {
    const { changes } = await ctx.db.run("UPDATE tokens SET last_used = ? WHERE user_id = ? AND state = 'assigned'", [clock(), req.body.user]);
    return { body: { ok: changes === 1 } };
  },
};

const running = await startServer({ db, kekFile, listen: '127.0.0.1:0', clock, extraRoutes: mode === 'ceiling' ? [ceiling] : [] });
parentPort.postMessage({ url: running.url });
parentPort.once('message', () => void running.close().then(() => process.exit(0)));
