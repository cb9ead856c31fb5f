// What one network-step of each benchmark operation costs, counted from the kernels' loops (one
// hidden layer of r neurons, d inputs, biases, N samples), and what that means against a device's
// peaks: achieved FLOP/s, the share of each peak (float32 arithmetic, transcendental functions,
// memory traffic) and the resource that bounds the measurement. A model, not a profile: it counts
// the arithmetic the algorithm needs (a fused multiply-add is 2 flops), not what the compiler emits,
// and the memory traffic of reading the dataset once per pass (shared data from L2, per-network data
// from device memory); timestamps and a profiler decide where they disagree.
// Workgroup-memory loads are counted per lane from the kernels' loops for the strategy measured
// (src/engine/gpu/kernel-strategy.ts): a warp issues one load instruction for 32 lanes, conflict-free
// or broadcast, and an SM serves one such instruction per clock.
import { parameterCount } from '../src/model/architecture.js';
import { closedHessianTasks, parameterBlocks } from '../src/engine/gpu/mlp-kernels.js';
import { BLOCK_INPUTS, BLOCK_NEURONS, defaultStrategy, type KernelStrategy } from '../src/engine/gpu/kernel-strategy.js';
import { workloadArchitecture, type Workload } from './workloads.js';

export interface StepCost {
  /** float32 flops per network-step (FMA = 2) */
  flops: number;
  /** exp/log/erf-class evaluations per network-step (the special-function units) */
  transcendentals: number;
  /** bytes of dataset read per network-step */
  bytes: number;
  /** workgroup-memory loads per network-step, counted per lane (absent for a CPU run) */
  workgroupLoads?: number;
}

/**
 * Workgroup-memory loads per sample of one gradient (or with `hvp` gradient-and-HVP) pass, one hidden
 * layer of r neurons on d inputs with biases, as the kernels' loops issue them for `strategy`.
 */
export function workgroupLoadsPerSample(d: number, r: number, hvp: boolean, strategy: KernelStrategy): number {
  const weights = r * d + r;
  const P = weights + r + 1;
  const perWeight = (hvp ? 2 : 1) / strategy.samplesPerThread;
  const forward = forwardLoadsPerSample(d, r, hvp, strategy);
  // backward: per hidden neuron the output weight, then per sample the output δ and σ′ (with HVPs
  // R δ, σ″ and R z as well)
  const backward = r * perWeight + 2 * r + (hvp ? 3 * r : 0);
  let accumulate: number;
  switch (strategy.accumulation) {
    case 'tiled':
      // per parameter its δ and (weights) its input; with HVPs R δ and, in the output layer, R a
      accumulate = P + weights + (hvp ? P + r : 0);
      break;
    case 'register':
      // per neuron its δ, per weight its input; with HVPs R δ per neuron and R a per output weight
      accumulate = r + 1 + weights + (hvp ? r + 1 + r : 0);
      break;
    case 'blocked':
      accumulate = parameterBlocks([d, r, 1], true).length * (BLOCK_NEURONS + BLOCK_INPUTS) * (hvp ? 2 : 1);
      break;
  }
  return forward + backward + accumulate;
}

/** Workgroup-memory loads per sample of the forward (with hvp also R-forward) pass. */
function forwardLoadsPerSample(d: number, r: number, hvp: boolean, strategy: KernelStrategy): number {
  const P = r * d + 2 * r + 1;
  // a weight (and with HVPs its direction) is read once for the thread's S samples; per sample the
  // inputs (once per layer when hoisted, else once per hidden weight) and the r activations the
  // output reads (with HVPs also their R a, and the hoisted R inputs)
  const perWeight = (hvp ? 2 : 1) / strategy.samplesPerThread;
  return P * perWeight + (strategy.hoistInputs ? d : r * d) + r + (hvp ? r + (strategy.hoistInputs ? d : 0) : 0);
}

/** Per sample and network: the forward and backward pass of a gradient (softplus: exp and log1p). */
function gradientPerSample(d: number, r: number) {
  // forward 2rd + r (bias) + 2r (output) + 3 (residual, square); backward 2r (δ) + 2rd + r + 2r + 1
  return { flops: 4 * r * d + 8 * r + 4, transcendentals: 2 * r };
}

/** The R-operator passes of an HVP on top of the gradient's (σ″ from σ′ algebraically: no new transcendental). */
function hvpExtraPerSample(d: number, r: number) {
  return { flops: 4 * r * d + 14 * r + 4, transcendentals: 0 };
}

/**
 * The stiff step's closed-form Hessian per sample (shaders/mlp_stiff.wgsl, accumulate_data_hessian):
 * `tasks` blocks of 4 × 4 entries (padding included), each 16 multiply-adds, ~12 flops for its scale
 * and column, 8 vector entries and 5 scalars loaded; the forward pass rerun once per sweep of
 * tile · (1 or 2) tasks.
 */
function hessianPerSample(d: number, r: number, strategy: KernelStrategy) {
  const cut = closedHessianTasks({ inputDim: d, hidden: [r], activation: 'softplus', biases: true });
  const tasks = cut.tasks;
  const sweeps = cut.sweeps(strategy.tile);
  const forward = gradientPerSample(d, r).flops / 2;
  return {
    flops: tasks * (32 + 12) + sweeps * forward,
    transcendentals: sweeps * 2 * r,
    workgroupLoads: tasks * 13 + sweeps * forwardLoadsPerSample(d, r, true, strategy),
    sweeps,
  };
}

/** The cost of one network-step of `op` on workload `w` (the unit the benchmark counts) with the GPU kernels' `strategy`. */
export function stepCost(w: Workload, op: string, strategy: KernelStrategy = defaultStrategy()): StepCost {
  const { inputDim: d, hidden: r, samples: N } = w;
  const P = parameterCount(workloadArchitecture(w));
  const grad = gradientPerSample(d, r);
  const sampleBytes = 4 * (d + 1);
  const loads = { grad: workgroupLoadsPerSample(d, r, false, strategy), hvp: workgroupLoadsPerSample(d, r, true, strategy) };
  const pass = (samples: number, perSample: { flops: number; transcendentals: number }, hvp = false) => ({
    flops: samples * perSample.flops,
    transcendentals: samples * perSample.transcendentals,
    bytes: samples * sampleBytes,
    workgroupLoads: samples * (hvp ? loads.hvp : loads.grad),
  });
  const plus = (a: StepCost, flops: number): StepCost => ({ ...a, flops: a.flops + flops });
  const full = pass(N, grad);
  switch (op) {
    case 'grad':
      return full;
    case 'hvp': {
      const extra = hvpExtraPerSample(d, r);
      return pass(N, { flops: grad.flops + extra.flops, transcendentals: grad.transcendentals }, true);
    }
    case 'gd':
      return plus(full, 3 * P);
    case 'momentum':
      return plus(full, 5 * P);
    case 'adam':
      return plus(full, 14 * P);
    case 'sgd':
      // a minibatch of 16 drawn on the GPU (Philox: ~40 integer ops per sample, not counted as flops)
      return plus(pass(16, grad), 3 * P);
    case 'flow':
      // one right-hand-side evaluation of Dormand–Prince: the gradient and ~7 stage combinations
      return plus(full, 16 * P);
    case 'stiff': {
      // one accepted stiff step: the Hessian, two gradients, one Cholesky, three solves with two
      // refinements each (compensated residuals ~20 flops per matrix entry, two triangular solves)
      const hessian = hessianPerSample(d, r, strategy);
      const gradients = 2 * full.flops;
      const linear = (P * P * P) / 3 + 3 * (2 * P * P + 2 * (20 * P * P + 2 * P * P));
      return {
        flops: N * hessian.flops + gradients + linear,
        transcendentals: N * hessian.transcendentals + 2 * full.transcendentals,
        bytes: (hessian.sweeps + 2) * full.bytes,
        workgroupLoads: N * hessian.workgroupLoads + 2 * full.workgroupLoads,
      };
    }
    default:
      throw new Error(`no cost model for operation ${op}`);
  }
}

export interface DevicePeaks {
  name: string;
  /** float32 flops/s without tensor cores */
  flops: number;
  /** special-function-unit results/s */
  transcendentals: number;
  /** bytes/s: device memory */
  memory: number;
  /** bytes/s: L2 (shared datasets stay there) */
  l2: number;
  /** workgroup-memory loads/s, per lane: 32 lanes per SM per clock */
  workgroupLoads: number;
}

// NVIDIA's data sheets (boost clock): FP32 67 TFLOP/s (SXM) and 51 (PCIe); 16 SFU results per SM
// per clock × 132 (SXM) or 114 (PCIe) SMs; HBM 3.35 TB/s (SXM), 2.0 TB/s (PCIe), H200 4.8 TB/s;
// L2 bandwidth ~2.5× HBM (a rough figure: NVIDIA publishes none).
const PEAKS: DevicePeaks[] = [
  { name: 'H100 PCIe', flops: 51.2e12, transcendentals: 16 * 114 * 1.755e9, memory: 2.0e12, l2: 5.5e12, workgroupLoads: 32 * 114 * 1.755e9 },
  { name: 'H200', flops: 66.9e12, transcendentals: 16 * 132 * 1.98e9, memory: 4.8e12, l2: 8.0e12, workgroupLoads: 32 * 132 * 1.98e9 },
  { name: 'H100', flops: 66.9e12, transcendentals: 16 * 132 * 1.98e9, memory: 3.35e12, l2: 8.0e12, workgroupLoads: 32 * 132 * 1.98e9 },
];

/** The peaks of the device a description names (adapter description or nvidia-smi name), or null. */
export function peaksFor(description: string): DevicePeaks | null {
  const upper = description.toUpperCase();
  return PEAKS.find((p) => upper.includes(p.name.toUpperCase())) ?? null;
}

export interface Utilisation {
  achievedFlops: number;
  /** shares of each peak (0…1) */
  flopsShare: number;
  transcendentalShare: number;
  memoryShare: number;
  /** share of the workgroup-memory load rate (0 when the cost has no count) */
  workgroupLoadShare: number;
  /** the resource closest to its peak, or 'latency/synchronisation' when none is above 25% */
  bound: string;
}

/** Achieved rates at `networkStepsPerSecond` against `peaks`. perNetworkData: the dataset comes from device memory. */
export function utilisation(cost: StepCost, networkStepsPerSecond: number, peaks: DevicePeaks, perNetworkData: boolean): Utilisation {
  const achievedFlops = cost.flops * networkStepsPerSecond;
  const shares: [string, number][] = [
    ['float32 arithmetic', achievedFlops / peaks.flops],
    ['transcendental functions', (cost.transcendentals * networkStepsPerSecond) / peaks.transcendentals],
    [perNetworkData ? 'device memory' : 'L2 bandwidth', (cost.bytes * networkStepsPerSecond) / (perNetworkData ? peaks.memory : peaks.l2)],
    ['workgroup-memory loads', ((cost.workgroupLoads ?? 0) * networkStepsPerSecond) / peaks.workgroupLoads],
  ];
  const [top, share] = shares.reduce((a, b) => (b[1] > a[1] ? b : a));
  return {
    achievedFlops,
    flopsShare: shares[0][1],
    transcendentalShare: shares[1][1],
    memoryShare: shares[2][1],
    workgroupLoadShare: shares[3][1],
    bound: share >= 0.25 ? top : 'latency/synchronisation',
  };
}
