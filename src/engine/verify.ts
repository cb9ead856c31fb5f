// Verification of an engine on random cases over every variant: against the float64 CPU engine,
// and the CPU engine itself against central finite differences of its own loss.
import { ACTIVATIONS, parameterLayout, type Activation, type Architecture } from '../model/architecture.js';
import { glorotNormal } from '../model/init.js';
import type { Dataset } from '../data/dataset.js';
import { RandomStream, STREAMS } from '../data/rng.js';
import { rosenbrock, standardize } from '../data/teachers.js';
import { CpuEngine } from './cpu/cpu-engine.js';
import type { Engine, Evaluation } from './engine.js';

/** Largest error allowed, relative to the largest magnitude of the quantity in the case. */
export const ENGINE_TOLERANCE = { loss: 1e-4, gradient: 1e-3, hvp: 1e-2 } as const;
/** CPU derivatives against central differences (step 1e-5 relative), relative as above. */
export const FINITE_DIFFERENCE_TOLERANCE = { gradient: 1e-6, hvp: 1e-5 } as const;

export type Quantity = 'loss' | 'gradient' | 'hvp';

export interface VariantCase {
  name: string;
  arch: Architecture;
  data: Dataset;
  /** B × P parameters: random Glorot networks, a channel-regime network, one above the barrier */
  params: Float64Array;
  directions: Float64Array;
  maxnorm: number;
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
    if (n === 1) makeChannelPair(arch, theta, random);
    params.set(theta, n * P);
    directions.set(new RandomStream(seed, n, STREAMS.direction).fillNormal(new Float64Array(P)), n * P);
  }
  // network 2's weight norm lies above maxnorm, so the barrier and its derivatives are exercised
  let norm2 = 0;
  for (let k = 0; k < P; k++) norm2 += params[2 * P + k] ** 2;
  const maxnorm = networks > 2 ? (0.8 * norm2) / (2 * P) : 1e3;
  return { name: variantName(arch), arch, data, params, directions, maxnorm };
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

export function compare(actual: ArrayLike<number>, reference: ArrayLike<number>, tolerance: number): ErrorSummary {
  let maxAbs = 0;
  let scale = 0;
  let finite = true;
  for (let k = 0; k < reference.length; k++) {
    if (!Number.isFinite(actual[k])) finite = false;
    maxAbs = Math.max(maxAbs, Math.abs(actual[k] - reference[k]));
    scale = Math.max(scale, Math.abs(reference[k]));
  }
  const maxRel = scale > 0 ? maxAbs / scale : maxAbs;
  return { maxAbs, maxRel, tolerance, pass: finite && maxRel <= tolerance };
}

/** Central differences of the CPU objective (loss + barrier) and of the CPU gradient. */
export async function finiteDifferenceReport(cpu: CpuEngine, c: VariantCase, reference: Evaluation) {
  const P = parameterLayout(c.arch).count;
  const B = c.params.length / P;
  const fdGradient = new Float64Array(B * P);
  const fdHvp = new Float64Array(B * P);
  const shifted = (delta: (k: number) => number) => {
    const params = Float64Array.from(c.params, (v, k) => v + delta(k));
    return cpu.evaluate({ arch: c.arch, data: c.data, params, gradient: true, maxnorm: c.maxnorm });
  };
  for (let p = 0; p < P; p++) {
    // one parameter index at a time, perturbed in every network at once (networks are independent)
    const steps = new Float64Array(B);
    for (let n = 0; n < B; n++) steps[n] = 1e-5 * Math.max(1, Math.abs(c.params[n * P + p]));
    const plus = await shifted((k) => (k % P === p ? steps[Math.floor(k / P)] : 0));
    const minus = await shifted((k) => (k % P === p ? -steps[Math.floor(k / P)] : 0));
    for (let n = 0; n < B; n++) {
      fdGradient[n * P + p] = (plus.loss[n] + plus.barrier[n] - minus.loss[n] - minus.barrier[n]) / (2 * steps[n]);
    }
  }
  // H v ≈ (∇L(θ + hv) − ∇L(θ − hv)) / 2h, h scaled per network
  const hOf = new Float64Array(B);
  for (let n = 0; n < B; n++) {
    let thetaNorm = 0, vNorm = 0;
    for (let k = 0; k < P; k++) {
      thetaNorm += c.params[n * P + k] ** 2;
      vNorm += c.directions[n * P + k] ** 2;
    }
    hOf[n] = (1e-5 * Math.max(1, Math.sqrt(thetaNorm))) / Math.sqrt(vNorm);
  }
  const plus = await shifted((k) => hOf[Math.floor(k / P)] * c.directions[k]);
  const minus = await shifted((k) => -hOf[Math.floor(k / P)] * c.directions[k]);
  for (let k = 0; k < B * P; k++) fdHvp[k] = (plus.gradient![k] - minus.gradient![k]) / (2 * hOf[Math.floor(k / P)]);
  return {
    gradient: compare(reference.gradient!, fdGradient, FINITE_DIFFERENCE_TOLERANCE.gradient),
    hvp: compare(reference.hvp!, fdHvp, FINITE_DIFFERENCE_TOLERANCE.hvp),
  };
}

export async function verifyVariant(engine: Engine, cpu: CpuEngine, c: VariantCase): Promise<VariantReport> {
  const request = { arch: c.arch, data: c.data, params: c.params, directions: c.directions, gradient: true, maxnorm: c.maxnorm };
  const reference = await cpu.evaluate(request);
  const actual = engine === cpu ? reference : await engine.evaluate(request);
  const objective = (e: Evaluation) => e.loss.map((l, n) => l + e.barrier[n]);
  const againstCpu = {
    loss: compare(objective(actual), objective(reference), ENGINE_TOLERANCE.loss),
    gradient: compare(actual.gradient!, reference.gradient!, ENGINE_TOLERANCE.gradient),
    hvp: compare(actual.hvp!, reference.hvp!, ENGINE_TOLERANCE.hvp),
  };
  const finiteDifferences = await finiteDifferenceReport(cpu, c, reference);
  const pass = Object.values(againstCpu).every((s) => s.pass) && Object.values(finiteDifferences).every((s) => s.pass);
  return { variant: c.name, againstCpu, finiteDifferences, pass };
}

export async function verifyEngine(engine: Engine, options: { seed?: number; activations?: Activation[] } = {}): Promise<VariantReport[]> {
  const cpu = engine instanceof CpuEngine ? engine : new CpuEngine();
  const reports: VariantReport[] = [];
  for (const arch of allVariants()) {
    if (options.activations && !options.activations.includes(arch.activation)) continue;
    reports.push(await verifyVariant(engine, cpu, makeVariantCase(arch, options.seed ?? 1)));
  }
  return reports;
}
