// A training ensemble resident on the GPU: parameters, datasets, optimiser state and per-slot
// bookkeeping live in storage buffers; advance() encodes many steps per dispatch and reads nothing.
import type { GpuContext } from '../../gpu/device.js';
import { dispatchGrid, withErrorScopes, type PipelineCache } from '../../gpu/kernel.js';
import { PassTimer } from '../../gpu/pass-timer.js';
import { Readback } from '../../gpu/readback.js';
import { parameterCount, validateArchitecture, type Activation } from '../../model/architecture.js';
import { seedKey } from '../../numerics/rng.js';
import { minibatchSize, stateVectors } from '../../optim/optimizers.js';
import { DEFAULT_MAX_STEP_SIZE, FLOW_CHUNK } from '../../optim/integrators.js';
import { checkHessianReuse, isStiffSolver } from '../../optim/stiff-solvers.js';
import { checkSlotIndex, type Arithmetic, type EnsembleOptions, type SlotRun, type SlotStatus, type TrainingEnsemble } from '../training.js';
import { activationCode, closedHessianTasks, forActivations, plannedActivation, doubleFloatCacheFloats, FULL_STIFF_PRECISION, groupStateWords, hessianBlockSamples, hessianPartFloats, NO_STIFF_STORAGE, planArithmetic, planFlowKernel, planStiffFlowKernel, planTrainKernel, stiffMatrixFloats, type StiffPrecision, type StiffStorage } from './mlp-kernels.js';
import { DEFAULT_DIAGNOSTICS_SETTINGS, type DiagnosticsSettings, type RunDiagnostics } from '../../analysis/diagnostics.js';
import { gpuDiagnostics } from './diagnostics.js';
import type { KernelTuning } from './kernel-strategy.js';

/** words per slot in the `slots` buffer: struct Slot in shaders/mlp_slots.wgsl (tests build slots with it) */
export const SLOT_WORDS = 17;
/** struct Config of mlp_train.wgsl (16 words); the flow kernels' Config is its first 12 */
const CONFIG_BYTES = 64;
/** stop_at of a slot without a limit (mlp_slots.wgsl) */
const NO_STOP = 0xffffffff;
/** steps per dispatch: long enough to amortise the launch, short enough for watchdogs */
export const STEPS_PER_DISPATCH = { discrete: 64, flow: FLOW_CHUNK } as const;
/**
 * The Hessian's own dispatches serve ensembles of at most this many slots. They exist because one
 * workgroup per network leaves a large GPU mostly idle (a channel-frequency group: 60–250 networks);
 * thousands of networks fill it from the step kernel alone, where the own dispatches would only add
 * their block sums' memory traffic and four dispatches per step. A judgement, not yet measured:
 * stiff-steps.ts measures 60 slots, the benchmark workloads 4,096 and more.
 */
export const HESSIAN_DISPATCH_MAX_SLOTS = 1024;
/** dispatches of the step kernel per submit, between checks that a slot may still step (with the Hessian's own dispatches: steps) */
const DISPATCHES_PER_SUBMIT = 32;

/**
 * Each per-slot buffer of an ensemble, named, with its floats per slot (each is one binding, so each
 * must fit the device's storage binding limit): parameters, bookkeeping, optimiser state, the run's
 * dataset (unless shared), the stiff solver's Hessian and factor, double-float's low parts and sample
 * cache, group coordinates' state, and one block of the closed-form Hessian's block sums (`stiff`:
 * what the stiff kernel's plan keeps; ignored for other optimisers).
 */
export function slotBuffers(options: Omit<EnsembleOptions, 'slots'>, stiff: StiffStorage = NO_STIFF_STORAGE): { name: string; floats: number }[] {
  const { arch } = options;
  const P = parameterCount(arch);
  const optimizer = options.optimizer;
  const flow = optimizer.kind === 'flow';
  const buffers = [
    { name: 'the parameters', floats: P },
    { name: 'the bookkeeping', floats: SLOT_WORDS },
    { name: flow ? 'f(θ)' : 'the optimiser state', floats: (flow ? 1 : stateVectors(optimizer)) * P },
  ];
  if (!options.sharedData) buffers.push({ name: "the run's inputs", floats: options.samples * arch.inputDim }, { name: "the run's targets", floats: options.samples });
  if (!flow || !isStiffSolver(optimizer.solver)) return buffers;
  const matrix = `${P}² entries${stiff.doubleFloat ? ' in double-float' : ''}`;
  buffers.push({ name: `the Hessian (${matrix})`, floats: stiffMatrixFloats(P, stiff.doubleFloat) }, { name: `the Cholesky factor (${matrix})`, floats: stiffMatrixFloats(P, stiff.doubleFloat) });
  if (stiff.doubleFloat) buffers.push({ name: "θ's low parts", floats: P }, { name: "the double-float Hessian's sample cache", floats: doubleFloatCacheFloats(arch, options.samples, stiff.splitHessian) });
  if (stiff.groupCoordinates) buffers.push({ name: "group coordinates' state", floats: groupStateWords(arch) });
  if (stiff.splitHessian && !stiff.doubleFloat) buffers.push({ name: "a block of the Hessian's block sums", floats: hessianPartFloats(arch) });
  return buffers;
}

/** Floats per slot of each per-slot buffer of an ensemble (slotBuffers). */
export function slotFloats(options: Omit<EnsembleOptions, 'slots'>, stiff: StiffStorage = NO_STIFF_STORAGE): number[] {
  return slotBuffers(options, stiff).map((buffer) => buffer.floats);
}

/**
 * Storage buffers the step kernel binds (every one but the Config uniform): parameters, inputs,
 * targets, bookkeeping, stop_at, optimiser state or f(θ), and for stiff flow the Hessian and factor,
 * double-float's low parts and sample cache, group coordinates' state; `hessianParts` adds the
 * closed form's block sums, which only the Hessian's own dispatches bind (mlp_stiff.wgsl).
 */
export function storageBindings(optimizer: EnsembleOptions['optimizer'], stiff: StiffStorage, hessianParts = false): number {
  const flowOrState = optimizer.kind === 'flow' || stateVectors(optimizer) > 0 ? 1 : 0;
  if (optimizer.kind !== 'flow' || !isStiffSolver(optimizer.solver)) return 5 + flowOrState;
  return 5 + flowOrState + 2 + (stiff.doubleFloat ? 2 : 0) + (stiff.groupCoordinates ? 1 : 0) + (hessianParts ? 1 : 0);
}

/** The storage binding limit a per-slot buffer must fit: the smaller of the binding and buffer limits. */
export function bindingBytes(limits: GPUSupportedLimits): number {
  return Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
}

/** The most slots whose every per-slot buffer fits one binding of `bindingBytes` (at least 0). */
export function slotsThatFit(floatsPerSlot: readonly number[], bindingBytes: number): number {
  return Math.floor(bindingBytes / (4 * Math.max(...floatsPerSlot)));
}

/**
 * The activations an ensemble's kernel serves: EnsembleOptions.activations (refused unless it holds
 * arch.activation and no activation twice), or arch.activation alone.
 */
export function servedActivations(options: Pick<EnsembleOptions, 'arch' | 'activations'>): readonly Activation[] {
  const { activations, arch } = options;
  if (!activations) return [arch.activation];
  if (!activations.includes(arch.activation)) throw new RangeError(`the ensemble's activations (${activations.join(', ')}) must include its architecture's, ${arch.activation}`);
  if (new Set(activations).size !== activations.length) throw new RangeError(`the ensemble's activations name one twice: ${activations.join(', ')}`);
  return activations;
}

/** The architecture an ensemble's kernels are planned for: arch, with the activation plannedActivation picks from those it serves. */
export function plannedArchitecture(options: Pick<EnsembleOptions, 'arch' | 'activations'>): EnsembleOptions['arch'] {
  return { ...options.arch, activation: plannedActivation(servedActivations(options)) };
}

/** The Hessian's own pipelines (mlp_stiff.wgsl SPLIT_HESSIAN), in order, with their workgroups per slot. */
interface HessianDispatches {
  passes: { pipeline: GPUComputePipeline; workgroupsPerSlot: number }[];
  /** the closed form's block sums (binding 12), which only these dispatches use */
  parts: GPUBuffer | null;
  /** Config.block_samples */
  blockSamples: number;
}

export class GpuEnsemble implements TrainingEnsemble {
  readonly backend = 'gpu' as const;
  readonly arithmetic: Arithmetic;
  private readonly P: number;
  private readonly buffers: GPUBuffer[] = [];
  private readonly params: GPUBuffer;
  private readonly xs: GPUBuffer;
  private readonly ys: GPUBuffer;
  private readonly slotInfo: GPUBuffer;
  /** per slot the step count not to pass in this advance (binding 9, mlp_slots.wgsl stop_at) */
  private readonly stopAt: GPUBuffer;
  /** optimiser state (momentum, Adam) or, for gradient flow, f(θ): the next step's first stage */
  private readonly state: GPUBuffer | null;
  private readonly vectors: number;
  private readonly flow: boolean;
  /** stiff gradient flow (rosenbrock23, rodas4, ros34pw2): per slot the Hessian H(θ) and the Cholesky factor of W, P×P each */
  private readonly hessian: GPUBuffer | null;
  private readonly factor: GPUBuffer | null;
  /** double-float stiff flow (mlp_double_float.wgsl): θ's low parts, θ = params + paramsLow */
  private readonly paramsLow: GPUBuffer | null;
  /** double-float stiff flow: the Hessian's per-sample cache (mlp_double_float.wgsl df_cache) */
  private readonly sampleCache: GPUBuffer | null;
  /** group coordinates: per slot θ and f(θ) in groups as the last dispatch left them (mlp_stiff.wgsl group_state) */
  private readonly groupState: GPUBuffer | null;
  /** the Hessian's own dispatches (mlp_stiff.wgsl SPLIT_HESSIAN), when the plan has them */
  private readonly hessianDispatches: HessianDispatches | null = null;
  /** slots were loaded since the last dispatch: their status is not computed yet */
  private fresh = false;
  /** which slots hold a run */
  private readonly loaded: boolean[];
  /** the activations its kernel serves (servedActivations; several: a mixed kernel) */
  private readonly activations: readonly Activation[];
  /** GPU time of advance()'s passes, once timeGpu() switched it on */
  private timer: PassTimer | null = null;
  /** staging buffers of status and parameter reads, reused from check to check */
  private readback: Readback | null = null;

  private constructor(
    readonly description: string,
    private readonly gpu: GpuContext,
    private readonly pipelines: PipelineCache,
    private readonly pipeline: GPUComputePipeline,
    readonly options: EnsembleOptions,
    private readonly tuning: KernelTuning,
    arithmetic: Arithmetic,
    stiffStorage: StiffStorage,
    /** the Hessian's own pipelines and their workgroups per slot, and the closed form's block size, when the plan has them */
    hessianPasses: Omit<HessianDispatches, 'parts'> | null,
  ) {
    this.arithmetic = arithmetic;
    const doubleFloat = arithmetic === 'double-float';
    this.loaded = new Array<boolean>(options.slots).fill(false);
    this.activations = servedActivations(options);
    const device = gpu.device;
    this.P = parameterCount(options.arch);
    this.flow = options.optimizer.kind === 'flow';
    this.vectors = this.flow ? 1 : stateVectors(options.optimizer);
    const storage = (floats: number, extra = 0) => {
      const buffer = device.createBuffer({ size: Math.max(16, 4 * floats), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC | extra });
      this.buffers.push(buffer);
      return buffer;
    };
    const S = options.slots;
    this.params = storage(S * this.P);
    const datasets = options.sharedData ? 1 : S;
    this.xs = storage(datasets * options.samples * options.arch.inputDim);
    this.ys = storage(datasets * options.samples);
    if (options.sharedData) {
      const { x, y } = options.sharedData;
      device.queue.writeBuffer(this.xs, 0, Float32Array.from(x.subarray(0, options.samples * options.arch.inputDim)));
      device.queue.writeBuffer(this.ys, 0, Float32Array.from(y.subarray(0, options.samples)));
    }
    this.slotInfo = storage(S * SLOT_WORDS);
    this.stopAt = storage(S);
    this.state = this.vectors > 0 ? storage(S * this.vectors * this.P) : null;
    const stiff = options.optimizer.kind === 'flow' && isStiffSolver(options.optimizer.solver);
    const matrixFloats = stiffMatrixFloats(this.P, doubleFloat);
    this.hessian = stiff ? storage(S * matrixFloats) : null;
    this.factor = stiff ? storage(S * matrixFloats) : null;
    this.paramsLow = doubleFloat ? storage(S * this.P) : null;
    this.sampleCache = doubleFloat ? storage(S * doubleFloatCacheFloats(options.arch, options.samples, stiffStorage.splitHessian)) : null;
    this.groupState = stiff && stiffStorage.groupCoordinates ? storage(S * groupStateWords(options.arch)) : null;
    if (hessianPasses) {
      const { blockSamples } = hessianPasses;
      const parts = blockSamples > 0 ? storage(S * Math.ceil(options.samples / blockSamples) * hessianPartFloats(options.arch)) : null;
      this.hessianDispatches = { ...hessianPasses, parts };
    }
  }

  /** `precision`: the stiff kernel's group coordinates and double-float (mlp-kernels.ts StiffPrecision; on by default) */
  static async create(gpu: GpuContext, pipelines: PipelineCache, options: EnsembleOptions, description: string, tuning: KernelTuning = {}, precision: StiffPrecision = FULL_STIFF_PRECISION): Promise<GpuEnsemble> {
    validateArchitecture(options.arch);
    if (!Number.isInteger(options.slots) || options.slots < 1) throw new RangeError(`slots must be a positive integer, got ${options.slots}`);
    const planSlots = options.planSlots ?? options.slots;
    if (!Number.isInteger(planSlots) || planSlots < options.slots) throw new RangeError(`planSlots must be an integer of at least slots (${options.slots}), got ${planSlots}`);
    const optimizer = options.optimizer;
    if (optimizer.kind === 'flow') checkHessianReuse(optimizer.solver, optimizer.hessianReuse);
    const arch = plannedArchitecture(options);
    const plan =
      optimizer.kind !== 'flow'
        ? planTrainKernel(arch, optimizer, gpu.limits, tuning)
        : isStiffSolver(optimizer.solver)
          ? planStiffFlowKernel(arch, gpu.limits, optimizer.solver, tuning, precision)
          : planFlowKernel(arch, gpu.limits, tuning);
    const stiffStorage: StiffStorage = {
      doubleFloat: plan.doubleFloat ?? false,
      splitHessian: plan.splitHessian ?? false,
      groupCoordinates: plan.groupCoordinates ?? false,
    };
    // every per-slot buffer is one binding for all slots
    const limit = bindingBytes(gpu.device.limits);
    for (const { name, floats } of slotBuffers(options, stiffStorage)) {
      const bytes = 4 * options.slots * floats;
      if (bytes > limit) {
        throw new RangeError(`${options.slots} slots need ${bytes} bytes for ${name}, above this device's storage binding limit (${limit}); at most ${Math.floor(limit / (4 * floats))} slots fit`);
      }
    }
    const storageLimit = gpu.device.limits.maxStorageBuffersPerShaderStage;
    const bound = storageBindings(optimizer, stiffStorage);
    if (bound > storageLimit) {
      throw new RangeError(`this device allows ${storageLimit} storage buffers per shader stage; the ${plan.program.name} kernel${plan.doubleFloat ? ' in double-float' : ''} binds ${bound}`);
    }
    // one kernel for the runs' activations (a mixed one reads each slot's)
    const program = forActivations(plan.program, servedActivations(options));
    const pipeline = await withErrorScopes(gpu.device, 'training kernel', () => pipelines.get(program));
    // (the Hessian's dispatches index slots by workgroup x alone, and the closed form's bind its block
    // sums too; without them main assembles H itself). Both choices, which change a run's last bits,
    // follow planSlots, not slots: blocks planned for more slots fit fewer.
    const closed = !plan.doubleFloat;
    let hessianPasses: Omit<HessianDispatches, 'parts'> | null = null;
    if (plan.hessianPasses && planSlots <= Math.min(HESSIAN_DISPATCH_MAX_SLOTS, gpu.limits.maxComputeWorkgroupsPerDimension) && storageBindings(optimizer, stiffStorage, closed) <= storageLimit) {
      const tileSamples = plan.tile * plan.strategy.samplesPerThread;
      const blockSamples = closed ? hessianBlockSamples(options.arch, options.samples, planSlots, closedHessianTasks(options.arch).sweeps(plan.tile), tileSamples, limit) : 0;
      const grids = plan.hessianPasses.map((pass) => pass.workgroupsPerSlot(options.samples, blockSamples));
      // (a grid's y is its workgroups per slot: a network too large for that keeps main's assembly)
      if (Math.max(...grids) <= gpu.limits.maxComputeWorkgroupsPerDimension) {
        const passes = await withErrorScopes(gpu.device, 'Hessian kernels', () =>
          Promise.all(plan.hessianPasses!.map(async (pass, k) => ({ pipeline: await pipelines.get({ ...program, entryPoint: pass.entryPoint }), workgroupsPerSlot: grids[k] }))),
        );
        hessianPasses = { passes, blockSamples };
      }
    }
    return new GpuEnsemble(description, gpu, pipelines, pipeline, options, tuning, planArithmetic(plan), stiffStorage, hessianPasses);
  }

  get slots(): number {
    return this.options.slots;
  }

  async load(slot: number, run: SlotRun): Promise<void> {
    this.checkSlot(slot);
    const { samples, arch } = this.options;
    const activation = run.activation ?? arch.activation;
    if (!this.activations.includes(activation)) {
      throw new RangeError(`a ${activation} run cannot go into an ensemble of ${this.activations.join(', ')} networks`);
    }
    if (run.params.length !== this.P) throw new RangeError(`run has ${run.params.length} parameters, the ensemble's networks have ${this.P}`);
    if (run.data.samples !== samples || run.data.inputDim !== arch.inputDim) {
      throw new RangeError(`run dataset is ${run.data.samples}×${run.data.inputDim}, the ensemble expects ${samples}×${arch.inputDim}`);
    }
    const queue = this.gpu.device.queue;
    const high = Float32Array.from(run.params);
    queue.writeBuffer(this.params, 4 * slot * this.P, high);
    if (this.paramsLow) queue.writeBuffer(this.paramsLow, 4 * slot * this.P, Float32Array.from(run.params, (value, p) => value - high[p]));
    if (this.options.sharedData) {
      if (run.data !== this.options.sharedData) throw new RangeError('this ensemble shares one dataset: a run must carry that dataset');
    } else {
      queue.writeBuffer(this.xs, 4 * slot * samples * arch.inputDim, Float32Array.from(run.data.x.subarray(0, samples * arch.inputDim)));
      queue.writeBuffer(this.ys, 4 * slot * samples, Float32Array.from(run.data.y.subarray(0, samples)));
    }
    if (this.state) queue.writeBuffer(this.state, 4 * slot * this.vectors * this.P, new Float32Array(this.vectors * this.P));
    // (gradient flow: step_size 0 makes the kernel compute f(θ) and a first step size; hessian_ready
    // (word 14) is 0: the stiff kernel assembles H(θ) before its first step; factorization_failed
    // (word 15) is 0)
    const info = new ArrayBuffer(4 * SLOT_WORDS);
    const words = new Uint32Array(info);
    const [seedLo, seedHi] = seedKey(run.seed);
    words.set([1, 1, 0, 0, seedLo, seedHi, run.runIndex, 0]);
    words[16] = activationCode(activation);
    new Float32Array(info).fill(NaN, 10, 14); // loss, barrier, gradient and norm are unknown until the first advance
    queue.writeBuffer(this.slotInfo, 4 * slot * SLOT_WORDS, info);
    // no group-coordinate state: the first dispatch turns θ itself
    if (this.groupState) queue.writeBuffer(this.groupState, 4 * slot * groupStateWords(arch), new Uint32Array(1));
    // status() reports loss and gradient of the current parameters: the next dispatch computes them
    // for every freshly loaded slot at once (loading thousands of slots stays one dispatch)
    this.fresh = true;
    this.loaded[slot] = true;
  }

  release(slot: number): void {
    this.checkSlot(slot);
    this.loaded[slot] = false;
    this.gpu.device.queue.writeBuffer(this.slotInfo, 4 * slot * SLOT_WORDS, new Uint32Array([0]));
  }

  async advance(steps: number, untilTime = Infinity, stopAt?: ArrayLike<number>): Promise<void> {
    if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`steps must be a non-negative integer, got ${steps}`);
    if (stopAt && stopAt.length !== this.options.slots) throw new RangeError(`stopAt has ${stopAt.length} entries for ${this.options.slots} slots`);
    const limits = new Uint32Array(this.options.slots).fill(NO_STOP);
    if (stopAt) for (let i = 0; i < limits.length; i++) limits[i] = Math.min(NO_STOP, Math.max(0, Math.floor(stopAt[i])));
    this.gpu.device.queue.writeBuffer(this.stopAt, 0, limits);
    if (steps === 0) {
      if (this.fresh) await this.dispatch(0, untilTime);
      return;
    }
    // submits of DISPATCHES_PER_SUBMIT dispatches, until every slot has stopped (its event, its time
    // limit, a non-finite value), rather than the rest of `steps` in dispatches with nothing to do
    const perSubmit = DISPATCHES_PER_SUBMIT * this.stepsPerDispatch;
    for (let done = 0; done < steps; done += perSubmit) {
      await this.dispatch(Math.min(perSubmit, steps - done), untilTime);
      if (done + perSubmit < steps && !(await this.anySlotMayStep(limits, untilTime))) break;
    }
  }

  /** steps per dispatch of the step kernel: one with the Hessian's own dispatches before each */
  private get stepsPerDispatch(): number {
    return this.hessianDispatches ? 1 : this.flow ? STEPS_PER_DISPATCH.flow : STEPS_PER_DISPATCH.discrete;
  }

  /** Whether a slot holds a finite run below its stop step and time limit. */
  private async anySlotMayStep(stopAt: Uint32Array, untilTime: number): Promise<boolean> {
    const limit = Math.fround(untilTime);
    return (await this.status()).some((s, i) => s.active && s.finite && s.steps < stopAt[i] && s.time < limit);
  }

  /** Runs `steps` steps on every active slot, in dispatches of STEPS_PER_DISPATCH, never past untilTime. */
  private dispatch(steps: number, untilTime = Infinity): Promise<void> {
    const device = this.gpu.device;
    // the Hessian's own dispatches come before every step: one step per dispatch of main
    const split = this.hessianDispatches;
    const perDispatch = this.stepsPerDispatch;
    return withErrorScopes(device, 'training step', async () => {
      const chunks: number[] = [];
      for (let left = steps; left > 0; left -= perDispatch) chunks.push(Math.min(left, perDispatch));
      if (chunks.length === 0) chunks.push(0);
      const encoder = device.createCommandEncoder({ label: 'mlp_train' });
      const temporary: GPUBuffer[] = [];
      const entriesByStepCount = new Map<number, GPUBindGroupEntry[]>();
      // (automatic layouts: each pipeline needs bind groups of its own, over the same entries)
      const bindGroups = new Map<GPUComputePipeline, Map<number, GPUBindGroup>>();
      const bindGroupFor = (stepCount: number, pipeline: GPUComputePipeline = this.pipeline) => {
        let groups = bindGroups.get(pipeline);
        if (!groups) bindGroups.set(pipeline, (groups = new Map()));
        let group = groups.get(stepCount);
        if (!group) {
          // the closed form's block sums belong to the Hessian's dispatches alone
          const parts = pipeline !== this.pipeline && split?.parts ? [{ binding: 12, resource: { buffer: split.parts } }] : [];
          group = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [...entriesFor(stepCount), ...parts] });
          groups.set(stepCount, group);
        }
        return group;
      };
      const entriesFor = (stepCount: number): GPUBindGroupEntry[] => {
        let entries = entriesByStepCount.get(stepCount);
        if (!entries) {
          const config = this.configBuffer(stepCount, untilTime);
          temporary.push(config);
          entries = [
            { binding: 0, resource: { buffer: config } },
            { binding: 1, resource: { buffer: this.params } },
            { binding: 2, resource: { buffer: this.xs } },
            { binding: 3, resource: { buffer: this.ys } },
            { binding: 4, resource: { buffer: this.slotInfo } },
            { binding: 9, resource: { buffer: this.stopAt } },
          ];
          if (this.state) entries.push({ binding: 5, resource: { buffer: this.state } });
          if (this.hessian && this.factor) {
            entries.push({ binding: 6, resource: { buffer: this.hessian } }, { binding: 7, resource: { buffer: this.factor } });
          }
          if (this.paramsLow) entries.push({ binding: 8, resource: { buffer: this.paramsLow } });
          if (this.sampleCache) entries.push({ binding: 10, resource: { buffer: this.sampleCache } });
          if (this.groupState) entries.push({ binding: 11, resource: { buffer: this.groupState } });
          entriesByStepCount.set(stepCount, entries);
        }
        return entries;
      };
      const pass = encoder.beginComputePass({ timestampWrites: this.timer?.nextPass() });
      const [x, y] = dispatchGrid(this.options.slots, this.gpu.limits.maxComputeWorkgroupsPerDimension);
      const slots = this.options.slots;
      for (const chunk of chunks) {
        if (split && chunk > 0) {
          for (const { pipeline, workgroupsPerSlot } of split.passes) {
            pass.setPipeline(pipeline);
            pass.setBindGroup(0, bindGroupFor(chunk, pipeline));
            pass.dispatchWorkgroups(slots, workgroupsPerSlot);
          }
        }
        pass.setPipeline(this.pipeline);
        pass.setBindGroup(0, bindGroupFor(chunk));
        pass.dispatchWorkgroups(x, y);
      }
      pass.end();
      this.timer?.resolve(encoder);
      device.queue.submit([encoder.finish()]);
      await device.queue.onSubmittedWorkDone();
      await this.timer?.read();
      this.fresh = false;
      for (const buffer of temporary) buffer.destroy();
    });
  }

  /** struct Config of mlp_train.wgsl or mlp_flow_common.wgsl */
  private configBuffer(steps: number, untilTime: number): GPUBuffer {
    const { optimizer, samples, maxnorm } = this.options;
    const config = new ArrayBuffer(CONFIG_BYTES);
    const u32 = new Uint32Array(config);
    const f32 = new Float32Array(config);
    u32[0] = this.options.slots;
    u32[1] = samples;
    u32[2] = steps;
    f32[8] = maxnorm;
    u32[9] = this.options.sharedData ? 0 : samples;
    u32[10] = this.hessianDispatches?.blockSamples ?? 0;
    if (optimizer.kind === 'flow') {
      u32[3] = optimizer.hessianReuse ?? 1;
      f32[4] = optimizer.rtol;
      f32[5] = optimizer.atol;
      f32[6] = optimizer.maxStepSize ?? DEFAULT_MAX_STEP_SIZE;
      f32[7] = untilTime;
    } else {
      u32[3] = minibatchSize(optimizer) ?? 0;
      f32[4] = optimizer.lr;
      if (optimizer.kind === 'momentum') f32[5] = optimizer.beta;
      if (optimizer.kind === 'adam') {
        f32[6] = optimizer.eps;
        // 1 − β and ln β in float64, rounded once (see the struct's comment); ln β no lower than −10⁴,
        // where βᵗ is 0 in float32 anyway, so that β = 0 sends no infinity (WGSL need not keep one)
        const logBeta = (beta: number) => Math.max(Math.log(beta), -1e4);
        f32.set([1 - optimizer.beta1, 1 - optimizer.beta2, logBeta(optimizer.beta1), logBeta(optimizer.beta2)], 12);
      }
    }
    const buffer = this.gpu.device.createBuffer({ size: CONFIG_BYTES, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.gpu.device.queue.writeBuffer(buffer, 0, config);
    return buffer;
  }

  async status(): Promise<SlotStatus[]> {
    if (this.fresh) await this.dispatch(0);
    const bytes = await this.read(this.slotInfo, 0, 4 * this.options.slots * SLOT_WORDS);
    const u32 = new Uint32Array(bytes);
    const f32 = new Float32Array(bytes);
    const result: SlotStatus[] = [];
    for (let s = 0; s < this.options.slots; s++) {
      const o = s * SLOT_WORDS;
      result.push({
        active: u32[o] === 1,
        finite: u32[o + 1] === 1,
        steps: u32[o + 2],
        evaluations: u32[o + 3],
        time: f32[o + 8],
        stepSize: f32[o + 9],
        loss: f32[o + 10],
        barrier: f32[o + 11],
        gradInf: f32[o + 12],
        weightNorm: f32[o + 13],
        factorizationFailed: u32[o + 15] === 1,
      });
    }
    return result;
  }

  async parameters(slot: number): Promise<Float64Array> {
    this.checkSlot(slot);
    return this.readParameters(slot, 1);
  }

  async allParameters(): Promise<Float64Array> {
    return this.readParameters(0, this.options.slots);
  }

  /** θ of `count` slots from `first`: params, plus params_low for double-float flow */
  private async readParameters(first: number, count: number): Promise<Float64Array> {
    const [offset, size] = [4 * first * this.P, 4 * count * this.P];
    const theta = Float64Array.from(new Float32Array(await this.read(this.params, offset, size)));
    if (this.paramsLow) {
      const low = new Float32Array(await this.read(this.paramsLow, offset, size));
      for (let k = 0; k < theta.length; k++) theta[k] += low[k];
    }
    return theta;
  }

  async diagnostics(slots?: readonly number[], settings: DiagnosticsSettings = DEFAULT_DIAGNOSTICS_SETTINGS): Promise<RunDiagnostics[]> {
    const list = slots ?? this.loaded.flatMap((on, slot) => (on ? [slot] : []));
    for (const slot of list) {
      this.checkSlot(slot);
      if (!this.loaded[slot]) throw new RangeError(`slot ${slot} is empty`);
    }
    const { arch, samples, maxnorm, sharedData } = this.options;
    const inputs = { arch, activations: this.activations, samples, maxnorm, params: this.params, xs: this.xs, ys: this.ys, slots: this.slotInfo, dataStride: sharedData ? 0 : samples };
    return gpuDiagnostics(this.gpu, this.pipelines, inputs, list, settings, this.tuning, (buffer, offset, size) => this.read(buffer, offset, size));
  }

  private read(buffer: GPUBuffer, offset: number, size: number): Promise<ArrayBuffer> {
    const readback = (this.readback ??= new Readback(this.gpu.device));
    return withErrorScopes(this.gpu.device, 'ensemble readback', () => readback.read(buffer, offset, size));
  }

  /**
   * Switches on timestamp queries around advance()'s passes (benchmarks): returns false when the
   * device lacks 'timestamp-query'. gpuSeconds then sums the GPU time of every later advance().
   */
  timeGpu(): boolean {
    this.timer ??= new PassTimer(this.gpu.device);
    return this.timer.available;
  }

  /** GPU seconds of advance() since timeGpu() (null when not timed or unavailable) */
  get gpuSeconds(): number | null {
    return this.timer?.available ? this.timer.totalSeconds : null;
  }

  dispose(): void {
    for (const buffer of this.buffers.splice(0)) buffer.destroy();
    this.timer?.destroy();
    this.readback?.dispose();
  }

  private checkSlot(slot: number): void {
    checkSlotIndex(slot, this.options.slots);
  }
}
