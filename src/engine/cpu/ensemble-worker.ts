// One worker thread of a ThreadedCpuEnsemble (threaded-ensemble.ts): a stateless server of slot
// tasks. The main thread keeps every slot's state and sends one slot per task; the worker puts it
// into its one-slot CpuEnsemble, loads, advances or diagnoses it, and sends the state back. Datasets
// stay here between tasks: the ensemble's shared one comes in workerData (id SHARED_DATA), a run's
// own one the first time a task needs it here ('data'), until the main thread says 'forget'.
import { parentPort, workerData } from 'node:worker_threads';
import { CpuEnsemble, type SlotState } from './cpu-ensemble.js';
import type { Dataset } from '../../data/dataset.js';
import type { EnsembleOptions, SlotRun } from '../training.js';
import type { DiagnosticsSettings } from '../../analysis/diagnostics.js';

export const SHARED_DATA = 0;

/** A slot's state on the wire: its run without the dataset (`dataId` names it). */
export type WireState = Omit<SlotState, 'run'> & { run: Omit<SlotRun, 'data'> };

export type TaskRequest =
  | { op: 'load'; dataId: number; run: Omit<SlotRun, 'data'> }
  | { op: 'advance'; dataId: number; state: WireState; steps: number; untilTime: number; stopAt: number }
  | { op: 'diagnostics'; dataId: number; state: WireState; settings: DiagnosticsSettings | undefined };

export type WorkerRequest =
  | ({ id: number } & TaskRequest)
  | { id: number; op: 'data'; dataId: number; data: Dataset }
  | { id: number; op: 'forget'; dataId: number };

export const WORKER_ROLE = 'channelscope-cpu-ensemble-worker';

export interface WorkerSetup {
  /** WORKER_ROLE: this module serves only in a thread started for it, not wherever it is imported */
  role: typeof WORKER_ROLE;
  /** the ensemble's options with one slot */
  options: EnsembleOptions;
  description: string;
}

export function toWire(state: SlotState): WireState {
  const { data: _data, ...run } = state.run;
  return { ...state, run };
}

if (parentPort && (workerData as WorkerSetup | null)?.role === WORKER_ROLE) {
  const port = parentPort;
  const { options, description } = workerData as WorkerSetup;
  const ensemble = new CpuEnsemble(options, description);
  const datasets = new Map<number, Dataset>();
  if (options.sharedData) datasets.set(SHARED_DATA, options.sharedData);
  const dataset = (id: number): Dataset => {
    const data = datasets.get(id);
    if (!data) throw new Error(`CPU ensemble worker: dataset ${id} was never sent`);
    return data;
  };
  const put = (state: WireState, dataId: number) => ensemble.importSlot(0, { ...state, run: { ...state.run, data: dataset(dataId) } });
  const handle = async (request: WorkerRequest): Promise<unknown> => {
    switch (request.op) {
      case 'data':
        datasets.set(request.dataId, request.data);
        return undefined;
      case 'forget':
        datasets.delete(request.dataId);
        return undefined;
      case 'load':
        await ensemble.load(0, { ...request.run, data: dataset(request.dataId) });
        return toWire(ensemble.exportSlot(0));
      case 'advance':
        put(request.state, request.dataId);
        await ensemble.advance(request.steps, request.untilTime, [request.stopAt]);
        return toWire(ensemble.exportSlot(0));
      case 'diagnostics':
        put(request.state, request.dataId);
        return (await ensemble.diagnostics([0], request.settings))[0];
    }
  };
  port.on('message', (request: WorkerRequest) => {
    handle(request).then(
      (result) => port.postMessage({ id: request.id, result }),
      (error: unknown) => port.postMessage({ id: request.id, error: error instanceof Error ? error.message : String(error) }),
    );
  });
}
