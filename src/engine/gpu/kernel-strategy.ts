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
// and, independently, hoistInputs: each forward layer reads its inputs from workgroup memory once
// into private arrays rather than once per weight (halves the forward's workgroup loads when the
// arrays stay in registers).
// Which wins depends on the shape and the device: benchmarks/node-bench.ts --strategies measures
// them. Until a GPU measurement says otherwise the default stays `tiled` at 64 threads without
// hoisting, the layout every correctness test was first written against.

export type Accumulation = 'tiled' | 'register' | 'blocked';
export const ACCUMULATIONS: readonly Accumulation[] = ['tiled', 'register', 'blocked'];

export interface KernelStrategy {
  accumulation: Accumulation;
  /** threads per workgroup, a power of two (the kernel may use fewer when workgroup memory is short) */
  tile: number;
  /** the forward pass reads each layer's inputs into private arrays once */
  hoistInputs: boolean;
}

/** What a caller may pin (benchmarks, tests); the rest comes from defaultStrategy. */
export type KernelTuning = Partial<KernelStrategy>;

export const DEFAULT_TILE = 64;
/** Beyond this many parameters the register strategy's private arrays cannot stay in registers. */
export const REGISTER_MAX_PARAMETERS = 128;
/** Blocked strategy: neurons and inputs (bias included) per block of parameters a thread sums. */
export const BLOCK_NEURONS = 2;
export const BLOCK_INPUTS = 4;
/** Tiles each thread sums into a block before adding it to its total (register strategy). */
export const REGISTER_ACCUMULATION_BLOCK = 8;

export function defaultStrategy(): KernelStrategy {
  return { accumulation: 'tiled', tile: DEFAULT_TILE, hoistInputs: false };
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
  if (strategy.accumulation === 'register' && parameterCount > REGISTER_MAX_PARAMETERS) {
    throw new RangeError(`register accumulation needs at most ${REGISTER_MAX_PARAMETERS} parameters per network, this one has ${parameterCount}; use tiled`);
  }
  return strategy;
}

const HOIST_SUFFIX = '+hoist';

/** Parses a command-line strategy: ACCUMULATION[/THREADS][+hoist], e.g. `register/128`, `tiled+hoist`. */
export function parseStrategy(text: string): KernelStrategy {
  const hoistInputs = text.endsWith(HOIST_SUFFIX);
  const [accumulation, tileText, ...rest] = (hoistInputs ? text.slice(0, -HOIST_SUFFIX.length) : text).split('/');
  if (!ACCUMULATIONS.includes(accumulation as Accumulation) || rest.length > 0) {
    throw new RangeError(`unknown kernel strategy ${text}: expected ${ACCUMULATIONS.join(' or ')}, optionally /THREADS and ${HOIST_SUFFIX} (e.g. register/128${HOIST_SUFFIX})`);
  }
  const tile = tileText === undefined ? DEFAULT_TILE : Number(tileText);
  return resolveStrategy(0, { accumulation: accumulation as Accumulation, tile, hoistInputs });
}

export function formatStrategy(strategy: KernelStrategy): string {
  return `${strategy.accumulation}/${strategy.tile}${strategy.hoistInputs ? HOIST_SUFFIX : ''}`;
}
