// The paper's experiments as named presets (science.md, "The paper's experiments"): one command each,
// `channelscope run PRESET [--quick] [--seeds N]`.
//
// A preset is either a SWEEP — a spec like any other (spec.ts), run by the scheduler into a results
// folder whose spec.json carries the preset's name, so `report` recognises it (preset-reports.ts) —
// or a PROCEDURE (procedure.ts): a sequence of dependent flows that a spec cannot describe
// (saddle-perturbation, channel-jump, gd-from-channel). Every preset has a paper-sized version and a quick one that
// finishes in about a minute on the float64 CPU engine (the tests run those), and says which
// question its report answers.
import { channelJumpProcedure } from './channel-jump.js';
import { gdFromChannelProcedure, type GdFromChannelOptions } from './gd-from-channel.js';
import type { Procedure } from './procedure.js';
import { saddlePerturbationProcedure } from './saddle-perturbation.js';
import { validateSpec, type ExperimentSpec } from './spec.js';
import { inputSampleCount } from '../data/inputs.js';

/** A spec as written in JSON (validated by validateSpec when used). */
export type SpecInput = Record<string, unknown>;

export interface RunSize {
  /** networks trained (configurations × seeds; procedures: the flows and re-equilibrations) */
  networks: number;
  /** samples per dataset */
  samples: number;
  /** `networks` is an upper bound (a procedure whose later stages depend on where its first ended) */
  atMost?: boolean;
}

interface PresetBase {
  name: string;
  /** one line for `channelscope presets` */
  description: string;
  /** the question the preset's report answers */
  question: string;
  /** what the quick version can and cannot show (the tests say the same) */
  quickNote: string;
}

export interface SweepPreset extends PresetBase {
  kind: 'sweep';
  /** the paper-sized sweep */
  spec: SpecInput;
  /** the same experiment, small enough for about a minute on the CPU engine */
  quick: SpecInput;
}

export interface ProcedurePreset extends PresetBase {
  kind: 'procedure';
  // the options type differs per procedure; the registry only passes options through
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  procedure: Procedure<any, any, any>;
  /** networks and samples of a set of options */
  size: (options: unknown) => RunSize;
}

export type Preset = SweepPreset | ProcedurePreset;

// ---- shared settings ----------------------------------------------------------------------------

/** The paper's gradient flow: a stiff solver (ROS34PW2, a Rosenbrock-W method), which follows channels out to the barrier. */
const STIFF_FLOW = { kind: 'flow', solver: 'ros34pw2', rtol: 1e-3, atol: 1e-6 } as const;

/** Rosenbrock and the four Matérn-3/2 GP teachers of the paper (s: roughness). */
const PAPER_TEACHERS = [
  { kind: 'rosenbrock' },
  { kind: 'gp', s: 0.1 },
  { kind: 'gp', s: 0.5 },
  { kind: 'gp', s: 2 },
  { kind: 'gp', s: 10 },
];

/** The paper's toy-problem optimisers: SGD η = 0.1 and Adam η = 1e-3, both with minibatches of 16. */
const TOY_OPTIMIZERS = [STIFF_FLOW, { kind: 'sgd', lr: 0.1, batch: 16 }, { kind: 'adam', lr: 1e-3, batch: 16 }];

/** GD step sizes of the edge-of-stability study: 10^(−2 … 0.5) in half decades (0.01 … 3.16). */
export const EDGE_OF_STABILITY_RATES = [0.01, 0.0316, 0.1, 0.316, 1, 3.16];

/**
 * The 1-D toy student (two erf neurons, no biases) from Glorot init × 2: at scale 1 more than half
 * the runs settle on the saddle line w₁ = w₂ (one effective neuron, loss 0.0442); at scale 2 most
 * go into one of the toy's two channels (measured 2026-12-06, stiff flow, N = 256, seeds 0–15:
 * 9 of 16 plateau saddles at scale 1, 3 of 16 at scale 2, the rest channels).
 */
const TOY_STUDENT = {
  architecture: { inputDim: 1, hidden: 2, activation: 'erf', biases: false },
  init: { scale: 2 },
  maxnorm: 1000,
};

// ---- the sweeps -----------------------------------------------------------------------------------

const lossLevels: SweepPreset = {
  kind: 'sweep',
  name: 'loss-levels',
  description: 'd = 2, r = 1…5 neurons of g on the 2-D grid, Rosenbrock teacher, biases on and off: discrete loss levels and plateau saddles',
  question:
    'Do converged losses cluster at a few discrete levels, and how often does training end on a plateau saddle (two identical neurons on a Fukumizu–Amari saddle line) with and without biases? The paper: 10–30% without biases, almost none with biases.',
  quickNote:
    'r = 2…4, 12 seeds each, a 64-point grid: enough to see plateau saddles without biases and none with them, not to estimate their fraction (the Wilson intervals span tens of percent).',
  spec: {
    name: 'loss-levels',
    description:
      'The paper\'s experiment 1: d = 2 students of activation g with r = 1…5 neurons on the regular 2-D grid of 10⁴ points, modified Rosenbrock teacher, biases on and off, stiff gradient flow to convergence. The paper uses 50·2^r seeds per r; a spec has one seed list, so every r gets 50·2^5 = 1600 (at least the paper\'s for every r).',
    architecture: { inputDim: 2, hidden: 1, activation: 'g', biases: true },
    data: { inputs: { kind: 'grid' }, teacher: { kind: 'rosenbrock' }, samples: 10_000 },
    optimizer: STIFF_FLOW,
    maxnorm: 1000,
    stop: { maxSteps: 20_000, gradTol: 1e-7, checkEvery: 100 },
    seeds: 1600,
    grid: { 'architecture.biases': [false, true], 'architecture.hidden': [1, 2, 3, 4, 5] },
  },
  quick: {
    name: 'loss-levels',
    description: 'loss-levels --quick: r = 2…4 neurons of g, 64 grid points, 12 seeds per configuration.',
    architecture: { inputDim: 2, hidden: 2, activation: 'g', biases: true },
    data: { inputs: { kind: 'grid' }, teacher: { kind: 'rosenbrock' }, samples: 64 },
    optimizer: STIFF_FLOW,
    maxnorm: 1000,
    stop: { maxSteps: 2000, gradTol: 1e-7, checkEvery: 100 },
    trajectory: { points: 10 },
    seeds: 12,
    grid: { 'architecture.biases': [false, true], 'architecture.hidden': [2, 3, 4] },
  },
};

/** channel-frequency's budget for relu runs (see there): past where their loss stopped moving (550–7,000 steps measured) */
const RELU_MAX_STEPS = 20_000;

const channelFrequency: SweepPreset = {
  kind: 'sweep',
  name: 'channel-frequency',
  description: 'd ∈ {2,4,8,16} × r ∈ {2,4,8,16} (+ [4,4], [4,4,4]), softplus/erf/relu, Rosenbrock and four GP teachers: how often runs end in channels',
  question:
    'How often does stiff gradient flow end in a channel to infinity, by teacher (Rosenbrock, GP roughness s), activation, input dimension d and width r? The paper: channels are common for every teacher and more frequent the rougher the GP (larger s); relu has none.',
  quickNote:
    'd = 2, r = 4, N = 64, 4 seeds per teacher × activation: shows channels with erf and never with relu; its softplus runs mostly stop sharpening at the barrier or out of steps, so softplus channels, and the ranking of the teachers by s, need the full run (or --seeds 50 at larger N).',
  spec: {
    name: 'channel-frequency',
    description:
      'The paper\'s experiment 3: students with d ∈ {2, 4, 8, 16} inputs and r ∈ {2, 4, 8, 16} neurons (plus [4, 4] and [4, 4, 4]), softplus, erf and relu, on the modified Rosenbrock teacher and Matérn-3/2 GP teachers with s = 0.1, 0.5, 2, 10, N = 10⁴ standard-normal inputs, stiff gradient flow out to the norm barrier (at most 200,000 steps; relu, whose flow comes to rest at kinks where its gradient never vanishes, 20,000), 50 seeds per configuration.',
    architecture: { inputDim: 2, hidden: 4, activation: 'softplus', biases: true },
    data: { inputs: { kind: 'normal' }, teacher: { kind: 'rosenbrock' }, samples: 10_000 },
    optimizer: STIFF_FLOW,
    maxnorm: 1000,
    // a channel is recognised at the barrier, so runs must get there: in float64 at d = 2, r = 8,
    // N = 1024, 10 of 58 runs needed more than 20,000 ros34pw2 steps (max 36,800;
    // benchmarks/results/flow-cpu-subset/). Float32 in network coordinates takes ~5× the steps in a
    // channel (benchmarks/results/float32-flow-2026-11-23.md); the stiff kernel's group coordinates
    // bring one hidden layer back to ~1.2× (pair-coordinates-2026-12-04.md). [4, 4] and [4, 4, 4]
    // float32 runs through channels had not reached the barrier after 2–4× float64's steps
    // (benchmarks/results/deep-float32-swiftshader/; emulation: θ's rounding, the float32 gradient
    // and the float32 Hessian each stall a deep channel, deep-float32-emulation-2026-12-05.md), so
    // deep networks of every smooth activation run in double-float (mlp_double_float.wgsl); relu's
    // stay float32 (no channels).
    stop: { maxSteps: 200_000, gradTol: 1e-7, checkEvery: 100 },
    seeds: 50,
    grid: {
      'architecture.inputDim': [2, 4, 8, 16],
      'architecture.hidden': [2, 4, 8, 16, [4, 4], [4, 4, 4]],
      // relu's flow comes to rest at a kink, where its gradient never vanishes: measured (d = 2, r = 4,
      // N = 1024, float64), its loss was fixed to 8 digits from step ~550 to 200,000 while the stiff
      // solver went on chattering, and the verdict (not converged, no channel) was the same at 20,000
      // steps as at 200,000 (benchmarks/results/mixed-activations-2026-12-05.md). It shares each
      // shape's ensemble with softplus and erf on the GPU, so its 200,000 steps would set every
      // group's length
      'architecture.activation+stop.maxSteps': [
        ['softplus', 200_000],
        ['erf', 200_000],
        ['relu', RELU_MAX_STEPS],
      ],
      'data.teacher': PAPER_TEACHERS,
    },
  },
  quick: {
    name: 'channel-frequency',
    description: 'channel-frequency --quick: d = 2, r = 4, N = 64, softplus/erf/relu × the five teachers, 4 seeds each.',
    architecture: { inputDim: 2, hidden: 4, activation: 'softplus', biases: true },
    data: { inputs: { kind: 'normal' }, teacher: { kind: 'rosenbrock' }, samples: 64 },
    optimizer: STIFF_FLOW,
    maxnorm: 1000,
    stop: { maxSteps: 1000, gradTol: 1e-7, checkEvery: 100 },
    trajectory: { points: 10 },
    seeds: 4,
    grid: { 'architecture.activation': ['softplus', 'erf', 'relu'], 'data.teacher': PAPER_TEACHERS },
  },
};

/**
 * The toy's norm barrier: with P = 4 the barrier caps the output weights near ±2√maxnorm, so 1/ε at
 * the barrier is about 4√maxnorm/|a|: ~85 at 10³ (measured: flow stopped there), ~270 at 10⁴. 10⁴
 * lets gradient flow show the paper's run out to 1/ε in the hundreds.
 */
const TOY_MAXNORM = 1e4;

const toy1d: SweepPreset = {
  kind: 'sweep',
  name: 'toy-1d',
  description: 'two erf neurons without biases on the 1-D toy teacher: gradient flow vs SGD (η 0.1) vs Adam (η 1e-3), batch 16, and the loss at infinity over w',
  question:
    'How far along the toy problem\'s channel does each optimiser get with the same budget of gradient evaluations (1/ε, weight norm), and what loss does the channel lead to (L∞(w), the best gated linear unit c·σ(wx) + a·x·σ′(wx) at each w, σ(z) = erf(z/√2))? The paper: gradient flow reaches far into the channel, SGD and Adam stall near its entrance.',
  quickNote: 'N = 256, 4 seeds, 20,000 gradient evaluations per run: the ordering of reach (flow ≫ SGD, Adam) already shows.',
  spec: {
    name: 'toy-1d',
    description:
      'The paper\'s 1-D toy problem: f(x) = a₁erf(w₁x/√2) + a₂erf(w₂x/√2) fitted to y = erf((5x − 2.5)/√2) + erf((5x + 2.5)/√2) on N = 4096 standard-normal inputs, from Glorot init × 2; stiff gradient flow, SGD (η 0.1, batch 16) and Adam (η 1e-3, batch 16), 200,000 gradient evaluations each; norm barrier 10⁴ (at 10³ it caps the channel near 1/ε ≈ 85).',
    ...TOY_STUDENT,
    maxnorm: TOY_MAXNORM,
    data: { inputs: { kind: 'normal' }, teacher: { kind: 'toy-1d' }, samples: 4096 },
    optimizer: STIFF_FLOW,
    stop: { maxSteps: 200_000, maxEvaluations: 200_000, gradTol: 0, checkEvery: 1000 },
    trajectory: { points: 50 },
    seeds: 50,
    grid: { optimizer: TOY_OPTIMIZERS },
  },
  quick: {
    name: 'toy-1d',
    description: 'toy-1d --quick: N = 256, 4 seeds, 20,000 gradient evaluations per run.',
    ...TOY_STUDENT,
    maxnorm: TOY_MAXNORM,
    data: { inputs: { kind: 'normal' }, teacher: { kind: 'toy-1d' }, samples: 256 },
    optimizer: STIFF_FLOW,
    stop: { maxSteps: 20_000, maxEvaluations: 20_000, gradTol: 0, checkEvery: 250 },
    trajectory: { points: 20 },
    seeds: 4,
    grid: { optimizer: TOY_OPTIMIZERS },
  },
};

const edgeOfStability: SweepPreset = {
  kind: 'sweep',
  name: 'edge-of-stability',
  description: 'full-batch GD on the toy problem with η from 0.01 to 3.16: λ_max at the end against 2/η, and how far into the channel each η gets',
  question:
    'Where does full-batch gradient descent stop along a channel? Along a channel λ_max grows like 1/ε²; GD cannot follow past λ_max ≈ 2/η (edge of stability), so larger η stalls nearer the entrance (smaller 1/ε).',
  quickNote:
    'N = 256, 2 seeds per η, 5,000 steps: of each η one seed ends along the channel, short of the barrier (λ_max is read off it), the other on the saddle line (η = 1: diverged; 3.16: both diverge); λ_max·η/2 reaches 0.97 at η = 1 and 0.89 at 0.316, while smaller η are still climbing when the budget ends (0.008–0.14). The full protocol (N = 4096, 10⁵ steps) does not lift the budget limit: 4 seeds per η on the CPU ended with λ_max·η/2 at 0.01–0.46 for η ≤ 0.316, barely into the channel (1/ε 2–5; benchmarks/results/edge-of-stability-4-seeds-2026-12-06). gd-from-channel starts GD inside the channel instead and shows the stall at every η.',
  spec: {
    name: 'edge-of-stability',
    description:
      'Full-batch gradient descent on the paper\'s 1-D toy problem (two erf neurons, no biases, N = 4096) with η = 0.01, 0.0316, 0.1, 0.316, 1, 3.16, 20 seeds each, 10⁵ steps: the report computes λ_max of the final Hessian (float64) and compares it with 2/η.',
    ...TOY_STUDENT,
    data: { inputs: { kind: 'normal' }, teacher: { kind: 'toy-1d' }, samples: 4096 },
    optimizer: { kind: 'gd', lr: 0.1 },
    stop: { maxSteps: 100_000, gradTol: 0, checkEvery: 1000 },
    trajectory: { points: 40 },
    seeds: 20,
    grid: { 'optimizer.lr': EDGE_OF_STABILITY_RATES },
  },
  quick: {
    name: 'edge-of-stability',
    description: 'edge-of-stability --quick: N = 256, 2 seeds per η, 5,000 steps.',
    ...TOY_STUDENT,
    data: { inputs: { kind: 'normal' }, teacher: { kind: 'toy-1d' }, samples: 256 },
    optimizer: { kind: 'gd', lr: 0.1 },
    stop: { maxSteps: 5000, gradTol: 0, checkEvery: 250 },
    trajectory: { points: 20 },
    seeds: 2,
    grid: { 'optimizer.lr': EDGE_OF_STABILITY_RATES },
  },
};

/** The optimisers compared, with the step sizes of examples/optimizers.json and the paper's toy. */
const COMPARED_OPTIMIZERS = [
  STIFF_FLOW,
  { kind: 'gd', lr: 0.1 },
  { kind: 'momentum', lr: 0.01, beta: 0.9 },
  { kind: 'sgd', lr: 0.1, batch: 16 },
  { kind: 'adam', lr: 1e-3, batch: 16 },
];

const optimizerComparison: SweepPreset = {
  kind: 'sweep',
  name: 'optimizer-comparison',
  description: 'channel-frequency settings (softplus) under stiff gradient flow, GD, momentum, SGD and Adam at one budget of gradient evaluations',
  question:
    'Given the same budget of gradient evaluations (a Hessian counts P), which optimisers end in channels, how often, and how far along them (1/ε, weight norm)? The paper: gradient flow reaches far into channels; GD, SGD and Adam stall near the entrance.',
  quickNote:
    'd = 2, r = 4, Rosenbrock, N = 64, 4 seeds, 20,000 evaluations: shows that gradient flow gets out to the barrier while the others stay at small weight norm; channel fractions per optimiser need the full run (at N = 64 most barrier runs are single sharpened neurons, not channels).',
  spec: {
    name: 'optimizer-comparison',
    description:
      'The paper\'s experiment 5 at the scale of experiment 3: softplus students with d ∈ {2, 4, 8, 16} and r ∈ {2, 4, 8, 16} on the Rosenbrock and four GP teachers (N = 10⁴), 50 seeds, trained by stiff gradient flow, GD (η 0.1), heavy-ball momentum (η 0.01, β 0.9), SGD (η 0.1, batch 16) and Adam (η 1e-3, batch 16), each with 10⁶ gradient evaluations.',
    architecture: { inputDim: 2, hidden: 4, activation: 'softplus', biases: true },
    data: { inputs: { kind: 'normal' }, teacher: { kind: 'rosenbrock' }, samples: 10_000 },
    optimizer: STIFF_FLOW,
    maxnorm: 1000,
    stop: { maxSteps: 1_000_000, maxEvaluations: 1_000_000, gradTol: 1e-7, checkEvery: 1000 },
    seeds: 50,
    grid: {
      'architecture.inputDim': [2, 4, 8, 16],
      'architecture.hidden': [2, 4, 8, 16],
      'data.teacher': PAPER_TEACHERS,
      optimizer: COMPARED_OPTIMIZERS,
    },
  },
  quick: {
    name: 'optimizer-comparison',
    description: 'optimizer-comparison --quick: d = 2, r = 4, Rosenbrock teacher, N = 64, 4 seeds, 20,000 gradient evaluations.',
    architecture: { inputDim: 2, hidden: 4, activation: 'softplus', biases: true },
    data: { inputs: { kind: 'normal' }, teacher: { kind: 'rosenbrock' }, samples: 64 },
    optimizer: STIFF_FLOW,
    maxnorm: 1000,
    stop: { maxSteps: 20_000, maxEvaluations: 20_000, gradTol: 1e-7, checkEvery: 250 },
    trajectory: { points: 10 },
    seeds: 4,
    grid: { optimizer: COMPARED_OPTIMIZERS },
  },
};

// ---- the procedures -------------------------------------------------------------------------------

interface SaddleSizeOptions {
  gammas: number[];
  data: { samples?: number; inputs: { kind: string } };
  architecture: { inputDim: number };
}

function procedureSamples(data: SaddleSizeOptions['data']): number {
  const samples = data.samples ?? 10_000;
  return data.inputs.kind === 'file' ? samples : inputSampleCount(data.inputs.kind as Parameters<typeof inputSampleCount>[0], samples);
}

const saddlePerturbation: ProcedurePreset = {
  kind: 'procedure',
  name: 'saddle-perturbation',
  description: saddlePerturbationProcedure.description,
  question:
    'Split a neuron of a converged r-neuron network along the saddle line (γ), push slightly along the most negative curvature and follow gradient flow: which γ fall back to the saddle line, which enter a channel?',
  quickNote:
    "64 inputs, seven γ: shows both fates (back to the line, into a channel), but from a θ* that is one neuron twice (a plateau saddle: see the note), since this small dataset's 2-neuron minima of distinct neurons send every unstable γ to a finite minimum.",
  procedure: saddlePerturbationProcedure,
  // the r-neuron training plus one flow per γ
  size: (options) => ({ networks: 1 + (options as SaddleSizeOptions).gammas.length, samples: procedureSamples((options as SaddleSizeOptions).data) }),
};

interface ChannelJumpSizeOptions {
  jumps: number;
  setup: { data: SaddleSizeOptions['data'] };
  network?: unknown;
}

const channelJump: ProcedurePreset = {
  kind: 'procedure',
  name: 'channel-jump',
  description: channelJumpProcedure.description,
  question: 'Follow one channel by shrinking ε of its pair (or of the three or four neurons carrying it) and re-equilibrating: does loss − L∞ shrink like ε² and λ_max grow like 1/ε² (1/ε⁴ for three)?',
  quickNote: '64 inputs, 8 jumps by 0.7: ε shrinks 17-fold, enough to fit both log-log slopes.',
  procedure: channelJumpProcedure,
  // the construction (training + one perturbed flow) unless a network is given, then one
  // re-equilibration per jump and the first
  size: (options) => {
    const { network, jumps, setup } = options as ChannelJumpSizeOptions;
    return { networks: (network ? 0 : 2) + jumps + 1, samples: procedureSamples(setup.data) };
  },
};

const gdFromChannel: ProcedurePreset = {
  kind: 'procedure',
  name: 'gd-from-channel',
  description: gdFromChannelProcedure.description,
  question:
    'Started inside a channel, at points of growing λ_max, where does full-batch GD at step η end? The paper: GD stalls where λ_max ≈ 2/η, so it can stay in the channel only where λ_max ≤ 2/η; from further along it is thrown out, diverges, or brings λ_max down to the edge.',
  quickNote:
    'N = 256, 4 flows into two channels (seeds 2 and 3 share one), 18 starts with λ_max from 1.5 to about 2,000, 3,000 GD steps: every start below the edge is kept; no run ends more than 10% past it (largest final λ_max·η/2 1.08–1.09 as rounding moves the last steps of the flows); from past it GD is thrown out, diverges or brings λ_max down to the edge. Two runs travel along the channel to the edge (η = 0.316 and 1); at smaller η 3,000 steps are too few to move far.',
  procedure: gdFromChannelProcedure,
  // the flows, then GD at every η from at most maxStartsPerChannel points of each
  size: (options) => {
    const o = options as GdFromChannelOptions;
    return { networks: o.seeds.length * (1 + o.maxStartsPerChannel * o.rates.length), samples: procedureSamples(o.data as SaddleSizeOptions['data']), atMost: true };
  },
};

// ---- the registry ---------------------------------------------------------------------------------

export const PRESETS: readonly Preset[] = [lossLevels, saddlePerturbation, channelFrequency, channelJump, toy1d, edgeOfStability, gdFromChannel, optimizerComparison];

export function findPreset(name: string): Preset | undefined {
  return PRESETS.find((preset) => preset.name === name);
}

/**
 * A sweep preset's spec, quick or full, with the seed count replaced by `seeds` when given (its
 * description, which names the preset's count, then says so).
 */
export function presetSpecInput(preset: SweepPreset, options: { quick?: boolean; seeds?: number } = {}): SpecInput {
  const input = structuredClone(options.quick ? preset.quick : preset.spec);
  const note = presetSeedsNote(preset, options);
  if (options.seeds !== undefined) input.seeds = options.seeds;
  if (note) input.description = `${input.description} ${note}`;
  return input;
}

/** The seeds per configuration of a preset's spec, quick or full. */
export function presetSeedCount(preset: SweepPreset, quick: boolean): number {
  return presetSpec(preset, { quick }).seeds.length;
}

/**
 * A sentence for a run with a seed count of its own (`--seeds`, or a spec edited), whose preset's
 * description and quickNote name the preset's count; null for the preset's own count.
 */
export function presetSeedsNote(preset: SweepPreset, options: { quick?: boolean; seeds?: number }): string | null {
  if (options.seeds === undefined) return null;
  const own = presetSeedCount(preset, Boolean(options.quick));
  if (options.seeds === own) return null;
  return `This run: ${options.seeds} seed${options.seeds === 1 ? '' : 's'} per configuration where the ${options.quick ? 'quick version' : 'preset'} has ${own}.`;
}

export function presetSpec(preset: SweepPreset, options: { quick?: boolean; seeds?: number } = {}): ExperimentSpec {
  return validateSpec(presetSpecInput(preset, options), `preset ${preset.name}${options.quick ? ' --quick' : ''}`);
}

/** Networks and samples per dataset of a preset, full or quick. */
export function presetRunSize(preset: Preset, quick: boolean): RunSize {
  if (preset.kind === 'procedure') return preset.size(quick ? preset.procedure.quick : preset.procedure.defaults);
  const spec = presetSpec(preset, { quick });
  const samples = Math.max(
    ...spec.configurations.map(({ config }) => {
      const { inputs, samples: n } = config.data;
      return inputs.kind === 'file' || n === undefined ? 0 : inputSampleCount(inputs.kind, n);
    }),
  );
  return { networks: spec.configurations.length * spec.seeds.length, samples };
}

/** The preset a results folder's spec.json belongs to (by its name), if any. */
export function presetOfSpec(specInput: unknown): SweepPreset | undefined {
  const name = specInput && typeof specInput === 'object' ? (specInput as { name?: unknown }).name : undefined;
  const preset = typeof name === 'string' ? findPreset(name) : undefined;
  return preset?.kind === 'sweep' ? preset : undefined;
}
