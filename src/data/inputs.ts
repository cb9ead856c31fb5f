// Input distributions (science.md, "Data") and small dataset builders.
//
// Every generator has the shape (samples, inputDim, seed, run = 0) → Float64Array, row-major
// (samples × inputDim), and draws from the Philox stream (seed, run, STREAMS.inputs), so a value
// depends only on those numbers. The bounded distributions live on [−√3, √3]^d, the cube whose
// uniform distribution has zero mean and unit variance per coordinate, like the normal inputs.
import type { Dataset } from './dataset.js';
import { RandomStream, STREAMS } from '../numerics/rng.js';
import { sobolPoints } from './sobol.js';
import { rosenbrock, standardize } from './teachers.js';

/** Half-width of the cube [−√3, √3]^d: uniform coordinates on it have variance 1. */
export const CUBE_HALF_WIDTH = Math.sqrt(3);

/** Input kinds that are generated (as opposed to read from a file). */
export const GENERATED_INPUT_KINDS = ['normal', 'uniform', 'sobol', 'grid', 'sphere'] as const;
export type GeneratedInputKind = (typeof GENERATED_INPUT_KINDS)[number];

/** N standard-normal inputs in d dimensions, row-major. */
export function normalInputs(samples: number, inputDim: number, seed: number, run = 0): Float64Array {
  return new RandomStream(seed, run, STREAMS.inputs).fillNormal(new Float64Array(samples * inputDim));
}

/** N inputs uniform on [−√3, √3]^d (each coordinate: mean 0, variance 1). */
export function uniformInputs(samples: number, inputDim: number, seed: number, run = 0): Float64Array {
  const random = new RandomStream(seed, run, STREAMS.inputs);
  const x = new Float64Array(samples * inputDim);
  for (let k = 0; k < x.length; k++) x[k] = random.uniformIn(-CUBE_HALF_WIDTH, CUBE_HALF_WIDTH);
  return x;
}

/**
 * The first N Sobol points (Joe–Kuo direction numbers, all-zero point skipped) mapped from [0, 1)^d
 * to [−√3, √3)^d. Unscrambled and unshifted: `seed` and `run` are accepted for a uniform signature
 * but unused, so every seed gets the same points (d ≤ MAX_SOBOL_DIMENSION = 32).
 */
export function sobolInputs(samples: number, inputDim: number, _seed = 0, _run = 0): Float64Array {
  const x = sobolPoints(samples, inputDim);
  for (let k = 0; k < x.length; k++) x[k] = -CUBE_HALF_WIDTH + 2 * CUBE_HALF_WIDTH * x[k];
  return x;
}

/** Points per side of the 2-D grid for N requested samples: m = ⌈√N⌉. */
export function gridSide(samples: number): number {
  let side = Math.ceil(Math.sqrt(samples));
  // guard the float square root at the edges of perfect squares
  while (side * side < samples) side++;
  while (side > 1 && (side - 1) * (side - 1) >= samples) side--;
  return side;
}

/**
 * The regular 2-D grid on [−√3, √3]² with step h = 2√3/m, m = ⌈√N⌉: the m×m centres of the cells
 * of side h, −√3 + (i + ½)h for i = 0…m−1 in each coordinate (first coordinate slowest). It holds
 * m² ≥ N points, not exactly N, so that the grid stays regular and symmetric about 0; callers take
 * the sample count from the length (see inputSampleCount). Each coordinate has mean 0 and variance
 * 1 − 1/m². `seed` and `run` are unused. d must be 2.
 */
export function gridInputs(samples: number, inputDim: number, _seed = 0, _run = 0): Float64Array {
  if (inputDim !== 2) {
    throw new RangeError(`the grid inputs are a 2-D grid: the input dimension must be 2, got ${inputDim}`);
  }
  const side = gridSide(samples);
  const step = (2 * CUBE_HALF_WIDTH) / side;
  const x = new Float64Array(side * side * 2);
  for (let i = 0; i < side; i++) {
    for (let j = 0; j < side; j++) {
      const n = i * side + j;
      x[2 * n] = -CUBE_HALF_WIDTH + (i + 0.5) * step;
      x[2 * n + 1] = -CUBE_HALF_WIDTH + (j + 0.5) * step;
    }
  }
  return x;
}

/**
 * N points uniform on the sphere of radius `radius` in d dimensions (normalised standard normals).
 * The default radius √d gives E‖x‖² = d and unit second moment per coordinate, the scale of the
 * normal inputs (whose norm concentrates near √d).
 */
export function sphereInputs(samples: number, inputDim: number, seed: number, run = 0, radius = Math.sqrt(inputDim)): Float64Array {
  const random = new RandomStream(seed, run, STREAMS.inputs);
  const x = new Float64Array(samples * inputDim);
  for (let n = 0; n < samples; n++) {
    let squaredNorm = 0;
    // a zero vector has no direction; with Box–Muller normals it is practically impossible, but redraw
    while (squaredNorm === 0) {
      squaredNorm = 0;
      for (let i = 0; i < inputDim; i++) {
        const value = random.normal();
        x[n * inputDim + i] = value;
        squaredNorm += value * value;
      }
    }
    const factor = radius / Math.sqrt(squaredNorm);
    for (let i = 0; i < inputDim; i++) x[n * inputDim + i] *= factor;
  }
  return x;
}

export interface InputOptions {
  /** sphere radius (default √d) */
  radius?: number;
}

/** Inputs of the given kind; the result holds inputSampleCount(kind, samples) rows. */
export function generateInputs(
  kind: GeneratedInputKind,
  samples: number,
  inputDim: number,
  seed: number,
  run = 0,
  options: InputOptions = {},
): Float64Array {
  switch (kind) {
    case 'normal':
      return normalInputs(samples, inputDim, seed, run);
    case 'uniform':
      return uniformInputs(samples, inputDim, seed, run);
    case 'sobol':
      return sobolInputs(samples, inputDim, seed, run);
    case 'grid':
      return gridInputs(samples, inputDim, seed, run);
    case 'sphere':
      return sphereInputs(samples, inputDim, seed, run, options.radius);
  }
}

/** Rows generateInputs returns for N requested samples: N, except ⌈√N⌉² for the grid. */
export function inputSampleCount(kind: GeneratedInputKind, samples: number): number {
  return kind === 'grid' ? gridSide(samples) ** 2 : samples;
}

/** Standard-normal inputs with the standardised modified-Rosenbrock teacher. */
export function rosenbrockDataset(samples: number, inputDim: number, seed: number): Dataset {
  const x = normalInputs(samples, inputDim, seed);
  const y = new Float64Array(samples);
  for (let n = 0; n < samples; n++) y[n] = rosenbrock(x, n * inputDim, inputDim);
  return { inputDim, samples, count: 1, x, y: standardize(y) };
}
