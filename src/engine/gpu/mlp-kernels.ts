// Program objects for the MLP kernels (shaders/mlp_core.wgsl and the kernels built on it): shapes,
// workgroup-memory row layout, tile size, and each kernel's own compile-time switches.
import type { KernelProgram } from '../../gpu/kernel.js';
import { ACTIVATIONS, parameterLayout, type Activation, type Architecture } from '../../model/architecture.js';
import { checkPairCount } from '../../model/groups.js';
import { minibatchSize, stateVectors, type DiscreteOptimizer } from '../../optim/optimizers.js';
import { FULL_SPECTRUM_MAX_PARAMETERS } from '../../analysis/diagnostics.js';
import { hasClosedFormHessian } from '../cpu/hessian.js';
import { ROS34PW2, type StiffSolver } from '../../optim/stiff-solvers.js';
import { LANCZOS_BREAKDOWN, MAX_LANCZOS_STEPS } from '../../analysis/spectrum.js';
import { BLOCK_INPUTS, BLOCK_NEURONS, REGISTER_ACCUMULATION_BLOCK, resolveStrategy, type KernelStrategy, type KernelTuning } from './kernel-strategy.js';
import type { Arithmetic } from '../training.js';

export interface MlpKernelPlan {
  program: KernelProgram;
  /** samples per tile = threads per workgroup */
  tile: number;
  /** how the kernel sums gradients (its tile may be below the requested one: workgroup memory) */
  strategy: KernelStrategy;
  parameterCount: number;
  /** workgroup memory the kernel uses, bytes */
  workgroupBytes: number;
  /** the stiff kernel keeps θ in two floats (params_low, binding 8; mlp_double_float.wgsl) */
  doubleFloat?: boolean;
  /** the stiff kernel integrates groups of close neurons in group coordinates */
  groupCoordinates?: boolean;
  /** the stiff kernel's Hessian has dispatches of its own before each step (mlp_stiff.wgsl SPLIT_HESSIAN) */
  splitHessian?: boolean;
  /** with splitHessian: those dispatches, in order */
  hessianPasses?: HessianPass[];
}

/** One of the stiff kernel's Hessian dispatches (mlp_stiff.wgsl SPLIT_HESSIAN): an entry point and its grid per slot. */
export interface HessianPass {
  entryPoint: string;
  /** workgroups per slot (the grid's y) for N samples, cut into blocks of `blockSamples` (closed form) */
  workgroupsPerSlot(samples: number, blockSamples: number): number;
}

const ACTIVATION_FLAGS: Record<Activation, string> = {
  softplus: 'ACT_SOFTPLUS',
  g: 'ACT_G',
  erf: 'ACT_ERF',
  sigmoid: 'ACT_SIGMOID',
  tanh: 'ACT_TANH',
  relu: 'ACT_RELU',
  gelu: 'ACT_GELU',
};

/** An activation's code in a mixed kernel (Slot.activation, activations.wgsl network_activation): its index in ACTIVATIONS. */
export function activationCode(activation: Activation): number {
  return ACTIVATIONS.indexOf(activation);
}

/**
 * shaders/activations.wgsl's flags: the ACT_* flag of each activation the kernel serves (exactly one,
 * or with several MIXED_ACTIVATIONS: each network's read from its slot), and the activations' codes.
 */
export function activationDefinitions(activations: Activation | readonly Activation[]): Record<string, boolean | number> {
  const served = new Set(typeof activations === 'string' ? [activations] : activations);
  const definitions: Record<string, boolean | number> = { MIXED_ACTIVATIONS: served.size > 1 };
  for (const activation of ACTIVATIONS) {
    const flag = ACTIVATION_FLAGS[activation];
    definitions[flag] = served.has(activation);
    definitions[flag.replace('ACT_', 'CODE_')] = activationCode(activation);
  }
  return definitions;
}

/**
 * The activation an ensemble's kernel is planned for when it serves several (a mixed kernel): a smooth
 * one if there is one. Its plan (group coordinates for one hidden layer, double-float for deeper
 * networks) then serves relu's runs too: both are exact changes of representation, and relu is exact in
 * double-float (double_float.wgsl df_relu); relu alone keeps its own float32 plan (no channels to keep).
 */
export function plannedActivation(activations: readonly Activation[]): Activation {
  return activations.find((activation) => activation !== 'relu') ?? activations[0];
}

/** `program` specialised for the activations of an ensemble's runs (EnsembleOptions.activations): with more than one, a mixed kernel. */
export function forActivations(program: KernelProgram, activations: readonly Activation[]): KernelProgram {
  if (activations.length <= 1) return program;
  return { ...program, definitions: { ...program.definitions, ...activationDefinitions(activations) } };
}

/**
 * Offsets of each per-sample quantity inside one sample's row of workgroup memory; `groupHessian`:
 * room for the group Hessian coefficients that the R-operator slots cannot hold (two per hidden
 * neuron, mlp_core.wgsl group_coefficient_offset).
 */
function rowLayout(widths: number[], hvp: boolean, groupHessian = false) {
  const layers = widths.length - 1; // NL
  const pad = () => new Array<number>(5).fill(0);
  const rowA = pad(), rowDelta = pad(), rowRa = pad(), rowRdelta = pad(), rowRz = pad();
  let offset = 0;
  const take = (n: number) => {
    const at = offset;
    offset += n;
    return at;
  };
  rowA[0] = take(widths[0]);
  for (let l = 1; l < layers; l++) {
    rowA[l] = take(widths[l]);
    rowDelta[l] = take(widths[l]);
    if (hvp) {
      rowRa[l] = take(widths[l]);
      rowRdelta[l] = take(widths[l]);
      rowRz[l] = take(widths[l]);
    }
  }
  rowDelta[layers] = take(1);
  if (hvp) rowRdelta[layers] = take(1);
  const rowGroup = groupHessian ? take(2 * widths[1]) : 0;
  return { floatsPerSample: offset, rowA, rowDelta, rowRa, rowRdelta, rowRz, rowGroup };
}

const list = (values: number[]) => values.map((v) => `${v}u`).join(', ');

/**
 * The blocked strategy's parameter blocks: per layer, BLOCK_NEURONS × BLOCK_INPUTS tiles of its
 * (neurons) × (inputs, then the bias) grid, as (layer, first neuron, first input, neurons | inputs << 16).
 */
export function parameterBlocks(widths: number[], biases: boolean): [number, number, number, number][] {
  const blocks: [number, number, number, number][] = [];
  for (let l = 1; l < widths.length; l++) {
    const columns = widths[l - 1] + (biases ? 1 : 0);
    for (let j0 = 0; j0 < widths[l]; j0 += BLOCK_NEURONS) {
      for (let i0 = 0; i0 < columns; i0 += BLOCK_INPUTS) {
        blocks.push([l, j0, i0, Math.min(BLOCK_NEURONS, widths[l] - j0) | (Math.min(BLOCK_INPUTS, columns - i0) << 16)]);
      }
    }
  }
  return blocks;
}

type KernelLimits = { maxComputeWorkgroupStorageSize: number; maxComputeInvocationsPerWorkgroup: number };

/**
 * The shared core: shapes, row layout, the accumulation strategy (kernel-strategy.ts, `tuning` on
 * top of the defaults) and the largest tile up to the strategy's that fits the device's workgroup
 * memory (with `extraVectors` more P-float vectors and `extraPerThread` more floats per thread of
 * the including kernel). `hvp`: the R-operator's row layout, and unless `rOperator` is false its
 * passes too (mlp_core.wgsl R_OPERATOR). `rowsPerThread`: floats of the sample rows per thread when
 * the including kernel does not run the core's passes (the double-float stiff kernel), instead of a
 * tile's rows.
 */
function planMlpCore(arch: Architecture, hvp: boolean, limits: KernelLimits, tuning: KernelTuning = {}, extraVectors = 0, extraPerThread = 0, pairs: CorePairs = { adjacent: 0 }, rOperator = hvp, rowsPerThread?: number) {
  const adjacentPairs = 'adjacent' in pairs ? pairs.adjacent : 0;
  checkCorePairs(arch, adjacentPairs, hvp);
  const grouped = adjacentPairs > 0 || 'chosenByKernel' in pairs;
  const layout = parameterLayout(arch);
  const widths = [arch.inputDim, ...arch.hidden, 1];
  const rows = rowLayout(widths, hvp, grouped && hvp);
  const P = layout.count;
  const requested = resolveStrategy(P, tuning);
  const blocked = requested.accumulation === 'blocked';
  // the blocked strategy hands its sums to the owners through one more P-vector
  const fixedBytes = 4 * P * ((hvp ? 2 : 1) + extraVectors + (blocked ? 1 : 0));
  let tile = 1;
  while (tile * 2 <= Math.min(requested.tile, limits.maxComputeInvocationsPerWorkgroup)) tile *= 2;
  const rowFloats = rowsPerThread ?? requested.samplesPerThread * rows.floatsPerSample;
  const bytesFor = (t: number) => fixedBytes + 4 * t * (rowFloats + 1 + extraPerThread);
  while (tile > 1 && bytesFor(tile) > limits.maxComputeWorkgroupStorageSize) tile /= 2;
  if (bytesFor(tile) > limits.maxComputeWorkgroupStorageSize) {
    throw new RangeError(`network too large for this device's workgroup memory (${bytesFor(tile)} bytes needed)`);
  }
  const register = requested.accumulation === 'register';
  const blocks = parameterBlocks(widths, arch.biases);
  const pad = (values: number[]) => [...values, ...new Array(5 - values.length).fill(0)];
  const weightOffsets = pad([0, ...layout.layers.map((l) => l.weightOffset)]);
  const biasOffsets = pad([0, ...layout.layers.map((l) => Math.max(l.biasOffset, 0))]);
  const definitions = {
    TILE: tile,
    NL: widths.length - 1,
    P,
    D: arch.inputDim,
    OWN: Math.ceil(P / tile),
    FPS: rows.floatsPerSample,
    ROWS_SIZE: tile * rowFloats,
    SPT: requested.samplesPerThread,
    WIDTHS: list(pad(widths)),
    WEIGHT_OFFSETS: list(weightOffsets),
    BIAS_OFFSETS: list(biasOffsets),
    ROW_A: list(rows.rowA),
    ROW_DELTA: list(rows.rowDelta),
    ROW_RA: list(rows.rowRa),
    ROW_RDELTA: list(rows.rowRdelta),
    ROW_RZ: list(rows.rowRz),
    ROW_GROUP: rows.rowGroup,
    HVP: hvp,
    BIASES: arch.biases,
    REGISTER_ACCUMULATE: register,
    HOIST_INPUTS: requested.hoistInputs,
    SUBGROUPS: requested.subgroups,
    BLOCKED_ACCUMULATE: blocked,
    BLOCK_J: BLOCK_NEURONS,
    BLOCK_I: BLOCK_INPUTS,
    BLOCKS: blocks.length,
    OWN_BLOCKS: Math.ceil(blocks.length / tile),
    BLOCK_TABLE: blocks.map((b) => `vec4<u32>(${list(b)})`).join(', '),
    MAX_WIDTH: Math.max(...widths),
    ACC_BLOCK: REGISTER_ACCUMULATION_BLOCK,
    // odd, so that thread t's writes at t·chunk + c fall in distinct banks
    REDUCE_CHUNK: rows.floatsPerSample % 2 === 1 ? rows.floatsPerSample : rows.floatsPerSample - 1,
    ...activationDefinitions(arch.activation),
    GROUPED: grouped,
    R_OPERATOR: hvp && rOperator,
  };
  const strategy: KernelStrategy = { ...requested, tile };
  const extensions = strategy.subgroups ? ['subgroups'] : [];
  return { definitions, extensions, tile, strategy, parameterCount: P, workgroupBytes: bytesFor(tile) };
}

const CORE_FILES = ['activations.wgsl', 'mlp_core.wgsl'];

/**
 * Group coordinates in the core (mlp_core.wgsl, GROUPED): none, the first `adjacent` neuron pairs
 * (2q, 2q + 1) (the evaluation kernel, EvaluationRequest.pairs), or groups of up to MAX_GROUP_SIZE
 * the including kernel chooses as it runs (the stiff kernel).
 */
type CorePairs = { adjacent: number } | { chosenByKernel: true };

/**
 * Whether the stiff kernel integrates groups of close neurons in group coordinates (mlp_stiff.wgsl): one
 * hidden layer (the closed-form Hessian) of at least two neurons, not relu (no channels), unless
 * switched off (GpuEngine.withoutGroupCoordinates, for comparisons).
 */
function stiffGroupCoordinates(arch: Architecture, enabled = true): boolean {
  return enabled && hasClosedFormHessian(arch) && arch.hidden[0] >= 2 && arch.activation !== 'relu';
}

/** How the stiff kernel keeps float32 from losing a channel (each on by default; off for comparisons). */
export interface StiffPrecision {
  /** one hidden layer: groups of close neurons in group coordinates (mlp_stiff.wgsl GROUPED) */
  groupCoordinates: boolean;
  /** deeper networks of a smooth activation: θ, the passes, the Hessian and the solves in double-float (mlp_double_float.wgsl) */
  doubleFloat: boolean;
  /**
   * H in dispatches of its own across the GPU before each one-step dispatch of the step kernel
   * (mlp_stiff.wgsl SPLIT_HESSIAN), rather than by each network's workgroup in the step kernel: for
   * double-float and for the closed form (not a precision: double-float's sums are the same either
   * way, the closed form's differ by roundings; off for comparisons)
   */
  hessianDispatches: boolean;
}

export const FULL_STIFF_PRECISION: StiffPrecision = { groupCoordinates: true, doubleFloat: true, hessianDispatches: true };

/** Activations with a double-float version (double_float.wgsl df_softplus, df_erf, …): every smooth one (relu has no channels). */
export const DOUBLE_FLOAT_ACTIVATIONS: readonly Activation[] = ['softplus', 'erf', 'tanh', 'sigmoid', 'g', 'gelu'];

/**
 * Whether the stiff kernel runs `arch` in double-float (mlp_double_float.wgsl): two or more hidden
 * layers (one hidden layer has group coordinates instead) with an activation of
 * DOUBLE_FLOAT_ACTIVATIONS, unless switched off.
 */
export function stiffDoubleFloat(arch: Architecture, enabled = true): boolean {
  return enabled && arch.hidden.length >= 2 && DOUBLE_FLOAT_ACTIVATIONS.includes(arch.activation);
}

/**
 * Whether the stiff kernel's Hessian for `arch` has dispatches of its own (StiffPrecision.hessianDispatches):
 * double-float, or the closed form of one hidden layer (float32 deep networks' HVP columns have none).
 */
export function stiffHessianDispatches(arch: Architecture, precision: StiffPrecision): boolean {
  return precision.hessianDispatches && (stiffDoubleFloat(arch, precision.doubleFloat) || hasClosedFormHessian(arch));
}

/** What the stiff kernel keeps per slot besides θ, the data and the matrices (GpuEnsemble's buffers). */
export interface StiffStorage {
  /** θ's low parts and the double-float Hessian's sample cache */
  doubleFloat: boolean;
  /** the Hessian's own dispatches: the cache holds every sample, or the closed form's block sums */
  splitHessian: boolean;
  /** group coordinates' end-of-dispatch state (mlp_stiff.wgsl group_state) */
  groupCoordinates: boolean;
}

export const NO_STIFF_STORAGE: StiffStorage = { doubleFloat: false, splitHessian: false, groupCoordinates: false };

/** The stiff kernel's extra per-slot storage for `arch` under `precision` (as planStiffFlowKernel plans it). */
export function stiffStorage(arch: Architecture, precision: StiffPrecision): StiffStorage {
  return {
    doubleFloat: stiffDoubleFloat(arch, precision.doubleFloat),
    splitHessian: stiffHessianDispatches(arch, precision),
    groupCoordinates: stiffGroupCoordinates(arch, precision.groupCoordinates),
  };
}

/** Words per slot of the group coordinates' state (mlp_stiff.wgsl GROUP_STATE_WORDS): a flag, the r groups' firsts, θ and f(θ). */
export function groupStateWords(arch: Architecture): number {
  return 1 + arch.hidden[0] + 2 * parameterLayout(arch).count;
}

/** Floats per slot and block of samples of the closed form's block sums (mlp_stiff.wgsl hessian_parts): 16 per task. */
export function hessianPartFloats(arch: Architecture): number {
  return HESSIAN_BLOCK * HESSIAN_BLOCK * closedHessianTasks(arch).tasks;
}

/** Workgroups the closed form's block dispatch aims at: enough to fill a large GPU (H100: 132 SMs) several times over. */
export const HESSIAN_BLOCK_WORKGROUPS = 4096;
/** The closed form's block sums take at most this many bytes (besides the device's binding limit). */
export const HESSIAN_PARTS_BYTES = 256 * 2 ** 20;

/**
 * Samples per block of the closed form's own dispatches (Config.block_samples): whole tiles, and as
 * many blocks as HESSIAN_BLOCK_WORKGROUPS asks across `slots` × `sweeps` workgroups and the block sums'
 * memory allows (at least one block).
 */
export function hessianBlockSamples(arch: Architecture, samples: number, slots: number, sweeps: number, tileSamples: number, bindingBytes: number): number {
  const wanted = Math.ceil(HESSIAN_BLOCK_WORKGROUPS / (slots * sweeps));
  const fit = Math.floor(Math.min(bindingBytes, HESSIAN_PARTS_BYTES) / (4 * slots * hessianPartFloats(arch)));
  const blocks = Math.max(1, Math.min(wanted, fit, Math.ceil(samples / tileSamples)));
  return tileSamples * Math.ceil(samples / (blocks * tileSamples));
}

/**
 * The core's pair coordinates (mlp_core.wgsl, GROUPED; src/model/groups.ts): one hidden layer, at most
 * width/2 pairs, gradients only (the R-operator passes are not written for them).
 */
function checkCorePairs(arch: Architecture, pairs: number, hvp: boolean): void {
  if (pairs === 0) return;
  checkPairCount(arch, pairs);
  if (hvp) throw new RangeError('Hessian-vector products in pair coordinates are not implemented on the GPU');
}

/**
 * Loss, gradient and (with hvp) Hessian-vector products: shaders/mlp_evaluate.wgsl; with `pairs` > 0
 * the parameters are in pair coordinates for that many neuron pairs (gradients only).
 */
export function planEvaluateKernel(arch: Architecture, hvp: boolean, limits: KernelLimits, tuning: KernelTuning = {}, pairs = 0): MlpKernelPlan {
  const { definitions, extensions, ...plan } = planMlpCore(arch, hvp, limits, tuning, 0, 0, { adjacent: pairs });
  return { program: { name: 'mlp_evaluate', extensions, files: [...CORE_FILES, 'mlp_evaluate.wgsl'], definitions: { ...definitions, PAIRS: pairs } }, ...plan };
}

/** Discrete optimiser steps (GD, SGD, momentum, Adam): shaders/mlp_train.wgsl. */
export function planTrainKernel(arch: Architecture, optimizer: DiscreteOptimizer, limits: KernelLimits, tuning: KernelTuning = {}): MlpKernelPlan {
  const { definitions, extensions, ...plan } = planMlpCore(arch, false, limits, tuning);
  const vectors = stateVectors(optimizer);
  const switches = {
    OPT_PLAIN: optimizer.kind === 'gd' || optimizer.kind === 'sgd',
    MINIBATCH: minibatchSize(optimizer) !== null,
    OPT_MOMENTUM: optimizer.kind === 'momentum',
    OPT_ADAM: optimizer.kind === 'adam',
    STATE_VECTORS: vectors,
    HAS_STATE: vectors > 0,
  };
  return {
    program: {
      name: 'mlp_train',
      extensions, files: [...CORE_FILES, 'philox.wgsl', 'mlp_slots.wgsl', 'mlp_train.wgsl'],
      definitions: { ...definitions, ...switches },
    },
    ...plan,
  };
}

/** Gradient flow by Dormand–Prince 5(4) with per-slot step sizes: shaders/mlp_flow.wgsl. */
export function planFlowKernel(arch: Architecture, limits: KernelLimits, tuning: KernelTuning = {}): MlpKernelPlan {
  const { definitions, extensions, ...plan } = planMlpCore(arch, false, limits, tuning);
  return { program: { name: 'mlp_flow', extensions, files: [...CORE_FILES, 'mlp_slots.wgsl', 'mlp_flow_common.wgsl', 'mlp_flow.wgsl'], definitions }, ...plan };
}

/**
 * Stiff gradient flow by a Rosenbrock method with per-slot step sizes: shaders/mlp_stiff.wgsl,
 * ode23s, (RODAS4) Rodas4 or (ROS34PW2) the W-method ROS34PW2, which share the Hessian, the
 * factorisation and the solves. The core with HVPs and one more P-vector of workgroup memory. The
 * Hessian: for one hidden layer in closed form (CLOSED_HESSIAN: 4 × 4 blocks of group pairs summed
 * in registers over the samples, closedHessianTasks; ~P²/2 multiply-adds per sample); deeper
 * networks column by column from P HVP passes.
 */
export function planStiffFlowKernel(arch: Architecture, limits: KernelLimits, solver: StiffSolver = 'rosenbrock23', tuning: KernelTuning = {}, precision: StiffPrecision = FULL_STIFF_PRECISION): MlpKernelPlan {
  const pairs: CorePairs = stiffGroupCoordinates(arch, precision.groupCoordinates) ? { chosenByKernel: true } : { adjacent: 0 };
  const doubleFloat = stiffDoubleFloat(arch, precision.doubleFloat);
  const splitHessian = stiffHessianDispatches(arch, precision);
  const closedHessian = hasClosedFormHessian(arch);
  // the closed form needs the R-operator's row slots, not its passes (HVP columns do); double-float
  // runs passes of its own, whose sample rows are only its reductions' (so wider workgroups fit), and
  // five more P-vectors of workgroup memory (th_low, df_columns, df_x)
  const { definitions, extensions, ...plan } = doubleFloat
    ? planMlpCore(arch, true, limits, tuning, 1 + 5, 0, pairs, true, 2 * DF_REDUCE_COLUMNS)
    : planMlpCore(arch, true, limits, tuning, 1, 0, pairs, !closedHessian);
  const hessian = closedHessianTasks(arch);
  return {
    program: {
      name: 'mlp_stiff',
      extensions,
      files: [...CORE_FILES, 'double_float.wgsl', 'mlp_slots.wgsl', 'mlp_flow_common.wgsl', ...(doubleFloat ? ['mlp_double_float.wgsl'] : []), 'mlp_stiff.wgsl'],
      definitions: {
        ...definitions,
        CLOSED_HESSIAN: closedHessian,
        HESSIAN_IN: hessian.inputEntries,
        HESSIAN_OUT: hessian.outputEntries,
        HESSIAN_TASKS_PER_THREAD: hessian.tasksPerThread(plan.tile),
        CHOLESKY_PANEL: choleskyPanel(plan.parameterCount, definitions.ROWS_SIZE),
        RODAS4: solver === 'rodas4',
        ROS34PW2: solver === 'ros34pw2',
        STAGED: solver === 'rodas4' || solver === 'ros34pw2',
        ...ROS34PW2_CONSTANTS,
        DOUBLE_FLOAT: doubleFloat,
        MAT_STRIDE: stiffMatrixFloats(plan.parameterCount, doubleFloat),
        HIDDEN_UNITS: arch.hidden.reduce((sum, width) => sum + width, 0),
        DF_CHUNK: Math.min(DF_REDUCE_COLUMNS, plan.tile),
        DF_CACHE_SAMPLES,
        SPLIT_HESSIAN: splitHessian,
      },
    },
    ...plan,
    doubleFloat,
    splitHessian,
    hessianPasses: splitHessian ? hessianPasses(arch, plan.tile, plan.parameterCount, doubleFloat) : undefined,
    groupCoordinates: 'chosenByKernel' in pairs,
  };
}

/** The Hessian's own dispatches (mlp_stiff.wgsl SPLIT_HESSIAN) for a workgroup of `tile` threads. */
function hessianPasses(arch: Architecture, tile: number, P: number, doubleFloat: boolean): HessianPass[] {
  if (doubleFloat) {
    return [
      { entryPoint: 'hessian_cache', workgroupsPerSlot: (samples) => Math.ceil(samples / tile) },
      { entryPoint: 'hessian_columns', workgroupsPerSlot: () => P },
      { entryPoint: 'hessian_finish', workgroupsPerSlot: () => 1 },
    ];
  }
  const tasks = closedHessianTasks(arch);
  return [
    { entryPoint: 'hessian_blocks', workgroupsPerSlot: (samples, blockSamples) => tasks.sweeps(tile) * Math.ceil(samples / blockSamples) },
    { entryPoint: 'hessian_block_sums', workgroupsPerSlot: () => Math.ceil(tasks.tasks / tile) },
    { entryPoint: 'hessian_mark', workgroupsPerSlot: () => 1 },
  ];
}

/**
 * Columns per reduction round of the double-float passes (mlp_double_float.wgsl df_reduce; a power of
 * two): each thread puts two floats per column into the sample rows, then the sums go in two levels
 * (DF_CHUNK entries, then threads/DF_CHUNK partials per column) rather than one thread per column
 * adding all of a wide workgroup's entries.
 */
export const DF_REDUCE_COLUMNS = 8;

/**
 * Samples per chunk of the double-float Hessian's sample cache (mlp_double_float.wgsl df_cache): the
 * columns re-read a chunk up to P times, and each column's sums are reduced over the workgroup once
 * per chunk: 1,024 samples (16 per thread of 64) keep that reduction small against the columns' work,
 * at 426 KB per slot for a [4, 4, 4] network; N is passed in chunks of this many.
 */
export const DF_CACHE_SAMPLES = 1024;

/**
 * Floats per slot of the double-float sample cache: per hidden neuron and the output, 4 fields of 2
 * floats, for min(N, DF_CACHE_SAMPLES) samples, or all N when the Hessian has its own dispatches.
 */
export function doubleFloatCacheFloats(arch: Architecture, samples: number, splitHessian: boolean): number {
  const units = arch.hidden.reduce((sum, width) => sum + width, 0) + 1;
  return 8 * units * (splitHessian ? samples : Math.min(samples, DF_CACHE_SAMPLES));
}

/** Floats per slot of the stiff kernel's Hessian and of its Cholesky factor: P², twice that in double-float. */
export function stiffMatrixFloats(P: number, doubleFloat: boolean): number {
  return (doubleFloat ? 2 : 1) * P * P;
}

/** What a kernel plan computes in (training.ts Arithmetic): what the ensemble's records will say. */
export function planArithmetic(plan: MlpKernelPlan): Arithmetic {
  return plan.doubleFloat ? 'double-float' : plan.groupCoordinates ? 'float32, group coordinates' : 'float32';
}

/** Columns per panel of the stiff kernel's blocked Cholesky factorisation, at most. */
export const CHOLESKY_PANEL = 8;

/**
 * The Cholesky panel width for P parameters: the panel (P rows × width) lives in the sample rows'
 * workgroup array (`rowsSize` floats, idle while factorising), so the widest power of two up to
 * CHOLESKY_PANEL that fits.
 */
export function choleskyPanel(P: number, rowsSize: number): number {
  let panel = CHOLESKY_PANEL;
  while (panel > 1 && P * panel > rowsSize) panel /= 2;
  if (P * panel > rowsSize) throw new RangeError(`stiff kernel: a Cholesky column of ${P} entries does not fit the ${rowsSize} floats of sample rows; use more threads per workgroup`);
  return panel;
}

/** Edge of the closed-form Hessian's register blocks (the vec4 and mat4x4 of shaders/mlp_stiff.wgsl). */
export const HESSIAN_BLOCK = 4;

/**
 * How mlp_stiff.wgsl cuts the closed-form Hessian (one hidden layer) into tasks: a neuron's input
 * vector x̃ has inputEntries entries, the output group ŝ outputEntries, and the upper triangle is
 * covered by `tasks` blocks of HESSIAN_BLOCK² entries over pairs of groups (for deeper networks the
 * figures of the first hidden layer, unused).
 */
export function closedHessianTasks(arch: Architecture) {
  const r = arch.hidden[0];
  const inputEntries = arch.inputDim + (arch.biases ? 1 : 0);
  const outputEntries = r + (arch.biases ? 1 : 0);
  const inBlocks = Math.ceil(inputEntries / HESSIAN_BLOCK);
  const outBlocks = Math.ceil(outputEntries / HESSIAN_BLOCK);
  const tasks = ((r * (r + 1)) / 2) * inBlocks * inBlocks + r * inBlocks * outBlocks + outBlocks * outBlocks;
  // two tasks per thread and sweep once there are more tasks than threads: half the sweeps (forward
  // passes) for 96 more registers
  const tasksPerThread = (tile: number) => (tasks > tile ? 2 : 1);
  return {
    inputEntries,
    outputEntries,
    tasks,
    /** HESSIAN_TASKS_PER_THREAD for a workgroup of `tile` threads */
    tasksPerThread,
    /** sweeps over the samples (forward passes) per Hessian */
    sweeps: (tile: number) => Math.ceil(tasks / (tile * tasksPerThread(tile))),
  };
}

/**
 * ROS34PW2's transformed coefficients as the kernel's W_* constants (one source: src/optim/stiff-solvers.ts).
 * Every mlp_stiff program needs them: the file declares them whatever the solver.
 */
const ROS34PW2_CONSTANTS: Readonly<Record<string, string>> = ros34pw2Constants();

function ros34pw2Constants(): Record<string, string> {
  const literal = (v: number) => v.toPrecision(17);
  const constants: Record<string, string> = { W_GAMMA: literal(ROS34PW2.gamma) };
  ROS34PW2.a.forEach((row, r) => row.forEach((v, j) => (constants[`W_A${r + 2}${j + 1}`] = literal(v))));
  ROS34PW2.c.forEach((row, r) => row.forEach((v, j) => (constants[`W_C${r + 2}${j + 1}`] = literal(v))));
  ROS34PW2.m.forEach((v, j) => (constants[`W_M${j + 1}`] = literal(v)));
  ROS34PW2.e.forEach((v, j) => (constants[`W_E${j + 1}`] = literal(v)));
  return constants;
}

/** Words of the diagnostics kernel's output per entry before the per-layer pairs. */
export const DIAGNOSTICS_HEADER_WORDS = 8;
/** Words per hidden layer: cosine pair (i, j, distance, s_i, s_j), then the L2 pair likewise. */
export const DIAGNOSTICS_LAYER_WORDS = 10;

export interface DiagnosticsKernelPlan extends MlpKernelPlan {
  /** floats of output per diagnosed slot */
  outputStride: number;
  /** where the P eigenvalues start in an entry's output, or −1 without the full spectrum */
  spectrumOffset: number;
}

/**
 * Per-slot diagnostics of a training ensemble: shaders/mlp_diagnostics.wgsl. The core with HVPs,
 * two per-thread arrays for the closest-pair reduction and, with the full spectrum (P ≤
 * FULL_SPECTRUM_MAX_PARAMETERS), four P/2-float workgroup arrays of Jacobi rotations.
 */
export function planDiagnosticsKernel(arch: Architecture, limits: KernelLimits, tuning: KernelTuning = {}): DiagnosticsKernelPlan {
  const P = parameterLayout(arch).count;
  const full = P <= FULL_SPECTRUM_MAX_PARAMETERS;
  const { definitions, extensions, ...plan } = planMlpCore(arch, true, limits, tuning, full ? 2 : 0, 2);
  const spectrumAt = DIAGNOSTICS_HEADER_WORDS + arch.hidden.length * DIAGNOSTICS_LAYER_WORDS;
  const outputStride = spectrumAt + (full ? P : 0);
  return {
    program: {
      name: 'mlp_diagnostics',
      extensions, files: [...CORE_FILES, 'mlp_slots.wgsl', 'mlp_diagnostics.wgsl'],
      definitions: {
        ...definitions,
        HEADER: DIAGNOSTICS_HEADER_WORDS,
        LAYER_WORDS: DIAGNOSTICS_LAYER_WORDS,
        OUT_STRIDE: outputStride,
        OUT_SPECTRUM: spectrumAt,
        MAX_LANCZOS: MAX_LANCZOS_STEPS,
        LANCZOS_BREAKDOWN: LANCZOS_BREAKDOWN.toExponential(),
        FULL_SPECTRUM: full,
        PLAYERS: P + (P % 2),
      },
    },
    ...plan,
    outputStride,
    spectrumOffset: full ? spectrumAt : -1,
  };
}
