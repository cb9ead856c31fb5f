// What the cost model (cost-model.ts) predicts each kernel strategy can reach at best on a device:
// per workload and operation (stiff: accepted ode23s steps), the network-steps/s at which float32 arithmetic, the special-function
// units or workgroup-memory loads would be saturated, next to the JAX figures quoted in the speed
// issue. A model for choosing what to measure, not a measurement: the benchmark decides.
//   npx tsx benchmarks/ceilings.ts [--device H100] [--json]
import { parseArgs } from 'node:util';
import { peaksFor, stepCost } from './cost-model.js';
import { WORKLOADS } from './workloads.js';
import { parseStrategy, REGISTER_MAX_PARAMETERS } from '../src/engine/gpu/kernel-strategy.js';
import { parameterCount } from '../src/model/architecture.js';
import { workloadArchitecture } from './workloads.js';

const STRATEGIES = ['tiled', 'tiled+hoist', 'tiled/64x4+hoist', 'register', 'register+hoist', 'register/64x4+hoist', 'blocked', 'blocked+hoist', 'blocked/64x4+hoist'];
/** JAX on the H100 (jit + vmap + lax.scan), network-steps/s, from the speed issue (2026-11-23). */
const JAX_H100: Record<string, { grad: number; hvp: number }> = {
  W1: { grad: 10.6e6, hvp: 5.9e6 },
  W2: { grad: 5.4e6, hvp: 2.9e6 },
  W3: { grad: 2.7e6, hvp: 1.5e6 },
  W4: { grad: 2.0e6, hvp: 1.1e6 },
};

const { values } = parseArgs({ options: { device: { type: 'string', default: 'H100' }, json: { type: 'boolean', default: false } } });
const peaks = peaksFor(values.device);
if (!peaks) {
  process.stderr.write(`ceilings: no peaks known for device ${values.device}\n`);
  process.exit(2);
}
const rows = WORKLOADS.filter((w) => !w.perNetworkData).flatMap((w) =>
  (['grad', 'hvp', 'stiff'] as const).map((op) => {
    const base = stepCost(w, op);
    const workgroupLoads: Record<string, number | null> = {};
    for (const text of STRATEGIES) {
      const strategy = parseStrategy(text);
      const fits = strategy.accumulation !== 'register' || parameterCount(workloadArchitecture(w)) <= REGISTER_MAX_PARAMETERS;
      workgroupLoads[text] = fits ? peaks.workgroupLoads / stepCost(w, op, strategy).workgroupLoads! : null;
    }
    return { workload: w.name, op, jax: op === 'stiff' ? null : (JAX_H100[w.name]?.[op] ?? null), arithmetic: peaks.flops / base.flops, transcendentals: peaks.transcendentals / base.transcendentals, workgroupLoads };
  }),
);
if (values.json) {
  process.stdout.write(`${JSON.stringify({ device: peaks.name, unit: 'network-steps/s', rows }, null, 2)}\n`);
} else {
  const m = (x: number | null) => (x === null ? '—' : `${(x / 1e6).toFixed(1)}M`);
  process.stdout.write(`| workload | op | JAX | arithmetic | transcendentals | ${STRATEGIES.map((s) => `loads: ${s}`).join(' | ')} |\n`);
  process.stdout.write(`|${' --- |'.repeat(5 + STRATEGIES.length)}\n`);
  for (const r of rows) {
    process.stdout.write(`| ${r.workload} | ${r.op} | ${m(r.jax)} | ${m(r.arithmetic)} | ${m(r.transcendentals)} | ${STRATEGIES.map((s) => m(r.workgroupLoads[s])).join(' | ')} |\n`);
  }
}
