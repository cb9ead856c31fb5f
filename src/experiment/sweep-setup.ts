// How a spec's runs are set up for the scheduler (runSweep): their sample counts, engine optimisers,
// initial parameters and datasets (shared between runs with one dataset key). One definition for
// `channelscope run` (cli/run.ts) and the browser's sweep worker, so a run trains alike in both.
import { inputSampleCount } from '../data/inputs.js';
import type { OptimizerConfig } from '../optim/optimizers.js';
import { engineOptimizer } from './engine-optimizer.js';
import { DatasetCache, datasetKey, initialParameters, type DataSourceOptions, type ResolvedRun } from './grid.js';
import type { SchedulerOptions } from './scheduler.js';
import type { ExperimentSpec } from './spec.js';

/** Datasets built at once for a sweep's runs (a GP teacher at N = 10⁴ takes a second or two to build). */
const DATASETS_KEPT = 16;

export type SweepSetup = Pick<SchedulerOptions<ResolvedRun>, 'samples' | 'optimizer' | 'prepare' | 'dataKey'>;

/**
 * The scheduler's run setup for a spec's runs: data read through `dataOptions` (file paths, a
 * browser's reader, the hashes of the files a resumed sweep was trained on), starting from
 * `start(run)` (a continuation's parameters) or the run's initial parameters.
 */
export function sweepSetup(spec: ExperimentSpec, dataOptions: DataSourceOptions, start?: (run: ResolvedRun) => Float64Array): SweepSetup {
  const optimizers = new Map<number, OptimizerConfig>(spec.configurations.map((configuration) => [configuration.index, engineOptimizer(configuration.config.optimizer)]));
  const datasets = new DatasetCache(dataOptions, DATASETS_KEPT);
  return {
    samples: (run) => {
      const { inputs, samples } = run.config.data;
      if (inputs.kind !== 'file' && samples !== undefined) return inputSampleCount(inputs.kind, samples);
      return datasets.get(run.config, run.seed).samples;
    },
    optimizer: (run) => optimizers.get(run.configIndex)!,
    prepare: (run) => ({ params: start ? start(run) : initialParameters(run.config, run.seed), data: datasets.get(run.config, run.seed) }),
    dataKey: (run) => datasetKey(run.config, run.seed, dataOptions),
  };
}
