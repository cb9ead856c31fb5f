// Input distributions (science.md, "Data") and small dataset builders.
import type { Dataset } from './dataset.js';
import { RandomStream, STREAMS } from './rng.js';
import { rosenbrock, standardize } from './teachers.js';

/** N standard-normal inputs in d dimensions, row-major. */
export function normalInputs(samples: number, inputDim: number, seed: number, run = 0): Float64Array {
  return new RandomStream(seed, run, STREAMS.inputs).fillNormal(new Float64Array(samples * inputDim));
}

/** Standard-normal inputs with the standardised modified-Rosenbrock teacher. */
export function rosenbrockDataset(samples: number, inputDim: number, seed: number): Dataset {
  const x = normalInputs(samples, inputDim, seed);
  const y = new Float64Array(samples);
  for (let n = 0; n < samples; n++) y[n] = rosenbrock(x, n * inputDim, inputDim);
  return { inputDim, samples, count: 1, x, y: standardize(y) };
}
