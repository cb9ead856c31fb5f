// shaders/double_float.wgsl against float64: double-float sums, products, quotients, e^x, log1p and
// softplus and erf with their two derivatives, to about 2⁻⁴⁴ relative (float32 is 2⁻²⁴; float64 2⁻⁵³).
import { describe, expect, it } from 'vitest';
import { gpuEngineForSuite, runPointKernel } from '../helpers/gpu.js';
import { makeRandom } from '../helpers/random.js';
import { PipelineCache } from '../../src/gpu/kernel.js';

const RESULTS = 11;
const engine = await gpuEngineForSuite();
const pipelines = new PipelineCache(engine.gpu.device);

/** x as a double-float: its float32 rounding and the float32 rounding of the rest */
const toDoubleFloat = (x: number): [number, number] => {
  const hi = Math.fround(x);
  return [hi, Math.fround(x - hi)];
};
const logistic = (z: number) => 1 / (1 + Math.exp(-z));
const softplus = (z: number) => Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
/** erf in float64: the positive series 2/√π·e^−x²·Σ 2ⁿx²ⁿ⁺¹/(2n+1)!! below 6, ±1 beyond */
const erf64 = (z: number) => {
  const x = Math.abs(z);
  if (x >= 6) return Math.sign(z);
  let [term, sum] = [x, x];
  for (let n = 1; term > 1e-18 * sum; n++) sum += term *= (2 * x * x) / (2 * n + 1);
  return Math.sign(z) * (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
};

describe('double-float arithmetic (shaders/double_float.wgsl)', () => {
  const random = makeRandom(11);
  const pairs: [number, number][] = [];
  // magnitudes from 1e-3 to 1e3 and both signs; every fourth b nearly cancels a (the case float32 loses)
  for (let k = 0; k < 256; k++) {
    const a = (random.uniform() - 0.5) * 10 ** (6 * random.uniform() - 3);
    const b = k % 4 === 0 ? -a * (1 + 1e-5 * (random.uniform() - 0.5)) : (random.uniform() - 0.5) * 10 ** (6 * random.uniform() - 3);
    pairs.push([a, b]);
  }
  // softplus and e^x where they are used: pre-activations from −60 to 30, and exactly 0
  for (let k = 0; k < 128; k++) pairs.push([-60 + 90 * random.uniform(), 1 + random.uniform()]);
  pairs.push([0, 1], [1e-9, 1], [-1e-9, 1]);
  const input = new Float32Array(pairs.flatMap(([a, b]) => [...toDoubleFloat(a), ...toDoubleFloat(b)]));
  // the values the GPU actually sees (hi + lo in float64)
  const seen = pairs.map((_, i) => [input[4 * i] + input[4 * i + 1], input[4 * i + 2] + input[4 * i + 3]]);

  it('matches float64 to 2⁻⁴⁴ relative (sums: of the larger term)', async () => {
    const program = { name: 'double_float_test.double_float_check', key: '', files: ['double_float.wgsl', 'double_float_test.wgsl'], definitions: {}, entryPoint: 'double_float_check' };
    const got = await runPointKernel(engine.gpu.device, pipelines, program, input, 2 * RESULTS * pairs.length, Math.ceil(pairs.length / 64));
    const value = (i: number, k: number) => got[2 * (RESULTS * i + k)] + got[2 * (RESULTS * i + k) + 1];
    const bound = 2 ** -44;
    const failures: string[] = [];
    let worst = 0;
    seen.forEach(([a, b], i) => {
      const e = Math.exp(-Math.abs(a));
      const checks: [string, number, number][] = [
        ['a + b', a + b, Math.max(Math.abs(a), Math.abs(b))],
        ['a·b', a * b, Math.abs(a * b)],
        ['a/b', a / b, Math.abs(a / b)],
        ['log1p |a|', Math.log1p(Math.abs(a)), Math.log1p(Math.abs(a))],
        ['softplus', softplus(a), softplus(a)],
        ['softplus′', logistic(a), logistic(a)],
        ['softplus″', e / (1 + e) ** 2, e / (1 + e) ** 2],
      ];
      if (a >= -60 && a <= 80) checks.push(['e^a', Math.exp(a), Math.exp(a)]);
      if (Math.abs(a) < 30) {
        // erf's reference: its positive series in float64 (Node has no erf); erf′ and erf″ exactly
        // e^−a² is only as accurate as a² itself: relative error a²·2⁻⁴⁸ (float64 too has a²·2⁻⁵³)
        const gauss = (2 / Math.sqrt(Math.PI)) * Math.exp(-a * a);
        const conditioning = 1 + a * a;
        checks.push(['erf', erf64(a), Math.abs(erf64(a))], ['erf′', gauss, gauss * conditioning], ['erf″', -2 * a * gauss, Math.abs(2 * a * gauss) * conditioning]);
      }
      const slots = ['a + b', 'a·b', 'a/b', 'e^a', 'log1p |a|', 'softplus', 'softplus′', 'softplus″', 'erf', 'erf′', 'erf″'];
      for (const [name, want, scale] of checks) {
        // below ~1e-27 low parts (of the value or of its factors) leave float32's normal range (below 1e-38 the high part):
        // there float32's own relative accuracy is all a double-float has
        const allowed = scale < 1e-27 ? 2 ** -23 * scale + 1e-36 : bound * (scale || 1);
        const error = Math.abs(value(i, slots.indexOf(name)) - want);
        if (scale >= 1e-27) worst = Math.max(worst, error / (scale || 1));
        if (!(error <= allowed)) failures.push(`${name} at a = ${a}, b = ${b}: ${value(i, slots.indexOf(name))} against ${want} (error ${error.toExponential(2)}, allowed ${allowed.toExponential(2)})`);
      }
    });
    expect(failures).toEqual([]);
    // and far beyond float32: float32 would be off by ~2⁻²⁴ on these
    expect(worst).toBeLessThan(bound);
  });
});
