// How many neurons carry each channel of a sweep (`channelscope report --carriers`): the GLU pair
// alone, or three or four neurons whose limit holds σ″ (σ‴) as well (analysis/channel-limit.ts,
// benchmarks/results/channel-groups-2026-12-06.md). Deciding it needs each channel run's data, so
// the report does it only when asked; datasets are built once per distinct dataset (grid.ts
// datasetKey), as the scheduler shares them.
import { chooseChannelLimit } from '../analysis/channel-limit.js';
import { symmetryOrientation, type NeuronGroup } from '../analysis/channels.js';
import type { Dataset } from '../data/dataset.js';
import type { Architecture } from '../model/architecture.js';
import { DataFileChangedError, datasetFor, datasetKey, type DataSourceOptions } from './grid.js';
import type { RunRecord } from './results.js';
import { parseConfig, type RunConfig } from './spec.js';
import { classifyRecordWithEvidence, type CarrierCounts, type ClassifiedRun, type ThresholdOverrides } from './summary.js';

/**
 * Each channel run's number of carrying neurons by run id (null where its data could not be rebuilt);
 * runs that are not channels are absent. Computed once, then counted under any grouping (carrierCounts).
 */
export function channelCarriers(records: readonly RunRecord[], overrides: ThresholdOverrides = {}, dataOptions: DataSourceOptions = {}): Map<string, number | null> {
  const carriers = new Map<string, number | null>();
  const datasets = new Map<string, Dataset | null>();
  for (const record of records) {
    const verdict = classifyRecordWithEvidence(record, overrides);
    const group = verdict.outcome === 'channel' ? verdict.evidence?.channelGroup : null;
    if (group) carriers.set(record.id, carriersOf(record, verdict.network!, group, datasets, dataOptions));
  }
  return carriers;
}

/** Per report group (`grouped`: the report's runs, each with its group), the channel runs by their carriers. */
export function carrierCounts(
  records: readonly RunRecord[],
  grouped: readonly Pick<ClassifiedRun, 'id' | 'group'>[],
  overrides: ThresholdOverrides = {},
  dataOptions: DataSourceOptions = {},
  carriersById: ReadonlyMap<string, number | null> = channelCarriers(records, overrides, dataOptions),
): CarrierCounts[] {
  const groups = new Map<string, CarrierCounts>();
  const groupOf = new Map(grouped.map((run) => [run.id, run.group]));
  for (const record of records) {
    const key = groupOf.get(record.id) ?? 'all';
    const counts = groups.get(key) ?? { key, channels: 0, pair: 0, three: 0, four: 0, unknown: 0 };
    groups.set(key, counts);
    if (!carriersById.has(record.id)) continue;
    counts.channels++;
    const carriers = carriersById.get(record.id);
    if (carriers === 2) counts.pair++;
    else if (carriers === 3) counts.three++;
    else if (carriers === 4) counts.four++;
    else counts.unknown++;
  }
  return [...groups.values()];
}

/** A run's dataset, or null where it cannot be rebuilt (a missing file); a file changed since the runs trained on it is refused. */
function rebuiltDataset(config: RunConfig, seed: number, dataOptions: DataSourceOptions): Dataset | null {
  try {
    return datasetFor(config, seed, dataOptions);
  } catch (error) {
    if (error instanceof DataFileChangedError) throw error;
    return null;
  }
}

/** The number of neurons carrying a channel run's channel (`network`: as the verdict judged it), or null when its data cannot be rebuilt. */
function carriersOf(record: RunRecord, network: { arch: Architecture; theta: Float64Array }, group: NeuronGroup, datasets: Map<string, Dataset | null>, dataOptions: DataSourceOptions): number | null {
  let data: Dataset | null;
  try {
    const config = parseConfig(record.config, `run ${record.id}`);
    const key = datasetKey(config, record.seed, dataOptions);
    // a dataset that cannot be rebuilt is tried once (null), not once per run
    data = datasets.has(key) ? (datasets.get(key) as Dataset | null) : rebuiltDataset(config, record.seed, dataOptions);
    datasets.set(key, data);
  } catch (error) {
    if (error instanceof DataFileChangedError) throw error;
    return null;
  }
  if (!data) return null;
  // the group was found up to the activation's symmetry: its limit is read in the same orientation
  const symmetry = symmetryOrientation(network.arch, network.theta);
  const theta = symmetry ? symmetry.orient(network.theta) : network.theta;
  return chooseChannelLimit(network.arch, theta, group, data)?.limit.members.length ?? null;
}
