// How the MLP kernels spread one network's pass over a workgroup (shaders/mlp_core.wgsl): the
// threads per workgroup, and how the per-sample gradient terms are summed.
//   tiled     after each tile of samples, the owner of each parameter sums its terms over the
//             tile's rows in workgroup memory: any P, two barriers per tile.
//   register  each thread sums every parameter over its own samples in private arrays and the
//             workgroup reduces once per pass: no barrier per tile, but 2P floats (4P with HVPs)
//             of registers per thread, so small networks only.
//   blocked   as tiled, but each thread sums blocks of BLOCK_NEURONS × BLOCK_INPUTS parameters
//             (register blocking): 6 workgroup loads per 8 multiply-adds instead of 16, for the
//             wide networks where tiled is bound by workgroup-memory loads.
// and, independently of the accumulation:
//   samplesPerThread  each thread carries S samples through the forward and backward passes at
//             once, so that each weight read from workgroup memory serves S samples (a tile is
//             threads × S samples);
//   hoistInputs  each forward layer reads its inputs from workgroup memory once into private
//             arrays rather than once per weight (halves the forward's workgroup loads when the
//             arrays stay in registers);
//   subgroups  workgroup sums and maxima by subgroup operations and one partial per subgroup
//             (2 barriers instead of 2 + log₂ threads); needs the device's 'subgroups' feature.
// Which wins depends on the shape and the device: benchmarks/node-bench.ts --strategies measures
// them. Until a GPU measurement says otherwise the default stays `tiled` at 64 threads without
// hoisting, the layout every correctness test was first written against.

export type Accumulation = 'tiled' | 'register' | 'blocked';
export const ACCUMULATIONS: readonly Accumulation[] = ['tiled', 'register', 'blocked'];

export interface KernelStrategy {
  accumulation: Accumulation;
  /** threads per workgroup, a power of two (the kernel may use fewer when workgroup memory is short) */
  tile: number;
  /** samples each thread carries through a pass at once (a tile is tile × samplesPerThread samples) */
  samplesPerThread: number;
  /** the forward pass reads each layer's inputs into private arrays once */
  hoistInputs: boolean;
  /** workgroup reductions by subgroup operations (WGSL `enable subgroups`) */
  subgroups: boolean;
}

/** What a caller may pin (benchmarks, tests); the rest comes from defaultStrategy. */
export type KernelTuning = Partial<KernelStrategy>;

/**
 * The strategies the H100 benchmark times per workload (benchmarks/run-all.sh reads this list) and
 * `channelscope verify` checks against the CPU engine.
 */
export const CANDIDATE_STRATEGIES: readonly string[] = [
  'tiled/64', 'tiled/64+subgroups', 'tiled/64x4+hoist', 'register/64+hoist', 'register/32x4+hoist', 'register/64x2+hoist',
  'register/64x4+hoist', 'register/32x4+hoist+subgroups', 'blocked/64+hoist', 'blocked/64x2+hoist', 'blocked/64x4+hoist',
  'blocked/128x4+hoist', 'blocked/64x4+hoist+subgroups',
];

export const DEFAULT_TILE = 64;
/** More samples per thread than this would not stay in registers. */
export const MAX_SAMPLES_PER_THREAD = 8;
/** Beyond this many parameters the register strategy's private arrays cannot stay in registers. */
export const REGISTER_MAX_PARAMETERS = 128;
/** Blocked strategy: neurons and inputs (bias included) per block of parameters a thread sums. */
export const BLOCK_NEURONS = 2;
export const BLOCK_INPUTS = 4;
/** Tiles each thread sums into a block before adding it to its total (register strategy). */
export const REGISTER_ACCUMULATION_BLOCK = 8;

export function defaultStrategy(): KernelStrategy {
  return { accumulation: 'tiled', tile: DEFAULT_TILE, samplesPerThread: 1, hoistInputs: false, subgroups: false };
}

/** The strategy for a network of P parameters: the defaults with `tuning` on top, checked. */
export function resolveStrategy(parameterCount: number, tuning: KernelTuning = {}): KernelStrategy {
  const strategy = { ...defaultStrategy(), ...tuning };
  if (!ACCUMULATIONS.includes(strategy.accumulation)) {
    throw new RangeError(`kernel accumulation must be one of ${ACCUMULATIONS.join(', ')}, got ${String(strategy.accumulation)}`);
  }
  const tile = strategy.tile;
  if (!Number.isInteger(tile) || tile < 1 || (tile & (tile - 1)) !== 0) {
    throw new RangeError(`kernel tile (threads per workgroup) must be a power of two, got ${tile}`);
  }
  if (!Number.isInteger(strategy.samplesPerThread) || strategy.samplesPerThread < 1 || strategy.samplesPerThread > MAX_SAMPLES_PER_THREAD) {
    throw new RangeError(`kernel samples per thread must be an integer from 1 to ${MAX_SAMPLES_PER_THREAD}, got ${strategy.samplesPerThread}`);
  }
  if (strategy.accumulation === 'register' && parameterCount > REGISTER_MAX_PARAMETERS) {
    throw new RangeError(`register accumulation needs at most ${REGISTER_MAX_PARAMETERS} parameters per network, this one has ${parameterCount}; use tiled`);
  }
  return strategy;
}

const STRATEGY_SYNTAX = /^([a-z]+)(?:\/(\d+)(?:x(\d+))?)?(\+hoist)?(\+subgroups)?$/;

/**
 * Parses a command-line strategy: ACCUMULATION[/THREADS[xSAMPLES]][+hoist][+subgroups], e.g.
 * `register/128`, `blocked/64x4+hoist`, `tiled+subgroups` (threads default to DEFAULT_TILE, samples
 * per thread to 1).
 */
export function parseStrategy(text: string): KernelStrategy {
  const match = STRATEGY_SYNTAX.exec(text);
  if (!match || !ACCUMULATIONS.includes(match[1] as Accumulation)) {
    throw new RangeError(`unknown kernel strategy ${text}: expected ${ACCUMULATIONS.join(', ')}, optionally /THREADS, xSAMPLES per thread, +hoist and +subgroups (e.g. blocked/64x4+hoist+subgroups)`);
  }
  return resolveStrategy(0, {
    accumulation: match[1] as Accumulation,
    tile: match[2] === undefined ? DEFAULT_TILE : Number(match[2]),
    samplesPerThread: match[3] === undefined ? 1 : Number(match[3]),
    hoistInputs: match[4] !== undefined,
    subgroups: match[5] !== undefined,
  });
}

export function formatStrategy(strategy: KernelStrategy): string {
  const samples = strategy.samplesPerThread > 1 ? `x${strategy.samplesPerThread}` : '';
  return `${strategy.accumulation}/${strategy.tile}${samples}${strategy.hoistInputs ? '+hoist' : ''}${strategy.subgroups ? '+subgroups' : ''}`;
}
