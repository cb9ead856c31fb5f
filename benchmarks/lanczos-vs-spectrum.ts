// How far the diagnostics' Lanczos λ_min can be trusted where no full spectrum is computed: points
// near saddles of d = 16 softplus networks on the Rosenbrock teacher (N = 256 standard-normal inputs),
// λ_min by 30 and 64 Lanczos steps (full reorthogonalisation, the diagnostics' start vector) against
// the dense eigen-solve, all in float64 on the CPU:
//   trained   r neurons after 3,000 Adam steps (η = 3e-3) from Glorot initialisation: near a saddle,
//             not yet at a minimum (‖∇‖∞ ~ 1e-3)
//   split γ   that network with neuron 0 split into two (outgoing γ and 1 − γ of its weight): a point
//             on a saddle line, r + 1 neurons
// Widths 7 and 15 give P = 127 → 145 and 271 → 289, the sizes of the presets' largest students. The
// verdict's tolerance for negative curvature is 1e-6·max(1, λ_max) (classify.ts negativeCurvatureTol).
//   npx tsx benchmarks/lanczos-vs-spectrum.ts [--seeds 3] [--widths 7,15] [--steps 3000]   (~30 s on 2 cores)
import { parseArgs } from 'node:util';
import { evaluateNetwork } from '../src/engine/cpu/cpu-engine.js';
import { glorotNormal } from '../src/model/init.js';
import { parameterCount, type Architecture } from '../src/model/architecture.js';
import { rosenbrockDataset } from '../src/data/inputs.js';
import { RandomStream, STREAMS } from '../src/numerics/rng.js';
import { applyUpdate } from '../src/optim/optimizers.js';
import { lanczosExtremes } from '../src/analysis/spectrum.js';
import { hessianMatrix, symmetricEigen } from '../src/numerics/linalg.js';
import { splitNeuron } from '../src/analysis/saddle-line.js';
import { DEFAULT_THRESHOLDS } from '../src/analysis/classify.js';

const { values } = parseArgs({ options: { seeds: { type: 'string', default: '3' }, widths: { type: 'string', default: '7,15' }, steps: { type: 'string', default: '3000' } } });
const seeds = Number(values.seeds);
const widths = values.widths.split(',').map(Number);
const steps = Number(values.steps);
const INPUT_DIM = 16;
const MAXNORM = 1e3;
const data = rosenbrockDataset(256, INPUT_DIM, 3);

function adamTrained(arch: Architecture, seed: number): Float64Array {
  const theta = glorotNormal(arch, new RandomStream(seed, 0, STREAMS.init), 1);
  const state = new Float64Array(2 * theta.length);
  for (let t = 1; t <= steps; t++) {
    const gradient = Float64Array.from(evaluateNetwork(arch, data, 0, theta, { gradient: true, maxnorm: MAXNORM }).gradient!);
    applyUpdate({ kind: 'adam', lr: 3e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 }, theta, gradient, state, t);
  }
  return theta;
}

const fmt = (v: number) => v.toExponential(2);
const rows: string[] = [];
let misread30 = 0;
let misread64 = 0;
let points = 0;
for (const r of widths) {
  for (let seed = 1; seed <= seeds; seed++) {
    const arch: Architecture = { inputDim: INPUT_DIM, hidden: [r], activation: 'softplus', biases: true };
    const trained = adamTrained(arch, seed);
    const networks: [string, Architecture, Float64Array][] = [['trained', arch, trained]];
    for (const gamma of [0.5, 1.5]) {
      const split = splitNeuron(arch, trained, { layer: 0, neuron: 0 }, gamma);
      networks.push([`split γ = ${gamma}`, split.arch, split.theta]);
    }
    for (const [label, network, theta] of networks) {
      const P = parameterCount(network);
      if (P <= 128) continue; // the diagnostics compute these spectra anyway
      const hvp = (v: ArrayLike<number>, out: Float64Array) => out.set(evaluateNetwork(network, data, 0, theta, { direction: Float64Array.from(v), maxnorm: MAXNORM }).hvp!);
      const exact = symmetricEigen(hessianMatrix(hvp, P), P).values;
      const [lambdaMin, lambdaMax] = [exact[0], exact[P - 1]];
      const tolerance = DEFAULT_THRESHOLDS.negativeCurvatureTol * Math.max(1, Math.abs(lambdaMax));
      const [l30, l64] = [lanczosExtremes(hvp, P, 30).min, lanczosExtremes(hvp, P, 64).min];
      const negative = lambdaMin < -tolerance;
      points++;
      if (negative && !(l30 < -tolerance)) misread30++;
      if (negative && !(l64 < -tolerance)) misread64++;
      rows.push(`| ${r} | ${seed} | ${label} | ${P} | ${fmt(lambdaMax)} | ${fmt(lambdaMin)} | ${fmt(l30)} | ${fmt(l64)} |`);
      console.error(rows.at(-1));
    }
  }
}
console.log(`λ_min near saddles of d = ${INPUT_DIM} softplus networks (N = 256, Rosenbrock teacher, ${steps} Adam steps), float64`);
console.log('');
console.log('| r | seed | point | P | λ_max | λ_min (dense) | Lanczos 30 | Lanczos 64 |');
console.log('|---|---|---|---|---|---|---|---|');
for (const row of rows) console.log(row);
console.log('');
console.log(`negative curvature beyond the verdict's tolerance missed: 30 steps at ${misread30} of ${points} points, 64 steps at ${misread64}`);
