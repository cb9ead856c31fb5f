// The float64 CPU ensemble on several cores: worker threads each run a CpuEnsemble over every
// threads-th slot (slot s lives in worker s mod T as its local slot ⌊s / T⌋), and every call fans out
// to the workers and joins their answers. A slot's arithmetic does not depend on which other slots
// share its ensemble, so the results are the single-threaded CpuEnsemble's, bit for bit
// (tests/engine/threaded-ensemble.test.ts); only the wall time changes.
import { Worker } from 'node:worker_threads';
import { parameterCount } from '../../model/architecture.js';
import type { DiagnosticsSettings, RunDiagnostics } from '../../analysis/diagnostics.js';
import type { EnsembleOptions, SlotRun, SlotStatus, TrainingEnsemble } from '../training.js';
import type { WorkerRequest, WorkerSetup } from './ensemble-worker.js';
import type { CpuEngineOptions } from './cpu-engine.js';

/** A CPU engine's options for `threads` worker threads (Node only: createEngine's `cpu` argument). */
export function threadedCpuEngine(threads: number): CpuEngineOptions {
  return { threads, threadedEnsemble: (options, count, description) => new ThreadedCpuEnsemble(options, count, description) };
}

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };
/** A request without its id (the distributive Omit keeps each variant's own fields). */
type Request = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;

/**
 * The worker module. Built (dist/…/ensemble-worker.js) it starts as it is; run from the TypeScript
 * sources (tests, tsx) a small bootstrap registers tsx's loader in the worker first.
 */
function startWorker(setup: WorkerSetup): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  const module = new URL(fromSource ? './ensemble-worker.ts' : './ensemble-worker.js', import.meta.url);
  if (!fromSource) return new Worker(module, { workerData: setup });
  const loader = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(loader)}).then(({ register }) => { register(); return import(${JSON.stringify(module.href)}); })`;
  return new Worker(bootstrap, { eval: true, workerData: setup });
}

class EnsembleWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure: Error | null = null;

  constructor(setup: WorkerSetup) {
    this.worker = startWorker(setup);
    this.worker.on('message', (message: { id: number; result?: unknown; error?: string }) => {
      const waiting = this.pending.get(message.id);
      if (!waiting) return;
      this.pending.delete(message.id);
      if (message.error !== undefined) waiting.reject(new RangeError(message.error));
      else waiting.resolve(message.result);
    });
    // a worker that dies (out of memory, a bug) fails every call waiting on it and every later one
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => this.fail(new Error(`CPU ensemble worker exited (code ${code})`)));
  }

  call<T>(request: Request): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.worker.postMessage({ ...request, id });
    });
  }

  terminate(): void {
    this.failure ??= new Error('CPU ensemble disposed');
    void this.worker.terminate();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiting of this.pending.values()) waiting.reject(this.failure);
    this.pending.clear();
  }
}

export class ThreadedCpuEnsemble implements TrainingEnsemble {
  readonly backend = 'cpu' as const;
  private readonly workers: EnsembleWorker[];
  private readonly loaded: boolean[];
  private readonly P: number;

  /** `threads` workers (at most one per slot) over `options.slots` slots. */
  constructor(
    readonly options: EnsembleOptions,
    threads: number,
    readonly description: string,
  ) {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`CPU threads must be a positive integer, got ${threads}`);
    const count = Math.min(threads, options.slots);
    this.P = parameterCount(options.arch);
    this.loaded = new Array(options.slots).fill(false);
    this.workers = Array.from({ length: count }, (_, w) => new EnsembleWorker({ options: { ...options, slots: Math.ceil((options.slots - w) / count) }, description }));
  }

  get slots(): number {
    return this.options.slots;
  }

  get threads(): number {
    return this.workers.length;
  }

  async load(slot: number, run: SlotRun): Promise<void> {
    const { worker, local } = this.locate(slot);
    const shared = this.options.sharedData !== undefined && run.data === this.options.sharedData;
    await worker.call({ op: 'load', slot: local, run: { ...run, data: shared ? null : run.data } });
    this.loaded[slot] = true;
  }

  release(slot: number): void {
    const { worker, local } = this.locate(slot);
    this.loaded[slot] = false;
    // messages to one worker are handled in order, so later calls see the slot empty
    worker.call({ op: 'release', slot: local }).catch(() => undefined);
  }

  async advance(steps: number, untilTime = Infinity, stopAt?: ArrayLike<number>): Promise<void> {
    await Promise.all(
      this.workers.map((worker, w) => worker.call({ op: 'advance', steps, untilTime, stopAt: stopAt ? this.ownSlots(w).map((s) => stopAt[s]) : null })),
    );
  }

  async status(): Promise<SlotStatus[]> {
    const parts = await Promise.all(this.workers.map((worker) => worker.call<SlotStatus[]>({ op: 'status' })));
    return Array.from({ length: this.slots }, (_, s) => parts[s % this.threads][Math.floor(s / this.threads)]);
  }

  async parameters(slot: number): Promise<Float64Array> {
    const { worker, local } = this.locate(slot);
    return worker.call<Float64Array>({ op: 'parameters', slot: local });
  }

  async allParameters(): Promise<Float64Array> {
    const parts = await Promise.all(this.workers.map((worker) => worker.call<Float64Array>({ op: 'allParameters' })));
    const all = new Float64Array(this.slots * this.P);
    for (let s = 0; s < this.slots; s++) {
      const local = Math.floor(s / this.threads);
      all.set(parts[s % this.threads].subarray(local * this.P, (local + 1) * this.P), s * this.P);
    }
    return all;
  }

  async diagnostics(slots?: readonly number[], settings?: DiagnosticsSettings): Promise<RunDiagnostics[]> {
    const list = slots ?? this.loaded.flatMap((loaded, s) => (loaded ? [s] : []));
    for (const s of list) this.locate(s);
    // each worker diagnoses its own slots, in parallel; the answers go back into the list's order
    const answers = await Promise.all(
      this.workers.map((worker, w) => {
        const own = list.filter((s) => s % this.threads === w);
        return own.length === 0 ? Promise.resolve([]) : worker.call<RunDiagnostics[]>({ op: 'diagnostics', slots: own.map((s) => Math.floor(s / this.threads)), settings });
      }),
    );
    const next = new Array(this.threads).fill(0);
    return list.map((s) => answers[s % this.threads][next[s % this.threads]++]);
  }

  dispose(): void {
    for (const worker of this.workers) worker.terminate();
  }

  /** the global slot indices worker w holds, in its local order */
  private ownSlots(w: number): number[] {
    const own: number[] = [];
    for (let s = w; s < this.slots; s += this.threads) own.push(s);
    return own;
  }

  private locate(slot: number): { worker: EnsembleWorker; local: number } {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.slots) throw new RangeError(`slot ${slot} out of range (ensemble has ${this.slots})`);
    return { worker: this.workers[slot % this.threads], local: Math.floor(slot / this.threads) };
  }
}
