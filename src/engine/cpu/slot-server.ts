// The work of one thread of a worker-pool CPU ensemble (pooled-ensemble.ts): a stateless server of
// slot tasks, the same in a Node worker thread (ensemble-worker.ts) and a browser Web Worker
// (web/src/worker/cpu-slot-worker.ts). The pool keeps every slot's state and sends one slot per
// task; the server puts it into its one-slot CpuEnsemble, loads, advances or diagnoses it, and
// answers with the state. Datasets stay here between tasks: the ensemble's shared one comes with the
// setup (id SHARED_DATA), a run's own one the first time a task needs it here ('data'), until the
// pool says 'forget'.
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

/** A server's answer to request `id`: its result, or the message of the error it threw. */
export interface WorkerAnswer {
  id: number;
  result?: unknown;
  error?: string;
}

export const WORKER_ROLE = 'channelscope-cpu-ensemble-worker';

export interface WorkerSetup {
  /** WORKER_ROLE: a module serves only in a thread started for it, not wherever it is imported */
  role: typeof WORKER_ROLE;
  /** the ensemble's options with one slot */
  options: EnsembleOptions;
  description: string;
}

export function toWire(state: SlotState): WireState {
  const { data: _data, ...run } = state.run;
  return { ...state, run };
}

/** The server of one thread: answers each request (in the order they come) through `answer`. */
export function slotServer(setup: WorkerSetup, answer: (message: WorkerAnswer) => void): (request: WorkerRequest) => void {
  const { options, description } = setup;
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
  return (request) => {
    handle(request).then(
      (result) => answer({ id: request.id, result }),
      (error: unknown) => answer({ id: request.id, error: error instanceof Error ? error.message : String(error) }),
    );
  };
}
