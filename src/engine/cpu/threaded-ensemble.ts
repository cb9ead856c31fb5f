// The float64 CPU ensemble on Node's worker threads: pooled-ensemble.ts's pool, each worker a thread
// running ensemble-worker.ts.
import { Worker } from 'node:worker_threads';
import type { EnsembleOptions } from '../training.js';
import type { CpuEngineOptions } from './cpu-engine.js';
import { WorkerPoolEnsemble, type SlotWorkerChannel } from './pooled-ensemble.js';
import type { WorkerSetup } from './slot-server.js';

/** A CPU engine's options for `threads` worker threads (Node only: createEngine's `cpu` argument). */
export function threadedCpuEngine(threads: number): CpuEngineOptions {
  return { threads, threadedEnsemble: (options, count, description) => new ThreadedCpuEnsemble(options, count, description) };
}

/** The pool on `threads` Node worker threads. */
export class ThreadedCpuEnsemble extends WorkerPoolEnsemble {
  constructor(options: EnsembleOptions, threads: number, description: string) {
    super(options, threads, description, startThread);
  }
}

/**
 * A thread running the worker module. Built (dist/…/ensemble-worker.js) it starts as it is; run from
 * the TypeScript sources (tests, tsx) a small bootstrap registers tsx's loader in the thread first.
 */
function startThread(setup: WorkerSetup): SlotWorkerChannel {
  const fromSource = import.meta.url.endsWith('.ts');
  const module = new URL(fromSource ? './ensemble-worker.ts' : './ensemble-worker.js', import.meta.url);
  let worker: Worker;
  if (!fromSource) {
    worker = new Worker(module, { workerData: setup });
  } else {
    const loader = import.meta.resolve('tsx/esm/api');
    const bootstrap = `import(${JSON.stringify(loader)}).then(({ register }) => { register(); return import(${JSON.stringify(module.href)}); })`;
    worker = new Worker(bootstrap, { eval: true, workerData: setup });
  }
  return {
    post: (request) => worker.postMessage(request),
    listen(onAnswer, onFailure) {
      worker.on('message', onAnswer);
      worker.on('error', onFailure);
      worker.on('exit', (code) => onFailure(new Error(`CPU ensemble worker exited (code ${code})`)));
    },
    terminate: () => void worker.terminate(),
  };
}
