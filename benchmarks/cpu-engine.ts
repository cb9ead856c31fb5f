// The float64 CPU engine's inner costs, one thread: an activation's values and slopes over a batch (the gradient's
// needs) and all four derivatives (the Hessian's), a gradient and the closed-form Hessian of one
// network, and from them a ROS34PW2 step (four gradients and one Hessian), for the flow sweep's
// students (d = 2, biases, the standardised Rosenbrock teacher). Each figure is the best of
// `--repeats` timed batches after a warm-up, so a busy machine shows in the spread, not the figure.
// `--hidden` times other shapes instead of `--widths`' one hidden layer: 4x4 is hidden [4, 4], whose
// Hessian is deepNetworkHessian's (the channel-frequency sweep's [4, 4] and [4, 4, 4]); `--dims`
// sets the input dimensions (2 by default).
//
//   npx tsx benchmarks/cpu-engine.ts [--samples 1024] [--widths 4,8 | --hidden 4x4,4x4x4] [--dims 2,16] [--activations softplus,erf] [--repeats 5] [--json FILE]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { evaluateNetwork } from '../src/engine/cpu/cpu-engine.js';
import { deepNetworkHessian, hasClosedFormHessian, networkHessian } from '../src/engine/cpu/hessian.js';
import { activationFunctions } from '../src/model/activations.js';
import { ACTIVATIONS, parameterCount, type Activation, type Architecture } from '../src/model/architecture.js';
import { rosenbrockDataset } from '../src/data/inputs.js';
import { currentSoftware, softwareLabel } from '../src/experiment/software.js';
import { integerOption } from '../src/cli/number-options.js';

const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '1024' },
    widths: { type: 'string' },
    hidden: { type: 'string' },
    dims: { type: 'string', default: '2' },
    activations: { type: 'string', default: 'softplus,erf' },
    repeats: { type: 'string', default: '5' },
    json: { type: 'string' },
  },
});
/** The options checked as the CLI checks counts (integerOption: digits only), or a one-line refusal and exit code 2. */
function checkedOptions() {
  try {
    return {
      samples: integerOption('--samples', values.samples!, 1),
      repeats: integerOption('--repeats', values.repeats!, 1),
      shapes: hiddenShapes(),
      dims: values.dims!.split(',').map((d) => integerOption('--dims', d, 1)),
      activations: values.activations!.split(',').map((name) => {
        if (!(ACTIVATIONS as readonly string[]).includes(name)) throw new RangeError(`--activations: unknown activation "${name}"; allowed: ${ACTIVATIONS.join(', ')}`);
        return name as Activation;
      }),
    };
  } catch (error) {
    console.error(`cpu-engine: ${(error as Error).message}`);
    process.exit(2);
  }
}
/** --widths' one-hidden-layer shapes (4,8 when neither is given) or --hidden's, each a list of widths joined by x. */
function hiddenShapes(): number[][] {
  if (values.widths !== undefined && values.hidden !== undefined) throw new RangeError('give --widths (one hidden layer) or --hidden (any shapes), not both');
  if (values.hidden !== undefined) return values.hidden.split(',').map((shape) => shape.split('x').map((w) => integerOption('--hidden', w, 1)));
  return (values.widths ?? '4,8').split(',').map((w) => [integerOption('--widths', w, 1)]);
}
const { samples, repeats, shapes, dims, activations } = checkedOptions();

/** Microseconds per call of `run`: the best of `repeats` batches of `calls`, after one warm-up batch. */
function microseconds(calls: number, run: () => void): number {
  let best = Infinity;
  for (let batch = 0; batch <= repeats; batch++) {
    const start = performance.now();
    for (let call = 0; call < calls; call++) run();
    const perCall = ((performance.now() - start) * 1000) / calls;
    if (batch > 0) best = Math.min(best, perCall);
  }
  return best;
}

interface Row {
  what: string;
  activation: Activation;
  /** one hidden layer's width (the rows of --widths) */
  width?: number;
  /** the hidden widths and input dimension of a --hidden or --dims row */
  hidden?: number[];
  inputDim?: number;
  microseconds: number;
}
const rows: Row[] = [];
const arguments_ = Float64Array.from({ length: 4096 }, (_, i) => 4 * Math.sin(i)); // pre-activations in [−4, 4]
const derivatives = new Float64Array(4);
const activationValues = new Float64Array(arguments_.length);
const activationSlopes = new Float64Array(arguments_.length);
const datasets = new Map(dims.map((d) => [d, rosenbrockDataset(samples, d, 0)]));
// the rows name their shape as before (r = 4) unless shapes other than one hidden layer at d = 2 are asked for
const plainWidths = values.hidden === undefined && dims.length === 1 && dims[0] === 2;
for (const activation of activations) {
  const functions = activationFunctions(activation);
  const perValue = (pass: () => void) => microseconds(50, pass) / arguments_.length;
  // the gradient's call: a tile's values and slopes at once
  rows.push({ what: 'value and slope', activation, microseconds: perValue(() => functions.valuesAndSlopes(arguments_, 0, arguments_.length, activationValues, activationSlopes)) });
  rows.push({
    what: 'four derivatives',
    activation,
    microseconds: perValue(() => {
      for (let i = 0; i < arguments_.length; i++) functions.evaluate(arguments_[i], derivatives);
    }),
  });
  for (const [inputDim, data] of datasets) {
    for (const hidden of shapes) {
      const arch: Architecture = { inputDim, hidden, activation, biases: true };
      const P = parameterCount(arch);
      const theta = Float64Array.from({ length: P }, (_, i) => Math.sin(3 * i + 1));
      const hessian = new Float64Array(P * P);
      const hessianOf = hasClosedFormHessian(arch) ? networkHessian : deepNetworkHessian;
      const calls = Math.max(5, Math.round(2e5 / (samples * hidden.reduce((sum, width) => sum + width))));
      const gradient = microseconds(calls, () => evaluateNetwork(arch, data, 0, theta, { gradient: true }));
      // deepNetworkHessian costs about P gradients' passes: fewer calls per batch
      const hessianTime = microseconds(hasClosedFormHessian(arch) ? calls : 3, () => hessianOf(arch, data, 0, theta, 1000, hessian));
      const shape = plainWidths ? { width: hidden[0] } : { hidden, inputDim };
      rows.push({ what: 'gradient', activation, ...shape, microseconds: gradient });
      rows.push({ what: 'Hessian', activation, ...shape, microseconds: hessianTime });
      rows.push({ what: 'ROS34PW2 step (4 gradients + Hessian)', activation, ...shape, microseconds: 4 * gradient + hessianTime });
    }
  }
}

console.log(`CPU engine, one thread, N = ${samples}, d = ${dims.join(', ')} (${softwareLabel(currentSoftware())}, Node ${process.version})`);
const label = (row: Row) =>
  row.width !== undefined ? `${row.what}, r = ${row.width}` : row.hidden !== undefined ? `${row.what}, [${row.hidden.join(', ')}], d = ${row.inputDim}` : `${row.what} (per value)`;
const labelWidth = Math.max(48, ...rows.map((row) => label(row).length));
for (const row of rows) {
  const what = label(row);
  console.log(`${row.activation.padEnd(9)} ${what.padEnd(labelWidth)} ${row.microseconds < 1 ? `${(row.microseconds * 1000).toFixed(1)} ns` : `${row.microseconds.toFixed(0)} µs`}`);
}
if (values.json) writeFileSync(values.json, `${JSON.stringify({ samples, software: softwareLabel(currentSoftware()), node: process.version, rows }, null, 1)}\n`);
