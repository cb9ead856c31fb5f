// shaders/double_float.wgsl against float64 (src/engine/gpu/double-float-check.ts): double-float sums,
// products, quotients, e^x, log1p, softplus and erf with their two derivatives, each within 2⁻⁴⁴
// relative (float32 is 2⁻²⁴, float64 2⁻⁵³); measured on SwiftShader: erf 2.4e-14 (2⁻⁴⁵·²), the others ≤ 9e-15.
import { expect, it } from 'vitest';
import { gpuEngineForSuite } from '../helpers/gpu.js';
import { DOUBLE_FLOAT_BOUND, measureDoubleFloat } from '../../src/engine/gpu/double-float-check.js';

const engine = await gpuEngineForSuite();

it('double-float arithmetic matches float64 to 2⁻⁴⁴ relative (sums: of the larger term)', async () => {
  const result = await measureDoubleFloat(engine.gpu.device);
  expect(result.failures).toEqual([]);
  console.log(`double-float worst relative errors: ${Object.entries(result.worst).map(([name, error]) => `${name} ${error.toExponential(2)}`).join(', ')}`);
  // and far beyond float32, which would be off by ~2⁻²⁴ on these
  expect(Math.max(...Object.values(result.worst))).toBeLessThan(DOUBLE_FLOAT_BOUND);
});
