// Does this GPU's shader compiler keep double-float arithmetic exact enough for the double-float stiff
// kernel (deep networks' channels)? benchmarks/double-float-accuracy.ts on the first adapter:
// per function the worst error relative to float64, and exit code 1 when any check misses 2⁻⁴⁴.
//
//   node dist/benchmarks/double-float-check.js [--json]
import { acquireGpu, describeGpu } from '../src/gpu/device.js';
import { DOUBLE_FLOAT_BOUND, measureDoubleFloat } from './double-float-accuracy.js';

const gpu = await acquireGpu();
if (!gpu) {
  console.error('double-float-check: no WebGPU adapter');
  process.exit(2);
}
try {
  const result = await measureDoubleFloat(gpu.device);
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify({ device: describeGpu(gpu), bound: DOUBLE_FLOAT_BOUND, ...result }, null, 2));
  } else {
    console.log(`double-float arithmetic on ${describeGpu(gpu)}, ${result.points} points, bound ${DOUBLE_FLOAT_BOUND.toExponential(2)} (2⁻⁴⁴)`);
    console.log('| function | worst relative error |\n| --- | --- |');
    for (const [name, error] of Object.entries(result.worst)) console.log(`| ${name} | ${error.toExponential(2)} |`);
    console.log(result.failures.length === 0 ? 'all within the bound' : `${result.failures.length} checks missed the bound:\n${result.failures.slice(0, 20).join('\n')}`);
  }
  process.exitCode = result.failures.length === 0 ? 0 : 1;
} finally {
  gpu.dispose();
}
