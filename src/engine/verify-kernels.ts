// The GPU's training, strategy and diagnostics kernels against the float64 CPU engine on small runs,
// for `channelscope verify` on any device (the evaluation kernels are verify.ts's): the optimiser steps
// step by step for 100 steps; explicit and stiff gradient flow at fixed simulated times (every solver,
// the Hessian in the step kernel and in its own dispatches, double-float for deep networks, the kernel
// of several activations); every kernel strategy's loss, gradient and HVP; the diagnostics kernel's
// spectrum and closest pairs on a network in a channel. The test suite checks the same on SwiftShader
// (tests/engine/gpu-{ensemble,stiff,mixed-activations,strategies,diagnostics}.test.ts), mostly with
// tighter tolerances of its own measured there, and pins these (tests/engine/verify-tolerances.test.ts):
// on a new device a failure says a kernel computes differently there.
import { parameterCount, type Activation, type Architecture } from '../model/architecture.js';
import { glorotNormal } from '../model/init.js';
import { rosenbrockDataset } from '../data/inputs.js';
import { RandomStream, STREAMS } from '../numerics/rng.js';
import type { DiscreteOptimizer, OptimizerConfig } from '../optim/optimizers.js';
import type { DiagnosedPair, RunDiagnostics } from '../analysis/diagnostics.js';
import { CpuEngine } from './cpu/cpu-engine.js';
import { CpuEnsemble } from './cpu/cpu-ensemble.js';
import type { GpuEngine } from './gpu/gpu-engine.js';
import { CANDIDATE_STRATEGIES, formatStrategy, parseStrategy, REGISTER_MAX_PARAMETERS, type KernelStrategy } from './gpu/kernel-strategy.js';
import type { EnsembleOptions, SlotRun, TrainingEnsemble } from './training.js';
import { barrierSettings, compare, compareWithCpu, ENGINE_TOLERANCE, makeVariantCase, variantName, type VariantReport } from './verify.js';

/** Largest errors allowed, float32 kernels against float64 (relative to the network's largest |θ|). */
export const KERNEL_TOLERANCE = {
  /**
   * θ and the loss over the first 100 steps of GD, momentum, Adam and SGD. Measured on SwiftShader:
   * θ 6.7e-7, the loss 8.5e-7 at worst (the test suite holds SwiftShader to 2e-6)
   */
  discrete: 1e-4,
  /** θ after 150 more steps in one advance (many steps per dispatch); measured on SwiftShader 1.8e-6 (the suite: 5e-6) */
  discreteLong: 1e-3,
  /**
   * θ and the loss of float32 gradient flow at t = 0.5 and 5 (rtol 1e-5). Measured on SwiftShader:
   * θ 1.6e-6 at worst (dopri5, whose float32 controller took 29 steps to float64's 31; the stiff
   * solvers 6.7e-7), the loss 2.2e-7; the test suite holds SwiftShader to 1e-5 and 5e-6. Other
   * devices round otherwise and their controllers may part from float64's at more accept/reject
   * decisions, each moving θ(T) by up to the local error (rtol): 1e-4 leaves 10·rtol for that. It
   * still refuses a flow kernel whose f(θ) is 0.1% off (a time rescaling: this check then measures
   * 3.7e-4 for dopri5).
   */
  flow: 1e-4,
  /** θ of double-float stiff flow */
  doubleFloat: 1e-6,
  /** relu runs of the mixed kernel: a step across a kink depends on roundings at rtol's level */
  relu: 1e-4,
  /** diagnostics: λ_max relative, λ_min and the spectrum relative to max|λ|, closest pair's cosine distance relative (or 1e-10 absolute) */
  lambdaMax: 1e-4,
  lambdaMin: 1e-5,
  spectrum: 1e-4,
  cosine: 1e-3,
} as const;

export type KernelPart = 'training' | 'strategies' | 'diagnostics';
export const KERNEL_PARTS: readonly KernelPart[] = ['training', 'strategies', 'diagnostics'];
/** What `channelscope verify` (and the dashboard's GPU check) can check: verify.ts's evaluation variants and the kernel parts. */
export type VerifyPart = 'evaluation' | KernelPart;
export const VERIFY_PARTS: readonly VerifyPart[] = ['evaluation', ...KERNEL_PARTS];

export interface KernelCheck {
  part: VerifyPart;
  check: string;
  /** what was compared, and relative to what */
  compared: string;
  /** the worst error as a fraction of its tolerance: the check passes at ≤ 1 */
  worst: number;
  /** where a check compares several quantities: each one's largest relative error */
  errors?: Record<string, number>;
  pass: boolean;
  /** why it failed other than by its errors (steps that disagree, a non-finite value, an exception), or what was skipped */
  note?: string;
}

const SAMPLES = 40;
const SLOTS = 3;
const ONE_LAYER: Architecture = { inputDim: 2, hidden: [3], activation: 'softplus', biases: true };
const DEEP: Architecture = { inputDim: 2, hidden: [3, 2], activation: 'softplus', biases: true };
const TIMES = [0.5, 5];

function runs(arch: Architecture, seed: number, count = SLOTS, activations?: Activation[]): SlotRun[] {
  return Array.from({ length: count }, (_, n) => {
    const activation = activations?.[n] ?? arch.activation;
    return {
      params: glorotNormal({ ...arch, activation }, new RandomStream(seed, n, STREAMS.init), 1.5),
      data: rosenbrockDataset(SAMPLES, arch.inputDim, 10 * seed + n),
      seed,
      runIndex: n,
      ...(activations ? { activation } : {}),
    };
  });
}

/** The GPU ensemble and, per slot, a float64 CPU ensemble of that slot's run (alone, so activations may differ). */
async function loadBoth(engine: GpuEngine, options: EnsembleOptions, slotRuns: SlotRun[]) {
  const gpu = await engine.createEnsemble(options);
  const cpu: CpuEnsemble[] = [];
  for (let s = 0; s < slotRuns.length; s++) {
    await gpu.load(s, slotRuns[s]);
    const activation = slotRuns[s].activation ?? options.arch.activation;
    const reference = new CpuEnsemble({ ...options, arch: { ...options.arch, activation }, activations: undefined, slots: 1 });
    await reference.load(0, { ...slotRuns[s], activation: undefined });
    cpu.push(reference);
  }
  return { gpu, cpu };
}

interface Deviation {
  /** worst θ or loss error over the comparisons, as a fraction of each slot's tolerance */
  worst: number;
  notes: string[];
  errors?: Record<string, number>;
}

/** θ and loss of every slot against its CPU run, each error as a fraction of `tolerance(slot)`. */
async function deviation(gpu: TrainingEnsemble, cpu: CpuEnsemble[], tolerance: (slot: number) => number, steps: (gpuSteps: number, cpuSteps: number) => boolean): Promise<Deviation> {
  const statuses = await gpu.status();
  let worst = 0;
  const notes: string[] = [];
  for (let s = 0; s < cpu.length; s++) {
    const [reference] = await cpu[s].status();
    const status = statuses[s];
    if (!status.finite) notes.push(`slot ${s} non-finite`);
    if (!steps(status.steps, reference.steps)) notes.push(`slot ${s} took ${status.steps} steps, the CPU ${reference.steps}`);
    const theta = compare(await gpu.parameters(s), await cpu[s].parameters(0), tolerance(s)).maxRel;
    const loss = Math.abs(status.loss - reference.loss) / reference.loss;
    worst = Math.max(worst, (Number.isFinite(theta) ? Math.max(theta, loss) : Infinity) / tolerance(s));
  }
  return { worst, notes };
}

function report(part: KernelPart, check: string, compared: string, deviations: Deviation[]): KernelCheck {
  const worst = Math.max(0, ...deviations.map((d) => d.worst));
  const notes = [...new Set(deviations.flatMap((d) => d.notes))];
  const errors: Record<string, number> = {};
  for (const d of deviations) for (const [quantity, error] of Object.entries(d.errors ?? {})) errors[quantity] = Math.max(errors[quantity] ?? 0, error);
  return {
    part, check, compared, worst, pass: worst <= 1 && notes.length === 0,
    ...(Object.keys(errors).length ? { errors } : {}),
    ...(notes.length ? { note: notes.join('; ') } : {}),
  };
}

async function guarded(part: KernelPart, check: string, compared: string, work: () => Promise<KernelCheck>): Promise<KernelCheck> {
  try {
    return await work();
  } catch (error) {
    return { part, check, compared, worst: Infinity, pass: false, note: (error as Error).message };
  }
}

/** The optimisers checked step by step (tests/engine/gpu-ensemble.test.ts checks the same). */
export const DISCRETE_OPTIMIZERS: [string, DiscreteOptimizer][] = [
  ['gd', { kind: 'gd', lr: 0.05 }],
  ['momentum', { kind: 'momentum', lr: 0.02, beta: 0.9 }],
  ['adam', { kind: 'adam', lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8 }],
  ['sgd (batch 8)', { kind: 'sgd', lr: 0.05, batch: 8 }],
  ['adam (batch 8)', { kind: 'adam', lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, batch: 8 }],
  // 1 − f32(β₂) is 0.13% off at β₂ = 0.99999, and 1 − pow(β₂, t) cancels in float32: a kernel that
  // forms them on the GPU measures θ 3.8e-4 and the loss 6.3e-4 off by step 100 on SwiftShader
  // (mlp_train.wgsl takes 1 − β and ln β from float64); β₁ = 0 has ln β₁ = −∞ (sent as −10⁴)
  ['adam (β₂ = 0.99999)', { kind: 'adam', lr: 0.01, beta1: 0.9, beta2: 0.99999, eps: 1e-8 }],
  ['adam (β₁ = 0, β₂ = 0.9999, batch 8)', { kind: 'adam', lr: 0.01, beta1: 0, beta2: 0.9999, eps: 1e-8, batch: 8 }],
];

/** 100 single steps, compared at steps 1–3 and every 10th, then 150 in one advance (many steps per dispatch). */
async function discreteCheck(engine: GpuEngine, label: string, arch: Architecture, optimizer: OptimizerConfig, seed: number): Promise<KernelCheck> {
  const check = `${label} ${variantName(arch)}`;
  const compared = `θ and loss at steps 1–100 (tolerance ${KERNEL_TOLERANCE.discrete}) and θ after 150 more in one advance (${KERNEL_TOLERANCE.discreteLong}), relative to the largest |θ|`;
  return guarded('training', check, compared, async () => {
    const { gpu, cpu } = await loadBoth(engine, { arch, optimizer, samples: SAMPLES, slots: SLOTS, maxnorm: 1e3 }, runs(arch, seed));
    try {
      const deviations: Deviation[] = [];
      for (let step = 1; step <= 100; step++) {
        await gpu.advance(1);
        for (const reference of cpu) await reference.advance(1);
        if (step <= 3 || step % 10 === 0) deviations.push(await deviation(gpu, cpu, () => KERNEL_TOLERANCE.discrete, (a, b) => a === step && b === step));
      }
      await gpu.advance(150);
      for (const reference of cpu) await reference.advance(150);
      deviations.push(await deviation(gpu, cpu, () => KERNEL_TOLERANCE.discreteLong, (a) => a === 250));
      return report('training', check, compared, deviations);
    } finally {
      gpu.dispose();
    }
  });
}

/** Gradient flow to t = 0.5 and 5 (steps within max(3, 10%); double-float within max(2, 5%)). */
async function flowCheck(engine: GpuEngine, check: string, options: EnsembleOptions, slotRuns: SlotRun[], tolerance: (slot: number) => number, times = TIMES): Promise<KernelCheck> {
  const compared = `θ and loss at t = ${times.join(' and ')}, relative to the largest |θ|`;
  return guarded('training', check, compared, async () => {
    const { gpu, cpu } = await loadBoth(engine, options, slotRuns);
    try {
      const doubleFloat = gpu.arithmetic === 'double-float';
      // (SwiftShader's float32 controllers part from float64's by up to 2 accepted steps here, relu's
      // by 3, double-float's by none; other devices' may part more often)
      const stepsAgree = (a: number, b: number) => Math.abs(a - b) <= (doubleFloat ? Math.max(2, 0.05 * b) : Math.max(3, 0.1 * b));
      const deviations: Deviation[] = [];
      for (const T of times) {
        await gpu.advance(10_000, T);
        for (const reference of cpu) await reference.advance(10_000, T);
        deviations.push(await deviation(gpu, cpu, tolerance, stepsAgree));
      }
      return report('training', `${check} (${gpu.arithmetic})`, compared, deviations);
    } finally {
      gpu.dispose();
    }
  });
}

/** The training checks by name, each run only when asked for (verifyTraining's `select`). */
function trainingCases(engine: GpuEngine, seed: number): [string, () => Promise<KernelCheck[]>][] {
  const cases: [string, () => Promise<KernelCheck[]>][] = [];
  const discreteArch: Architecture = { inputDim: 2, hidden: [4], activation: 'softplus', biases: true };
  const deepNoBias: Architecture = { inputDim: 2, hidden: [3, 3], activation: 'tanh', biases: false };
  for (const [label, optimizer] of DISCRETE_OPTIMIZERS) cases.push([`${label} ${variantName(discreteArch)}`, async () => [await discreteCheck(engine, label, discreteArch, optimizer, seed)]]);
  cases.push([`gd ${variantName(deepNoBias)}`, async () => [await discreteCheck(engine, 'gd', deepNoBias, DISCRETE_OPTIMIZERS[0][1], seed)]]);

  const flow = (solver: 'dopri5' | 'rosenbrock23' | 'rodas4' | 'ros34pw2'): OptimizerConfig => ({ kind: 'flow', solver, rtol: 1e-5, atol: 1e-7 });
  const options = (arch: Architecture, solver: Parameters<typeof flow>[0]): EnsembleOptions => ({ arch, optimizer: flow(solver), samples: SAMPLES, slots: SLOTS, maxnorm: 1e3 });
  const float32 = () => KERNEL_TOLERANCE.flow;
  const one = (check: string, run: () => Promise<KernelCheck>) => cases.push([check, async () => [await run()]]);
  for (const solver of ['dopri5', 'rosenbrock23', 'rodas4'] as const) {
    const check = `${solver} ${variantName(ONE_LAYER)}`;
    one(check, () => flowCheck(engine, check, options(ONE_LAYER, solver), runs(ONE_LAYER, seed), float32));
  }
  for (const own of [false, true]) {
    const check = `ros34pw2 ${variantName(ONE_LAYER)}, the Hessian ${own ? 'in its own dispatches' : 'in the step kernel'}`;
    one(check, () => flowCheck(engine.withHessianDispatches(own), check, options(ONE_LAYER, 'ros34pw2'), runs(ONE_LAYER, seed), float32));
  }
  const deep = `ros34pw2 ${variantName(DEEP)}`;
  one(deep, () => flowCheck(engine.withHessianDispatches(true), deep, { ...options(DEEP, 'ros34pw2'), slots: 2 }, runs(DEEP, seed, 2), () => KERNEL_TOLERANCE.doubleFloat));
  // softplus, erf and relu runs in one kernel, as the channel-frequency preset trains them (relu's
  // flow crawls at its kinks: to t = 0.5 only)
  const activations: Activation[] = ['softplus', 'erf', 'relu'];
  const mixed = `ros34pw2 softplus, erf and relu in one ensemble, ${variantName(ONE_LAYER).replace('softplus/', '')}`;
  one(mixed, () =>
    flowCheck(
      engine.withHessianDispatches(true),
      mixed,
      { ...options(ONE_LAYER, 'ros34pw2'), activations },
      runs(ONE_LAYER, seed, 3, activations),
      (slot) => (activations[slot] === 'relu' ? KERNEL_TOLERANCE.relu : KERNEL_TOLERANCE.flow),
      [0.2, 0.5],
    ),
  );
  return cases;
}

/** The training kernels' checks, those whose names `select` accepts (default all). */
export async function verifyTraining(engine: GpuEngine, seed = 1, select: (check: string) => boolean = () => true): Promise<KernelCheck[]> {
  const checks: KernelCheck[] = [];
  for (const [name, run] of trainingCases(engine, seed)) if (select(name)) checks.push(...(await run()));
  return checks;
}

/**
 * Every strategy's loss, gradient and HVP, with and without the barrier, on the benchmark's shapes
 * (W1's d = 8 [8] and W2's d = 16 [16], where register blocking and hoisting take effect) and a
 * three-layer network.
 */
export async function verifyStrategies(engine: GpuEngine, strategies: readonly string[] = CANDIDATE_STRATEGIES, seed = 1): Promise<KernelCheck[]> {
  const cpu = new CpuEngine();
  const cases = [
    makeVariantCase({ inputDim: 8, hidden: [8], activation: 'softplus', biases: true }, seed),
    makeVariantCase({ inputDim: 16, hidden: [16], activation: 'softplus', biases: true }, seed),
    makeVariantCase({ inputDim: 3, hidden: [3, 2, 3], activation: 'tanh', biases: false }, seed),
  ];
  const compared = `loss, gradient and HVP of ${cases.map((c) => `d = ${c.arch.inputDim} ${c.name}`).join(', ')}, as fractions of ${ENGINE_TOLERANCE.loss}, ${ENGINE_TOLERANCE.gradient}, ${ENGINE_TOLERANCE.hvp}`;
  const checks: KernelCheck[] = [];
  for (const text of strategies) {
    const strategy: KernelStrategy = parseStrategy(text);
    const check = `strategy ${formatStrategy(strategy)}`;
    if (strategy.subgroups && !engine.gpu.hasSubgroups) {
      checks.push({ part: 'strategies', check, compared, worst: 0, pass: true, note: 'skipped: the device has no subgroups' });
      continue;
    }
    checks.push(await guarded('strategies', check, compared, async () => {
      const tuned = engine.withTuning(strategy);
      const deviations: Deviation[] = [];
      for (const c of cases) {
        // register accumulation holds every parameter per thread: the kernels fall back above REGISTER_MAX_PARAMETERS
        if (strategy.accumulation === 'register' && parameterCount(c.arch) > REGISTER_MAX_PARAMETERS) continue;
        for (const maxnorm of barrierSettings(c)) {
          const { errors } = await compareWithCpu(tuned, cpu, c, maxnorm);
          const worst = Math.max(errors.loss.maxRel / ENGINE_TOLERANCE.loss, errors.gradient.maxRel / ENGINE_TOLERANCE.gradient, errors.hvp.maxRel / ENGINE_TOLERANCE.hvp);
          const relative = { loss: errors.loss.maxRel, gradient: errors.gradient.maxRel, hvp: errors.hvp.maxRel };
          // (the errors are the worst over the shapes: a failure says on which)
          const notes = worst <= 1 ? [] : [`over tolerance on d = ${c.arch.inputDim} ${c.name}${Number.isFinite(maxnorm) ? ' with the barrier' : ''}`];
          deviations.push({ worst: Number.isNaN(worst) ? Infinity : worst, notes, errors: relative });
        }
      }
      return report('strategies', check, compared, deviations);
    }));
  }
  return checks;
}

/** |a − b| as a fraction of `relative`·|b| (or of `absolute`, when that is larger). */
function fraction(a: number, b: number, relative: number, absolute = 0): number {
  return Math.abs(a - b) / Math.max(relative * Math.abs(b), absolute);
}

function pairDeviation(gpu: DiagnosedPair | null, cpu: DiagnosedPair | null, notes: string[], what: string): number {
  if (!cpu || !gpu) {
    if (cpu !== gpu) notes.push(`${what}: a closest pair on one engine only`);
    return 0;
  }
  if (gpu.i !== cpu.i || gpu.j !== cpu.j) notes.push(`${what}: closest pair (${gpu.i}, ${gpu.j}), the CPU's (${cpu.i}, ${cpu.j})`);
  return fraction(gpu.distance, cpu.distance, KERNEL_TOLERANCE.cosine, 1e-10);
}

function diagnosticsDeviation(gpu: RunDiagnostics, cpu: RunDiagnostics, what: string): Deviation {
  const notes: string[] = [];
  const scale = Math.max(Math.abs(cpu.lambdaMax), ...(cpu.hessianEigenvalues ?? []).map(Math.abs));
  const parts = [
    fraction(gpu.lambdaMax, cpu.lambdaMax, KERNEL_TOLERANCE.lambdaMax),
    Math.abs(gpu.lambdaMin - cpu.lambdaMin) / (KERNEL_TOLERANCE.lambdaMin * scale),
    ...(cpu.hessianEigenvalues ?? []).map((value, k) => Math.abs(value - (gpu.hessianEigenvalues?.[k] ?? NaN)) / (KERNEL_TOLERANCE.spectrum * scale)),
    ...cpu.layers.map((layer, l) => pairDeviation(gpu.layers[l].cosine, layer.cosine, notes, `${what} layer ${l}`)),
  ];
  const worst = Math.max(...parts);
  return { worst: Number.isNaN(worst) ? Infinity : worst, notes };
}

/** The diagnostics kernel on verify.ts's cases (network 1 in a channel, network 2 past the barrier) against the CPU's, at the same float32 θ. */
export async function verifyDiagnostics(engine: GpuEngine, seed = 1): Promise<KernelCheck[]> {
  const settings = { powerIterations: 60, lanczosSteps: 8 };
  const compared = `λ_max (relative ${KERNEL_TOLERANCE.lambdaMax}), λ_min and the spectrum (${KERNEL_TOLERANCE.lambdaMin} and ${KERNEL_TOLERANCE.spectrum} of max|λ|), closest pairs by cosine distance (relative ${KERNEL_TOLERANCE.cosine})`;
  const checks: KernelCheck[] = [];
  for (const arch of [
    { inputDim: 3, hidden: [4], activation: 'softplus', biases: true },
    { inputDim: 3, hidden: [3, 3], activation: 'erf', biases: true },
  ] satisfies Architecture[]) {
    const c = makeVariantCase(arch, seed);
    const check = `diagnostics ${c.name}`;
    checks.push(await guarded('diagnostics', check, compared, async () => {
      const P = parameterCount(arch);
      const networks = c.params.length / P;
      const data = { ...c.data, x: c.data.x.map(Math.fround), y: c.data.y.map(Math.fround) };
      const slotRuns = Array.from({ length: networks }, (_, n) => ({ params: c.params.slice(n * P, (n + 1) * P).map(Math.fround), data, seed, runIndex: n }));
      const options: EnsembleOptions = { arch, optimizer: { kind: 'gd', lr: 0.01 }, samples: data.samples, slots: networks, maxnorm: c.barrierMaxnorm };
      const { gpu, cpu } = await loadBoth(engine, options, slotRuns);
      try {
        const fromGpu = await gpu.diagnostics(undefined, settings);
        const deviations: Deviation[] = [];
        for (let n = 0; n < networks; n++) {
          const [fromCpu] = await cpu[n].diagnostics([0], settings);
          deviations.push(diagnosticsDeviation(fromGpu[n], fromCpu, `network ${n}`));
        }
        return report('diagnostics', check, compared, deviations);
      } finally {
        gpu.dispose();
      }
    }));
  }
  return checks;
}

/** An evaluation variant as a check: its worst error against the CPU or finite differences, as a fraction of that tolerance. */
export function variantCheck(report: VariantReport): KernelCheck & { part: VerifyPart } {
  const summaries = [...Object.values(report.againstCpu), ...Object.values(report.finiteDifferences)];
  const worst = Math.max(...summaries.map((s) => (Number.isNaN(s.maxRel) ? Infinity : s.maxRel / s.tolerance)));
  return {
    part: 'evaluation', check: report.variant, compared: 'loss, gradient and HVP against the CPU, and the CPU against finite differences',
    worst, pass: report.pass,
    errors: { loss: report.againstCpu.loss.maxRel, gradient: report.againstCpu.gradient.maxRel, hvp: report.againstCpu.hvp.maxRel },
  };
}

export interface VerifyKernelsOptions {
  seed?: number;
  parts?: readonly KernelPart[];
  strategies?: readonly string[];
  /** each check as it finishes (the dashboard's progress) */
  onCheck?: (check: KernelCheck) => void;
}

export async function verifyKernels(engine: GpuEngine, options: VerifyKernelsOptions = {}): Promise<KernelCheck[]> {
  const parts = new Set(options.parts ?? KERNEL_PARTS);
  const seed = options.seed ?? 1;
  const checks: KernelCheck[] = [];
  const keep = (found: KernelCheck[]) => {
    for (const check of found) options.onCheck?.(check);
    checks.push(...found);
  };
  if (parts.has('training')) for (const [, run] of trainingCases(engine, seed)) keep(await run());
  if (parts.has('strategies')) keep(await verifyStrategies(engine, options.strategies, seed));
  if (parts.has('diagnostics')) keep(await verifyDiagnostics(engine, seed));
  return checks;
}
