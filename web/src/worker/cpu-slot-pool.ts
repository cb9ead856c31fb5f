// The page's float64 CPU engine on several cores: pooled-ensemble.ts's pool with Web Workers
// (cpu-slot-worker.ts) started from the sweep worker, one per core the browser reports.
import type { CpuEngine, CpuEngineOptions } from '../../../src/engine/cpu/cpu-engine.js';
import { WorkerPoolEnsemble, type SlotWorkerChannel } from '../../../src/engine/cpu/pooled-ensemble.js';
import type { WorkerAnswer, WorkerSetup } from '../../../src/engine/cpu/slot-server.js';

/** At most this many workers, whatever the browser reports (memory: each holds a copy of the data). */
const MAX_CPU_WORKERS = 16;

/**
 * The CPU engine's options in this worker: a pool of navigator.hardwareConcurrency Web Workers, or
 * one thread where the browser cannot start a worker from a worker (no nested workers) or reports one core.
 */
export function pageCpuEngine(): CpuEngineOptions {
  const cores = typeof navigator !== 'undefined' && navigator.hardwareConcurrency > 0 ? navigator.hardwareConcurrency : 1;
  const threads = typeof Worker === 'undefined' ? 1 : Math.min(cores, MAX_CPU_WORKERS);
  if (threads === 1) return {};
  return { threads, threadedEnsemble: (options, count, description) => new WorkerPoolEnsemble(options, count, description, startSlotWorker) };
}

/** ", N workers" where the CPU engine spreads its runs over several Web Workers, else nothing. */
export function workersNote(engine: CpuEngine): string {
  return engine.threads > 1 ? `, ${engine.threads} workers` : '';
}

/**
 * The CPU engine's description in the page's words: the threads it spreads over are these Web
 * Workers here, as its notices call them ("…, 4 workers").
 */
export function pageCpuDescription(engine: CpuEngine): string {
  return `${engine.runDescription}${workersNote(engine)}`;
}

function startSlotWorker(setup: WorkerSetup): SlotWorkerChannel {
  const worker = new Worker(new URL('./cpu-slot-worker.ts', import.meta.url), { type: 'module', name: 'channelscope-cpu-slots' });
  worker.postMessage(setup);
  return {
    post: (request) => worker.postMessage(request),
    listen(onAnswer, onFailure) {
      worker.onmessage = (event: MessageEvent<WorkerAnswer>) => onAnswer(event.data);
      worker.onerror = (event) => {
        event.preventDefault();
        onFailure(new Error(`CPU slot worker failed: ${event.message || 'it could not start or threw'}`));
      };
      worker.onmessageerror = () => onFailure(new Error('CPU slot worker: a message could not be read'));
    },
    terminate: () => worker.terminate(),
  };
}
