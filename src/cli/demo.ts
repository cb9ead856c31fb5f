// `channelscope demo`: a small demonstration of the engine on whatever backend exists.
import type { Engine } from '../engine/engine.js';
import { GpuEngine } from '../engine/gpu/gpu-engine.js';
import { CpuEngine } from '../engine/cpu/cpu-engine.js';
import { compare } from '../engine/verify.js';
import { describeArchitecture, parameterCount, weightNorm, type Architecture } from '../model/architecture.js';
import { glorotNormal } from '../model/init.js';
import { rosenbrockDataset } from '../data/inputs.js';
import { RandomStream, STREAMS } from '../numerics/rng.js';

export async function demo(engine: Engine, log: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<void> {
  // software rasterisers and the CPU engine are ~10⁴× slower than a GPU: keep the demo to seconds
  const fast = engine instanceof GpuEngine && !engine.gpu.software;
  const NETWORKS = fast ? 4096 : 256;
  const SAMPLES = fast ? 1024 : 512;
  const POWER_ITERATIONS = fast ? 50 : 10;
  const arch: Architecture = { inputDim: 2, hidden: [4], activation: 'softplus', biases: true };
  const P = parameterCount(arch);
  const data = rosenbrockDataset(SAMPLES, arch.inputDim, 1);
  const params = new Float64Array(NETWORKS * P);
  for (let n = 0; n < NETWORKS; n++) params.set(glorotNormal(arch, new RandomStream(1, n, STREAMS.init)), n * P);
  log(`channelscope demo on ${engine.description}`);
  log(`ensemble: ${NETWORKS} networks ${describeArchitecture(arch)} (P=${P}), Rosenbrock teacher, ${SAMPLES} standard-normal inputs`);

  let start = performance.now();
  const first = await engine.evaluate({ arch, data, params, gradient: true });
  const seconds = (performance.now() - start) / 1000;
  const losses = Array.from(first.loss).sort((a, b) => a - b);
  log(`loss + gradient of all ${NETWORKS} networks in ${seconds.toFixed(2)} s (first call includes kernel compilation)`);
  log(`initial loss: median ${losses[NETWORKS >> 1].toFixed(4)}, best ${losses[0].toFixed(4)}, worst ${losses[NETWORKS - 1].toFixed(4)}`);

  // λ_max of every network's Hessian by power iteration on Hessian-vector products
  let v = new RandomStream(1, 0, STREAMS.direction).fillNormal(new Float64Array(NETWORKS * P));
  const lambda = new Float64Array(NETWORKS);
  start = performance.now();
  for (let it = 0; it < POWER_ITERATIONS; it++) {
    normalizeEach(v, P);
    const hv = (await engine.evaluate({ arch, data, params, directions: v })).hvp!;
    for (let n = 0; n < NETWORKS; n++) {
      let dot = 0;
      for (let k = 0; k < P; k++) dot += v[n * P + k] * hv[n * P + k];
      lambda[n] = dot;
    }
    v = hv;
  }
  const sorted = Array.from(lambda).sort((a, b) => a - b);
  log(`largest Hessian eigenvalue by ${POWER_ITERATIONS} power iterations in ${((performance.now() - start) / 1000).toFixed(2)} s: median ${sorted[NETWORKS >> 1].toFixed(3)}, max ${sorted[NETWORKS - 1].toFixed(3)}`);
  log(`mean weight norm Σθ²/(2P): ${(Array.from({ length: NETWORKS }, (_, n) => weightNorm(params, n * P, P)).reduce((a, b) => a + b) / NETWORKS).toFixed(4)}`);

  if (engine.backend === 'gpu') {
    const subset = params.subarray(0, 16 * P);
    const reference = await new CpuEngine().evaluate({ arch, data, params: subset, gradient: true });
    const gpu = await engine.evaluate({ arch, data, params: subset, gradient: true });
    const lossError = compare(gpu.loss, reference.loss, 1e-4);
    const gradError = compare(gpu.gradient!, reference.gradient!, 1e-3);
    log(`GPU (float32) vs CPU (float64) on 16 networks: loss rel. error ${lossError.maxRel.toExponential(1)}, gradient rel. error ${gradError.maxRel.toExponential(1)}`);
  }
  log('next: `channelscope verify` checks every kernel variant; `channelscope eval --params P.json --data D.csv` evaluates your own network');
}

function normalizeEach(v: Float64Array, P: number): void {
  for (let n = 0; n < v.length / P; n++) {
    let norm = 0;
    for (let k = 0; k < P; k++) norm += v[n * P + k] ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let k = 0; k < P; k++) v[n * P + k] /= norm;
  }
}
