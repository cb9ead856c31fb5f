// The stiff gradient-flow kernel (shaders/mlp_stiff.wgsl, Rosenbrock 2(3)) against the float64 CPU
// ensemble, and on the paper's 1-D toy problem against the explicit kernel (science.md, "Why
// gradient flow needs a stiff integrator"). SwiftShader is slow: small networks and datasets.
import { describe, expect, it } from 'vitest';
import type { EnsembleOptions, SlotRun } from '../../src/engine/training.js';
import { type Activation, type Architecture } from '../../src/model/architecture.js';
import { glorotNormal } from '../../src/model/init.js';
import { rosenbrockDataset } from '../../src/data/inputs.js';
import type { Dataset } from '../../src/data/dataset.js';
import { RandomStream, STREAMS } from '../../src/numerics/rng.js';
import { compare } from '../../src/engine/verify.js';
import { toyPairCoordinates, toyDataset, toyStart, TOY_ARCHITECTURE } from '../helpers/toy.js';
import { ensembleWithReference, gpuEngineForSuite } from '../helpers/gpu.js';
import { SLOT_WORDS } from '../../src/engine/gpu/gpu-ensemble.js';
import { PipelineCache, withErrorScopes } from '../../src/gpu/kernel.js';
import { activationCode, closedHessianTasks, doubleFloatCacheFloats, forActivations, FULL_STIFF_PRECISION, groupStateWords, hessianPartFloats, stiffHessianDispatches, type StiffPrecision, planArithmetic, planStiffFlowKernel, planTrainKernel, stiffDoubleFloat, stiffMatrixFloats } from '../../src/engine/gpu/mlp-kernels.js';
import { parseStrategy } from '../../src/engine/gpu/kernel-strategy.js';
import { parameterCount } from '../../src/model/architecture.js';
import { closeNeuronGroups, groupCoordinatesOfMatrix } from '../../src/model/groups.js';
import { cholesky, choleskySolve, symmetricEigen } from '../../src/numerics/linalg.js';
import { networkFlowField } from '../../src/engine/cpu/flow-field.js';
import { integrateRosenbrock, ROSENBROCK23, type StiffSolver } from '../../src/optim/stiff-solvers.js';

const engine = await gpuEngineForSuite();
const arch: Architecture = { inputDim: 2, hidden: [3], activation: 'softplus', biases: true };
const SAMPLES = 40;
const SLOTS = 3;

function runs(): SlotRun[] {
  return Array.from({ length: SLOTS }, (_, n) => ({
    params: glorotNormal(arch, new RandomStream(7, n, STREAMS.init), 1.5),
    data: rosenbrockDataset(SAMPLES, 2, 20 + n),
    seed: 7,
    runIndex: n,
  }));
}

describe('GPU stiff gradient flow (Rosenbrock methods)', () => {
  // Endpoints at the same simulated time (rtol 1e-5), relative to the largest |θ|. Measured on
  // SwiftShader (the four cases below, T = 0.5 and 5, three slots): θ 6.7e-7 and loss 2.2e-7 at worst;
  // steps equal in 21 of 24 comparisons, one apart in the rest. Tolerances: θ 5e-6 (7.5×), loss 2e-6
  // (9×), steps within 2. The first step size h₀ = 0.01·‖θ‖/‖f(θ)‖ (float32 RMS norms over P = 13
  // parameters): measured 1.1e-7 relative at worst, held to 1e-6 (9×). (`channelscope verify` allows
  // other devices more: KERNEL_TOLERANCE.flow.)
  const FLOAT32 = { params: 5e-6, loss: 2e-6, steps: 2, firstStep: 1e-6 };
  const cases = [
    ['rosenbrock23', 1],
    ['rodas4', 1],
    ['ros34pw2', 1],
    ['ros34pw2', 4], // a Hessian serves up to 4 accepted steps: the same rule on both engines
  ] as const;
  // ROS34PW2 (the presets' solver) with the Hessian in dispatches of its own, the default on a GPU (on
  // SwiftShader the default assembles it in the step kernel)
  for (const [solver, hessianReuse] of cases) it(`${solver}${hessianReuse > 1 ? `, Hessian reused for ${hessianReuse} steps,` : ''} runs on the GPU and reaches the same point as the CPU integrator at a fixed simulated time`, async () => {
    const optimizer = { kind: 'flow' as const, solver, rtol: 1e-5, atol: 1e-7, hessianReuse };
    const options: EnsembleOptions = { arch, optimizer, samples: SAMPLES, slots: SLOTS, maxnorm: 1e3 };
    const [gpu, cpu] = await ensembleWithReference(solver === 'ros34pw2' ? engine.withHessianDispatches(true) : engine, options, runs());
    expect(gpu.backend).toBe('gpu');
    try {
      const initial = await gpu.status();
      const initialCpu = await cpu.status();
      for (let s = 0; s < SLOTS; s++) expect(Math.abs(initial[s].stepSize / initialCpu[s].stepSize - 1), `slot ${s} first step size`).toBeLessThanOrEqual(FLOAT32.firstStep);
      for (const T of [0.5, 5]) {
        await gpu.advance(10_000, T);
        await cpu.advance(10_000, T);
        const [gs, cs] = [await gpu.status(), await cpu.status()];
        for (let s = 0; s < SLOTS; s++) {
          expect(gs[s].time).toBeCloseTo(T, 5);
          expect(gs[s].finite).toBe(true);
          const params = compare(await gpu.parameters(s), await cpu.parameters(s), FLOAT32.params);
          const loss = Math.abs(gs[s].loss - cs[s].loss) / cs[s].loss;
          console.log(`${solver} T=${T} slot ${s}: steps GPU ${gs[s].steps} CPU ${cs[s].steps}, evaluations GPU ${gs[s].evaluations} CPU ${cs[s].evaluations}, θ maxRel ${params.maxRel.toExponential(2)}, loss ${loss.toExponential(2)}`);
          expect(params.maxRel, `slot ${s} θ(${T})`).toBeLessThanOrEqual(FLOAT32.params);
          expect(loss, `slot ${s} loss(${T})`).toBeLessThanOrEqual(FLOAT32.loss);
          expect(Math.abs(gs[s].steps - cs[s].steps), `slot ${s} steps to ${T}`).toBeLessThanOrEqual(FLOAT32.steps);
          expect(gs[s].evaluations).toBeGreaterThanOrEqual(2 * gs[s].steps);
          // Hessians (P = 13 evaluations each) at most once per `hessianReuse` accepted steps, plus after failed attempts
          if (hessianReuse > 1) expect(Math.abs(gs[s].evaluations - cs[s].evaluations)).toBeLessThanOrEqual(0.1 * cs[s].evaluations);
        }
      }
    } finally {
      gpu.dispose();
    }
  });

  it("gives a run the same bits in any ensemble planned for the same slots (EnsembleOptions.planSlots: a resume or shard trains as the whole sweep)", async () => {
    // the closed form's sample blocks depend on the slots planned for (mlp-kernels.ts
    // hessianBlockSamples): with 4096 samples, 64 per block for one slot, 128 for 100, and a run's
    // last bits with them. An ensemble of 100 slots is planned for 100 (planSlots defaults to slots);
    // so are these of 1 and 3, which SwiftShader runs in a fraction of the time
    const samples = 4096;
    const optimizer = { kind: 'flow' as const, solver: 'ros34pw2' as const, rtol: 1e-3, atol: 1e-6 };
    const dispatching = engine.withHessianDispatches(true);
    const run: SlotRun = { params: glorotNormal(arch, new RandomStream(3, 0, STREAMS.init), 1), data: rosenbrockDataset(samples, 2, 11), seed: 3, runIndex: 0 };
    const trained = async (slots: number, planSlots?: number) => {
      const ensemble = await dispatching.createEnsemble({ arch, optimizer, samples, slots, ...(planSlots ? { planSlots } : {}), maxnorm: 1e3 });
      try {
        const slot = slots - 1;
        await ensemble.load(slot, run);
        await ensemble.advance(8);
        return { steps: (await ensemble.status())[slot].steps, params: await ensemble.parameters(slot) };
      } finally {
        ensemble.dispose();
      }
    };
    const wider = await trained(3, 100);
    const part = await trained(1, 100);
    const own = await trained(1);
    const same = (a: Float64Array, b: Float64Array) => a.every((v, i) => Object.is(v, b[i]));
    console.log(`planSlots: ${wider.steps} steps in slot 3 of 3 planned for 100, ${part.steps} in 1 planned for 100, ${own.steps} in 1 planned for 1 (bits ${same(own.params, wider.params) ? 'equal' : 'differ'})`);
    expect(part.steps).toBe(wider.steps);
    expect(same(part.params, wider.params)).toBe(true);
    // (what makes planSlots needed: were the blocks ever to stop depending on the slots, this test would have nothing left to show)
    expect(same(own.params, wider.params), 'a one-slot ensemble planned for itself differs in the last bits').toBe(false);
    await expect(dispatching.createEnsemble({ arch, optimizer, samples, slots: 4, planSlots: 3, maxnorm: 1e3 })).rejects.toThrow(/planSlots must be an integer of at least slots \(4\), got 3/);
  });

  // one solver, the presets' (each solver's own kernel meets the CPU integrator above; SwiftShader
  // spends ~10 s compiling each for the toy's shape)
  for (const solver of ['ros34pw2'] as const) it(`${solver} follows the toy channel out to the barrier where the explicit kernel stalls`, async () => {
    const data = toyDataset(256);
    const run: SlotRun = { params: toyStart(), data, seed: 1, runIndex: 0 };
    const base = { arch: TOY_ARCHITECTURE, samples: data.samples, slots: 1, maxnorm: 1e3 };
    const stiff = await engine.createEnsemble({ ...base, optimizer: { kind: 'flow', solver, rtol: 1e-3, atol: 1e-6 } });
    const explicit = await engine.createEnsemble({ ...base, optimizer: { kind: 'flow', solver: 'dopri5', rtol: 1e-3, atol: 1e-6 } });
    try {
      await stiff.load(0, run);
      await stiff.advance(300);
      const s = (await stiff.status())[0];
      const reached = toyPairCoordinates(await stiff.parameters(0)).inverseEpsilon;
      // the same budget of gradient evaluations for the explicit kernel (6 per accepted step at best)
      await explicit.load(0, run);
      await explicit.advance(Math.ceil(s.evaluations / 6));
      const e = (await explicit.status())[0];
      const stalled = toyPairCoordinates(await explicit.parameters(0)).inverseEpsilon;
      console.log(`toy: ${solver} ${s.steps} steps, ${s.evaluations} evaluations, t=${s.time.toExponential(3)}, 1/ε=${reached.toFixed(2)}, weight norm ${s.weightNorm.toFixed(1)}; dopri5 ${e.steps} steps, ${e.evaluations} evaluations, t=${e.time.toExponential(3)}, 1/ε=${stalled.toFixed(2)}`);
      expect(s.finite).toBe(true);
      // every accepted step the budget allows, near the barrier too: retries do not eat the dispatch's
      // attempts (stale stages made each retry of a step fail again: 232 steps, h down to 6e-25)
      expect(s.steps).toBe(300);
      expect(reached).toBeGreaterThan(30);
      expect(e.evaluations).toBeGreaterThanOrEqual(s.evaluations - 6);
      expect(stalled).toBeLessThan(5);
    } finally {
      stiff.dispose();
      explicit.dispose();
    }
  });
});

describe('GPU stiff gradient flow in double-float (two hidden layers of softplus)', () => {
  // mlp_double_float.wgsl: θ, the passes, the Hessian and the solves in double-float; only the stage
  // vectors and the controller's arithmetic are float32, so the trajectory follows the float64 one far
  // more closely than float32 (the one-hidden-layer tests above). Measured on SwiftShader (every case
  // below, T = 0.5 and 5): θ 6.6e-8 at worst, steps equal but for rodas4's (up to 2 apart: 71 against
  // 69). Tolerances: θ 5e-7 (7.5×), steps within 3.
  const DOUBLE_FLOAT = { params: 5e-7, steps: 3 };
  const deep: Architecture = { inputDim: 2, hidden: [3, 2], activation: 'softplus', biases: true };
  const deepRuns = (): SlotRun[] =>
    Array.from({ length: 2 }, (_, n) => ({
      params: glorotNormal(deep, new RandomStream(9, n, STREAMS.init), 1.5),
      data: rosenbrockDataset(SAMPLES, 2, 30 + n),
      seed: 9,
      runIndex: n,
    }));
  it('plans double-float stiff flow for deep networks of every smooth activation, and only for them', () => {
    const limits = engine.gpu.limits;
    const stiff = (network: Architecture, precision = FULL_STIFF_PRECISION) => planArithmetic(planStiffFlowKernel(network, limits, 'ros34pw2', {}, precision));
    expect(stiff(deep)).toBe('double-float');
    expect(stiff({ ...deep, activation: 'erf' })).toBe('double-float');
    for (const activation of ['tanh', 'sigmoid', 'g', 'gelu'] as const) expect(stiff({ ...deep, activation })).toBe('double-float');
    expect(stiff({ ...deep, activation: 'relu' })).toBe('float32');
    expect(stiff(deep, { ...FULL_STIFF_PRECISION, doubleFloat: false })).toBe('float32');
    expect(stiff(arch)).toBe('float32, group coordinates');
    expect(planArithmetic(planTrainKernel(deep, { kind: 'gd', lr: 0.1 }, limits))).toBe('float32');
  });

  const solvers = [
    ['rosenbrock23', engine, ''],
    ['rodas4', engine, ''],
    // the Hessian in dispatches of its own (the default on a GPU; on SwiftShader it is assembled in the step kernel)
    ['ros34pw2', engine.withHessianDispatches(true), ", the Hessian's own dispatches"],
    // 256 threads per workgroup: more threads than samples, two-level reductions (to T = 0.5 only:
    // SwiftShader runs wide workgroups slowly)
    ['ros34pw2', engine.withTuning({ tile: 256 }), ', 256 threads'],
  ] as const;
  for (const [solver, flowEngine, variant] of solvers) it(`${solver}${variant}: reaches the CPU integrator's point at a fixed simulated time to ${DOUBLE_FLOAT.params}`, async () => {
    const optimizer = { kind: 'flow' as const, solver, rtol: 1e-5, atol: 1e-7 };
    const options: EnsembleOptions = { arch: deep, optimizer, samples: SAMPLES, slots: 2, maxnorm: 1e3 };
    const [gpu, cpu] = await ensembleWithReference(flowEngine, options, deepRuns());
    expect(gpu.arithmetic).toBe('double-float');
    // the comparisons whose steps agreed, where the evaluations are compared too
    let evaluationsCompared = 0;
    try {
      for (const T of variant === ', 256 threads' ? [0.5] : [0.5, 5]) {
        await gpu.advance(10_000, T);
        await cpu.advance(10_000, T);
        const [gs, cs] = [await gpu.status(), await cpu.status()];
        for (let s = 0; s < 2; s++) {
          expect(gs[s].finite).toBe(true);
          const params = compare(await gpu.parameters(s), await cpu.parameters(s), DOUBLE_FLOAT.params);
          console.log(`double-float ${solver} T=${T} slot ${s}: steps GPU ${gs[s].steps} CPU ${cs[s].steps}, θ maxRel ${params.maxRel.toExponential(2)}`);
          expect(params.maxRel, `slot ${s} θ(${T})`).toBeLessThanOrEqual(DOUBLE_FLOAT.params);
          expect(Math.abs(gs[s].steps - cs[s].steps), `slot ${s} steps to ${T}`).toBeLessThanOrEqual(DOUBLE_FLOAT.steps);
          // the Hessian's own dispatches count its P evaluations as the kernel's own assembly does
          if (gs[s].steps === cs[s].steps) {
            expect(gs[s].evaluations, `slot ${s} evaluations`).toBe(cs[s].evaluations);
            evaluationsCompared++;
          }
        }
      }
      // (steps equal in every comparison but rodas4's: it must not skip them all)
      console.log(`double-float ${solver}${variant}: evaluations compared in ${evaluationsCompared} comparisons`);
      expect(evaluationsCompared, 'comparisons whose evaluations were compared (steps equal)').toBeGreaterThanOrEqual(1);
    } finally {
      gpu.dispose();
    }
  });
});

/**
 * Runs a test entry point of mlp_stiff.wgsl on B workgroups with the given bindings (binding 0 is
 * the Config uniform, the rest storage buffers, null data: zeroed) and returns the floats of
 * binding `read` afterwards.
 */
async function runStiffEntryPoint(kernelArch: Architecture, entryPoint: string, B: number, bindings: StiffBinding[], read: number, kernel: StiffCheckKernel = {}): Promise<Float32Array> {
  const [floats] = await runStiffPasses(kernelArch, [{ entryPoint, grid: [B, 1] }], bindings, [read], kernel);
  return floats;
}

interface StiffBinding {
  binding: number;
  data: ArrayBufferLike | null;
  bytes: number;
}

/**
 * Which mlp_stiff program a check runs in: its strategy, precision and solver (the file's default
 * rosenbrock23; a staged solver's for the stages' entry points) and, for a mixed kernel
 * (MIXED_ACTIVATIONS), the activations it serves (each slot's read from its bookkeeping).
 */
interface StiffCheckKernel {
  strategy?: string;
  precision?: StiffPrecision;
  solver?: StiffSolver;
  activations?: readonly Activation[];
}

/** The check entry points' pipelines, compiled once for the file (a case's calls differ in their data and Config alone). */
const checkPipelines = new PipelineCache(engine.gpu.device);

/**
 * Entry points of mlp_stiff.wgsl one after another in one pass over the same buffers; the floats of
 * bindings `reads` afterwards.
 */
async function runStiffPasses(kernelArch: Architecture, passes: { entryPoint: string; grid: [number, number] }[], bindings: StiffBinding[], reads: number[], kernel: StiffCheckKernel = {}): Promise<Float32Array[]> {
  const device = engine.gpu.device;
  const { strategy, precision = FULL_STIFF_PRECISION, solver = 'rosenbrock23', activations = [] } = kernel;
  const plan = planStiffFlowKernel(kernelArch, engine.gpu.limits, solver, strategy ? parseStrategy(strategy) : {}, precision);
  const program = forActivations(plan.program, activations);
  const pipelines = await Promise.all(passes.map(({ entryPoint }) => checkPipelines.get({ ...program, entryPoint })));
  const buffers = new Map<number, GPUBuffer>();
  for (const { binding, data, bytes } of bindings) {
    const usage = binding === 0 ? GPUBufferUsage.UNIFORM : GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC;
    const buffer = device.createBuffer({ size: Math.max(16, bytes), usage: usage | GPUBufferUsage.COPY_DST });
    if (data) device.queue.writeBuffer(buffer, 0, data as ArrayBuffer);
    buffers.set(binding, buffer);
  }
  const staging = reads.map((read) => device.createBuffer({ size: Math.max(16, bindings.find((b) => b.binding === read)!.bytes), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }));
  try {
    return await withErrorScopes(device, passes.map((pass) => pass.entryPoint).join(', '), () => readBack());
  } finally {
    for (const buffer of [...buffers.values(), ...staging]) buffer.destroy();
  }

  async function readBack(): Promise<Float32Array[]> {
    const entries = [...buffers].map(([binding, buffer]) => ({ binding, resource: { buffer } }));
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    passes.forEach(({ grid }, k) => {
      pass.setPipeline(pipelines[k]);
      pass.setBindGroup(0, device.createBindGroup({ layout: pipelines[k].getBindGroupLayout(0), entries }));
      pass.dispatchWorkgroups(...grid);
    });
    pass.end();
    reads.forEach((read, k) => encoder.copyBufferToBuffer(buffers.get(read)!, 0, staging[k], 0, staging[k].size));
    device.queue.submit([encoder.finish()]);
    await Promise.all(staging.map((buffer) => buffer.mapAsync(GPUMapMode.READ)));
    return staging.map((buffer) => new Float32Array(buffer.getMappedRange().slice(0)));
  }
}

/**
 * The kernel's Cholesky + triangular solves (entry point solve_check of mlp_stiff.wgsl) on given
 * float32 matrices: x = W⁻¹b for W = I + hd·H, with `refinements` steps of iterative refinement.
 */
async function gpuSolve(kernelArch: Architecture, matrices: Float32Array[], rhs: Float32Array[], hd: number, refinements: number): Promise<Float32Array[]> {
  const P = parameterCount(kernelArch);
  const B = matrices.length;
  // Config (mlp_flow_common.wgsl): slots, samples, steps = refinements, …, max_step = hd
  const config = new ArrayBuffer(48);
  new Uint32Array(config).set([B, 0, refinements]);
  new Float32Array(config)[6] = hd;
  const hessian = new Float32Array(B * P * P);
  const b = new Float32Array(B * P);
  matrices.forEach((m, n) => hessian.set(m, n * P * P));
  rhs.forEach((v, n) => b.set(v, n * P));
  const x = await runStiffEntryPoint(kernelArch, 'solve_check', B, [
    { binding: 0, data: config, bytes: 48 },
    { binding: 1, data: null, bytes: 4 * B * P },
    { binding: 5, data: b.buffer, bytes: 4 * B * P },
    { binding: 6, data: hessian.buffer, bytes: 4 * B * P * P },
    { binding: 7, data: null, bytes: 4 * B * P * P },
  ], 1);
  return matrices.map((_, n) => x.slice(n * P, (n + 1) * P));
}

/**
 * x = W⁻¹b in float64 for W = I + hd·H built from the float32 H and hd the kernel sees; cond(W) (2-norm);
 * and Skeel's condition number of this x, ‖ |W⁻¹| |W| |x| ‖∞ / ‖x‖∞ (how much componentwise changes of
 * W's entries can move x: far below cond(W) where x has little in W's stiff directions)
 */
function referenceSolve(H: Float32Array, b: Float32Array, hd: number, P: number): { x: Float64Array; cond: number; skeel: number } {
  const hd32 = Math.fround(hd);
  const W = new Float64Array(P * P);
  for (let k = 0; k < P * P; k++) W[k] = hd32 * H[k];
  for (let i = 0; i < P; i++) W[i * P + i] += 1;
  const eig = symmetricEigen(W, P).values;
  const cond = Math.max(...eig) / Math.min(...eig);
  const f = cholesky(W, P);
  if (!f.ok) throw new Error('reference Cholesky failed');
  const x = choleskySolve(f.factor, P, Float64Array.from(b));
  const absWx = Array.from({ length: P }, (_, i) => W.subarray(i * P, (i + 1) * P).reduce((sum, w, j) => sum + Math.abs(w * x[j]), 0));
  // (W⁻¹ is symmetric: its column j is its row j)
  const inverse = Array.from({ length: P }, (_, j) => choleskySolve(f.factor, P, Float64Array.from({ length: P }, (_, i) => (i === j ? 1 : 0))));
  const skeelNumerator = Math.max(...inverse.map((row) => row.reduce((sum, v, j) => sum + Math.abs(v) * absWx[j], 0)));
  return { x, cond, skeel: skeelNumerator / Math.max(...x.map(Math.abs)) };
}

function relativeError(x: ArrayLike<number>, reference: ArrayLike<number>): number {
  let diff = 0;
  let norm = 0;
  for (let k = 0; k < reference.length; k++) {
    diff = Math.max(diff, Math.abs(x[k] - reference[k]));
    norm = Math.max(norm, Math.abs(reference[k]));
  }
  return diff / norm;
}

describe('GPU stiff stages (Rodas4, ROS34PW2)', () => {
  it("sum only the step's earlier stages: a stale k's infinity or NaN from a failed attempt stays out of the next attempt's stage points", async () => {
    // Slot s holds finite k₁…k_s and non-finite k's after them, as a retry after a stage that overflowed
    // finds them. Summed with every coefficient 1 over 1…s stages, the sums must be the float32 sums of
    // the finite k's alone. (Before: Σⱼ aⱼkⱼ over all four with aⱼ = 0 for later stages gave 0·∞ = NaN,
    // and a run near the toy channel's barrier retried its step down to h ≈ 1e-25 in one dispatch.)
    const P = parameterCount(arch);
    const B = 5;
    const ks = new Float32Array(B * 5 * P);
    const random = new RandomStream(31, 0, STREAMS.init);
    for (let slot = 0; slot < B; slot++) {
      for (let j = 0; j < 5; j++) {
        for (let p = 0; p < P; p++) ks[slot * 5 * P + j * P + p] = j <= slot ? random.normal() : p % 2 === 0 ? Infinity : NaN;
      }
    }
    const config = new ArrayBuffer(48);
    new Uint32Array(config).set([B]);
    const sums = await runStiffEntryPoint(arch, 'stage_sum_check', B, [
      { binding: 0, data: config, bytes: 48 },
      { binding: 1, data: null, bytes: 4 * B * 5 * P },
      { binding: 6, data: ks.buffer, bytes: 4 * B * 5 * P },
    ], 1, { solver: 'rodas4' });
    for (let slot = 0; slot < B; slot++) {
      for (let stages = 1; stages <= 5; stages++) {
        for (let p = 0; p < P; p++) {
          let expected = 0;
          for (let j = 0; j < stages; j++) expected = Math.fround(expected + ks[slot * 5 * P + j * P + p]);
          const sum = sums[slot * 5 * P + (stages - 1) * P + p];
          if (stages <= slot + 1) expect(sum, `slot ${slot}, ${stages} stages, p = ${p}`).toBe(expected);
          // (the data hold what a stale stage leaves: the sums over it are not finite)
          else expect(Number.isFinite(sum), `slot ${slot}, ${stages} stages, p = ${p}`).toBe(false);
        }
      }
    }
  });
});

describe('GPU stiff solves in float32', () => {
  it('solves ill-conditioned W x = b accurately with iterative refinement', async () => {
    // (1) the toy's Hessian at the norm barrier (float64, rounded to float32), with the step sizes the
    // flow takes there; b = f(θ) as for k1
    const data = toyDataset(256);
    const field = networkFlowField(TOY_ARCHITECTURE, data, { maxnorm: 1e3 });
    const run = integrateRosenbrock(field, toyStart(), { rtol: 1e-3, atol: 1e-6, maxSteps: 300 });
    const P4 = 4;
    const H4 = new Float64Array(P4 * P4);
    field.hessian(run.theta, H4);
    const f4 = new Float64Array(P4);
    field.f(run.theta, f4);
    // (2) random symmetric matrices of P = 25, one eigenvalue −0.005 (a saddle), the others log-spaced over [1e-3, 1e5]
    const big: Architecture = { inputDim: 2, hidden: [6], activation: 'softplus', biases: true };
    const P = parameterCount(big);
    const wide: Architecture = { inputDim: 2, hidden: [30], activation: 'softplus', biases: true };
    const random = new RandomStream(11, 0, STREAMS.verify);
    const spectrumMatrix = (P: number) => {
      const Q = random.fillNormal(new Float64Array(P * P));
      for (let i = 0; i < P; i++) {
        // Gram–Schmidt on the rows
        for (let j = 0; j < i; j++) {
          let dot = 0;
          for (let k = 0; k < P; k++) dot += Q[i * P + k] * Q[j * P + k];
          for (let k = 0; k < P; k++) Q[i * P + k] -= dot * Q[j * P + k];
        }
        let norm = 0;
        for (let k = 0; k < P; k++) norm += Q[i * P + k] ** 2;
        for (let k = 0; k < P; k++) Q[i * P + k] /= Math.sqrt(norm);
      }
      const lambda = Array.from({ length: P }, (_, i) => (i === 0 ? -0.005 : 10 ** (-3 + (8 * (i - 1)) / (P - 2))));
      const H = new Float32Array(P * P);
      for (let i = 0; i < P; i++) {
        for (let j = 0; j <= i; j++) {
          let sum = 0;
          for (let k = 0; k < P; k++) sum += Q[k * P + i] * lambda[k] * Q[k * P + j];
          H[i * P + j] = H[j * P + i] = sum;
        }
      }
      return H;
    };
    const cases = [
      { name: `toy at the barrier (1/ε ${toyPairCoordinates(run.theta).inverseEpsilon.toFixed(1)}), h = ${run.stepSize.toExponential(2)}`, arch: TOY_ARCHITECTURE, P: P4, H: Float32Array.from(H4), b: Float32Array.from(f4), hd: run.stepSize * ROSENBROCK23.d },
      { name: 'toy at the barrier, h = 1e3', arch: TOY_ARCHITECTURE, P: P4, H: Float32Array.from(H4), b: Float32Array.from(f4), hd: 1e3 * ROSENBROCK23.d },
      { name: 'P = 25, spectrum [−0.005, 1e5], hd = 1', arch: big, P, H: spectrumMatrix(P), b: Float32Array.from(random.fillNormal(new Float64Array(P))), hd: 1 },
      { name: 'P = 25, spectrum [−0.005, 1e5], hd = 100', arch: big, P, H: spectrumMatrix(P), b: Float32Array.from(random.fillNormal(new Float64Array(P))), hd: 100 },
      // more parameters than threads (each thread owns several rows)
      { name: `P = ${parameterCount(wide)}, spectrum [−0.005, 1e5], hd = 10`, arch: wide, P: parameterCount(wide), H: spectrumMatrix(parameterCount(wide)), b: Float32Array.from(random.fillNormal(new Float64Array(parameterCount(wide)))), hd: 10 },
    ];
    // Bounds from W's condition numbers and u = 2⁻²⁴ alone, never from the kernel's own output (a
    // worse factorisation must not raise them): κ = cond(W), and Skeel's κ_S of this x (referenceSolve).
    // Measured on SwiftShader for the five cases: κu = 3.4, 0.056, 6.0e-3, 1.2, 0.063; κ_S·u = 1.3e-3,
    // 1.5e-4, 4.1e-3, 0.60, 0.11.
    // * unrefined: float32 Cholesky is backward stable, ‖ΔW‖ ≲ c·P·u·‖W‖ (Higham, Thm 10.4), so x's
    //   relative error is ≲ c·P·κu, with c·P far below P in practice: measured 1.1e-4 (toy at the
    //   barrier), 5.7e-4, 0.074, 0.030 and 0.074 (P = 121) κu. Bound 0.25·κu, 3.4× the worst.
    // * after the kernel's two refinements (REFINEMENTS in mlp_stiff.wgsl; the residual in about twice
    //   the working precision): the error shrinks by a factor ≲ c·κu per step down to the limiting
    //   accuracy of a float32 x, a few u (measured 0.6–0.7u where converged: 4u bounds that). Measured
    //   1.2e-8, 6.6e-7, 5.9e-6, 6.2e-5 (P = 25, hd = 100: not converged at κu = 1.2) and 6.5e-6 κu,
    //   so 3e-4·κu (4.8× the worst); and 3.3e-5, 2.5e-4 (at the floor), 8.7e-6, 1.2e-4 and 3.6e-6
    //   κ_S·u, so 6e-4·κ_S·u (4.9×). Bound max(4u, min of the two): cond(W) alone promises nothing
    //   where κu > 1, and the toy at the barrier (the flow's own solve, whose x the structure of W
    //   keeps far more accurate than κ says) is held by κ_S to 7.5e-7 (18× its 4.2e-8), not 1.0e-3.
    const u = 2 ** -24;
    for (const c of cases) {
      const reference = referenceSolve(c.H, c.b, c.hd, c.P);
      const errors: number[] = [];
      for (const refinements of [0, 1, 2]) {
        const [x] = await gpuSolve(c.arch, [c.H], [c.b], c.hd, refinements);
        errors.push(relativeError(x, reference.x));
      }
      const [ku, kSu] = [reference.cond * u, reference.skeel * u];
      console.log(`${c.name}: cond(W) ${reference.cond.toExponential(2)} (κu ${ku.toExponential(2)}), Skeel's ${reference.skeel.toExponential(2)} (κ_S·u ${kSu.toExponential(2)}); max-norm relative error of x after 0, 1, 2 refinements: ${errors.map((e) => e.toExponential(2)).join(', ')} (${errors.map((e) => (e / ku).toExponential(1)).join(', ')} κu; ${errors.map((e) => (e / kSu).toExponential(1)).join(', ')} κ_S·u)`);
      expect(errors[0], `${c.name}, unrefined`).toBeLessThanOrEqual(0.25 * ku);
      expect(errors[2], `${c.name}, refined twice`).toBeLessThanOrEqual(Math.max(4 * u, Math.min(3e-4 * ku, 6e-4 * kSu)));
    }
  });
});

/** H(θ) as the stiff kernel assembles it (entry point hessian_check of mlp_stiff.wgsl), per network. */
async function gpuHessians(kernelArch: Architecture, thetas: Float64Array[], data: Dataset, maxnorm: number, strategy?: string, entryPoint = 'hessian_check', precision: StiffPrecision = FULL_STIFF_PRECISION): Promise<Float64Array[]> {
  const P = parameterCount(kernelArch);
  const doubleFloat = stiffDoubleFloat(kernelArch, precision.doubleFloat);
  const stride = stiffMatrixFloats(P, doubleFloat);
  const B = thetas.length;
  // Config (mlp_flow_common.wgsl): slots, samples, …, maxnorm at word 8, data_stride 0 (shared data)
  const config = new ArrayBuffer(48);
  new Uint32Array(config).set([B, data.samples]);
  new Float32Array(config)[8] = maxnorm;
  const params = new Float32Array(B * P);
  thetas.forEach((t, n) => params.set(t, n * P));
  const bindings = [
    { binding: 0, data: config, bytes: 48 },
    { binding: 1, data: params.buffer, bytes: 4 * B * P },
    { binding: 2, data: Float32Array.from(data.x).buffer, bytes: 4 * data.x.length },
    { binding: 3, data: Float32Array.from(data.y).buffer, bytes: 4 * data.y.length },
    { binding: 6, data: null, bytes: 4 * B * stride },
    // θ's low parts for double-float (θ given in float32: zero)
    ...(doubleFloat ? [{ binding: 8, data: null, bytes: 4 * B * P }] : []),
    // and its Hessian's per-sample cache
    ...(doubleFloat ? [{ binding: 10, data: null, bytes: 4 * B * doubleFloatCacheFloats(kernelArch, data.samples, stiffHessianDispatches(kernelArch, precision)) }] : []),
  ];
  const h = await runStiffEntryPoint(kernelArch, entryPoint, B, bindings, 6, { strategy, precision });
  // double-float: high and low halves, summed in float64
  return thetas.map((_, n) => Float64Array.from(h.subarray(n * stride, n * stride + P * P), (high, k) => high + (doubleFloat ? h[n * stride + P * P + k] : 0)));
}

/**
 * H(θ) as the Hessian's own dispatches assemble it for live slots that want a Hessian, with the
 * slots' bookkeeping words after: the closed form's (hessian_blocks, hessian_block_sums, hessian_mark
 * of mlp_stiff.wgsl) in blocks of one tile of samples (as many blocks as N allows, `blocks`), or
 * double-float's (hessian_cache, hessian_columns, hessian_finish: every sample cached, one workgroup
 * per column; high and low halves summed in float64). `activations[n]`: slot n's activation in a mixed
 * kernel serving them all.
 */
async function gpuSplitHessians(kernelArch: Architecture, thetas: Float64Array[], data: Dataset, maxnorm: number, strategy?: string, precision: StiffPrecision = FULL_STIFF_PRECISION, activations: readonly Activation[] = []): Promise<{ hessians: Float64Array[]; slots: Uint32Array; blocks: number }> {
  const P = parameterCount(kernelArch);
  const B = thetas.length;
  const plan = planStiffFlowKernel(kernelArch, engine.gpu.limits, 'rosenbrock23', strategy ? parseStrategy(strategy) : {}, precision);
  const doubleFloat = plan.doubleFloat === true;
  const stride = stiffMatrixFloats(P, doubleFloat);
  const served = [...new Set(activations)];
  const blockSamples = plan.tile * plan.strategy.samplesPerThread;
  const blocks = Math.ceil(data.samples / blockSamples);
  // Config: slots, samples, steps 1, …, until_time ∞ (word 7), maxnorm, data_stride 0, block_samples
  const config = new ArrayBuffer(48);
  new Uint32Array(config).set([B, data.samples, 1]);
  new Float32Array(config).set([Infinity, maxnorm], 7);
  new Uint32Array(config)[10] = blockSamples;
  // every slot in use, finite, past its first dispatch (step size 1), no Hessian yet
  const slots = new ArrayBuffer(4 * SLOT_WORDS * B);
  for (let n = 0; n < B; n++) {
    new Uint32Array(slots, 4 * SLOT_WORDS * n, SLOT_WORDS).set([1, 1]);
    new Float32Array(slots, 4 * SLOT_WORDS * n, SLOT_WORDS)[9] = 1;
    if (activations[n]) new Uint32Array(slots, 4 * SLOT_WORDS * n, SLOT_WORDS)[16] = activationCode(activations[n]);
  }
  const params = new Float32Array(B * P);
  thetas.forEach((t, n) => params.set(t, n * P));
  const bindings: StiffBinding[] = [
    { binding: 0, data: config, bytes: 48 },
    { binding: 1, data: params.buffer, bytes: 4 * B * P },
    { binding: 2, data: Float32Array.from(data.x).buffer, bytes: 4 * data.x.length },
    { binding: 3, data: Float32Array.from(data.y).buffer, bytes: 4 * data.y.length },
    { binding: 4, data: slots, bytes: slots.byteLength },
    { binding: 5, data: null, bytes: 4 * B * P },
    { binding: 6, data: null, bytes: 4 * B * stride },
    { binding: 7, data: null, bytes: 4 * B * stride },
    { binding: 9, data: new Uint32Array(B).fill(0xffffffff).buffer, bytes: 4 * B },
    // no group-coordinate state: the groups are chosen and θ turned from network coordinates
    ...(plan.groupCoordinates ? [{ binding: 11, data: null, bytes: 4 * B * groupStateWords(kernelArch) }] : []),
    // double-float: θ's low parts (θ given in float32: zero) and every sample's cache; the closed form: its block sums
    ...(doubleFloat
      ? [
          { binding: 8, data: null, bytes: 4 * B * P },
          { binding: 10, data: null, bytes: 4 * B * doubleFloatCacheFloats(kernelArch, data.samples, true) },
        ]
      : [{ binding: 12, data: null, bytes: 4 * B * blocks * hessianPartFloats(kernelArch) }]),
  ];
  const passes = plan.hessianPasses!.map((pass) => ({ entryPoint: pass.entryPoint, grid: [B, pass.workgroupsPerSlot(data.samples, blockSamples)] as [number, number] }));
  expect(passes.map((pass) => pass.entryPoint)).toEqual(doubleFloat ? ['hessian_cache', 'hessian_columns', 'hessian_finish'] : ['hessian_blocks', 'hessian_block_sums', 'hessian_mark']);
  const [h, words] = await runStiffPasses(kernelArch, passes, bindings, [6, 4], { strategy, precision, activations: served });
  return {
    hessians: thetas.map((_, n) => Float64Array.from(h.subarray(n * stride, n * stride + P * P), (high, k) => high + (doubleFloat ? h[n * stride + P * P + k] : 0))),
    slots: new Uint32Array(words.buffer),
    blocks,
  };
}

describe('GPU stiff Hessian assembly', () => {
  // Tolerances, max-norm error relative to the largest entry. float32: rounding of θ, x and the
  // per-sample terms, summed over N samples with a Kahan carry across tiles; measured on SwiftShader
  // 8.3e-7 at worst (two hidden layers in float32, P HVP columns), 3.0e-7 at worst in the closed form
  // (the step kernel's, in group coordinates and in the Hessian's own dispatches alike): 5e-6 (6×).
  // double-float (~2⁻⁴⁴ per operation; θ and the data as given in float32): measured 4.1e-14 at worst
  // (three hidden layers of erf without biases), 1.4e-14 in the Hessian's own dispatches: 4e-13
  // (10×). A reduction that kept 1e-12 relative of its double-float columns passed the former 1e-11.
  const HESSIAN = { float32: 5e-6, doubleFloat: 4e-13 };
  const cases: { name: string; arch: Architecture; data: Dataset; thetas: Float64Array[]; maxnorm: number; strategy?: string; precision?: StiffPrecision }[] = [
    {
      // closed form, biases, N not a multiple of the tile (padding samples must not count)
      name: 'one hidden layer, softplus with biases, barrier active',
      arch: { inputDim: 2, hidden: [3], activation: 'softplus', biases: true },
      data: rosenbrockDataset(150, 2, 5),
      thetas: [0, 1].map((n) => glorotNormal({ inputDim: 2, hidden: [3], activation: 'softplus', biases: true }, new RandomStream(3, n, STREAMS.init), 4)),
      maxnorm: 1,
    },
    {
      // closed form, no biases: the toy network deep in its channel (output weights ±60, near-equal w)
      name: 'the toy network in its channel (erf, no biases)',
      arch: TOY_ARCHITECTURE,
      data: toyDataset(200),
      thetas: [Float64Array.from([1.01, 0.99, 60, -58]), toyStart()],
      maxnorm: 1e3,
    },
    {
      // closed form in several 4 × 4 blocks per group pair (x̃: 8 entries, ŝ: 11, padded to 12), two
      // tasks per thread and five sweeps over the samples (289 tasks, 32 threads), 4 samples per thread
      name: 'd = 7, r = 10, softplus with biases: many blocks and sweeps (tiled/32x4)',
      arch: { inputDim: 7, hidden: [10], activation: 'softplus', biases: true },
      data: rosenbrockDataset(150, 7, 7),
      thetas: [glorotNormal({ inputDim: 7, hidden: [10], activation: 'softplus', biases: true }, new RandomStream(5, 0, STREAMS.init), 2)],
      maxnorm: 1e3,
      strategy: 'tiled/32x4',
    },
    {
      // the speed issue's W2 network (P = 289): x̃ of 17 entries (4 blocks and one of a single
      // entry), 3,825 tasks, 30 sweeps of 64 threads × 2
      name: 'd = 16, r = 16, softplus with biases (W2 network, P = 289)',
      arch: { inputDim: 16, hidden: [16], activation: 'softplus', biases: true },
      data: rosenbrockDataset(80, 16, 9),
      thetas: [glorotNormal({ inputDim: 16, hidden: [16], activation: 'softplus', biases: true }, new RandomStream(7, 0, STREAMS.init), 1)],
      maxnorm: 1e3,
    },
    {
      // no biases: x̃ exactly one block, ŝ (5 output weights) two with padding; register strategy
      name: 'd = 4, r = 5, tanh without biases (register/64x2+hoist)',
      arch: { inputDim: 4, hidden: [5], activation: 'tanh', biases: false },
      data: rosenbrockDataset(100, 4, 8),
      thetas: [glorotNormal({ inputDim: 4, hidden: [5], activation: 'tanh', biases: false }, new RandomStream(6, 0, STREAMS.init), 2)],
      maxnorm: 1e3,
      strategy: 'register/64x2+hoist',
    },
    {
      // two hidden layers in float32 (GpuEngine.withoutDoubleFloat; relu's deep networks): P Hessian-vector products
      name: 'two hidden layers, tanh in float32 (HVP columns)',
      arch: { inputDim: 2, hidden: [3, 2], activation: 'tanh', biases: true },
      data: rosenbrockDataset(70, 2, 6),
      thetas: [glorotNormal({ inputDim: 2, hidden: [3, 2], activation: 'tanh', biases: true }, new RandomStream(4, 0, STREAMS.init), 1.5)],
      maxnorm: 1e3,
      precision: { ...FULL_STIFF_PRECISION, doubleFloat: false },
    },
    {
      // two hidden layers of softplus: double-float R-operator passes and Hessian (mlp_double_float.wgsl)
      name: 'two hidden layers, softplus (double-float HVP columns)',
      arch: { inputDim: 2, hidden: [3, 2], activation: 'softplus', biases: true },
      data: rosenbrockDataset(70, 2, 6),
      thetas: [1, 2].map((n) => glorotNormal({ inputDim: 2, hidden: [3, 2], activation: 'softplus', biases: true }, new RandomStream(4, n, STREAMS.init), 3)),
      maxnorm: 1e3,
    },
    {
      // N above DF_CACHE_SAMPLES (1,024): H summed over three chunks of the sample cache, the last partial
      name: 'two hidden layers, erf, N = 2,100 (double-float HVP columns, three cache chunks)',
      arch: { inputDim: 2, hidden: [2, 2], activation: 'erf', biases: true },
      data: rosenbrockDataset(2100, 2, 8),
      thetas: [glorotNormal({ inputDim: 2, hidden: [2, 2], activation: 'erf', biases: true }, new RandomStream(4, 4, STREAMS.init), 3)],
      maxnorm: 1e3,
    },
    // the other smooth activations in double-float (double_float.wgsl df_tanh, df_sigmoid, df_g, df_gelu)
    ...(
      [
        ['tanh', [3, 2], true],
        ['sigmoid', [2, 3], false],
        ['g', [3, 2], true],
        ['gelu', [2, 2, 2], true],
      ] as const
    ).map(([activation, hidden, biases], n) => {
      const network: Architecture = { inputDim: 2, hidden: [...hidden], activation, biases };
      return {
        name: `${hidden.length} hidden layers, ${activation}${biases ? '' : ' without biases'} (double-float HVP columns)`,
        arch: network,
        data: rosenbrockDataset(60, 2, 9 + n),
        thetas: [glorotNormal(network, new RandomStream(4, 10 + n, STREAMS.init), 2.5)],
        maxnorm: 1e3,
      };
    }),
    {
      // a wide workgroup: the passes' reductions in two levels over 256 threads (df_reduce)
      name: 'three hidden layers, softplus, 256 threads (double-float HVP columns)',
      arch: { inputDim: 3, hidden: [3, 3, 2], activation: 'softplus', biases: true },
      data: rosenbrockDataset(300, 3, 13),
      thetas: [glorotNormal({ inputDim: 3, hidden: [3, 3, 2], activation: 'softplus', biases: true }, new RandomStream(4, 20, STREAMS.init), 2)],
      maxnorm: 1e3,
      strategy: 'tiled/256',
    },
    {
      name: 'three hidden layers, erf without biases (double-float HVP columns)',
      arch: { inputDim: 3, hidden: [3, 2, 2], activation: 'erf', biases: false },
      data: rosenbrockDataset(50, 3, 7),
      thetas: [glorotNormal({ inputDim: 3, hidden: [3, 2, 2], activation: 'erf', biases: false }, new RandomStream(4, 3, STREAMS.init), 2)],
      maxnorm: 1e3,
    },
  ];
  // Group coordinates (the kernel groups neurons within 25% of each other, up to four): the planted
  // groups' members copy the first member's input vector within 1% and carry large output weights
  // of both signs summing to little; the reference is T·H·Tᵀ of the float64 Hessian
  const plantGroups = (arch: Architecture, theta: Float64Array, groups: number[][]) => {
    const d = arch.inputDim;
    const r = arch.hidden[0];
    const a = r * d + (arch.biases ? r : 0);
    for (const [first, ...others] of groups) {
      others.forEach((k, m) => {
        for (let e = 0; e < d; e++) theta[k * d + e] = theta[first * d + e] * (1 + 0.01 * (m + 1) * (e % 2 === 0 ? 1 : -1));
        if (arch.biases) theta[r * d + k] = theta[r * d + first] + 0.01 * (m + 1);
      });
      // outgoing 25, −25 for a pair; −25, 50, −25 for three; 25, −25, 30, −30 for four
      const outgoing = [[25, -25], [-25, 50, -25], [25, -25, 30, -30]][others.length - 1];
      [first, ...others].forEach((k, m) => (theta[a + k] = 0.2 + outgoing[m]));
    }
    return theta;
  };
  const groupedCases: { name: string; arch: Architecture; data: Dataset; theta: Float64Array; groups: number[][]; maxnorm: number; strategy?: string }[] = [
    {
      name: 'd = 2, r = 4, softplus, one close pair, barrier active',
      arch: { inputDim: 2, hidden: [4], activation: 'softplus', biases: true },
      data: rosenbrockDataset(150, 2, 5),
      theta: plantGroups({ inputDim: 2, hidden: [4], activation: 'softplus', biases: true }, glorotNormal({ inputDim: 2, hidden: [4], activation: 'softplus', biases: true }, new RandomStream(3, 0, STREAMS.init), 2), [[0, 1]]),
      groups: [[0, 1]],
      maxnorm: 10,
    },
    {
      name: 'd = 7, r = 10, tanh, two close pairs (tiled/32x4)',
      arch: { inputDim: 7, hidden: [10], activation: 'tanh', biases: true },
      data: rosenbrockDataset(150, 7, 7),
      theta: plantGroups({ inputDim: 7, hidden: [10], activation: 'tanh', biases: true }, glorotNormal({ inputDim: 7, hidden: [10], activation: 'tanh', biases: true }, new RandomStream(5, 0, STREAMS.init), 2), [[0, 1], [2, 3]]),
      groups: [[0, 1], [2, 3]],
      maxnorm: 1e3,
      strategy: 'tiled/32x4',
    },
    {
      name: 'the toy network in its channel (erf, no biases)',
      arch: TOY_ARCHITECTURE,
      data: toyDataset(200),
      theta: Float64Array.from([1.01, 0.99, 60, -58]),
      groups: [[0, 1]],
      maxnorm: 1e3,
    },
    {
      name: 'd = 2, r = 6, softplus, a three-neuron channel (1, 3, 4) and a pair (0, 5)',
      arch: { inputDim: 2, hidden: [6], activation: 'softplus', biases: true },
      data: rosenbrockDataset(150, 2, 11),
      theta: plantGroups({ inputDim: 2, hidden: [6], activation: 'softplus', biases: true }, glorotNormal({ inputDim: 2, hidden: [6], activation: 'softplus', biases: true }, new RandomStream(8, 0, STREAMS.init), 2), [[1, 3, 4], [0, 5]]),
      groups: [[0, 5], [1, 3, 4]],
      maxnorm: 1e3,
    },
    {
      name: 'd = 3, r = 6, erf, a four-neuron group (register/64x2+hoist)',
      arch: { inputDim: 3, hidden: [6], activation: 'erf', biases: true },
      data: rosenbrockDataset(150, 3, 12),
      theta: plantGroups({ inputDim: 3, hidden: [6], activation: 'erf', biases: true }, glorotNormal({ inputDim: 3, hidden: [6], activation: 'erf', biases: true }, new RandomStream(9, 0, STREAMS.init), 2), [[0, 2, 3, 5]]),
      groups: [[0, 2, 3, 5]],
      maxnorm: 1e3,
      strategy: 'register/64x2+hoist',
    },
  ];
  for (const c of groupedCases) {
    it(`matches the float64 Hessian in group coordinates: ${c.name}`, async () => {
      const P = parameterCount(c.arch);
      const theta = Float64Array.from(c.theta, Math.fround);
      expect(closeNeuronGroups(c.arch, theta)).toEqual(c.groups); // what the kernel will choose
      const data: Dataset = { ...c.data, x: Float64Array.from(c.data.x, Math.fround), y: Float64Array.from(c.data.y, Math.fround) };
      const [got] = await gpuHessians(c.arch, [theta], data, c.maxnorm, c.strategy, 'grouped_hessian_check');
      const hessian = new Float64Array(P * P);
      networkFlowField(c.arch, data, { maxnorm: c.maxnorm }).hessian(theta, hessian);
      const reference = groupCoordinatesOfMatrix(c.arch, hessian, c.groups, true);
      const error = relativeError(got, reference);
      const unturned = relativeError(got, hessian);
      console.log(`group coordinates, ${c.name}: max-norm relative error ${error.toExponential(2)} (against the network-coordinate Hessian: ${unturned.toExponential(2)})`);
      expect(error).toBeLessThan(HESSIAN.float32);
      expect(unturned).toBeGreaterThan(1e-2);
    });
  }

  // The closed form in dispatches of its own: blocks of one tile of samples summed apart and then in
  // order, so other roundings than the step kernel's (same tolerance); the grouped case chooses its
  // groups and turns θ in every workgroup
  const splitCases = [
    { ...cases[3], name: `${cases[3].name}, 30 sweeps × 2 blocks`, precision: { ...FULL_STIFF_PRECISION, groupCoordinates: false }, groups: [] as number[][] },
    { ...cases[2], name: `${cases[2].name}, 5 sweeps × 2 blocks`, groups: [] as number[][] },
    { ...groupedCases[3], thetas: [groupedCases[3].theta], name: `${groupedCases[3].name}, 3 blocks`, precision: FULL_STIFF_PRECISION },
  ];
  for (const c of splitCases) {
    it(`matches the float64 Hessian in the Hessian's own dispatches: ${c.name}`, async () => {
      const P = parameterCount(c.arch);
      const thetas = c.thetas.map((t) => Float64Array.from(t, Math.fround));
      const data: Dataset = { ...c.data, x: Float64Array.from(c.data.x, Math.fround), y: Float64Array.from(c.data.y, Math.fround) };
      const { hessians, slots, blocks } = await gpuSplitHessians(c.arch, thetas, data, c.maxnorm, c.strategy, c.precision);
      expect(blocks).toBeGreaterThan(1);
      thetas.forEach((theta, n) => {
        expect(closeNeuronGroups(c.arch, theta)).toEqual(c.groups);
        const hessian = new Float64Array(P * P);
        networkFlowField(c.arch, data, { maxnorm: c.maxnorm }).hessian(theta, hessian);
        const reference = c.groups.length > 0 ? groupCoordinatesOfMatrix(c.arch, hessian, c.groups, true) : hessian;
        const error = relativeError(hessians[n], reference);
        console.log(`Hessian's own dispatches, ${c.name}, network ${n}: max-norm relative error ${error.toExponential(2)}`);
        expect(error).toBeLessThan(HESSIAN.float32);
        for (let i = 0; i < P; i++) for (let j = 0; j < i; j++) expect(hessians[n][i * P + j]).toBe(hessians[n][j * P + i]);
        // marked for the step kernel (HESSIAN_FROM_DISPATCHES | 1), its P evaluations counted
        expect(slots[SLOT_WORDS * n + 14]).toBe(0x80000001);
        expect(slots[SLOT_WORDS * n + 3]).toBe(P);
      });
    });
  }

  // Double-float in dispatches of its own (hessian_cache, hessian_columns, hessian_finish: every sample
  // cached, then one workgroup per column; a GPU's default for deep networks of a smooth activation),
  // against the float64 Hessian at hessian_check's double-float bound (HESSIAN.doubleFloat; measured
  // 1.4e-14 at worst without the barrier); one case with the barrier active, and a mixed kernel
  // (MIXED_ACTIVATIONS) whose slots each read their activation, relu's included. (The trajectory tests
  // cannot see a wrong Hessian: ROS34PW2 is a W-method, whose order does not depend on it.)
  const mixedActivations: Activation[] = ['softplus', 'erf', 'relu'];
  const deepMixed: Architecture = { inputDim: 2, hidden: [3, 2], activation: 'softplus', biases: true };
  const doubleFloatSplitCases: { name: string; arch: Architecture; data: Dataset; thetas: Float64Array[]; maxnorm: number; activations: Activation[] }[] = [
    // (Σθ²/2P of its networks: 0.85 and 1.7)
    { ...cases[6], name: `${cases[6].name}, barrier active`, maxnorm: 0.4, activations: [] },
    { ...cases[7], activations: [] },
    {
      name: 'two hidden layers, softplus, erf and relu slots of one mixed kernel',
      arch: deepMixed,
      data: rosenbrockDataset(70, 2, 6),
      thetas: mixedActivations.map((activation, n) => glorotNormal({ ...deepMixed, activation }, new RandomStream(4, 30 + n, STREAMS.init), 2.5)),
      maxnorm: 1e3,
      activations: mixedActivations,
    },
  ];
  for (const c of doubleFloatSplitCases) {
    it(`matches the float64 Hessian in double-float in the Hessian's own dispatches: ${c.name}`, async () => {
      const P = parameterCount(c.arch);
      expect(stiffDoubleFloat(c.arch)).toBe(true);
      const thetas = c.thetas.map((t) => Float64Array.from(t, Math.fround));
      const data: Dataset = { ...c.data, x: Float64Array.from(c.data.x, Math.fround), y: Float64Array.from(c.data.y, Math.fround) };
      const { hessians, slots } = await gpuSplitHessians(c.arch, thetas, data, c.maxnorm, undefined, FULL_STIFF_PRECISION, c.activations);
      thetas.forEach((theta, n) => {
        const network = { ...c.arch, activation: c.activations[n] ?? c.arch.activation };
        const reference = new Float64Array(P * P);
        networkFlowField(network, data, { maxnorm: c.maxnorm }).hessian(theta, reference);
        // the barrier's terms are added in float32 (mlp_double_float.wgsl df_finish_hessian: the
        // excess from Σθ² over P parameters, its slope and θθᵀ), so where it is active they bring up
        // to P + 4 float32 roundings (2⁻²⁴) of their own size: measured 3.7e-11 and 4.9e-10 (4.2
        // roundings) with terms of 1.3e-3 and 1.9e-3 of the largest entry
        let barrierShare = 0;
        if (c.maxnorm < 1e3) {
          const withoutBarrier = new Float64Array(P * P);
          networkFlowField(network, data, { maxnorm: Infinity }).hessian(theta, withoutBarrier);
          barrierShare = relativeError(withoutBarrier, reference);
          expect(barrierShare, 'the barrier is active').toBeGreaterThan(5e-4);
        }
        const error = relativeError(hessians[n], reference);
        console.log(`double-float Hessian's own dispatches, ${c.name}, network ${n} (${network.activation}): max-norm relative error ${error.toExponential(2)}${barrierShare ? ` (barrier terms ${barrierShare.toExponential(2)} of the largest entry)` : ''}`);
        expect(error).toBeLessThan(HESSIAN.doubleFloat + (P + 4) * 2 ** -24 * barrierShare);
        for (let i = 0; i < P; i++) for (let j = 0; j < i; j++) expect(hessians[n][i * P + j]).toBe(hessians[n][j * P + i]);
        expect(slots[SLOT_WORDS * n + 14]).toBe(0x80000001);
        expect(slots[SLOT_WORDS * n + 3]).toBe(P);
      });
    });
  }

  for (const c of cases) {
    it(`matches the float64 Hessian: ${c.name}`, async () => {
      const P = parameterCount(c.arch);
      const thetas = c.thetas.map((t) => Float64Array.from(t, Math.fround));
      const data: Dataset = { ...c.data, x: Float64Array.from(c.data.x, Math.fround), y: Float64Array.from(c.data.y, Math.fround) };
      // the many-blocks case must really take several sweeps: 289 tasks, 2 per thread of 32
      if (c.strategy === 'tiled/32x4') expect(closedHessianTasks(c.arch).sweeps(32)).toBe(5);
      const doubleFloat = stiffDoubleFloat(c.arch, (c.precision ?? FULL_STIFF_PRECISION).doubleFloat);
      const got = await gpuHessians(c.arch, thetas, data, c.maxnorm, c.strategy, 'hessian_check', c.precision);
      thetas.forEach((theta, n) => {
        const reference = new Float64Array(P * P);
        networkFlowField(c.arch, data, { maxnorm: c.maxnorm }).hessian(theta, reference);
        const error = relativeError(got[n], reference);
        let asymmetry = 0;
        for (let i = 0; i < P; i++) for (let j = 0; j < P; j++) asymmetry = Math.max(asymmetry, Math.abs(got[n][i * P + j] - got[n][j * P + i]));
        console.log(`${c.name}, network ${n}: max-norm relative error ${error.toExponential(2)}`);
        expect(error).toBeLessThan(doubleFloat ? HESSIAN.doubleFloat : HESSIAN.float32);
        expect(asymmetry).toBe(0);
      });
    });
  }
});
