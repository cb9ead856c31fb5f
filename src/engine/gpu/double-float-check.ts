// The double-float arithmetic of shaders/double_float.wgsl against float64, on whatever adapter runs
// it: sums (including near-cancelling ones), products, quotients, e^x, log1p, and every activation
// (softplus, erf, tanh, sigmoid, g, gelu, and relu for mixed kernels) with its two derivatives. The
// double-float stiff kernel for deep networks (mlp_double_float.wgsl) is
// only as good as this: a shader compiler that reassociates or simplifies the error-free
// transformations silently turns it back into float32. `channelscope doctor` runs it on the device it
// finds; tests/engine/double-float-gpu.test.ts on SwiftShader.
import { PipelineCache, runPointKernel } from '../../gpu/kernel.js';
import { erf, evalActivation } from '../../model/activations.js';
import { RandomStream } from '../../numerics/rng.js';

/** what every function must meet, relative (float32 is 2⁻²⁴, float64 2⁻⁵³) */
export const DOUBLE_FLOAT_BOUND = 2 ** -44;
/** the double-floats double_float_test.wgsl writes per point, in this order */
const ACTIVATIONS = ['softplus', 'erf', 'tanh', 'sigmoid', 'g', 'gelu', 'relu'] as const;
const FUNCTIONS = ['a + b', 'a·b', 'a/b', 'e^a', 'log1p abs(a)', ...ACTIVATIONS.flatMap((name) => [name, `${name}′`, `${name}″`])];
// below ~1e-27 low parts (of a value or of its factors) leave float32's normal range, below 1e-38 the
// high part too: there float32's relative accuracy is all a double-float has
const TINY = 1e-27;

export interface DoubleFloatAccuracy {
  /** per function the largest error relative to its scale, over the points where it is not tiny */
  worst: Record<string, number>;
  /** the checks that missed DOUBLE_FLOAT_BOUND, readable */
  failures: string[];
  points: number;
}

/** x as a double-float: its float32 rounding and the float32 rounding of the rest */
function toDoubleFloat(x: number): [number, number] {
  const hi = Math.fround(x);
  return [hi, Math.fround(x - hi)];
}

/** the points: random magnitudes 1e-3…1e3 (every fourth b nearly cancelling a), pre-activations −60…30, and 0, ±1e-9 */
function points(): [number, number][] {
  const random = new RandomStream(11, 0, 0);
  const pairs: [number, number][] = [];
  const magnitude = () => (random.uniform() - 0.5) * 10 ** (6 * random.uniform() - 3);
  for (let k = 0; k < 256; k++) {
    const a = magnitude();
    pairs.push([a, k % 4 === 0 ? -a * (1 + 1e-5 * (random.uniform() - 0.5)) : magnitude()]);
  }
  for (let k = 0; k < 128; k++) pairs.push([random.uniformIn(-60, 30), random.uniformIn(1, 2)]);
  pairs.push([0, 1], [1e-9, 1], [-1e-9, 1]);
  return pairs;
}

/** [function, float64 value, scale its error is measured against] at the double-floats (a, b) */
function references(a: number, b: number): [string, number, number][] {
  const e = Math.exp(-Math.abs(a));
  const logistic = 1 / (1 + Math.exp(-a));
  const softplus = Math.max(a, 0) + Math.log1p(e);
  const checks: [string, number, number][] = [
    ['a + b', a + b, Math.max(Math.abs(a), Math.abs(b))],
    ['a·b', a * b, Math.abs(a * b)],
    ['a/b', a / b, Math.abs(a / b)],
    ['log1p abs(a)', Math.log1p(Math.abs(a)), Math.log1p(Math.abs(a))],
    ['softplus', softplus, softplus],
    ['softplus′', logistic, logistic],
    ['softplus″', e / (1 + e) ** 2, e / (1 + e) ** 2],
  ];
  if (a >= -60 && a <= 80) checks.push(['e^a', Math.exp(a), Math.exp(a)]);
  if (Math.abs(a) < 30) {
    // e^−a² is only as accurate as a² itself: relative error a²·2⁻⁴⁸ (float64 has a²·2⁻⁵³)
    const gauss = (2 / Math.sqrt(Math.PI)) * Math.exp(-a * a);
    const conditioning = 1 + a * a;
    checks.push(['erf', erf(a), Math.abs(erf(a))], ['erf′', gauss, gauss * conditioning], ['erf″', -2 * a * gauss, Math.abs(2 * a * gauss) * conditioning]);
  }
  // relative, each of its terms for g″ (16·q₄(1 − 2s₄) + q changes sign); gelu against max(1, |a|, |σ|):
  // its left tail Φ = (1 + erf(a/√2))/2 has erf's absolute error near −1, not a relative one, times |a|
  // in σ = a·Φ (double_float.wgsl df_gelu)
  const [t, t1, t2] = evalActivation('tanh', a);
  const [s, s1, s2] = evalActivation('sigmoid', a);
  const [g, g1, g2] = evalActivation('g', a);
  const [u, u1, u2] = evalActivation('gelu', a);
  const fast = evalActivation('sigmoid', 4 * a);
  checks.push(['tanh', t, Math.abs(t)], ['tanh′', t1, t1], ['tanh″', t2, Math.abs(t2)]);
  checks.push(['sigmoid', s, s], ['sigmoid′', s1, s1], ['sigmoid″', s2, Math.abs(s2)]);
  checks.push(['g', g, g], ['g′', g1, g1], ['g″', g2, 16 * Math.abs(fast[2]) + s1]);
  const geluScale = (value: number) => Math.max(1, Math.abs(a), Math.abs(value));
  checks.push(['gelu', u, geluScale(u)], ['gelu′', u1, geluScale(u1)], ['gelu″', u2, geluScale(u2)]);
  // relu: exact (its kink at 0 has slope 0, as the float64 engine's)
  checks.push(['relu', Math.max(a, 0), Math.abs(a)], ['relu′', a > 0 ? 1 : 0, 1], ['relu″', 0, 1]);
  return checks;
}

export async function measureDoubleFloat(device: GPUDevice, pipelines: PipelineCache = new PipelineCache(device)): Promise<DoubleFloatAccuracy> {
  const pairs = points();
  const input = new Float32Array(pairs.flatMap(([a, b]) => [...toDoubleFloat(a), ...toDoubleFloat(b)]));
  const program = { name: 'double_float_test.double_float_check', files: ['double_float.wgsl', 'double_float_test.wgsl'], definitions: {}, entryPoint: 'double_float_check' };
  const results = FUNCTIONS.length;
  const got = await runPointKernel(device, pipelines, program, input, 2 * results * pairs.length, Math.ceil(pairs.length / 64));
  const worst: Record<string, number> = Object.fromEntries(FUNCTIONS.map((name) => [name, 0]));
  const failures: string[] = [];
  pairs.forEach((_, i) => {
    // the values the GPU actually sees (hi + lo in float64)
    const [a, b] = [input[4 * i] + input[4 * i + 1], input[4 * i + 2] + input[4 * i + 3]];
    for (const [name, want, scale] of references(a, b)) {
      const at = 2 * (results * i + FUNCTIONS.indexOf(name));
      const value = got[at] + got[at + 1];
      const error = Math.abs(value - want);
      const tiny = Math.abs(want) < TINY;
      const allowed = Math.max(DOUBLE_FLOAT_BOUND * (scale || 1), tiny ? 2 ** -23 * Math.abs(want) + 1e-36 : 0);
      if (!tiny) worst[name] = Math.max(worst[name], error / (scale || 1));
      if (!(error <= allowed)) failures.push(`${name} at a = ${a}, b = ${b}: ${value} against ${want} (error ${error.toExponential(2)}, allowed ${allowed.toExponential(2)})`);
    }
  });
  return { worst, failures, points: pairs.length };
}
