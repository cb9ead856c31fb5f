// Verification of an engine on random cases over every variant: against the float64 CPU engine,
// and the CPU engine itself against central finite differences of its own loss.
import { ACTIVATIONS, parameterLayout, type Activation, type Architecture } from '../model/architecture.js';
import { glorotNormal } from '../model/init.js';
import type { Dataset } from '../data/dataset.js';
import { RandomStream, STREAMS } from '../numerics/rng.js';
import { rosenbrock, standardize } from '../data/teachers.js';
import { CpuEngine, evaluateNetwork } from './cpu/cpu-engine.js';
import { hiddenPreActivations } from '../model/forward.js';
import type { Engine, Evaluation } from './engine.js';

/**
 * Largest error allowed, relative to the largest magnitude of the quantity in the case, where a case
 * is one network (stricter than one batch: a large network cannot hide a small one's errors); the
 * channel network's loss and gradient relative to CHANNEL_CONDITIONING times that.
 *
 * Measured on SwiftShader (float32 against float64, all 42 variants without and with the barrier,
 * seeds 1–7 and 11): loss 4.6e-6, gradient 1.9e-5 (both the channel network's), HVP 4.0e-6. These
 * tolerances are `channelscope verify`'s on devices never measured, whose exp and log may round a few
 * ulps differently and whose sums go in another order: 22×, 10× and 25× that. They still refuse a
 * kernel whose gradient is 0.05% off or whose HVP is 0.1% off (errors of 5e-4 and 1e-3 in every
 * network; tests/engine/verify-kernels.test.ts plants both). The test suite states its own, tighter
 * tolerances, measured on SwiftShader (tests/engine/gpu-engine.test.ts), and pins these
 * (tests/engine/verify-tolerances.test.ts).
 */
export const ENGINE_TOLERANCE = { loss: 1e-4, gradient: 2e-4, hvp: 1e-4 } as const;
/**
 * Network 1 of a variant case sits in a channel (makeVariantCase): the output weights ±150 of two
 * nearly equal neurons, whose terms cancel, so float32's rounding of each reaches the loss and the
 * gradient magnified by the cancellation: measured up to 4.6e-5 and 1.9e-4 relative to its largest
 * entry, 30–100× the other networks' (1.4e-6 for the gradient). Its loss and gradient errors are
 * taken relative to CHANNEL_CONDITIONING times its largest entry, so that one tolerance serves every
 * network without the channel's rounding setting it (its HVP errors are as small as the others').
 */
export const CHANNEL_NETWORK = 1;
export const CHANNEL_CONDITIONING = 10;
/** CPU derivatives against fourth-order central differences (step 1e-5 relative), relative as above. */
export const FINITE_DIFFERENCE_TOLERANCE = { gradient: 1e-6, hvp: 1e-5 } as const;
/**
 * Finite differences of a derivative that is exactly zero (a dead relu network) are rounding noise
 * of ~1e-12 (losses are of order 1): errors are taken relative to at least this magnitude.
 */
export const FINITE_DIFFERENCE_NOISE_FLOOR = 1e-4;

export type Quantity = 'loss' | 'gradient' | 'hvp';

export interface VariantCase {
  name: string;
  arch: Architecture;
  data: Dataset;
  /** B × P parameters: random Glorot networks, a channel-regime network, one above the barrier */
  params: Float64Array;
  directions: Float64Array;
  /** a norm barrier threshold below network 2's weight norm (its barrier is active) */
  barrierMaxnorm: number;
}

/** Every case is evaluated without the barrier and with it active. */
export function barrierSettings(c: VariantCase): number[] {
  return [Infinity, c.barrierMaxnorm];
}

export interface ErrorSummary {
  maxAbs: number;
  /** max absolute error / largest magnitude of the reference quantity */
  maxRel: number;
  tolerance: number;
  pass: boolean;
}

export interface VariantReport {
  variant: string;
  againstCpu: Record<Quantity, ErrorSummary>;
  finiteDifferences: Record<'gradient' | 'hvp', ErrorSummary>;
  pass: boolean;
}

export const DEPTHS: number[][] = [[4], [3, 3], [3, 2, 3]];

export function allVariants(): Architecture[] {
  const variants: Architecture[] = [];
  for (const activation of ACTIVATIONS) {
    for (const biases of [false, true]) {
      for (const hidden of DEPTHS) variants.push({ inputDim: 3, hidden, activation, biases });
    }
  }
  return variants;
}

export function variantName(arch: Architecture): string {
  return `${arch.activation}/${arch.biases ? 'bias' : 'nobias'}/[${arch.hidden.join(',')}]`;
}

/**
 * A random case: `networks` Glorot networks, where network 1 sits in the channel regime (the last
 * hidden layer's first two neurons nearly identical, output weights ±150) and network 2 lies beyond
 * the norm barrier (maxnorm set below its weight norm).
 */
export function makeVariantCase(arch: Architecture, seed: number, samples = 24, networks = 4): VariantCase {
  const layout = parameterLayout(arch);
  const P = layout.count;
  const data = randomDataset(arch.inputDim, samples, seed);
  const params = new Float64Array(networks * P);
  const directions = new Float64Array(networks * P);
  for (let n = 0; n < networks; n++) {
    const random = new RandomStream(seed, n, STREAMS.verify);
    const theta = glorotNormal(arch, random, 1.5);
    if (arch.biases) for (const layer of layout.layers) for (let j = 0; j < layer.fanOut; j++) theta[layer.biasOffset + j] = 0.3 * random.normal();
    if (n === CHANNEL_NETWORK) makeChannelPair(arch, theta, random);
    params.set(theta, n * P);
    directions.set(new RandomStream(seed, n, STREAMS.direction).fillNormal(new Float64Array(P)), n * P);
  }
  // network 2's weight norm lies above maxnorm, so the barrier and its derivatives are exercised
  let norm2 = 0;
  for (let k = 0; k < P; k++) norm2 += params[2 * P + k] ** 2;
  const barrierMaxnorm = networks > 2 ? (0.8 * norm2) / (2 * P) : 1e3;
  return { name: variantName(arch), arch, data, params, directions, barrierMaxnorm };
}

/** Neurons 0 and 1 of the last hidden layer: input vectors 1e-3 apart, output weights +150 and −150. */
function makeChannelPair(arch: Architecture, theta: Float64Array, random: RandomStream): void {
  const layout = parameterLayout(arch);
  const hiddenLayer = layout.layers[layout.layers.length - 2];
  const output = layout.layers[layout.layers.length - 1];
  const fanIn = hiddenLayer.fanIn;
  for (let i = 0; i < fanIn; i++) {
    theta[hiddenLayer.weightOffset + fanIn + i] = theta[hiddenLayer.weightOffset + i] + 1e-3 * random.normal();
  }
  if (arch.biases) theta[hiddenLayer.biasOffset + 1] = theta[hiddenLayer.biasOffset];
  theta[output.weightOffset] = 150;
  theta[output.weightOffset + 1] = -150;
}

function randomDataset(inputDim: number, samples: number, seed: number): Dataset {
  const random = new RandomStream(seed, 0, STREAMS.inputs);
  const x = random.fillNormal(new Float64Array(samples * inputDim));
  const y = new Float64Array(samples);
  for (let n = 0; n < samples; n++) y[n] = inputDim > 1 ? rosenbrock(x, n * inputDim, inputDim) : Math.sin(2 * x[n]);
  return { inputDim, samples, count: 1, x, y: standardize(y) };
}

/**
 * Worst error over networks, each relative to that network's largest reference magnitude (times
 * `scaleFactor(n)`, at least scaleFloor).
 */
export function compareNetworks(actual: ArrayLike<number>, reference: ArrayLike<number>, networks: number, tolerance: number, scaleFloor = 0, scaleFactor: (network: number) => number = () => 1): ErrorSummary {
  const size = reference.length / networks;
  const parts = Array.from({ length: networks }, (_, n) =>
    compare(Array.prototype.slice.call(actual, n * size, (n + 1) * size), Array.prototype.slice.call(reference, n * size, (n + 1) * size), tolerance, Math.max(scaleFloor, scaleFactor(n) * largest(reference, n * size, (n + 1) * size))),
  );
  return worst(parts);
}

function largest(values: ArrayLike<number>, from: number, to: number): number {
  let max = 0;
  for (let k = from; k < to; k++) max = Math.max(max, Math.abs(values[k]));
  return max;
}

export function worst(summaries: ErrorSummary[]): ErrorSummary {
  return summaries.reduce((a, b) => ({
    maxAbs: Math.max(a.maxAbs, b.maxAbs),
    maxRel: Math.max(a.maxRel, b.maxRel),
    tolerance: Math.min(a.tolerance, b.tolerance),
    pass: a.pass && b.pass,
  }));
}

/** Max absolute error, and that error relative to the reference's largest magnitude (at least scaleFloor). */
export function compare(actual: ArrayLike<number>, reference: ArrayLike<number>, tolerance: number, scaleFloor = 0): ErrorSummary {
  let maxAbs = 0;
  let scale = 0;
  let finite = true;
  for (let k = 0; k < reference.length; k++) {
    if (!Number.isFinite(actual[k])) finite = false;
    maxAbs = Math.max(maxAbs, Math.abs(actual[k] - reference[k]));
    scale = Math.max(scale, Math.abs(reference[k]));
  }
  scale = Math.max(scale, scaleFloor);
  const maxRel = scale > 0 ? maxAbs / scale : maxAbs;
  return { maxAbs, maxRel, tolerance, pass: finite && maxRel <= tolerance };
}

/** f′(0) ≈ (f(−2h) − 8f(−h) + 8f(h) − f(2h)) / 12h, error O(h⁴) */
function centralDifference(f: (step: number) => number, h: number): number {
  return (f(-2 * h) - 8 * f(-h) + 8 * f(h) - f(2 * h)) / (12 * h);
}

/** Sign pattern of every hidden pre-activation on every sample (relu's kinks sit where it changes). */
function kinkPattern(c: VariantCase, theta: Float64Array): string {
  let signs = '';
  for (let n = 0; n < c.data.samples; n++) {
    const x = c.data.x.subarray(n * c.data.inputDim, (n + 1) * c.data.inputDim);
    for (const z of hiddenPreActivations(c.arch, theta, x)) for (const v of z) signs += v > 0 ? '+' : '-';
  }
  return signs;
}

/**
 * Central differences of the CPU objective (loss + barrier) and of the CPU gradient, per network.
 * Steps are 1e-5 relative; for relu a step is halved until θ ± 2·step crosses no kink, so both sides
 * see the same smooth piece as the analytic derivatives.
 */
export function finiteDifferenceReport(c: VariantCase, maxnorm: number, reference: Evaluation) {
  const P = parameterLayout(c.arch).count;
  const B = c.params.length / P;
  const fdGradient = new Float64Array(B * P);
  const fdHvp = new Float64Array(B * P);
  const options = { gradient: true, maxnorm };
  for (let n = 0; n < B; n++) {
    const theta = c.params.slice(n * P, (n + 1) * P);
    const v = c.directions.subarray(n * P, (n + 1) * P);
    const pattern = c.arch.activation === 'relu' ? kinkPattern(c, theta) : '';
    const at = (direction: (k: number) => number, step: number) => theta.map((t, k) => t + step * direction(k));
    const smoothStep = (direction: (k: number) => number, step: number) => {
      if (!pattern) return step;
      for (let halvings = 0; halvings < 30; halvings++, step /= 2) {
        if (kinkPattern(c, at(direction, 2 * step)) === pattern && kinkPattern(c, at(direction, -2 * step)) === pattern) return step;
      }
      throw new Error(`${c.name}: a relu kink lies at the evaluation point of network ${n}`);
    };
    const objective = (point: Float64Array) => {
      const r = evaluateNetwork(c.arch, c.data, 0, point, { maxnorm });
      return r.loss + r.barrier;
    };
    for (let p = 0; p < P; p++) {
      const unit = (k: number) => (k === p ? 1 : 0);
      const h = smoothStep(unit, 1e-5 * Math.max(1, Math.abs(theta[p])));
      fdGradient[n * P + p] = centralDifference((step) => objective(at(unit, step)), h);
    }
    // H v ≈ (∇L(θ + hv) − ∇L(θ − hv)) / 2h
    let thetaNorm = 0, vNorm = 0;
    for (let k = 0; k < P; k++) {
      thetaNorm += theta[k] ** 2;
      vNorm += v[k] ** 2;
    }
    const along = (k: number) => v[k];
    const h = smoothStep(along, (1e-5 * Math.max(1, Math.sqrt(thetaNorm))) / Math.sqrt(vNorm));
    const gradients = new Map([-2, -1, 1, 2].map((m) => [m, evaluateNetwork(c.arch, c.data, 0, at(along, m * h), options).gradient!]));
    for (let k = 0; k < P; k++) fdHvp[n * P + k] = centralDifference((step) => gradients.get(Math.round(step / h))![k], h);
  }
  return {
    gradient: compareNetworks(reference.gradient!, fdGradient, B, FINITE_DIFFERENCE_TOLERANCE.gradient, FINITE_DIFFERENCE_NOISE_FLOOR),
    hvp: compareNetworks(reference.hvp!, fdHvp, B, FINITE_DIFFERENCE_TOLERANCE.hvp, FINITE_DIFFERENCE_NOISE_FLOOR),
  };
}

/** Loss, gradient and (with `hvp`) HVP of `engine` against the CPU engine on a case, each error per network. */
async function evaluationErrors(engine: Engine, cpu: CpuEngine, c: VariantCase, maxnorm: number, hvp: boolean) {
  const request = { arch: c.arch, data: c.data, params: c.params, gradient: true, maxnorm, ...(hvp ? { directions: c.directions } : {}) };
  const reference = await cpu.evaluate(request);
  const actual = engine === cpu ? reference : await engine.evaluate(request);
  const B = reference.loss.length;
  const objective = (e: Evaluation) => e.loss.map((l, n) => l + e.barrier[n]);
  const conditioning = (n: number) => (n === CHANNEL_NETWORK ? CHANNEL_CONDITIONING : 1);
  const errors: { loss: ErrorSummary; gradient: ErrorSummary; hvp?: ErrorSummary } = {
    loss: compareNetworks(objective(actual), objective(reference), B, ENGINE_TOLERANCE.loss, 0, conditioning),
    gradient: compareNetworks(actual.gradient!, reference.gradient!, B, ENGINE_TOLERANCE.gradient, 0, conditioning),
    ...(hvp ? { hvp: compareNetworks(actual.hvp!, reference.hvp!, B, ENGINE_TOLERANCE.hvp) } : {}),
  };
  return { reference, errors };
}

/** The engine against the CPU engine, per network, for one barrier setting. */
export async function compareWithCpu(engine: Engine, cpu: CpuEngine, c: VariantCase, maxnorm: number) {
  const { reference, errors } = await evaluationErrors(engine, cpu, c, maxnorm, true);
  return { reference, errors: { ...errors, hvp: errors.hvp! } };
}

/**
 * Whether `engine`'s kernel for this shape agrees with the CPU engine: loss and gradient (and the HVP,
 * `hvp`) of verify's random case of the shape — a network in a channel and one past the barrier
 * among them —, without and with the barrier. The benchmark checks each kernel strategy so before it
 * times it. Returns the first disagreement in words, or null.
 */
export async function kernelDisagreement(engine: Engine, arch: Architecture, hvp: boolean, cpu = new CpuEngine(), seed = 1): Promise<string | null> {
  const c = makeVariantCase(arch, seed);
  for (const maxnorm of barrierSettings(c)) {
    const { errors } = await evaluationErrors(engine, cpu, c, maxnorm, hvp);
    const failed = Object.entries(errors).find(([, summary]) => !summary.pass);
    if (failed) {
      const [quantity, summary] = failed;
      return `${quantity} differs from the float64 CPU engine by ${summary.maxRel.toExponential(1)} relative (tolerance ${summary.tolerance})${Number.isFinite(maxnorm) ? ' with the barrier active' : ''}`;
    }
  }
  return null;
}

export async function verifyVariant(engine: Engine, cpu: CpuEngine, c: VariantCase): Promise<VariantReport> {
  const cpuParts: Record<Quantity, ErrorSummary>[] = [];
  const fdParts: Record<'gradient' | 'hvp', ErrorSummary>[] = [];
  for (const maxnorm of barrierSettings(c)) {
    const { reference, errors } = await compareWithCpu(engine, cpu, c, maxnorm);
    cpuParts.push(errors);
    fdParts.push(finiteDifferenceReport(c, maxnorm, reference));
  }
  const againstCpu = {
    loss: worst(cpuParts.map((p) => p.loss)),
    gradient: worst(cpuParts.map((p) => p.gradient)),
    hvp: worst(cpuParts.map((p) => p.hvp)),
  };
  const finiteDifferences = { gradient: worst(fdParts.map((p) => p.gradient)), hvp: worst(fdParts.map((p) => p.hvp)) };
  const pass = Object.values(againstCpu).every((s) => s.pass) && Object.values(finiteDifferences).every((s) => s.pass);
  return { variant: c.name, againstCpu, finiteDifferences, pass };
}

export async function verifyEngine(engine: Engine, options: { seed?: number; activations?: Activation[]; onVariant?: (report: VariantReport) => void } = {}): Promise<VariantReport[]> {
  const cpu = engine instanceof CpuEngine ? engine : new CpuEngine();
  const reports: VariantReport[] = [];
  for (const arch of allVariants()) {
    if (options.activations && !options.activations.includes(arch.activation)) continue;
    const report = await verifyVariant(engine, cpu, makeVariantCase(arch, options.seed ?? 1));
    reports.push(report);
    options.onVariant?.(report);
  }
  return reports;
}
