// The experiment spec: what a person writes to describe a sweep, validated once at the edge.
//
// A spec is a JSON object. Every object in it is STRICT: an unknown key is an error naming the key
// and the allowed ones, so a typo never falls back silently to a default. Defaults are filled in;
// the parsed result lists every configuration of the grid fully resolved (RunConfig), so nothing
// downstream needs to know a default.
//
//   {
//     "name": "…", "description": "…",                          optional, cosmetic
//     "architecture": { "inputDim": 2, "hidden": 4 | [4, 4], "activation": "softplus", "biases": true },
//     "data": {
//       "inputs":  { "kind": "normal" | "uniform" | "sobol" | "grid" | "sphere" (+ "radius") | "file" (+ "path") },
//       "teacher": { "kind": "rosenbrock", "c": 1, "standardize": true }
//                | { "kind": "gp", "s": 2 } | { "kind": "network", "params": "teacher.json" }
//                | { "kind": "random-network", "hidden": 4, "activation": "erf" } | { "kind": "toy-1d" } | { "kind": "file" },
//       "samples": 10000, "seed": 0, "perRun": false },
//     "init": { "kind": "glorot-normal", "scale": 1, "biases": "zero" },
//     "optimizer": { "kind": "gd" | "momentum" | "adam" | "sgd" | "flow", … },
//     "maxnorm": 1000 | null,
//     "stop": { "maxSteps": 100000, "maxTime": …, "maxSeconds": …, "gradTol": 1e-5, "patience": …,
//               "minImprovement": 1e-7, "checkEvery": 1000, "atBarrier": true },
//     "trajectory": { "points": 30 },
//     "polish": { "kind": "newton-cg" | "newton-dense", "maxIterations": 200, "gradTol": 1e-10 },   (optional)
//     "seeds": 24 | [0, 5, 7] | { "from": 100, "count": 24 },
//     "grid": { "architecture.hidden": [4, 8], "optimizer.lr": [0.01, 0.1] }
//   }
//
// The experiment is the cartesian product of the grid's values × seeds. Each grid key is a dotted
// path into the spec; its values replace the spec's value there (shallower paths are applied
// first, so "optimizer.lr" overrides the lr of every "optimizer" value). A key of several paths
// joined by "+" is one linked axis: each of its values is an array with one entry per path, so
// "architecture.activation+stop.maxSteps": [["softplus", 200000], ["relu", 20000]] gives each
// activation its own budget. Each resulting
// configuration is validated by the same schema, and an error names the grid path and the value.
// Seeds, grid, name and description cannot be gridded, and two grid values that resolve to the
// same configuration (4 and [4]) are refused.
//
// Relative file paths (inputs.path, teacher.params) are kept as written; datasetFor (grid.ts)
// resolves them against a base directory its caller gives (the CLI: the spec file's folder).
import { z } from 'zod';
import { ACTIVATIONS, MAX_HIDDEN_LAYERS, paperActivationHint, parameterCount } from '../model/architecture.js';
import { closestName } from '../user-input/closest-name.js';
import { InputError } from '../user-input/input-error.js';
import { DEFAULT_GP_FREQUENCIES } from '../data/gp-teacher.js';
import { inputSampleCount } from '../data/inputs.js';
import { MAX_SOBOL_DIMENSION } from '../data/sobol.js';
import { FLOW_SOLVERS } from '../optim/optimizers.js';
import { hessianReuseRefusal, isStiffSolver } from '../optim/stiff-solvers.js';
import { parseUserJson } from '../user-input/user-text.js';

// ---- limits and defaults ---------------------------------------------------------------------

/** Samples per dataset when `data.samples` is omitted (generated inputs; a file gives all its rows). */
export const DEFAULT_SAMPLES = 10_000;
/** Seeds are Philox keys and, with `data.perRun`, Philox run indices: 32-bit. */
export const MAX_SEED = 2 ** 32 - 1;
/** More configurations than this is almost certainly a mistake (and slow to validate). */
export const MAX_CONFIGURATIONS = 100_000;
/** Runs (configurations × seeds) one spec may describe. */
export const MAX_RUNS = 1_000_000;
/** Parameters of one network: the small networks this is for are far below; past it, arrays of a few slots exhaust memory. */
export const MAX_PARAMETERS = 2 ** 20;
/** Numbers in one dataset (N × (d + 1)): 2 GiB in float64, past what one array of it may hold. */
export const MAX_DATA_VALUES = 2 ** 28;
/** Gradient-flow solvers (defined with the optimisers: adding one there adds it here). */
export { FLOW_SOLVERS };
/** Top-level fields that describe the sweep rather than one configuration, and cannot be gridded. */
const SWEEP_FIELDS = ['seeds', 'grid'] as const;
/** Cosmetic fields: they are not part of a configuration's identity, so gridding them is refused. */
const COSMETIC_FIELDS = ['name', 'description'] as const;

// ---- leaf schemas: each carries the requirement its error message states ------------------------

const must = (text: string) => ({ error: text });

/** What int() says of an integer it refuses for being past 2⁵³ − 1 (1e20), rather than "must be a positive integer". */
const PAST_SAFE_INTEGERS = `is past 2⁵³ − 1 = ${Number.MAX_SAFE_INTEGER}, beyond which a JSON number does not hold every integer`;

function positiveInt(text = 'must be a positive integer') {
  return z
    .number(must(text))
    .int({ error: (issue) => (typeof issue.input === 'number' && issue.input > Number.MAX_SAFE_INTEGER ? PAST_SAFE_INTEGERS : text) })
    .min(1, must(text));
}
function positiveNumber(text = 'must be a positive number') {
  return z.number(must(text)).positive(must(text));
}
function nonNegativeNumber(text = 'must be a number ≥ 0') {
  return z.number(must(text)).min(0, must(text));
}
function finiteNumber(text = 'must be a finite number') {
  return z.number(must(text));
}
function unitInterval(text = 'must be a number in [0, 1)') {
  return z.number(must(text)).min(0, must(text)).lt(1, must(text));
}
const seedValue = (text = `must be an integer from 0 to ${MAX_SEED}`) => z.number(must(text)).int(must(text)).min(0, must(text)).max(MAX_SEED, must(text));
const flag = () => z.boolean(must('must be true or false'));
const filePath = () => z.string(must('must be a file path (a non-empty string)')).min(1, must('must be a file path (a non-empty string)'));
const text = () => z.string(must('must be a string'));
const object = <Shape extends z.core.$ZodLooseShape>(shape: Shape) => z.strictObject(shape, must('must be a JSON object'));
const KIND_REQUIREMENT = must('must be a JSON object with a "kind" field');

const HIDDEN_REQUIREMENT = `must be a positive integer or an array of 1 to ${MAX_HIDDEN_LAYERS} positive integers`;
/** Hidden widths: 4 means [4]. Resolved to an array. */
const hiddenSchema = z
  .union(
    [positiveInt(), z.array(positiveInt(), must(HIDDEN_REQUIREMENT)).min(1, must(HIDDEN_REQUIREMENT)).max(MAX_HIDDEN_LAYERS, must(HIDDEN_REQUIREMENT))],
    must(HIDDEN_REQUIREMENT),
  )
  .transform((hidden): number[] => (typeof hidden === 'number' ? [hidden] : hidden));

// ---- the configuration ------------------------------------------------------------------------

const architectureSchema = object({
  inputDim: positiveInt(),
  hidden: hiddenSchema,
  activation: z.enum(ACTIVATIONS),
  /** hidden and output biases together (science.md, "Model") */
  biases: flag().default(true),
});

const inputsSchema = z.discriminatedUnion(
  'kind',
  [
    object({ kind: z.literal('normal') }),
    /** uniform on [−√3, √3]^d */
    object({ kind: z.literal('uniform') }),
    /** Sobol points on [−√3, √3]^d, unscrambled: the same points for every seed */
    object({ kind: z.literal('sobol') }),
    /** the regular grid on [−√3, √3]² with ⌈√N⌉² points (d = 2) */
    object({ kind: z.literal('grid') }),
    /** uniform on the sphere of this radius; default √d (the scale of the normal inputs) */
    object({ kind: z.literal('sphere'), radius: positiveNumber().optional() }),
    /** a CSV with header x1,…,xd,y; its y column is the target only with teacher kind "file" */
    object({ kind: z.literal('file'), path: filePath() }),
  ],
  KIND_REQUIREMENT,
);

const teacherSchema = z.discriminatedUnion(
  'kind',
  [
    /** modified Rosenbrock log10(Σ b(xᵢ₊₁ + c − xᵢ²)² + (a − xᵢ)² + 0.1), standardised over the inputs */
    object({
      kind: z.literal('rosenbrock'),
      c: finiteNumber().default(1),
      a: finiteNumber().default(1),
      b: finiteNumber().default(3),
      standardize: flag().default(true),
    }),
    /**
     * a draw from the zero-mean Matérn-3/2 GP, k(r) = (1 + √3·s·r)e^{−√3·s·r}; `s` as in the paper
     * (0.1 smooth … 10 rough). Approximated by `frequencies` random Fourier features (gp-teacher.ts).
     */
    object({
      kind: z.literal('gp'),
      s: positiveNumber('must be a positive number (the roughness s; the paper uses 0.1, 0.5, 2, 10)'),
      frequencies: positiveInt().default(DEFAULT_GP_FREQUENCIES),
      standardize: flag().default(false),
    }),
    /** a teacher MLP from a parameter file (its input dimension must be architecture.inputDim) */
    object({ kind: z.literal('network'), params: filePath(), standardize: flag().default(false) }),
    /** a random teacher MLP: Glorot-normal weights × scale, biases with the same sd (teacher-network.ts) */
    object({
      kind: z.literal('random-network'),
      hidden: hiddenSchema,
      activation: z.enum(ACTIVATIONS),
      biases: flag().default(true),
      scale: positiveNumber().default(1),
      standardize: flag().default(false),
    }),
    /** y = erf((5x − 2.5)/√2) + erf((5x + 2.5)/√2), d = 1 */
    object({ kind: z.literal('toy-1d') }),
    /** the y column of the inputs file */
    object({ kind: z.literal('file') }),
  ],
  KIND_REQUIREMENT,
);

const dataSchema = object({
  inputs: inputsSchema.prefault({ kind: 'normal' }),
  teacher: teacherSchema.prefault({ kind: 'rosenbrock' }),
  /** N; default DEFAULT_SAMPLES, or every row of an inputs file (a smaller N takes its first rows) */
  samples: positiveInt().optional(),
  /** dataset seed (Philox key of the inputs and the teacher); every run of a configuration shares it */
  seed: seedValue().default(0),
  /** true: each run seed gets its own dataset (Philox run index = the run seed) */
  perRun: flag().default(false),
}).transform((data) => (data.samples === undefined && data.inputs.kind !== 'file' ? { ...data, samples: DEFAULT_SAMPLES } : data));

const initSchema = object({
  /** Glorot normal: W ~ N(0, scale²·2/(fan_in + fan_out)) */
  kind: z.enum(['glorot-normal']).default('glorot-normal'),
  scale: positiveNumber().default(1),
  biases: z.enum(['zero']).default('zero'),
});

const learningRate = () => positiveNumber('must be a positive number (the learning rate)');
const batchSize = () => positiveInt('must be a positive integer (the minibatch size)');

const optimizerSchema = z.discriminatedUnion(
  'kind',
  [
    /** full-batch gradient descent θ ← θ − lr·∇L */
    object({ kind: z.literal('gd'), lr: learningRate() }),
    /** heavy-ball momentum, full batch */
    object({ kind: z.literal('momentum'), lr: learningRate(), beta: unitInterval().default(0.9) }),
    /** Adam; full batch unless `batch` is given (the paper's toy example: lr 1e-3, batch 16) */
    object({
      kind: z.literal('adam'),
      lr: learningRate().default(1e-3),
      beta1: unitInterval().default(0.9),
      beta2: unitInterval().default(0.999),
      eps: positiveNumber().default(1e-8),
      batch: batchSize().optional(),
    }),
    /** minibatch SGD */
    object({ kind: z.literal('sgd'), lr: learningRate(), batch: batchSize().default(16) }),
    /** gradient flow θ̇ = −∇(L + R) with an adaptive ODE solver */
    object({
      kind: z.literal('flow'),
      /** default: the stiff W-method ROS34PW2, which follows channels to the barrier at the paper's tolerances */
      solver: z.enum(FLOW_SOLVERS).default('ros34pw2'),
      rtol: positiveNumber().default(1e-3),
      atol: positiveNumber().default(1e-6),
      maxStepSize: positiveNumber().optional(),
      /**
       * stiff W-methods: accepted steps one Hessian may serve (absent: 1, a new Hessian at every point).
       * Experimental: in channels it multiplies the steps and at r = 8 changed verdicts
       * (benchmarks/results/hessian-reuse-2026-11-24.md).
       */
      hessianReuse: positiveInt().optional(),
    }),
  ],
  KIND_REQUIREMENT,
);

const stopSchema = object({
  /** optimiser steps (gradient flow: accepted solver steps) */
  maxSteps: positiveInt().default(100_000),
  /** simulated time of gradient flow; the discrete optimisers count steps and ignore it */
  maxTime: positiveNumber().optional(),
  /** wall-clock seconds per run */
  maxSeconds: positiveNumber().optional(),
  /**
   * Budget of gradient evaluations (a Hessian counts as P of them), checked every checkEvery steps:
   * the way to give different optimisers and solvers the same budget in one grid.
   */
  maxEvaluations: positiveInt().optional(),
  /**
   * Converged when ‖∇(L + R)‖∞ ≤ gradTol·max(1, ‖θ‖∞). The scaling matters in float32: near a
   * channel the output weights are ±150 or more and merely rounding θ leaves ‖∇‖∞ ≈ 1e-3, so an
   * absolute 1e-5 could never be met there (such runs end by patience or budget). 0 disables it
   * as a stop rule; the verdicts then judge convergence by the default, 1e-5. A float32 (GPU) run
   * is held to at least 1e-5 (FLOAT32_GRAD_TOL, analysis/classify.ts): its rounding floor at a minimum.
   */
  gradTol: nonNegativeNumber().default(1e-5),
  /**
   * …and only once the weight norm has stopped moving: it changed by at most stationaryTol
   * (relative) since the run's previous check. Near a channel the gradient is ~ε³ and passes a
   * scaled gradTol long before the barrier while the norm keeps growing; this keeps such runs going.
   * Absent: 1e-5 (no default in the schema, so run ids of existing specs do not change); a value
   * of 1 or more turns the check off. A float32 (GPU) run is held to at least 1e-4
   * (FLOAT32_STATIONARY_TOL, analysis/classify.ts): its drift along a minimum's flat directions.
   */
  stationaryTol: nonNegativeNumber().optional(),
  /**
   * Stop at the first check where the weight norm has reached maxnorm, within the classifier's 1%
   * (barrierTolerance: a flow can hover a hair below it), with stop reason "barrier". The
   * barrier ends a run heading to infinity; what classifies it is how it arrived: the paper's
   * channel test reads "the last updates", and after the arrival they are only the small settling
   * moves against the barrier (at r = 8, 35 of 36 runs that settled there failed the test on those
   * moves while their close pair had opposite-sign output weights), and a float32 run never meets
   * gradTol there at all. Absent: true for gradient flow, whose loss only decreases, so a run at the
   * barrier stays there; false for the discrete optimisers, whose weight norm can spike past maxnorm
   * and come back (GD's catapults at the edge of stability). No default in the schema, so run ids
   * do not change. false keeps a run going at the barrier until another rule stops it.
   */
  atBarrier: flag().optional(),
  /**
   * Stop after this many steps without a relative loss improvement of minImprovement (checked every
   * checkEvery steps); null, as absent: no patience (so a linked grid axis can give it to some runs only).
   */
  patience: z.union([positiveInt('must be a positive integer or null (no patience)'), z.null()], must('must be a positive integer or null (no patience)')).optional(),
  minImprovement: nonNegativeNumber().default(1e-7),
  /** steps between status checks (stopping rules, trajectory samples are read then) */
  checkEvery: positiveInt().default(1000),
  /**
   * Diagnostics (closest pairs, Hessian spectra) at every this-many-th check too, into the record's
   * checkDiagnostics; absent: only at the end of each run. No default, so run ids do not change.
   */
  diagnosticsEvery: positiveInt().optional(),
});

const trajectorySchema = object({
  /** log-spaced trajectory samples per run */
  points: positiveInt().default(30),
});

/**
 * The second-order polish after training (the paper: after gradient flow), on L + R in float64 from
 * the run's final parameters: trust-region Newton–CG on Hessian-vector products ("newton-cg"), or
 * Levenberg–Marquardt Newton on the dense Hessian ("newton-dense", up to
 * DENSE_POLISH_MAX_PARAMETERS: an eigendecomposition per iteration, O(P³)), which converges where
 * the Hessian's condition number defeats CG — near the barrier in a channel. Absent: none.
 */
/**
 * The largest network a stiff solver trains: its dense P×P Hessian (128 MiB in float64 at 4,096) is
 * held and factorised, O(P³), at every step of every slot.
 */
export const STIFF_MAX_PARAMETERS = 4096;

/** The largest network "newton-dense" polishes: Jacobi with vectors takes 0.5 s on a 256×256 Hessian, 11 s on 512×512 (2-core machine), every iteration. */
export const DENSE_POLISH_MAX_PARAMETERS = 256;

const polishSchema = object({
  kind: z.enum(['newton-cg', 'newton-dense']),
  /** Newton iterations at most */
  maxIterations: positiveInt().default(200),
  /** stop when ‖∇(L + R)‖∞ ≤ gradTol */
  gradTol: positiveNumber().default(1e-10),
});

const configObject = object({
  name: text().optional(),
  description: text().optional(),
  architecture: architectureSchema,
  data: dataSchema.prefault({}),
  init: initSchema.prefault({}),
  optimizer: optimizerSchema,
  /** norm barrier threshold on Σθ²/(2P); null: no barrier (JSON has no Infinity) */
  maxnorm: z.union([positiveNumber('must be a positive number or null (no barrier)'), z.null()], must('must be a positive number or null (no barrier)')).default(1000),
  stop: stopSchema.prefault({}),
  trajectory: trajectorySchema.prefault({}),
  polish: polishSchema.optional(),
});

/** One fully determined configuration (no grid, no seeds). */
export const configSchema = configObject.superRefine(checkConsistency);

/** Cross-field rules. Zod runs them even when a field failed a range check, so they read defensively. */
function checkConsistency(config: z.output<typeof configObject>, ctx: z.RefinementCtx): void {
  const d = config.architecture.inputDim;
  const { inputs, teacher } = config.data;
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  if (inputs.kind === 'grid' && d !== 2) {
    issue(['data', 'inputs', 'kind'], `"grid" is a 2-D grid and needs architecture.inputDim = 2 (got ${d})`);
  }
  if (inputs.kind === 'sobol' && d > MAX_SOBOL_DIMENSION) {
    issue(['data', 'inputs', 'kind'], `"sobol" points are available up to architecture.inputDim = ${MAX_SOBOL_DIMENSION} (got ${d})`);
  }
  if (teacher.kind === 'toy-1d' && d !== 1) {
    issue(['data', 'teacher', 'kind'], `"toy-1d" is a function of one input and needs architecture.inputDim = 1 (got ${d})`);
  }
  if (teacher.kind === 'rosenbrock' && d < 2) {
    issue(['data', 'teacher', 'kind'], `"rosenbrock" sums over consecutive input pairs and needs architecture.inputDim ≥ 2 (got ${d}; with d = 1 it is constant)`);
  }
  if (teacher.kind === 'file' && inputs.kind !== 'file') {
    issue(['data', 'teacher', 'kind'], `"file" takes y from the inputs file, so data.inputs.kind must be "file" (got "${inputs.kind}")`);
  }
  const { optimizer } = config;
  const reuseRefusal = optimizer.kind === 'flow' && (optimizer.hessianReuse ?? 1) > 1 ? hessianReuseRefusal(optimizer.solver) : null;
  if (optimizer.kind === 'flow' && reuseRefusal) {
    issue(['optimizer', 'hessianReuse'], `${optimizer.hessianReuse} needs a stiff W-method (ros34pw2 or rosenbrock23); "${optimizer.solver}" ${reuseRefusal}`);
  }
  const { hidden } = config.architecture;
  const sized = Number.isInteger(d) && Array.isArray(hidden) && hidden.every(Number.isInteger);
  if (sized && parameterCount(config.architecture) > MAX_PARAMETERS) {
    issue(['architecture', 'hidden'], `${JSON.stringify(hidden)} with inputDim ${d} gives networks of ${parameterCount(config.architecture)} parameters; at most ${MAX_PARAMETERS} are supported`);
  } else if (sized && optimizer.kind === 'flow' && isStiffSolver(optimizer.solver) && parameterCount(config.architecture) > STIFF_MAX_PARAMETERS) {
    const P = parameterCount(config.architecture);
    issue(['optimizer', 'solver'], `"${optimizer.solver}" factorises each network's ${P}×${P} Hessian every step and takes networks of at most ${STIFF_MAX_PARAMETERS} parameters (${JSON.stringify(hidden)} with inputDim ${d} gives ${P}); use the explicit "dopri5" or another optimizer`);
  }
  const samplesGiven = config.data.samples;
  if (Number.isInteger(d) && samplesGiven !== undefined && samplesGiven * (d + 1) > MAX_DATA_VALUES) {
    issue(['data', 'samples'], `${samplesGiven} samples of ${d} inputs and a target are ${samplesGiven * (d + 1)} numbers per dataset; at most ${MAX_DATA_VALUES} are supported`);
  }
  if (config.polish?.kind === 'newton-dense' && sized) {
    const P = parameterCount(config.architecture);
    if (P > DENSE_POLISH_MAX_PARAMETERS) {
      issue(['polish', 'kind'], `"newton-dense" diagonalises the ${P}×${P} Hessian every iteration and takes networks of at most ${DENSE_POLISH_MAX_PARAMETERS} parameters; use "newton-cg"`);
    }
  }
  const batch = optimizer.kind === 'sgd' || optimizer.kind === 'adam' ? optimizer.batch : undefined;
  const samples = config.data.samples;
  if (batch !== undefined && samples !== undefined && inputs.kind !== 'file') {
    const available = inputSampleCount(inputs.kind, samples);
    if (batch > available) issue(['optimizer', 'batch'], `${batch} exceeds the ${available} samples of the dataset (data.samples)`);
  }
}

/** A fully resolved configuration: every default filled in, hidden widths as arrays. */
export type RunConfig = z.output<typeof configSchema>;
/** A configuration as a person may write it. */
export type RunConfigInput = z.input<typeof configSchema>;
export type DataConfig = RunConfig['data'];
export type InputsConfig = DataConfig['inputs'];
export type TeacherConfig = DataConfig['teacher'];
export type OptimizerSpec = RunConfig['optimizer'];

/** The kinds each union accepts, read off the schemas (tests pin them, so a new kind is a deliberate change). */
export const INPUT_KINDS: readonly InputsConfig['kind'][] = inputsSchema.options.map((option) => option.shape.kind.value);
export const TEACHER_KINDS: readonly TeacherConfig['kind'][] = teacherSchema.options.map((option) => option.shape.kind.value);
export const OPTIMIZER_KINDS: readonly OptimizerSpec['kind'][] = optimizerSchema.options.map((option) => option.shape.kind.value);

// ---- seeds and grid ---------------------------------------------------------------------------

const SEEDS_REQUIREMENT = 'must be a positive integer (n: seeds 0…n−1), an array of distinct seeds, or {"from": s, "count": n}';
const MAX_SEED_COUNT = MAX_RUNS;

const seedsSchema = z
  .union(
    [
      positiveInt(SEEDS_REQUIREMENT).max(MAX_SEED_COUNT, must(`must be at most ${MAX_SEED_COUNT} seeds`)),
      z
        .array(seedValue(), must(SEEDS_REQUIREMENT))
        .min(1, must(SEEDS_REQUIREMENT))
        .max(MAX_SEED_COUNT, must(`must be at most ${MAX_SEED_COUNT} seeds`))
        .superRefine((seeds, ctx) => {
          const seen = new Map<number, number>();
          seeds.forEach((seed, index) => {
            const first = seen.get(seed);
            if (first !== undefined) ctx.addIssue({ code: 'custom', path: [index], message: `${seed} repeats seeds[${first}] (seeds must be distinct)` });
            else seen.set(seed, index);
          });
        }),
      object({ from: seedValue(), count: positiveInt().max(MAX_SEED_COUNT, must(`must be at most ${MAX_SEED_COUNT} seeds`)) }).superRefine((range, ctx) => {
        if (range.from + range.count - 1 > MAX_SEED) {
          ctx.addIssue({ code: 'custom', path: ['count'], message: `${range.count} seeds from ${range.from} go past the largest seed ${MAX_SEED}` });
        }
      }),
    ],
    must(SEEDS_REQUIREMENT),
  )
  .transform((seeds): number[] => {
    if (typeof seeds === 'number') return Array.from({ length: seeds }, (_, k) => k);
    if (Array.isArray(seeds)) return seeds;
    return Array.from({ length: seeds.count }, (_, k) => seeds.from + k);
  });

const GRID_VALUES_REQUIREMENT = 'must be a non-empty array of values';
const gridSchema = z.record(z.string(), z.array(z.unknown(), must(GRID_VALUES_REQUIREMENT)).min(1, must(GRID_VALUES_REQUIREMENT)), must('must be a JSON object mapping dotted field paths to arrays of values'));

/** The top level before expansion: seeds and grid checked, everything else handed to the configurations. */
const envelopeSchema = z.looseObject(
  {
    seeds: seedsSchema.optional(),
    grid: gridSchema.optional(),
  },
  must('must be a JSON object'),
);

/**
 * One axis of the grid: its key and the values it takes, as written. A key of several dotted paths
 * joined by "+" is a linked axis: each value is an array with one entry per path, set together.
 */
export interface GridAxis {
  path: string;
  /** the dotted paths the axis sets (one, or a linked axis's several) */
  paths: string[];
  values: unknown[];
}

/** One configuration of the experiment. */
export interface SpecConfiguration {
  /** position in the cartesian product (first grid key slowest) */
  index: number;
  /** the grid values of this configuration, by path (empty without a grid) */
  gridValues: Record<string, unknown>;
  config: RunConfig;
  /** canonical JSON of the configuration without its cosmetic fields (name, description) */
  canonical: string;
}

export interface ExperimentSpecShape {
  name?: string;
  description?: string;
  /** run seeds, in the order written */
  seeds: number[];
  /** grid axes in the order written; empty without a grid */
  grid: GridAxis[];
  /** every configuration, in cartesian-product order (first grid key slowest) */
  configurations: SpecConfiguration[];
  /** the spec as written (parsed JSON), for records and reproducibility */
  input: Record<string, unknown>;
}

/**
 * The whole spec: checks seeds and grid, then expands and validates every configuration. Its
 * issues are complete messages (field path, value, what is allowed); see parseSpec.
 */
export const specSchema = z.unknown().transform((raw, ctx): ExperimentSpecShape => {
  const result = resolveSpec(raw);
  if (typeof result === 'string') {
    ctx.addIssue({ code: 'custom', message: result, params: { preformatted: true } });
    return z.NEVER;
  }
  return result;
});

function resolveSpec(raw: unknown): ExperimentSpecShape | string {
  const envelope = envelopeSchema.safeParse(raw);
  if (!envelope.success) {
    const issues = envelope.error.issues;
    return describeIssues(issues, raw, envelopeSchema, false).message;
  }
  const { seeds = [0], grid = {}, ...base } = envelope.data;
  const configurations = expandConfigurations(base, grid);
  if (typeof configurations === 'string') return configurations;
  const runs = configurations.length * seeds.length;
  if (runs > MAX_RUNS) {
    return `the spec describes ${runs} runs (${configurations.length} configurations × ${seeds.length} seeds); at most ${MAX_RUNS} are supported`;
  }
  const { name, description } = configurations[0].config;
  return {
    ...(name !== undefined ? { name } : {}),
    ...(description !== undefined ? { description } : {}),
    seeds,
    grid: Object.entries(grid).map(([path, values]) => ({ path, paths: path.split(LINK), values })),
    configurations,
    input: raw as Record<string, unknown>,
  };
}

export type ExperimentSpec = z.output<typeof specSchema>;

// ---- parsing ----------------------------------------------------------------------------------

/**
 * Parses and validates a spec (JSON text). Every problem is an InputError starting with `source`
 * that names the field by its full path, the value, and what is allowed.
 */
export function parseSpec(text: string, source = 'spec'): ExperimentSpec {
  if (text.trim() === '') throw new InputError(`${source}: the file is empty (expected a JSON object with at least "architecture" and "optimizer")`);
  let raw: unknown;
  try {
    raw = parseUserJson(text);
  } catch (error) {
    throw new InputError(`${source}: invalid JSON: ${(error as Error).message}`);
  }
  return validateSpec(raw, source);
}

/** validateSpec for an already parsed JSON value. */
export function validateSpec(raw: unknown, source = 'spec'): ExperimentSpec {
  const result = resolveSpec(raw);
  if (typeof result === 'string') throw new InputError(`${source}: ${result}`);
  return result;
}

/** Validates one configuration (no grid or seeds); the message format of parseSpec. */
export function parseConfig(raw: unknown, source = 'config'): RunConfig {
  const parsed = configSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new InputError(`${source}: ${describeIssues(parsed.error.issues, raw, configSchema, false).message}`);
}

/** The issue to report: an unknown key first (a misspelt field also shows up as a missing one), else the first. */
function primaryIssue(issues: readonly Issue[]): Issue {
  return issues.find((issue) => issue.code === 'unrecognized_keys') ?? issues[0];
}

/**
 * A failed parse in words: the primary issue, the next two named ("…; also: …"), the rest counted.
 * A missing field that the unknown field's suggestion names is that same typo, not one more problem.
 */
function describeIssues(issues: readonly Issue[], root: unknown, rootSchema: z.core.$ZodType, topLevel: boolean): { primary: Issue; message: string } {
  const primary = primaryIssue(issues);
  const suggestions = primary.code === 'unrecognized_keys' ? (suggestedFields(primary.keys, primary.path, root, rootSchema, topLevel) ?? []) : [];
  // a problem in or under a suggested field the spec lacks (missing, or its defaults' consequences)
  const sameTypo = (issue: Issue) =>
    issue.path.length > primary.path.length &&
    suggestions.includes(String(issue.path[primary.path.length])) &&
    primary.path.every((segment, k) => issue.path[k] === segment) &&
    valueAt(root, issue.path.slice(0, primary.path.length + 1)) === undefined;
  // a problem said once: a value can fail several checks that say the same (-1e20 is neither a safe
  // integer nor ≥ 1: "must be a positive integer" twice); different words are different problems
  const first = describeIssue(primary, root, rootSchema, topLevel);
  const others: string[] = [];
  for (const issue of issues) {
    if (issue === primary || sameTypo(issue)) continue;
    const text = describeIssue(issue, root, rootSchema, topLevel);
    if (text !== first && !others.includes(text)) others.push(text);
  }
  const named = others.slice(0, 2);
  const rest = others.length - named.length;
  const message = first + (named.length > 0 ? `; also: ${named.join('; ')}` : '') + (rest > 0 ? ` (and ${rest} more problem${rest > 1 ? 's' : ''})` : '');
  return { primary, message };
}

/** The fields allowed at `path` (the sweep fields too at a spec's top level). */
function allowedFields(path: readonly PathKey[], root: unknown, rootSchema: z.core.$ZodType, topLevel: boolean): string[] {
  const allowed = allowedKeys(rootSchema, path, root);
  if (path.length === 0 && topLevel) allowed.push(...SWEEP_FIELDS);
  return allowed;
}

/**
 * The allowed fields unknown ones were most likely meant to be, one each (not given already, nor
 * the top level's seeds and grid, which the configurations checked here no longer hold); undefined
 * unless every unknown field has one.
 */
function suggestedFields(keys: readonly string[], path: readonly PathKey[], root: unknown, rootSchema: z.core.$ZodType, topLevel: boolean): string[] | undefined {
  const object = valueAt(root, path) as Record<string, unknown> | undefined;
  const candidates = allowedKeys(rootSchema, path, root).filter((allowed) => object?.[allowed] === undefined);
  const suggestions: string[] = [];
  for (const key of keys) {
    const suggestion = closestName(key, candidates.filter((candidate) => !suggestions.includes(candidate)));
    if (suggestion === undefined) return undefined;
    suggestions.push(suggestion);
  }
  return suggestions;
}

/** The field given at `path` that an unknown one most resembles, if any (suggestedFields leaves given fields out). */
function givenFieldResembling(key: string, path: readonly PathKey[], root: unknown, rootSchema: z.core.$ZodType, topLevel: boolean): string | undefined {
  const object = valueAt(root, path) as Record<string, unknown> | undefined;
  return closestName(key, allowedFields(path, root, rootSchema, topLevel).filter((allowed) => object?.[allowed] !== undefined));
}

// ---- grid expansion ---------------------------------------------------------------------------

interface Axis {
  path: string;
  /** the dotted paths it sets, split into segments: one, or a linked axis's several */
  targets: string[][];
  values: unknown[];
}

const PATH_SYNTAX = /^[A-Za-z][A-Za-z0-9_-]*(\.[A-Za-z][A-Za-z0-9_-]*)*$/;
/** joins the paths of a linked axis ("architecture.activation+stop.maxSteps") */
const LINK = '+';

/** The problem with a grid axis's key or values, if any. */
function checkAxis(axis: Axis, claimed: Map<string, string>): string | undefined {
  for (const segments of axis.targets) {
    const path = segments.join('.');
    if (!PATH_SYNTAX.test(path)) {
      return `grid["${axis.path}"]: ${axis.targets.length > 1 ? `"${path}" is ` : ''}not a dotted field path (e.g. "architecture.hidden", "optimizer.lr", "data.teacher.s"${axis.targets.length > 1 ? '; a linked axis joins paths with "+"' : ''})`;
    }
    const top = segments[0];
    if ((SWEEP_FIELDS as readonly string[]).includes(top)) return `grid["${axis.path}"]: "${top}" describes the sweep and cannot be varied by the grid`;
    if ((COSMETIC_FIELDS as readonly string[]).includes(top)) return `grid["${axis.path}"]: "${top}" is cosmetic and cannot be varied by the grid (it is not part of a configuration's identity)`;
    const owner = claimed.get(path);
    if (owner !== undefined) return `grid["${axis.path}"]: ${path} is already set by grid["${owner}"]; a path can be on one axis only`;
    claimed.set(path, axis.path);
  }
  if (axis.targets.length > 1) {
    const paths = axis.targets.map((segments) => segments.join('.'));
    const index = axis.values.findIndex((value) => !Array.isArray(value) || value.length !== paths.length);
    if (index >= 0) {
      return `grid["${axis.path}"][${index}] = ${show(axis.values[index])}: a linked axis's value must be an array of ${paths.length} values, one for each of ${paths.join(', ')}`;
    }
  }
  return undefined;
}

/** What one value of an axis sets at each of its paths. */
function axisValues(axis: Axis, index: number): unknown[] {
  return axis.targets.length > 1 ? (axis.values[index] as unknown[]) : [axis.values[index]];
}

/** Every configuration of base × grid, validated; or the message of the first problem. */
function expandConfigurations(base: Record<string, unknown>, grid: Record<string, unknown[]>): SpecConfiguration[] | string {
  const axes: Axis[] = Object.entries(grid).map(([path, values]) => ({ path, targets: path.split(LINK).map((part) => part.split('.')), values }));
  const claimed = new Map<string, string>();
  for (const axis of axes) {
    const problem = checkAxis(axis, claimed);
    if (problem) return problem;
  }
  const count = axes.reduce((product, axis) => product * axis.values.length, 1);
  if (count > MAX_CONFIGURATIONS) {
    return `grid: ${axes.map((axis) => axis.values.length).join(' × ')} = ${count} configurations; at most ${MAX_CONFIGURATIONS} are supported`;
  }
  // Every path an axis sets, shallower paths first, so "optimizer.lr" refines every "optimizer"
  // value; ties keep written order.
  const targets = axes.flatMap((axis, k) => axis.targets.map((segments, j) => ({ axis: k, link: j, segments })));
  const applicationOrder = targets.map((_, t) => t).sort((a, b) => targets[a].segments.length - targets[b].segments.length || a - b);

  // The configuration of one choice of grid values, and for each path an axis sets the path it
  // "owns": that path, or the shallowest object it had to create on the way there (which the spec
  // left unset).
  // `keepSpecValue`: the target whose path keeps the value the spec gives it (set again in its turn,
  // after the shallower targets) instead of the grid's
  const build = (choice: number[], keepSpecValue?: number): { raw: Record<string, unknown>; owned: { axis: number; path: string[] }[] } | string => {
    const raw = structuredClone(base);
    const owned = targets.map((target) => ({ axis: target.axis, path: target.segments }));
    for (const t of applicationOrder) {
      const { axis: k, link, segments } = targets[t];
      const value = t === keepSpecValue ? valueAt(base, segments) : axisValues(axes[k], choice[k])[link];
      const set = setPath(raw, segments, structuredClone(value));
      if (typeof set === 'string') return `grid["${axes[k].path}"]: ${set}`;
      if (set.createdDepth !== undefined) owned[t] = { axis: k, path: segments.slice(0, set.createdDepth + 1) };
    }
    return { raw, owned };
  };

  // 1. Each grid value alone (the other axes at their first value), so an error names one value.
  const firstChoice = axes.map(() => 0);
  const singleChoices: { choice: number[]; varied?: number }[] = [{ choice: firstChoice }];
  axes.forEach((axis, k) =>
    axis.values.forEach((_, index) => {
      if (index > 0) singleChoices.push({ choice: firstChoice.map((v, j) => (j === k ? index : v)), varied: k });
    }),
  );
  for (const { choice, varied } of singleChoices) {
    const built = build(choice);
    if (typeof built === 'string') return built;
    const parsed = configSchema.safeParse(built.raw);
    if (parsed.success) continue;
    const { primary: issue, message } = describeIssues(parsed.error.issues, built.raw, configSchema, true);
    // the axis the issue lies under; else (a cross-field rule) the one value that differs from a valid configuration
    const culpritTarget = culpritPath(issue, built.owned.map((owned) => owned.path));
    const culprit = culpritTarget !== undefined ? built.owned[culpritTarget].axis : varied;
    if (varied !== undefined && culprit !== varied) {
      // the value varied here is valid alone but clashes with another axis's first value
      return `grid combination (${describeCombination(gridValuesOf(axes, choice))}): ${message}`;
    }
    if (culprit === undefined) {
      // the grid's values are named only where they bear on the problem (a rule across fields, e.g.
      // a batch against the grid's data.samples): some other grid value then passes or fails differently
      const primary = describeIssue(issue, built.raw, configSchema, true);
      const gridBearsOnIt = singleChoices.some((other) => {
        const otherBuilt = build(other.choice);
        if (typeof otherBuilt === 'string') return false;
        const otherParsed = configSchema.safeParse(otherBuilt.raw);
        return otherParsed.success || describeIssue(primaryIssue(otherParsed.error.issues), otherBuilt.raw, configSchema, true) !== primary;
      });
      return gridBearsOnIt ? `${message} (with the grid's first values: ${describeCombination(gridValuesOf(axes, choice))})` : message;
    }
    const owned = culpritTarget !== undefined ? built.owned[culpritTarget].path : null;
    const created = owned && owned.length < targets[culpritTarget!].segments.length && issue.code !== 'unrecognized_keys' ? ` (the spec sets no ${owned.join('.')}, so the grid value created one)` : '';
    return `${gridValueLabel(axes[culprit], choice[culprit])}${created}: ${message}`;
  }

  // 2. A value the spec gives that a grid axis replaces in every run trains nothing, yet a typo in it
  // must not pass: each is checked in the first configuration in place of its axis's value, and an
  // issue inside it refused (one about other fields is the grid values' own, checked above).
  for (let t = 0; t < targets.length; t++) {
    const { axis: k, segments } = targets[t];
    if (valueAt(base, segments) === undefined) continue;
    const built = build(firstChoice, t);
    if (typeof built === 'string') continue;
    const parsed = configSchema.safeParse(built.raw);
    // inside the spec's value, and not in what a deeper axis sets there (optimizer.beta over optimizer)
    const deeper = targets.filter((other) => other.segments.length > segments.length && isPrefix(segments, other.segments)).map((other) => other.segments);
    const inside = (candidate: Issue) => issuePaths(candidate).some((path) => isPrefix(segments, path)) && culpritPath(candidate, deeper) === undefined;
    // (every issue inside it: an unknown field comes first, and the field it stands for, missing, is the same typo)
    const insideIssues = parsed.success ? [] : parsed.error.issues.filter(inside);
    if (insideIssues.length === 0) continue;
    const { message } = describeIssues(insideIssues, built.raw, configSchema, true);
    return `${message} (in the spec's ${segments.join('.')}, which grid["${axes[k].path}"] replaces in every run: correct it or leave it out)`;
  }

  // 3. Every combination.
  const configurations: SpecConfiguration[] = [];
  const seen = new Map<string, number>();
  const choice = axes.map(() => 0);
  for (let index = 0; index < count; index++) {
    // mixed-radix counter, last axis fastest
    let rest = index;
    for (let k = axes.length - 1; k >= 0; k--) {
      choice[k] = rest % axes[k].values.length;
      rest = Math.floor(rest / axes[k].values.length);
    }
    const built = build(choice);
    if (typeof built === 'string') return built;
    const parsed = configSchema.safeParse(built.raw);
    const gridValues = gridValuesOf(axes, choice);
    if (!parsed.success) {
      return `grid combination (${describeCombination(gridValues)}): ${describeIssues(parsed.error.issues, built.raw, configSchema, true).message}`;
    }
    const canonical = canonicalConfigJson(parsed.data);
    const twin = seen.get(canonical);
    if (twin !== undefined) {
      return (
        `grid: configurations ${twin} (${describeCombination(configurations[twin].gridValues)}) and ${index} (${describeCombination(gridValues)}) ` +
        'are identical once defaults are filled in; remove one of the values'
      );
    }
    seen.set(canonical, index);
    configurations.push({ index, gridValues, config: parsed.data, canonical });
  }
  return configurations;
}

/** The grid values of a choice by dotted path (a linked axis gives each of its paths its own). */
function gridValuesOf(axes: Axis[], choice: number[]): Record<string, unknown> {
  return Object.fromEntries(axes.flatMap((axis, k) => axis.targets.map((segments, j) => [segments.join('.'), axisValues(axis, choice[k])[j]])));
}

/**
 * Sets target[segments] = value, creating missing objects on the way (createdDepth: the segment
 * index of the first one created); a message if a non-object blocks the way.
 */
function setPath(target: Record<string, unknown>, segments: string[], value: unknown): { createdDepth?: number } | string {
  let node: Record<string, unknown> = target;
  let createdDepth: number | undefined;
  for (let k = 0; k < segments.length - 1; k++) {
    const key = segments[k];
    const next = node[key];
    if (next === undefined) {
      node[key] = {};
      createdDepth ??= k;
    } else if (next === null || typeof next !== 'object' || Array.isArray(next)) {
      return `${segments.slice(0, k + 1).join('.')} is ${show(next)}, not an object, so "${segments.slice(k + 1).join('.')}" cannot be set in it`;
    }
    node = node[key] as Record<string, unknown>;
  }
  node[segments[segments.length - 1]] = value;
  return { createdDepth };
}

/** The grid path an issue is about: the deepest (owned) one that contains the issue or leads through it. */
function culpritPath(issue: Issue, ownedPaths: string[][]): number | undefined {
  const candidates = issuePaths(issue);
  let best: number | undefined;
  ownedPaths.forEach((owned, k) => {
    const related = candidates.some((path) => isPrefix(owned, path) || isPrefix(path, owned));
    if (related && (best === undefined || owned.length > ownedPaths[best].length)) best = k;
  });
  return best;
}

/** The paths an issue is about: its own, or for unknown keys each key's. */
function issuePaths(issue: Issue): string[][] {
  const path = issue.path.map(String);
  return issue.code === 'unrecognized_keys' ? issue.keys.map((key) => [...path, key]) : [path];
}

function isPrefix(prefix: readonly string[], path: readonly string[]): boolean {
  return prefix.length <= path.length && prefix.every((segment, k) => segment === path[k]);
}

function gridValueLabel(axis: Axis, index: number): string {
  return `grid["${axis.path}"][${index}] = ${show(axis.values[index])}`;
}

function describeCombination(gridValues: Record<string, unknown>): string {
  return Object.entries(gridValues)
    .map(([path, value]) => `${path} = ${show(value)}`)
    .join(', ');
}

// ---- canonical form and identity --------------------------------------------------------------

/** JSON with object keys sorted at every level: equal configurations give equal strings. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** Canonical JSON of a configuration without its cosmetic fields: what identifies it. */
export function canonicalConfigJson(config: RunConfig): string {
  const { name: _name, description: _description, ...identity } = config;
  return canonicalJson(identity);
}

/**
 * A 64-bit non-cryptographic hash of a string as 16 hex digits (cyrb53's mixing widened to two
 * full 32-bit lanes). Fixed arithmetic on UTF-16 code units: the same on every machine and run.
 */
export function hashString(value: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let k = 0; k < value.length; k++) {
    const c = value.charCodeAt(k);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (h2 >>> 0).toString(16).padStart(8, '0') + (h1 >>> 0).toString(16).padStart(8, '0');
}

// ---- zod issues → messages naming field, value and what is allowed ----------------------------

type Issue = z.core.$ZodIssue;
type PathKey = PropertyKey;

/** `["architecture", "hidden", 1]` → `architecture.hidden[1]`. */
function formatPath(path: readonly PathKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(String(key))) out += `[${JSON.stringify(String(key))}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

function valueAt(root: unknown, path: readonly PathKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** A value as it would appear in JSON, shortened. */
function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  // JSON reads 1e400 as Infinity, which JSON.stringify would show as null
  if (typeof value === 'number' && !Number.isFinite(value)) return `${value} (a number beyond float64's range)`;
  const json = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)) ?? String(value);
  return json.length > 80 ? `${json.slice(0, 77)}…` : json;
}

function describeIssue(issue: Issue, root: unknown, rootSchema: z.core.$ZodType, topLevel: boolean): string {
  const path = issue.path;
  const where = path.length === 0 ? 'the top level' : formatPath(path);
  const value = valueAt(root, path);

  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((key) => `"${key}"`).join(', ');
    const at = path.length === 0 ? 'at the top level' : `in ${where}`;
    const suggestions = suggestedFields(issue.keys, path, root, rootSchema, topLevel);
    if (suggestions) return `unknown field${issue.keys.length > 1 ? 's' : ''} ${keys} ${at} (did you mean ${suggestions.map((name) => `"${name}"`).join(', ')}?)`;
    // a field of another kind of this object (s of a gp teacher given to a rosenbrock one)
    const kinds = issue.keys.length === 1 ? kindsWithField(rootSchema, path, root, issue.keys[0]) : [];
    const kind = (value as { kind?: unknown } | undefined)?.kind;
    if (kinds.length > 0) {
      return `unknown field ${keys} ${at}${typeof kind === 'string' ? ` of kind "${kind}"` : ''}: it is a field of kind ${kinds.map((k) => `"${k}"`).join(', ')} (allowed here: ${allowedFields(path, root, rootSchema, topLevel).join(', ')})`;
    }
    // a typo beside the field it was meant to be (a copied spec's maxSteps, and a maxStep added to change it)
    const alongside = issue.keys.length === 1 ? givenFieldResembling(issue.keys[0], path, root, rootSchema, topLevel) : undefined;
    const given = alongside ? `: "${alongside}", which it resembles, is given too (one of the two is a typo?)` : '';
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${keys} ${at}${given} (allowed: ${allowedFields(path, root, rootSchema, topLevel).join(', ')})`;
  }

  const allowedValues =
    issue.code === 'invalid_value'
      ? issue.values.map(String)
      : issue.code === 'invalid_union' && 'options' in issue && Array.isArray((issue as { options?: unknown }).options)
        ? ((issue as { options: unknown[] }).options).map(String)
        : undefined;
  if (allowedValues) {
    if (value === undefined) return `${where}: required field is missing (allowed: ${allowedValues.join(', ')})`;
    return `${where}: ${show(value)} is not allowed (allowed: ${allowedValues.join(', ')})${path[path.length - 1] === 'activation' ? paperActivationHint(value) : ''}`;
  }

  // a plain union (hidden, seeds, maxnorm) whose value has the shape of exactly one option: that option's first problem
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const sameShape = issue.errors.filter((branch) => !branch.some((sub) => sub.code === 'invalid_type' && sub.path.length === 0));
    if (sameShape.length === 1 && sameShape[0].length > 0) {
      const sub = primaryIssue(sameShape[0]);
      return describeIssue({ ...sub, path: [...path, ...sub.path] } as Issue, root, rootSchema, topLevel);
    }
  }

  if (path.length === 0) return `the spec ${issue.message}, got ${show(value)}`;
  // a rule across fields (checkConsistency) about a field left to its default
  if (value === undefined && issue.code === 'custom') return `${where} is not given, and its default ${issue.message}`;
  if (value === undefined) {
    const parent = valueAt(root, path.slice(0, -1)) as { kind?: unknown } | undefined;
    const kind = parent && typeof parent.kind === 'string' ? ` (for ${formatPath(path.slice(0, -1))} kind "${parent.kind}")` : '';
    return `${where}: required field is missing${kind}; it ${issue.message}`;
  }
  if (issue.code === 'custom') return `${where}: ${issue.message}`;
  return `${where}: ${show(value)} ${issue.message}`;
}

// Navigating a schema by a path, to list an object's allowed keys. Wrappers (optional, default,
// transform pipes) are looked through; a discriminated union picks the option of the value's kind.

interface SchemaNode {
  _zod: { def: SchemaDef };
}
interface SchemaDef {
  type: string;
  innerType?: SchemaNode;
  in?: SchemaNode;
  shape?: Record<string, SchemaNode>;
  element?: SchemaNode;
  options?: SchemaNode[];
  discriminator?: string;
  valueType?: SchemaNode;
  values?: unknown[];
}

function unwrap(schema: SchemaNode, value: unknown): SchemaNode {
  for (;;) {
    const def = schema._zod.def;
    if (def.innerType) schema = def.innerType;
    else if (def.type === 'pipe' && def.in) schema = def.in;
    else if (def.type === 'union' && def.options) {
      const options = def.options.map((option) => unwrap(option, value));
      const discriminator = def.discriminator;
      const kind = discriminator && value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[discriminator] : undefined;
      const match =
        discriminator !== undefined
          ? options.find((option) => option._zod.def.shape?.[discriminator]?._zod.def.values?.includes(kind))
          : options.find((option) => (Array.isArray(value) ? option._zod.def.type === 'array' : option._zod.def.type === 'object'));
      if (!match) return schema;
      schema = match;
    } else return schema;
  }
}

/** For an object chosen by its kind (a discriminated union, e.g. data.teacher): the other kinds whose objects have `key`. */
function kindsWithField(rootSchema: z.core.$ZodType, path: readonly PathKey[], root: unknown, key: string): string[] {
  let schema = rootSchema as unknown as SchemaNode;
  for (let k = 0; k < path.length; k++) {
    const def = unwrap(schema, valueAt(root, path.slice(0, k)))._zod.def;
    const next = def.type === 'object' ? def.shape?.[String(path[k])] : def.type === 'array' ? def.element : def.type === 'record' ? def.valueType : undefined;
    if (!next) return [];
    schema = next;
  }
  for (let def = schema._zod.def; def.innerType || (def.type === 'pipe' && def.in); def = schema._zod.def) schema = def.innerType ?? def.in!;
  const { type, discriminator, options } = schema._zod.def;
  if (type !== 'union' || discriminator === undefined || !options) return [];
  return options
    .map((option) => unwrap(option, undefined)._zod.def.shape)
    .filter((shape) => shape?.[key] !== undefined)
    .flatMap((shape) => (shape![discriminator]._zod.def.values ?? []).map(String));
}

function allowedKeys(rootSchema: z.core.$ZodType, path: readonly PathKey[], root: unknown): string[] {
  let schema = unwrap(rootSchema as unknown as SchemaNode, root);
  for (let k = 0; k < path.length; k++) {
    const def = schema._zod.def;
    const key = path[k];
    const next = def.type === 'object' ? def.shape?.[String(key)] : def.type === 'array' ? def.element : def.type === 'record' ? def.valueType : undefined;
    if (!next) return [];
    schema = unwrap(next, valueAt(root, path.slice(0, k + 1)));
  }
  return Object.keys(schema._zod.def.shape ?? {});
}
