// shaders/activations.wgsl's pair_activate against the float64 pairActivation: sums and odd
// differences of σ, σ′, σ″ at ζ ± η, for every activation, from η = 0 to η = 2.
import { describe, expect, it } from 'vitest';
import { gpuEngineForSuite } from '../helpers/gpu.js';
import { PipelineCache, runPointKernel } from '../../src/gpu/kernel.js';
import { activationDefinitions } from '../../src/engine/gpu/mlp-kernels.js';
import { evalActivation, pairActivation } from '../../src/model/activations.js';
import { ACTIVATIONS, type Activation } from '../../src/model/architecture.js';

const UNIT_ROUNDOFF = 2 ** -24;
// pre-activations where channels form (|z| of a few), from coincident to well-separated neurons
const ZETAS = [-2.5, -1.1, -0.3, 0, 0.4, 1.2, 2.5];
const ETAS = [0, 1e-7, -3e-6, 1e-5, 3e-4, -1e-3, 0.02, -0.1, 0.03125, 0.125, 0.13, -0.5, 1.5];
const POINTS = ZETAS.flatMap((zeta) => ETAS.map((eta) => [Math.fround(zeta), Math.fround(eta)] as const));

const engine = await gpuEngineForSuite();
const pipelines = new PipelineCache(engine.gpu.device);

describe('pair_activate (shaders/activations.wgsl)', () => {
  /** 9 floats per point: sums, pair_activate's differences, plain differences (k = 0, 1, 2 each) */
  function evaluate(activation: Activation): Promise<Float32Array> {
    const program = { name: 'activations_test.pair_check', files: ['activations.wgsl', 'activations_test.wgsl'], definitions: activationDefinitions(activation), entryPoint: 'pair_check' };
    return runPointKernel(engine.gpu.device, pipelines, program, new Float32Array(POINTS.flat()), 9 * POINTS.length, Math.ceil(POINTS.length / 64));
  }

  it.each(ACTIVATIONS.map((activation) => ({ activation })))('$activation: sums and odd differences to float32 accuracy', async ({ activation }) => {
    const got = await evaluate(activation);
    const at = (x: number) => evalActivation(activation, x, new Float64Array(4));
    const failures: string[] = [];
    let worstDifference = 0;
    let plainFailures = 0;
    POINTS.forEach(([zeta, eta], i) => {
      // gelu's Φ = (1 + erf)/2 cancels left of about −1 (activate's own accuracy there is ~1e-5)
      if (activation === 'gelu' && zeta - Math.abs(eta) < -1) return;
      const want = pairActivation(activation, zeta, eta);
      const [plus, minus, mid] = [at(zeta + eta), at(zeta - eta), at(zeta)];
      for (let k = 0; k < 3; k++) {
        const ends = Math.abs(plus[k]) + Math.abs(minus[k]);
        // the sum: a few ulps of its terms, plus σ⁽ᵏ⁾'s change over the rounding of ζ ± η
        const slopeMax = Math.max(Math.abs(plus[k + 1]), Math.abs(minus[k + 1]), Math.abs(mid[k + 1]));
        const shift = (Math.abs(zeta) + Math.abs(eta)) * slopeMax;
        const sumBound = 16 * UNIT_ROUNDOFF * (ends + shift) + 1e-37;
        const sumError = Math.abs(got[9 * i + k] - want.sum[k]);
        if (!(sumError <= sumBound)) failures.push(`${activation} ζ ${zeta} η ${eta} sum ${k}: ${got[9 * i + k]} vs ${want.sum[k]}`);
        // the difference: 1e-5 of its natural size 2|η|·max|σ⁽ᵏ⁺¹⁾| (relative accuracy however small
        // η is), and where the kernel subtracts (|η| above its quadrature limit) the sum's bound too
        const natural = 2 * Math.abs(eta) * slopeMax;
        const subtracts = activation === 'relu' || Math.abs(eta) > (activation === 'g' ? 1 / 32 : 1 / 8);
        const differenceBound = 1e-5 * natural + (subtracts ? sumBound : 1e-37);
        const differenceError = Math.abs(got[9 * i + 3 + k] - want.difference[k]);
        if (!(differenceError <= differenceBound)) failures.push(`${activation} ζ ${zeta} η ${eta} difference ${k}: ${got[9 * i + 3 + k]} vs ${want.difference[k]} (bound ${differenceBound.toExponential(2)})`);
        if (natural > 0 && !subtracts) worstDifference = Math.max(worstDifference, differenceError / natural);
        // what plain subtraction gives at small η: far outside the same bound
        if (!subtracts && Math.abs(got[9 * i + 6 + k] - want.difference[k]) > 1e-5 * natural) plainFailures++;
      }
    });
    expect(failures).toEqual([]);
    if (activation !== 'relu') {
      // measured on SwiftShader: error / (2|η|·max|σ⁽ᵏ⁺¹⁾|) at most 2.6e-7 (softplus) to 1.6e-6 (sigmoid);
      // plain subtraction misses the 1e-5 bound at 62–101 of the quadrature points
      expect(worstDifference).toBeLessThan(1e-5);
      expect(plainFailures).toBeGreaterThan(20);
    }
  });
});
