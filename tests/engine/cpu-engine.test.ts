// The float64 CPU engine: gradient against central differences of its own loss, the R-operator
// Hessian-vector product against central differences of its own gradient, for every activation ×
// biases on/off × 1, 2, 3 hidden layers; the barrier; per-network datasets; input validation.
import { describe, expect, it } from 'vitest';
import { CpuEngine, evaluateNetwork } from '../../src/engine/cpu/cpu-engine.js';
import { forward } from '../../src/model/forward.js';
import { CompensatedSum, CompensatedSums, compensatedDot, compensatedSum } from '../../src/numerics/compensated-sum.js';
import { DEFAULT_MAXNORM } from '../../src/engine/engine.js';
import { activationFunctions } from '../../src/model/activations.js';
import { ACTIVATIONS, parameterLayout, weightNorm, type Architecture } from '../../src/model/architecture.js';
import type { Dataset } from '../../src/data/dataset.js';
import { makeRandom, normalArray, randomDataset } from '../helpers/random.js';

// Tolerances: max |analytic − finite difference| over a network's P entries, divided by the largest
// |analytic| entry of that network.
//   gradient: step h = 1e-5·max(1, |θ_p|) per parameter, central difference of loss + barrier;
//   HVP: step h = 1e-5·max(1, ‖θ‖)/‖v‖ along v, central difference of the gradient.
// Truncation error ~h²·(third derivative) ≈ 1e-9 relative, rounding ~1e-16/h ≈ 1e-11. Measured (the
// 42 variants and the barrier cases): gradient 1.3e-9 at worst (g/bias/[4,3,2]), HVP 1.6e-8 (g/bias/[2,4],
// barrier active); tolerances gradient 1e-8 (7.7×), HVP 1e-7 (6×). The barrier's own share of the HVP
// (below: a difference of two HVPs, its step not scaled by ‖θ‖) measures up to 8.3e-7 ([4,3,2]): 1e-6.
const GRADIENT_TOLERANCE = 1e-8;
const HVP_TOLERANCE = 1e-7;
const BARRIER_HVP_TOLERANCE = 1e-6;

const INPUT_DIM = 3;
const SAMPLES = 20;
const DEPTHS = [[3], [2, 4], [4, 3, 2]];

const cpu = new CpuEngine();

interface Case {
  arch: Architecture;
  data: Dataset;
  params: Float64Array;
  directions: Float64Array;
  networks: number;
  maxnorm: number;
}

function makeCase(arch: Architecture, seed: number, options: { networks?: number; perNetworkData?: boolean; scale?: number } = {}): Case {
  const random = makeRandom(seed);
  const networks = options.networks ?? 2;
  const P = parameterLayout(arch).count;
  const data = randomDataset(random, arch.inputDim, SAMPLES, options.perNetworkData ? networks : 1);
  const params = normalArray(random, networks * P, options.scale ?? 0.8);
  const directions = normalArray(random, networks * P);
  return { arch, data, params, directions, networks, maxnorm: Infinity };
}

function network(values: Float64Array, net: number, P: number): Float64Array {
  return values.slice(net * P, (net + 1) * P);
}

function datasetOf(c: Case, net: number): number {
  return c.data.count === 1 ? 0 : net;
}

/** max |actual − reference| / max |reference| */
function relativeError(actual: ArrayLike<number>, reference: ArrayLike<number>): number {
  let maxError = 0;
  let scale = 0;
  for (let k = 0; k < reference.length; k++) {
    maxError = Math.max(maxError, Math.abs(actual[k] - reference[k]));
    scale = Math.max(scale, Math.abs(reference[k]));
  }
  return scale > 0 ? maxError / scale : maxError;
}

/** Signs of every hidden pre-activation on every sample, computed independently of the engine. */
function preActivationSigns(arch: Architecture, theta: Float64Array, data: Dataset, datasetIndex: number): string {
  const layout = parameterLayout(arch);
  const sigma = activationFunctions(arch.activation).value;
  let signs = '';
  for (let n = 0; n < data.samples; n++) {
    const sample = datasetIndex * data.samples + n;
    let previous = Array.from(data.x.subarray(sample * data.inputDim, (sample + 1) * data.inputDim));
    for (const layer of layout.layers.slice(0, -1)) {
      const next: number[] = [];
      for (let j = 0; j < layer.fanOut; j++) {
        let z = layer.biasOffset >= 0 ? theta[layer.biasOffset + j] : 0;
        for (let i = 0; i < layer.fanIn; i++) z += theta[layer.weightOffset + j * layer.fanIn + i] * previous[i];
        signs += z > 0 ? '+' : '-';
        next.push(sigma(z));
      }
      previous = next;
    }
  }
  return signs;
}

/**
 * Checks one case: gradient and HVP of every network against central differences. For relu, also
 * asserts that no perturbed point crosses a kink (every pre-activation keeps its sign), so the
 * differences see the same smooth piece as the analytic derivatives.
 */
function checkAgainstFiniteDifferences(c: Case): { gradient: number; hvp: number } {
  const { arch, data, maxnorm } = c;
  const P = parameterLayout(arch).count;
  const evaluation = cpu.evaluateSync({ arch, data, params: c.params, directions: c.directions, gradient: true, maxnorm });
  // a gradient alone takes the unrolled one-hidden-layer path: it must agree with the general
  // path (run above because of the directions) to rounding, 1e-13 relative
  const gradientOnly = cpu.evaluateSync({ arch, data, params: c.params, gradient: true, maxnorm });
  expect(relativeError(gradientOnly.gradient!, evaluation.gradient!)).toBeLessThanOrEqual(1e-13);
  expect(gradientOnly.loss).toEqual(evaluation.loss);
  const worst = { gradient: 0, hvp: 0 };
  for (let net = 0; net < c.networks; net++) {
    const theta = network(c.params, net, P);
    const v = network(c.directions, net, P);
    const index = datasetOf(c, net);
    const objective = (point: Float64Array) => {
      const result = evaluateNetwork(arch, data, index, point, { maxnorm });
      return result.loss + result.barrier;
    };
    const gradientAt = (point: Float64Array) => evaluateNetwork(arch, data, index, point, { gradient: true, maxnorm }).gradient!;
    const signs = arch.activation === 'relu' ? preActivationSigns(arch, theta, data, index) : '';
    const assertSmooth = (point: Float64Array) => {
      if (arch.activation === 'relu') expect(preActivationSigns(arch, point, data, index), 'a relu kink lies within the step').toBe(signs);
    };

    const fdGradient = new Float64Array(P);
    for (let p = 0; p < P; p++) {
      const h = 1e-5 * Math.max(1, Math.abs(theta[p]));
      const plus = theta.slice();
      const minus = theta.slice();
      plus[p] += h;
      minus[p] -= h;
      assertSmooth(plus);
      assertSmooth(minus);
      fdGradient[p] = (objective(plus) - objective(minus)) / (2 * h);
    }

    let thetaNorm = 0;
    let vNorm = 0;
    for (let k = 0; k < P; k++) {
      thetaNorm += theta[k] ** 2;
      vNorm += v[k] ** 2;
    }
    const h = (1e-5 * Math.max(1, Math.sqrt(thetaNorm))) / Math.sqrt(vNorm);
    const plus = theta.map((t, k) => t + h * v[k]);
    const minus = theta.map((t, k) => t - h * v[k]);
    assertSmooth(plus);
    assertSmooth(minus);
    const gradientPlus = gradientAt(plus);
    const gradientMinus = gradientAt(minus);
    const fdHvp = gradientPlus.map((g, k) => (g - gradientMinus[k]) / (2 * h));

    const gradientError = relativeError(network(evaluation.gradient!, net, P), fdGradient);
    const hvpError = relativeError(network(evaluation.hvp!, net, P), fdHvp);
    worst.gradient = Math.max(worst.gradient, gradientError);
    worst.hvp = Math.max(worst.hvp, hvpError);
  }
  expect(worst.gradient).toBeLessThanOrEqual(GRADIENT_TOLERANCE);
  expect(worst.hvp).toBeLessThanOrEqual(HVP_TOLERANCE);
  return worst;
}

describe('CpuEngine against finite differences', () => {
  for (const activation of ACTIVATIONS) {
    for (const biases of [false, true]) {
      for (const hidden of DEPTHS) {
        const arch: Architecture = { inputDim: INPUT_DIM, hidden, activation, biases };
        it(`${activation}/${biases ? 'bias' : 'nobias'}/[${hidden.join(',')}]`, () => {
          checkAgainstFiniteDifferences(makeCase(arch, 1000 + hidden.length * 10 + (biases ? 1 : 0)));
        });
      }
    }
  }

  for (const hidden of DEPTHS) {
    it(`barrier active: g/bias/[${hidden.join(',')}] with maxnorm below the weight norm`, () => {
      const arch: Architecture = { inputDim: INPUT_DIM, hidden, activation: 'g', biases: true };
      const c = makeCase(arch, 77, { scale: 1.5 });
      const P = parameterLayout(arch).count;
      // maxnorm at 30% of the smallest weight norm: the barrier is active in every network
      let smallest = Infinity;
      for (let net = 0; net < c.networks; net++) smallest = Math.min(smallest, weightNorm(c.params, net * P, P));
      c.maxnorm = 0.3 * smallest;
      // the total objective, barrier included
      checkAgainstFiniteDifferences(c);

      // At small weight norms the loss dominates the derivatives, so check the barrier's own share
      // separately: (with barrier − without) against central differences of R alone.
      const request = { arch, data: c.data, params: c.params, directions: c.directions, gradient: true };
      const withBarrier = cpu.evaluateSync({ ...request, maxnorm: c.maxnorm });
      const without = cpu.evaluateSync({ ...request, maxnorm: Infinity });
      for (let net = 0; net < c.networks; net++) {
        const theta = network(c.params, net, P);
        const v = network(c.directions, net, P);
        const excess = weightNorm(theta) - c.maxnorm;
        expect(Math.abs(withBarrier.barrier[net] - excess ** 3 / 3)).toBeLessThanOrEqual(1e-14 * excess ** 3);
        expect(without.barrier[net]).toBe(0);
        expect(withBarrier.loss[net]).toBe(without.loss[net]);

        const barrierAt = (point: Float64Array) => evaluateNetwork(arch, c.data, 0, point, { maxnorm: c.maxnorm }).barrier;
        const barrierGradientAt = (point: Float64Array) => {
          const on = evaluateNetwork(arch, c.data, 0, point, { gradient: true, maxnorm: c.maxnorm }).gradient!;
          const off = evaluateNetwork(arch, c.data, 0, point, { gradient: true, maxnorm: Infinity }).gradient!;
          return on.map((g, k) => g - off[k]);
        };
        const barrierGradient = network(withBarrier.gradient!, net, P).map((g, k) => g - without.gradient![net * P + k]);
        const barrierHvp = network(withBarrier.hvp!, net, P).map((g, k) => g - without.hvp![net * P + k]);
        const fdGradient = theta.map((t, p) => {
          const h = 1e-5 * Math.max(1, Math.abs(t));
          const plus = theta.slice();
          const minus = theta.slice();
          plus[p] += h;
          minus[p] -= h;
          return (barrierAt(plus) - barrierAt(minus)) / (2 * h);
        });
        const h = 1e-5 / Math.sqrt(v.reduce((sum, x) => sum + x * x, 0));
        const plus = barrierGradientAt(theta.map((t, k) => t + h * v[k]));
        const minus = barrierGradientAt(theta.map((t, k) => t - h * v[k]));
        const fdHvp = plus.map((g, k) => (g - minus[k]) / (2 * h));
        expect(relativeError(barrierGradient, fdGradient)).toBeLessThanOrEqual(GRADIENT_TOLERANCE);
        expect(relativeError(barrierHvp, fdHvp)).toBeLessThanOrEqual(BARRIER_HVP_TOLERANCE);
        expect(Math.max(...barrierGradient.map(Math.abs))).toBeGreaterThan(1e-3);
      }
    });
  }

  it('one dataset per network (B = 3): each network sees its own dataset', () => {
    const arch: Architecture = { inputDim: INPUT_DIM, hidden: [3, 2], activation: 'softplus', biases: true };
    const c = makeCase(arch, 4242, { networks: 3, perNetworkData: true });
    const P = parameterLayout(arch).count;
    const evaluation = cpu.evaluateSync({ arch, data: c.data, params: c.params, directions: c.directions, gradient: true, maxnorm: c.maxnorm });
    for (let net = 0; net < 3; net++) {
      // the same network on a shared dataset holding only dataset `net`
      const own: Dataset = {
        inputDim: INPUT_DIM,
        samples: SAMPLES,
        count: 1,
        x: c.data.x.slice(net * SAMPLES * INPUT_DIM, (net + 1) * SAMPLES * INPUT_DIM),
        y: c.data.y.slice(net * SAMPLES, (net + 1) * SAMPLES),
      };
      const alone = evaluateNetwork(arch, own, 0, network(c.params, net, P), { gradient: true, direction: network(c.directions, net, P), maxnorm: c.maxnorm });
      expect(evaluation.loss[net]).toBe(alone.loss);
      expect(Array.from(network(evaluation.gradient!, net, P))).toEqual(Array.from(alone.gradient!));
      expect(Array.from(network(evaluation.hvp!, net, P))).toEqual(Array.from(alone.hvp!));
    }
    expect(new Set(evaluation.loss).size).toBe(3);
    checkAgainstFiniteDifferences(c);
  });
});

describe('CpuEngine basics', () => {
  const arch: Architecture = { inputDim: INPUT_DIM, hidden: [4, 3], activation: 'tanh', biases: true };
  const P = parameterLayout(arch).count;

  it('loss is the mean squared error (no ½) of forward(), computed independently', () => {
    const c = makeCase(arch, 5);
    const evaluation = cpu.evaluateSync({ arch, data: c.data, params: c.params });
    for (let net = 0; net < c.networks; net++) {
      const theta = network(c.params, net, P);
      let sum = 0;
      for (let n = 0; n < SAMPLES; n++) {
        const x = c.data.x.slice(n * INPUT_DIM, (n + 1) * INPUT_DIM);
        // a plain re-implementation of the network, independent of forward()
        let a = Array.from(x);
        const layers = parameterLayout(arch).layers;
        for (const layer of layers) {
          const z = Array.from({ length: layer.fanOut }, (_, j) => {
            let s = theta[layer.biasOffset + j];
            for (let i = 0; i < layer.fanIn; i++) s += theta[layer.weightOffset + j * layer.fanIn + i] * a[i];
            return s;
          });
          a = layer === layers.at(-1) ? z : z.map(Math.tanh); // identity output layer
        }
        expect(forward(arch, theta, x)).toBeCloseTo(a[0], 14);
        sum += (a[0] - c.data.y[n]) ** 2;
      }
      expect(evaluation.loss[net]).toBeCloseTo(sum / SAMPLES, 13);
      expect(evaluation.barrier[net]).toBe(0);
    }
  });

  it("sums a one-hidden-layer gradient's terms sample by sample: the bits of a one-sample-at-a-time loop, tiles or not", () => {
    // the engine runs tiles of 64 samples (activation per tile, each parameter's sum per tile);
    // this loop is the plain definition, with the same compensated sums in the same order
    const random = makeRandom(17);
    for (const [activation, biases, samples] of [['softplus', true, 150], ['erf', false, 64], ['tanh', true, 3]] as const) {
      const shallow: Architecture = { inputDim: 3, hidden: [5], activation, biases };
      const layout = parameterLayout(shallow);
      const [hidden, output] = layout.layers;
      const data = randomDataset(random, 3, samples, 2);
      const theta = normalArray(random, layout.count, 1.5);
      const sigma = activationFunctions(activation);
      const derivatives = new Float64Array(4);
      const sums = new CompensatedSums(layout.count);
      const loss = new CompensatedSum();
      for (let n = samples; n < 2 * samples; n++) {
        const x = data.x.subarray(n * 3, n * 3 + 3);
        const values: number[] = [];
        const slopes: number[] = [];
        let f = biases ? theta[output.biasOffset] : 0;
        for (let j = 0; j < 5; j++) {
          let z = biases ? theta[hidden.biasOffset + j] : 0;
          for (let i = 0; i < 3; i++) z += theta[hidden.weightOffset + j * 3 + i] * x[i];
          sigma.evaluate(z, derivatives);
          values.push(derivatives[0]);
          slopes.push(derivatives[1]);
          f += theta[output.weightOffset + j] * derivatives[0];
        }
        const residual = f - data.y[n];
        loss.add(residual * residual);
        if (biases) sums.add(output.biasOffset, residual);
        for (let j = 0; j < 5; j++) {
          sums.add(output.weightOffset + j, residual * values[j]);
          const delta = residual * theta[output.weightOffset + j] * slopes[j];
          for (let i = 0; i < 3; i++) sums.add(hidden.weightOffset + j * 3 + i, delta * x[i]);
          if (biases) sums.add(hidden.biasOffset + j, delta);
        }
      }
      const evaluation = evaluateNetwork(shallow, data, 1, theta, { gradient: true, maxnorm: Infinity });
      expect(evaluation.loss, `${activation}, N = ${samples}`).toBe(loss.value / samples);
      expect(Array.from(evaluation.gradient!), `${activation}, N = ${samples}`).toEqual(Array.from(sums.totals(2 / samples)));
    }
  });

  it("sums a deep network's gradient terms sample by sample: the bits of a one-sample-at-a-time loop, tiles or not", () => {
    // the engine runs tiles of 64 samples through every layer (activation per neuron and tile, each
    // parameter's sum per tile); this is plain backpropagation one sample at a time, with the same
    // compensated sums in the same order
    const random = makeRandom(23);
    const bits = (values: ArrayLike<number>) => Array.from(new BigUint64Array(Float64Array.from(values).buffer));
    const cases = [
      ['softplus', true, [4, 4], 150, 2],
      ['erf', false, [3, 5, 2], 64, 3],
      ['gelu', true, [2, 3, 4], 65, 1],
      ['g', false, [5, 1], 7, 16],
      ['tanh', true, [1, 4], 129, 2],
    ] as const;
    for (const [activation, biases, hidden, samples, inputDim] of cases) {
      const arch: Architecture = { inputDim, hidden: [...hidden], activation, biases };
      const { layers, count: P } = parameterLayout(arch);
      const data = randomDataset(random, inputDim, samples, 2);
      const theta = normalArray(random, P, 1.5);
      const sigma = activationFunctions(activation);
      const derivatives = new Float64Array(4);
      const sums = new CompensatedSums(P);
      const loss = new CompensatedSum();
      for (let n = samples; n < 2 * samples; n++) {
        const values: number[][] = [Array.from(data.x.subarray(n * inputDim, (n + 1) * inputDim))];
        const slopes: number[][] = [[]];
        for (const [level, layer] of layers.entries()) {
          const z = Array.from({ length: layer.fanOut }, (_, j) => {
            let sum = biases ? theta[layer.biasOffset + j] : 0;
            for (let i = 0; i < layer.fanIn; i++) sum += theta[layer.weightOffset + j * layer.fanIn + i] * values[level][i];
            return sum;
          });
          if (level === layers.length - 1) {
            values.push(z);
            continue;
          }
          values.push(z.map((zj) => (sigma.evaluate(zj, derivatives), derivatives[0])));
          slopes.push(z.map((zj) => (sigma.evaluate(zj, derivatives), derivatives[1])));
        }
        const residual = values[layers.length][0] - data.y[n];
        loss.add(residual * residual);
        let delta = [residual];
        for (let level = layers.length - 1; level >= 0; level--) {
          const { fanIn, fanOut, weightOffset, biasOffset } = layers[level];
          for (let j = 0; j < fanOut; j++) {
            for (let i = 0; i < fanIn; i++) sums.add(weightOffset + j * fanIn + i, delta[j] * values[level][i]);
            if (biases) sums.add(biasOffset + j, delta[j]);
          }
          delta = Array.from({ length: fanIn }, (_, i) => {
            let u = 0;
            for (let j = 0; j < fanOut; j++) u += theta[weightOffset + j * fanIn + i] * delta[j];
            return u * (slopes[level][i] ?? 0);
          });
        }
      }
      const label = `${activation}, [${hidden.join(', ')}], N = ${samples}`;
      const evaluation = evaluateNetwork(arch, data, 1, theta, { gradient: true, maxnorm: Infinity });
      expect(bits([evaluation.loss]), label).toEqual(bits([loss.value / samples]));
      expect(bits(evaluation.gradient!), label).toEqual(bits(sums.totals(2 / samples)));
    }
  });

  it('computes only what was asked for, and async evaluate() equals evaluateSync()', async () => {
    const c = makeCase(arch, 6);
    const lossOnly = await cpu.evaluate({ arch, data: c.data, params: c.params });
    expect(lossOnly.gradient).toBeUndefined();
    expect(lossOnly.hvp).toBeUndefined();
    const hvpOnly = cpu.evaluateSync({ arch, data: c.data, params: c.params, directions: c.directions });
    expect(hvpOnly.gradient).toBeUndefined();
    const both = cpu.evaluateSync({ arch, data: c.data, params: c.params, directions: c.directions, gradient: true });
    expect(Array.from(hvpOnly.hvp!)).toEqual(Array.from(both.hvp!));
    expect(Array.from(lossOnly.loss)).toEqual(Array.from(both.loss));
    expect(cpu.backend).toBe('cpu');
  });

  it('uses DEFAULT_MAXNORM when maxnorm is omitted', () => {
    const c = makeCase(arch, 7);
    // weight norm just above the default barrier
    const theta = network(c.params, 0, P);
    const factor = Math.sqrt((DEFAULT_MAXNORM + 2) / weightNorm(theta));
    const scaled = theta.map((t) => t * factor);
    const result = evaluateNetwork(arch, c.data, 0, scaled);
    expect(result.barrier).toBeCloseTo(8 / 3, 8);
    expect(evaluateNetwork(arch, c.data, 0, scaled, { maxnorm: Infinity }).barrier).toBe(0);
  });

  it('accepts float32 parameters and directions', () => {
    const c = makeCase(arch, 8);
    const params32 = Float32Array.from(c.params);
    const directions32 = Float32Array.from(c.directions);
    const from32 = cpu.evaluateSync({ arch, data: c.data, params: params32, directions: directions32, gradient: true });
    const from64 = cpu.evaluateSync({ arch, data: c.data, params: Float64Array.from(params32), directions: Float64Array.from(directions32), gradient: true });
    expect(from32).toEqual(from64);
  });

  it('rejects malformed requests with RangeErrors', () => {
    const c = makeCase(arch, 9);
    const expectRange = (run: () => unknown, message: RegExp) => {
      expect(run).toThrow(RangeError);
      expect(run).toThrow(message);
    };
    expectRange(() => cpu.evaluateSync({ arch, data: c.data, params: c.params.subarray(1) }), /whole number of networks/);
    expectRange(() => cpu.evaluateSync({ arch, data: c.data, params: new Float64Array(0) }), /whole number of networks/);
    expectRange(() => cpu.evaluateSync({ arch, data: c.data, params: c.params, directions: c.directions.subarray(1) }), /directions hold/);
    const wrongDim = randomDataset(makeRandom(1), 2, SAMPLES);
    expectRange(() => cpu.evaluateSync({ arch, data: wrongDim, params: c.params }), /dataset has 2 inputs/);
    const threeSets = randomDataset(makeRandom(1), INPUT_DIM, SAMPLES, 3);
    expectRange(() => cpu.evaluateSync({ arch, data: threeSets, params: c.params }), /dataset count must be 1 \(shared\) or 2/);
    expectRange(() => cpu.evaluateSync({ arch, data: c.data, params: c.params, maxnorm: NaN }), /maxnorm/);
    const theta = network(c.params, 0, P);
    expectRange(() => evaluateNetwork(arch, c.data, 0, theta.subarray(1)), /parameters hold/);
    expectRange(() => evaluateNetwork(arch, c.data, 0, theta, { direction: new Float64Array(P + 1) }), /direction holds/);
    expectRange(() => evaluateNetwork(arch, c.data, 1, theta), /dataset index 1 out of range/);
    expectRange(() => forward(arch, theta, new Float64Array(2)), /input has 2 values/);
    expectRange(() => cpu.evaluateSync({ arch: { ...arch, hidden: [] }, data: c.data, params: c.params }), /hidden layers/);
  });
});

describe('compensated sums', () => {
  it('survive cancellation of large terms (Neumaier, where plain Kahan fails)', () => {
    expect(compensatedSum([1, 1e100, 1, -1e100])).toBe(2);
    const sum = new CompensatedSum();
    for (const value of [1e16, 1, 1, 1, 1, -1e16]) sum.add(value);
    expect(sum.value).toBe(4);
    sum.reset();
    expect(sum.value).toBe(0);
    const sums = new CompensatedSums(2);
    for (let k = 0; k < 10; k++) {
      sums.add(0, 0.1);
      sums.add(1, k % 2 ? 1e20 : -1e20);
      sums.add(1, 1);
    }
    expect(Array.from(sums.totals())).toEqual([1, 10]);
    expect(Array.from(sums.totals(0.5))).toEqual([0.5, 5]);
    expect(compensatedDot([1e8, 1, -1e8], [1e8, 1, 1e8])).toBe(1);
    // a sum that overflows is infinite, not NaN (its compensation ∞ − ∞ left out); NaN stays NaN
    expect(compensatedSum([1e308, 1e308, 1])).toBe(Infinity);
    expect(compensatedSum([-1e308, -1e308])).toBe(-Infinity);
    expect(compensatedSum([1, NaN])).toBeNaN();
    const overflowing = new CompensatedSums(1);
    overflowing.addAll(0, Float64Array.of(1e308, 1e308, 5), 0, 3);
    expect(overflowing.totals()[0]).toBe(Infinity);
  });

  it("addAll() gives the bits of add() term by term (terms of every magnitude and sign, cancelling), from any offset", () => {
    const terms = Float64Array.from({ length: 500 }, (_, k) => Math.sin(k * 1.3) * 10 ** ((k % 41) - 20) * (k % 97 === 0 ? 1e30 : 1));
    const byAdd = new CompensatedSums(3);
    const byAddAll = new CompensatedSums(3);
    for (let k = 0; k < 3; k++) byAddAll.add(k, 0.25 * k);
    for (let k = 0; k < 3; k++) byAdd.add(k, 0.25 * k);
    for (const value of terms.subarray(0, 437)) byAdd.add(1, value);
    byAddAll.addAll(1, terms, 0, 437);
    // from an offset: terms 63 … 362
    for (const value of terms.subarray(63, 363)) byAdd.add(2, value);
    byAddAll.addAll(2, terms, 63, 300);
    expect(Array.from(byAddAll.totals())).toEqual(Array.from(byAdd.totals()));
    expect(byAddAll.totals()[1]).not.toBe(0.25);
  });

  it('addProducts() gives the bits of add() of each product', () => {
    const a = Float64Array.from({ length: 300 }, (_, k) => Math.cos(k * 0.7) * 10 ** ((k % 23) - 11));
    const b = Float64Array.from({ length: 300 }, (_, k) => Math.sin(k * 1.9) * (k % 61 === 0 ? 1e25 : 1));
    const byAdd = new CompensatedSums(2);
    const byProducts = new CompensatedSums(2);
    byAdd.add(1, 0.5);
    byProducts.add(1, 0.5);
    for (let t = 0; t < 211; t++) byAdd.add(1, a[40 + t] * b[7 + t]);
    byProducts.addProducts(1, a, 40, b, 7, 211);
    expect(Array.from(byProducts.totals())).toEqual(Array.from(byAdd.totals()));
  });
});
