// One worker thread of a ThreadedCpuEnsemble (threaded-ensemble.ts): a CpuEnsemble over the slots the
// main thread gives it, driven by messages { id, op, args } and answering { id, result } or
// { id, error }. The ensemble's shared dataset comes once, in workerData, and a run that uses it
// arrives without its data (`shared: true`), so a refill does not copy N samples again.
import { parentPort, workerData } from 'node:worker_threads';
import { CpuEnsemble } from './cpu-ensemble.js';
import type { EnsembleOptions, SlotRun } from '../training.js';
import type { DiagnosticsSettings } from '../../analysis/diagnostics.js';

export type WorkerRequest =
  | { id: number; op: 'load'; slot: number; run: Omit<SlotRun, 'data'> & { data: SlotRun['data'] | null } }
  | { id: number; op: 'release'; slot: number }
  | { id: number; op: 'advance'; steps: number; untilTime: number; stopAt: number[] | null }
  | { id: number; op: 'status' }
  | { id: number; op: 'parameters'; slot: number }
  | { id: number; op: 'allParameters' }
  | { id: number; op: 'diagnostics'; slots: number[]; settings: DiagnosticsSettings | undefined };

export interface WorkerSetup {
  options: EnsembleOptions;
  description: string;
}

if (parentPort) {
  const port = parentPort;
  const { options, description } = workerData as WorkerSetup;
  const ensemble = new CpuEnsemble(options, description);
  const handle = async (request: WorkerRequest): Promise<unknown> => {
    switch (request.op) {
      case 'load':
        return ensemble.load(request.slot, { ...request.run, data: request.run.data ?? options.sharedData! });
      case 'release':
        return ensemble.release(request.slot);
      case 'advance':
        return ensemble.advance(request.steps, request.untilTime, request.stopAt ?? undefined);
      case 'status':
        return ensemble.status();
      case 'parameters':
        return ensemble.parameters(request.slot);
      case 'allParameters':
        return ensemble.allParameters();
      case 'diagnostics':
        return ensemble.diagnostics(request.slots, request.settings);
    }
  };
  port.on('message', (request: WorkerRequest) => {
    handle(request).then(
      (result) => port.postMessage({ id: request.id, result }),
      (error: unknown) => port.postMessage({ id: request.id, error: error instanceof Error ? error.message : String(error) }),
    );
  });
}
