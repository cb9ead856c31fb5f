// Where the per-run tabs' float64 work runs (a Hessian from P HVPs, a network and its teacher on a
// grid, the run's training data rebuilt: seconds for a GP teacher at N = 10⁴). The dashboard hands
// it to a worker of its own (web/src/worker/views-worker.ts), so the page keeps answering; the
// self-contained HTML report, which has no worker, computes on the page after painting "computing…".
import type { RunRecord } from '../../../src/experiment/results.js';
import { functionGrid, hessianSpectrum, type FunctionGrid, type HessianSpectrum } from '../charts/network-views.js';

export type Unavailable = { unavailable: string };

export interface PerRunCompute {
  functionGrid(record: RunRecord): Promise<FunctionGrid | Unavailable>;
  hessianSpectrum(record: RunRecord): Promise<HessianSpectrum | Unavailable>;
}

/** A computation's result, or why there is none (its error's message). */
export function orUnavailable<T>(compute: () => T): T | Unavailable {
  try {
    return compute();
  } catch (error) {
    return { unavailable: (error as Error).message };
  }
}

/** After the page has painted what it is waiting for (a frame's time), on the page's own thread. */
function afterPaint<T>(compute: () => T): Promise<T | Unavailable> {
  return new Promise((resolve) => setTimeout(() => resolve(orUnavailable(compute)), 30));
}

export const inPageCompute: PerRunCompute = {
  functionGrid: (record) => afterPaint(() => functionGrid(record)),
  hessianSpectrum: (record) => afterPaint(() => hessianSpectrum(record)),
};

/**
 * `remote`'s computations (a worker's), falling back to the page's own for good once the worker
 * fails (it could not load, say): the tabs then show what they did before there was a worker.
 */
export function withFallback(remote: PerRunCompute): PerRunCompute {
  let failed = false;
  const either = async <T>(ask: (compute: PerRunCompute) => Promise<T>): Promise<T> => {
    if (!failed) {
      try {
        return await ask(remote);
      } catch {
        failed = true;
      }
    }
    return ask(inPageCompute);
  };
  return {
    functionGrid: (record) => either((compute) => compute.functionGrid(record)),
    hessianSpectrum: (record) => either((compute) => compute.hessianSpectrum(record)),
  };
}
