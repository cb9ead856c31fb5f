// The float64 CPU ensemble on several threads, whatever starts them: Node's worker threads
// (threaded-ensemble.ts) or a browser's Web Workers (web/src/worker/cpu-slot-pool.ts). The pool keeps
// every slot's state; the workers are stateless servers (slot-server.ts) that each take one slot at a
// time from a queue, load, advance or diagnose it in a one-slot CpuEnsemble and send its state back.
// So a round of advance() ends when the work is done, not when the worker that drew the slowest slots
// is done. Measured on 2 cores (Node), 32 stiff flows (r = 4, N = 1024): with 2 slots per worker (as
// 64 slots on 16 cores) the queue took 38.0 s where workers owning fixed slots took 43.2 s (one
// thread: 61.0 s); with 16 slots per worker both took ~33 s (one thread: 54 s). A slot's arithmetic
// does not depend on which thread runs it or on the other slots, so the results are the
// single-threaded CpuEnsemble's, bit for bit (tests/engine/threaded-ensemble.test.ts).
import { parameterCount } from '../../model/architecture.js';
import type { Dataset } from '../../data/dataset.js';
import type { DiagnosticsSettings, RunDiagnostics } from '../../analysis/diagnostics.js';
import { checkOneActivation, checkSlotIndex, type EnsembleOptions, type SlotRun, type SlotStatus, type TrainingEnsemble } from '../training.js';
import { inactiveStatus } from './cpu-ensemble.js';
import { SHARED_DATA, WORKER_ROLE, type TaskRequest, type WireState, type WorkerAnswer, type WorkerRequest, type WorkerSetup } from './slot-server.js';

/** One started worker as the pool talks to it. */
export interface SlotWorkerChannel {
  post(request: WorkerRequest): void;
  /** `onAnswer` for each answer; `onFailure` once if the worker dies (out of memory, a bug, an exit) */
  listen(onAnswer: (answer: WorkerAnswer) => void, onFailure: (error: Error) => void): void;
  terminate(): void;
}

/** Starts one worker running slot-server.ts's server with `setup`. */
export type StartSlotWorker = (setup: WorkerSetup) => SlotWorkerChannel;

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };
/** A request without its id (the distributive Omit keeps each variant's own fields). */
type Request = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;

class EnsembleWorker {
  /** per-run datasets this worker holds */
  readonly datasets = new Set<number>();
  private readonly worker: SlotWorkerChannel;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure: Error | null = null;

  constructor(setup: WorkerSetup, start: StartSlotWorker) {
    this.worker = start(setup);
    this.worker.listen(
      (message) => {
        const waiting = this.pending.get(message.id);
        if (!waiting) return;
        this.pending.delete(message.id);
        if (message.error !== undefined) waiting.reject(new RangeError(message.error));
        else waiting.resolve(message.result);
      },
      // a worker that dies (out of memory, a bug) fails every call waiting on it and every later one
      (error) => this.fail(error),
    );
  }

  call<T>(request: Request): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.worker.post({ ...request, id } as WorkerRequest);
    });
  }

  terminate(): void {
    this.failure ??= new Error('CPU ensemble disposed');
    this.worker.terminate();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiting of this.pending.values()) waiting.reject(this.failure);
    this.pending.clear();
  }
}

interface Held {
  state: WireState;
  /** SHARED_DATA, or the id of the run's own dataset in `datasets` */
  dataId: number;
}

export class WorkerPoolEnsemble implements TrainingEnsemble {
  readonly backend = 'cpu' as const;
  readonly arithmetic = 'float64' as const;
  private readonly workers: EnsembleWorker[];
  private readonly held: (Held | null)[];
  private readonly datasets = new Map<number, Dataset>();
  private nextDataId = SHARED_DATA + 1;
  private readonly P: number;

  /** `threads` workers (at most one per slot, each begun by `start`) over `options.slots` slots. */
  constructor(
    readonly options: EnsembleOptions,
    threads: number,
    readonly description: string,
    start: StartSlotWorker,
  ) {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`CPU threads must be a positive integer, got ${threads}`);
    if (!Number.isInteger(options.slots) || options.slots < 1) throw new RangeError(`slots must be a positive integer, got ${options.slots}`);
    checkOneActivation(options, 'CPU');
    this.P = parameterCount(options.arch);
    this.held = new Array(options.slots).fill(null);
    const count = Math.min(threads, options.slots);
    this.workers = Array.from({ length: count }, () => new EnsembleWorker({ role: WORKER_ROLE, options: { ...options, slots: 1 }, description }, start));
  }

  get slots(): number {
    return this.options.slots;
  }

  get threads(): number {
    return this.workers.length;
  }

  async load(slot: number, run: SlotRun): Promise<void> {
    this.checkSlot(slot);
    const shared = this.options.sharedData !== undefined && run.data === this.options.sharedData;
    const dataId = shared ? SHARED_DATA : this.nextDataId++;
    if (!shared) this.datasets.set(dataId, run.data);
    const { data: _data, ...wireRun } = run;
    try {
      const [state] = await this.runTasks<WireState>([{ op: 'load', dataId, run: wireRun }]);
      this.drop(slot);
      this.held[slot] = { state, dataId };
    } catch (error) {
      this.forget(dataId);
      throw error;
    }
  }

  release(slot: number): void {
    this.checkSlot(slot);
    this.drop(slot);
  }

  async advance(steps: number, untilTime = Infinity, stopAt?: ArrayLike<number>): Promise<void> {
    const slots = this.loadedSlots();
    const states = await this.runTasks<WireState>(
      slots.map((s) => ({ op: 'advance', dataId: this.held[s]!.dataId, state: this.held[s]!.state, steps, untilTime, stopAt: stopAt ? stopAt[s] : Infinity })),
    );
    slots.forEach((s, k) => (this.held[s]!.state = states[k]));
  }

  async status(): Promise<SlotStatus[]> {
    return this.held.map((h) => (h ? { ...h.state.status } : inactiveStatus()));
  }

  async parameters(slot: number): Promise<Float64Array> {
    return this.loaded(slot).state.theta.slice();
  }

  async allParameters(): Promise<Float64Array> {
    const all = new Float64Array(this.slots * this.P);
    this.held.forEach((h, s) => h && all.set(h.state.theta, s * this.P));
    return all;
  }

  async diagnostics(slots?: readonly number[], settings?: DiagnosticsSettings): Promise<RunDiagnostics[]> {
    const list = slots ?? this.loadedSlots();
    const tasks: TaskRequest[] = list.map((s) => {
      const h = this.loaded(s);
      return { op: 'diagnostics', dataId: h.dataId, state: h.state, settings };
    });
    return this.runTasks<RunDiagnostics>(tasks);
  }

  dispose(): void {
    for (const worker of this.workers) worker.terminate();
  }

  /**
   * Runs the tasks on the workers, each worker taking the next task as soon as it is free; answers in
   * the tasks' order. A run's own dataset goes to a worker the first time it needs it there.
   */
  private async runTasks<T>(tasks: TaskRequest[]): Promise<T[]> {
    const results = new Array<T>(tasks.length);
    let next = 0;
    const serve = async (worker: EnsembleWorker) => {
      while (next < tasks.length) {
        const k = next++;
        const task = tasks[k];
        if (task.dataId !== SHARED_DATA && !worker.datasets.has(task.dataId)) {
          worker.datasets.add(task.dataId);
          await worker.call({ op: 'data', dataId: task.dataId, data: this.datasets.get(task.dataId)! });
        }
        results[k] = await worker.call<T>(task);
      }
    };
    await Promise.all(this.workers.map(serve));
    return results;
  }

  private loadedSlots(): number[] {
    return this.held.flatMap((h, s) => (h ? [s] : []));
  }

  private loaded(slot: number): Held {
    this.checkSlot(slot);
    const h = this.held[slot];
    if (!h) throw new RangeError(`slot ${slot} is empty`);
    return h;
  }

  /** empties a slot and lets go of its run's own dataset, here and in the workers */
  private drop(slot: number): void {
    const h = this.held[slot];
    this.held[slot] = null;
    if (h) this.forget(h.dataId);
  }

  private forget(dataId: number): void {
    if (dataId === SHARED_DATA) return;
    this.datasets.delete(dataId);
    for (const worker of this.workers) {
      if (!worker.datasets.delete(dataId)) continue;
      // messages to one worker are handled in order, so no later task of this worker needs it
      worker.call({ op: 'forget', dataId }).catch(() => undefined);
    }
  }

  private checkSlot(slot: number): void {
    checkSlotIndex(slot, this.slots);
  }
}
