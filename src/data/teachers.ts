// Teacher functions (science.md, "Data"). The Gaussian-process teachers live in gp-teacher.ts.
// Teacher networks (random or from a parameter file) are in teacher-network.ts.
import { portableLog } from '../numerics/portable-math.js';
import { erf } from '../model/activations.js';

/** Modified Rosenbrock r(x) = log10(Σᵢ [b(xᵢ₊₁ + c − xᵢ²)² + (a − xᵢ)²] + 0.1), a=1, b=3, c=1 (c=0: unshifted). */
export function rosenbrock(x: ArrayLike<number>, offset: number, d: number, c = 1, a = 1, b = 3): number {
  let sum = 0;
  for (let i = 0; i + 1 < d; i++) {
    const xi = x[offset + i];
    const next = x[offset + i + 1];
    // squares as products: `** 2` is Math.pow, which JavaScript engines need not round alike
    const valley = next + c - xi * xi;
    const fromA = a - xi;
    sum += b * (valley * valley) + fromA * fromA;
  }
  return portableLog(sum + 0.1) * Math.LOG10E; // portable: the same bits in every JavaScript engine
}

/** Shifts and scales values in place to zero mean and unit standard deviation. */
export function standardize(values: Float64Array): Float64Array {
  const n = values.length;
  let mean = 0;
  for (const v of values) mean += v;
  mean /= n;
  let variance = 0;
  for (const v of values) variance += (v - mean) ** 2;
  const sd = Math.sqrt(variance / n) || 1;
  for (let k = 0; k < n; k++) values[k] = (values[k] - mean) / sd;
  return values;
}

/** The 1-D toy teacher y = erf((5x − 2.5)/√2) + erf((5x + 2.5)/√2): two steep erf neurons. */
export function toy1d(x: number): number {
  return erf((5 * x - 2.5) * Math.SQRT1_2) + erf((5 * x + 2.5) * Math.SQRT1_2);
}
