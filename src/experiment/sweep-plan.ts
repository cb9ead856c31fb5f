// What a sweep's folders plan, without a file system: whether two specs are one sweep, and which
// runs the folders of a sweep plan (each its shard of the spec's runs, or a continuation's chosen
// few). `report` (report.ts) reads the folders' files from disk, the dashboard's loader fetches or
// reads them in the page; both count planned and missing runs here, so they say the same.
import { expandSpec, type ResolvedRun } from './grid.js';
import { groupLabeller, type GroupLabeller } from './group-labels.js';
import { selectShard, type ShardPosition } from './shard.js';
import { canonicalJson, parseSpec, type ExperimentSpec } from './spec.js';
import type { MissingShards, PlannedRuns } from './summary.js';

// ---- spec comparison ----------------------------------------------------------------------------

/** Up to `limit` paths where two JSON values differ, e.g. ["optimizer.lr", "seeds"]. */
export function differingPaths(a: unknown, b: unknown, limit = 5, prefix = ''): string[] {
  const out: string[] = [];
  const visit = (x: unknown, y: unknown, where: string) => {
    if (out.length >= limit) return;
    if (canonicalJson(x) === canonicalJson(y)) return;
    const bothObjects = x !== null && y !== null && typeof x === 'object' && typeof y === 'object' && Array.isArray(x) === Array.isArray(y);
    if (!bothObjects) {
      out.push(where || '(top level)');
      return;
    }
    if (Array.isArray(x) && Array.isArray(y) && x.length !== y.length) {
      out.push(where || '(top level)');
      return;
    }
    const keys = new Set([...Object.keys(x as object), ...Object.keys(y as object)]);
    for (const key of [...keys].sort()) {
      const sub = Array.isArray(x) ? `${where}[${key}]` : where ? `${where}.${key}` : key;
      visit((x as Record<string, unknown>)[key], (y as Record<string, unknown>)[key], sub);
    }
  };
  visit(a, b, prefix);
  return out;
}

/** What makes two specs the same sweep: the resolved configurations (cosmetic fields left out) and the seeds. */
function specIdentity(spec: ExperimentSpec): string {
  return canonicalJson({ seeds: spec.seeds, configurations: spec.configurations.map((c) => c.canonical) });
}

/**
 * Where a stored spec.json differs from `spec` as a sweep (empty: the same sweep). A stored spec
 * that no longer parses is an InputError.
 */
export function specDifferences(storedText: string, source: string, spec: ExperimentSpec): string[] {
  const stored = parseSpec(storedText, source);
  if (specIdentity(stored) === specIdentity(spec)) return [];
  const paths = differingPaths(stored.input, spec.input);
  return paths.length > 0 ? paths : ['the resolved configurations (defaults filled in differ)'];
}

// ---- planned runs -------------------------------------------------------------------------------

/** What one folder of a sweep holds of it: its checkpoint's shard, and a continuation's chosen runs. */
export interface FolderShare {
  /** checkpoint.json's shard; null: the whole sweep (or a folder without a checkpoint) */
  shard: ShardPosition | null;
  /** continued.json's runs (`channelscope continue` plans a chosen few of its spec's runs); null for any other folder */
  chosenRuns: readonly string[] | null;
}

/**
 * The union of the runs the folders plan (each its share of the sweep), and the shards of the sweep
 * none of them holds (when every folder is one shard of n).
 */
export function plannedRunsOf(spec: ExperimentSpec, shares: readonly FolderShare[]): { planned: ResolvedRun[]; missingShards?: MissingShards } {
  const runs = expandSpec(spec);
  const planned = new Map<string, ResolvedRun>();
  for (const { shard, chosenRuns } of shares) {
    // a continuation's continued.json names the runs of its own shard already (a shard of the chosen runs, not of the spec's)
    const chosen = chosenRuns ? new Set(chosenRuns) : null;
    for (const run of chosen ? runs.filter((r) => chosen.has(r.id)) : selectShard(runs, shard)) planned.set(run.id, run);
  }
  const missingShards = missingShardsOf(shares.map((share) => share.shard), runs, shares.some((share) => share.chosenRuns !== null));
  return { planned: [...planned.values()], ...(missingShards ? { missingShards } : {}) };
}

/**
 * The shards of n that none of `shards` is, where each is one shard of the same n (null or undefined:
 * not a shard, so nothing can be said); undefined otherwise, or where none is missing.
 */
export function shardGaps(shards: readonly (ShardPosition | null | undefined)[]): Pick<MissingShards, 'count' | 'given' | 'missing'> | undefined {
  const count = shards[0]?.count;
  if (count === undefined || shards.some((shard) => !shard || shard.count !== count)) return undefined;
  const given = new Set(shards.map((shard) => shard!.index));
  const missing = Array.from({ length: count }, (_, k) => k + 1).filter((index) => !given.has(index));
  return missing.length === 0 ? undefined : { count, given: [...given].sort((a, b) => a - b), missing };
}

/** Shards of n as users write them: "1/4, 3/4". */
export function shardList(indices: readonly number[], count: number): string {
  return indices.map((index) => `${index}/${count}`).join(', ');
}

/** The shards of n that none of the folders' shards is, where each folder holds one shard of the same n. */
function missingShardsOf(shards: readonly (ShardPosition | null)[], runs: readonly ResolvedRun[], continued: boolean): MissingShards | undefined {
  const gaps = shardGaps(shards);
  if (!gaps) return undefined;
  // a continuation's shards are shards of its chosen runs, which only its folders name
  const missingRuns = continued ? undefined : gaps.missing.reduce((sum, index) => sum + selectShard(runs, { index, count: gaps.count }).length, 0);
  return { ...gaps, ...(missingRuns !== undefined ? { runs: missingRuns, sweepRuns: runs.length } : {}) };
}

/**
 * What a summary of `records` needs to count the runs `plan` holds per group: the groups labelled
 * among records and planned runs alike (a configuration without records yet is its own group), and
 * the planned runs per group; stillRunning where a session is writing the folders now.
 */
export function plannedSummaryOptions(
  records: readonly { config: unknown }[],
  plan: { planned: readonly ResolvedRun[]; missingShards?: MissingShards },
  by: string[],
  stillRunning: boolean,
): { groupOf: GroupLabeller; planned: PlannedRuns } {
  const groupOf = groupLabeller([...records, ...plan.planned].map((run) => run.config), by);
  return { groupOf, planned: { ...plannedCounts(plan.planned, groupOf, plan.missingShards), ...(stillRunning ? { stillRunning } : {}) } };
}

/** Planned runs in all and per group (groupOf labels them as the report labels its records). */
export function plannedCounts(planned: readonly ResolvedRun[], groupOf: GroupLabeller, missingShards?: MissingShards): PlannedRuns {
  const byGroup: Record<string, number> = {};
  for (const run of planned) {
    const key = groupOf(run.config);
    byGroup[key] = (byGroup[key] ?? 0) + 1;
  }
  return { total: planned.length, byGroup, ...(missingShards ? { missingShards } : {}) };
}
