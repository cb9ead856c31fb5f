// The float64 reference of a training ensemble: the same optimisers and integrators as the GPU
// kernels, one slot at a time.
import { parameterCount, weightNorm } from '../../model/architecture.js';
import type { Dataset } from '../../data/dataset.js';
import { minibatchIndex } from '../../numerics/rng.js';
import { applyUpdate, minibatchSize, stateVectors } from '../../optim/optimizers.js';
import { dopri5Step, flowAttemptBudget, initialStepSize, nextStepSize, DOPRI5, FLOW_CHUNK } from '../../optim/integrators.js';
import { checkOneActivation, checkSlotIndex, type EnsembleOptions, type SlotRun, type SlotStatus, type TrainingEnsemble } from '../training.js';
import { evaluateNetwork } from './cpu-engine.js';
import { networkFlowField } from './flow-field.js';
import { checkHessianReuse, FACTORIZATION_SHRINK, isStiffSolver, STIFF_METHODS, updateHeldHessian, type HeldHessian } from '../../optim/stiff-solvers.js';
import { computeRunDiagnostics, DEFAULT_DIAGNOSTICS_SETTINGS, type DiagnosticsSettings, type RunDiagnostics } from '../../analysis/diagnostics.js';

/**
 * Everything a loaded slot holds (parameters, optimiser state, status, flow step state, a held
 * Hessian), plain data: the worker-thread ensemble (threaded-ensemble.ts) moves slots between
 * threads with exportSlot/importSlot.
 */
export interface SlotState extends HeldHessian {
  run: SlotRun;
  theta: Float64Array;
  state: Float64Array;
  status: SlotStatus;
  /** gradient flow: f(θ) at the current point (first same as last) */
  derivative?: Float64Array;
  rejectedLast: boolean;
}

/**
 * Lets the event loop run every `interval` ms of work. On the calling thread (one CPU thread, the
 * dashboard's fallback) an advance of a large ensemble takes minutes, and without a pause Ctrl-C,
 * SIGTERM and the page stay unanswered until it ends. The slots are independent, so when the pauses
 * fall changes nothing in the results.
 */
class EventLoopBreather {
  private last = performance.now();

  constructor(private readonly interval: number) {}

  async maybeYield(): Promise<void> {
    if (performance.now() - this.last < this.interval) return;
    await new Promise((resolve) => setTimeout(resolve, 0));
    this.last = performance.now();
  }
}

/** The default breather interval: how many ms of work an advance does between pauses. */
const BREATHER_MS = 50;

export interface CpuEnsembleOptions extends EnsembleOptions {
  /**
   * ms of work between two pauses that let the event loop run (default BREATHER_MS, 50); 0 pauses
   * after every slot and every flow chunk (tests use it to make the pauses certain).
   */
  breatherMs?: number;
}

export class CpuEnsemble implements TrainingEnsemble {
  readonly backend = 'cpu' as const;
  readonly arithmetic = 'float64' as const;
  readonly description: string;
  private readonly slotList: (SlotState | null)[];
  private readonly P: number;

  constructor(
    readonly options: CpuEnsembleOptions,
    description = 'CPU, float64',
  ) {
    if (options.optimizer.kind === 'flow') checkHessianReuse(options.optimizer.solver, options.optimizer.hessianReuse);
    checkOneActivation(options, 'CPU');
    this.description = description;
    this.P = parameterCount(options.arch);
    this.slotList = new Array(options.slots).fill(null);
  }

  get slots(): number {
    return this.options.slots;
  }

  async load(slot: number, run: SlotRun): Promise<void> {
    this.checkSlot(slot);
    if (run.params.length !== this.P) throw new RangeError(`run has ${run.params.length} parameters, the ensemble's networks have ${this.P}`);
    if (run.activation && run.activation !== this.options.arch.activation) throw new RangeError(`a ${run.activation} run cannot go into an ensemble of ${this.options.arch.activation} networks`);
    if (run.data.samples !== this.options.samples || run.data.inputDim !== this.options.arch.inputDim) {
      throw new RangeError(`run dataset is ${run.data.samples}×${run.data.inputDim}, the ensemble expects ${this.options.samples}×${this.options.arch.inputDim}`);
    }
    const theta = Float64Array.from(run.params);
    const slotState: SlotState = {
      run,
      theta,
      state: new Float64Array(stateVectors(this.options.optimizer) * this.P),
      status: { active: true, steps: 0, evaluations: 0, time: 0, loss: NaN, barrier: NaN, gradInf: NaN, weightNorm: NaN, finite: true, stepSize: 0 },
      rejectedLast: false,
      hessianUses: 0,
    };
    this.refreshStatus(slotState);
    const optimizer = this.options.optimizer;
    if (optimizer.kind === 'flow') {
      slotState.derivative = this.flowField(slotState)(theta);
      slotState.status.stepSize = initialStepSize(theta, slotState.derivative, optimizer, optimizer.maxStepSize);
    }
    this.slotList[slot] = slotState;
  }

  release(slot: number): void {
    this.checkSlot(slot);
    this.slotList[slot] = null;
  }

  /** A loaded slot's state (the live object: the caller hands it on, it does not keep using it). */
  exportSlot(slot: number): SlotState {
    this.checkSlot(slot);
    const state = this.slotList[slot];
    if (!state) throw new RangeError(`slot ${slot} is empty`);
    return state;
  }

  /** Puts a state taken by exportSlot (here or in another ensemble of the same options) into a slot. */
  importSlot(slot: number, state: SlotState): void {
    this.checkSlot(slot);
    this.slotList[slot] = state;
  }

  async advance(steps: number, untilTime = Infinity, stopAt?: ArrayLike<number>): Promise<void> {
    const breather = new EventLoopBreather(this.options.breatherMs ?? BREATHER_MS);
    for (const [index, slot] of this.slotList.entries()) {
      if (!slot || !slot.status.finite) continue;
      // as the GPU kernels' steps_allowed: per chunk, never past the slot's stopAt
      const limit = stopAt ? stopAt[index] : Infinity;
      const allowed = (requested: number) => Math.max(0, Math.min(requested, limit - slot.status.steps));
      if (this.options.optimizer.kind === 'flow') {
        for (let left = steps; left > 0 && slot.status.finite; left -= FLOW_CHUNK) {
          this.advanceFlow(slot, allowed(Math.min(left, FLOW_CHUNK)), untilTime);
          await breather.maybeYield();
        }
      } else this.advanceDiscrete(slot, allowed(steps));
      this.refreshStatus(slot);
      await breather.maybeYield();
    }
  }

  async status(): Promise<SlotStatus[]> {
    return this.slotList.map((slot) => (slot ? { ...slot.status } : inactiveStatus()));
  }

  async parameters(slot: number): Promise<Float64Array> {
    this.checkSlot(slot);
    const s = this.slotList[slot];
    if (!s) throw new RangeError(`slot ${slot} is empty`);
    return s.theta.slice();
  }

  async allParameters(): Promise<Float64Array> {
    const all = new Float64Array(this.options.slots * this.P);
    this.slotList.forEach((slot, i) => slot && all.set(slot.theta, i * this.P));
    return all;
  }

  /** The float64 reference of the GPU diagnostics kernel: the same algorithms on the exact HVPs. */
  async diagnostics(slots?: readonly number[], settings: DiagnosticsSettings = DEFAULT_DIAGNOSTICS_SETTINGS): Promise<RunDiagnostics[]> {
    const list = slots ?? this.slotList.flatMap((slot, i) => (slot ? [i] : []));
    return list.map((i) => {
      this.checkSlot(i);
      const slot = this.slotList[i];
      if (!slot) throw new RangeError(`slot ${i} is empty`);
      const { arch, maxnorm } = this.options;
      const { theta, run } = slot;
      const { loss, barrier, gradient } = this.gradient(theta, run.data);
      const hvp = (v: Float64Array, out: Float64Array) => out.set(evaluateNetwork(arch, run.data, 0, theta, { direction: v, maxnorm }).hvp!);
      return computeRunDiagnostics(arch, theta, { loss, barrier, gradient, hvp }, settings);
    });
  }

  dispose(): void {
    this.slotList.fill(null);
  }

  private gradient(theta: Float64Array, data: Dataset): { loss: number; barrier: number; gradient: Float64Array } {
    const r = evaluateNetwork(this.options.arch, data, 0, theta, { gradient: true, maxnorm: this.options.maxnorm });
    return { loss: r.loss, barrier: r.barrier, gradient: r.gradient! };
  }

  private advanceDiscrete(slot: SlotState, steps: number): void {
    const optimizer = this.options.optimizer;
    if (optimizer.kind === 'flow') return;
    const batch = minibatchSize(optimizer);
    const minibatch = batch !== null ? emptyMinibatch(slot.run.data, batch) : null;
    for (let s = 0; s < steps; s++) {
      const data = minibatch ? fillMinibatch(minibatch, slot.run, slot.status.steps) : slot.run.data;
      const { gradient } = this.gradient(slot.theta, data);
      slot.status.evaluations++;
      if (!allFinite(gradient)) {
        slot.status.finite = false;
        return;
      }
      // commit the step only when everything stays finite: a diverging run freezes at its last finite point
      const theta = slot.theta.slice();
      const state = slot.state.slice();
      applyUpdate(optimizer, theta, gradient, state, slot.status.steps + 1);
      if (!allFinite(theta) || !allFinite(state)) {
        slot.status.finite = false;
        return;
      }
      slot.theta = theta;
      slot.state = state;
      slot.status.steps++;
    }
  }

  private flowField(slot: SlotState): (theta: Float64Array) => Float64Array {
    return (theta) => {
      const g = this.gradient(theta, slot.run.data).gradient;
      for (let k = 0; k < g.length; k++) g[k] = -g[k];
      return g;
    };
  }

  private advanceFlow(slot: SlotState, steps: number, untilTime: number): void {
    const optimizer = this.options.optimizer;
    if (optimizer.kind !== 'flow') return;
    const field = this.flowField(slot);
    const f = (theta: Float64Array, out: Float64Array) => out.set(field(theta));
    const method = isStiffSolver(optimizer.solver) ? STIFF_METHODS[optimizer.solver] : null;
    const stiff = method ? networkFlowField(this.options.arch, slot.run.data, { maxnorm: this.options.maxnorm }) : null;
    const order = method ? method.order : DOPRI5.order;
    let accepted = 0;
    // the same attempt budget per chunk as the GPU kernel (mlp_flow.wgsl)
    const maxAttempts = flowAttemptBudget(steps);
    for (let attempts = 0; accepted < steps && attempts < maxAttempts && slot.status.time < untilTime; attempts++) {
      const h = Math.min(slot.status.stepSize, untilTime - slot.status.time);
      const stiffStep = method && stiff ? method.step(stiff, slot.theta, slot.derivative!, h, optimizer, slot.hessian) : null;
      const step = stiffStep ?? dopri5Step(f, slot.theta, slot.derivative!, h, optimizer);
      slot.status.evaluations += step.evaluations;
      if (stiffStep) slot.hessian = stiffStep.hessian;
      // stiff gradient flow: the Hessian the next attempt uses
      const afterAttempt = (accepted: boolean) => {
        if (stiffStep) updateHeldHessian(slot, accepted, optimizer.hessianReuse ?? 1);
      };
      if (stiffStep?.factorizationFailed) {
        afterAttempt(false);
        slot.status.factorizationFailed = true;
        // I + h·d·H is indefinite (negative curvature and a large h): retry smaller, same Hessian
        slot.status.stepSize = h * FACTORIZATION_SHRINK;
        if (slot.status.stepSize < STEP_FLOOR) {
          // not even W ≈ I factorises: H itself is not finite; the run stops at its last accepted θ
          slot.status.finite = false;
          return;
        }
        continue;
      }
      if (stiffStep) slot.status.factorizationFailed = false;
      if (!Number.isFinite(step.error) || !allFinite(step.theta) || !allFinite(step.derivative)) {
        afterAttempt(false);
        // a non-finite trial point (θ₁, its error, or f(θ₁), the next step's first stage, as the GPU
        // kernels check): shrink hard and retry, unless h is already negligible
        slot.status.stepSize = h * STEP_SHRINK_ON_NONFINITE;
        if (slot.status.stepSize < STEP_FLOOR) {
          slot.status.finite = false;
          return;
        }
        continue;
      }
      const ok = step.error <= 1;
      afterAttempt(ok);
      if (ok) {
        slot.theta = step.theta;
        slot.derivative = step.derivative;
        slot.status.time += h;
        slot.status.steps++;
        accepted++;
      }
      slot.status.stepSize = nextStepSize(h, step.error, order, ok && !slot.rejectedLast, optimizer.maxStepSize);
      slot.rejectedLast = !ok;
    }
  }

  private refreshStatus(slot: SlotState): void {
    const { loss, barrier, gradient } = this.gradient(slot.theta, slot.run.data);
    let gradInf = 0;
    for (const g of gradient) gradInf = Math.max(gradInf, Math.abs(g));
    Object.assign(slot.status, { loss, barrier, gradInf, weightNorm: weightNorm(slot.theta) });
    if (!Number.isFinite(loss + gradInf)) slot.status.finite = false;
  }

  private checkSlot(slot: number): void {
    checkSlotIndex(slot, this.options.slots);
  }
}

const STEP_SHRINK_ON_NONFINITE = 0.25;
/** below this step size a run that keeps producing non-finite trial points is given up (float32-safe) */
const STEP_FLOOR = 1e-30;

export function inactiveStatus(): SlotStatus {
  return { active: false, steps: 0, evaluations: 0, time: 0, loss: NaN, barrier: NaN, gradInf: NaN, weightNorm: NaN, finite: true, stepSize: 0 };
}

function allFinite(values: Float64Array): boolean {
  for (const v of values) if (!Number.isFinite(v)) return false;
  return true;
}

function emptyMinibatch(data: Dataset, batch: number): Dataset {
  return { inputDim: data.inputDim, samples: batch, count: 1, x: new Float64Array(batch * data.inputDim), y: new Float64Array(batch) };
}

/** The minibatch of optimiser step `step` (0-based), drawn exactly as the GPU kernel draws it. */
function fillMinibatch(batch: Dataset, run: SlotRun, step: number): Dataset {
  const d = batch.inputDim;
  for (let b = 0; b < batch.samples; b++) {
    const n = minibatchIndex(run.seed, run.runIndex, step, batch.samples, b, run.data.samples);
    batch.x.set(run.data.x.subarray(n * d, (n + 1) * d), b * d);
    batch.y[b] = run.data.y[n];
  }
  return batch;
}
