// `report` over a results folder: reads its runs.jsonl and summarises it (summary.ts, which the
// dashboard shares without a file system).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../model/input-error.js';
import { expandSpec, type ResolvedRun } from './grid.js';
import { CHECKPOINT_FILE, readRecords, RUNS_FILE, SPEC_FILE, specDifferences, type Checkpoint, type RunRecord } from './results.js';
import { selectShard } from './shard.js';
import { parseSpec } from './spec.js';
import { groupKey, summarizeRecords, type PlannedRuns, type Report } from './summary.js';

export { classifyRecord, formatReport, GROUP_ALIASES, summarizeRecords, type ClassifiedRun, type Report } from './summary.js';

/**
 * The report of one results folder, or of several folders of one sweep read as one: the shards of a
 * sharded sweep (`--shard k/n`, Slurm or Kubernetes indexes) before or without `merge`, or folders of
 * one spec that each hold some of its runs. Several folders must hold the same sweep (their
 * spec.json) and no run twice; their planned runs are the union of each folder's.
 */
export async function buildReport(folders: string | readonly string[], by: string[]): Promise<Report> {
  return (await reportWithRecords(folders, by)).report;
}

/** buildReport, with the records it read (the HTML report draws them). */
export async function reportWithRecords(folders: string | readonly string[], by: string[]): Promise<{ report: Report; records: RunRecord[] }> {
  const list = typeof folders === 'string' ? [folders] : folders;
  if (list.length === 0) throw new InputError('report: name at least one results folder');
  const records: RunRecord[] = [];
  const seenIn = new Map<string, string>();
  for (const folder of list) {
    const file = path.join(folder, RUNS_FILE);
    if (!existsSync(file)) throw new InputError(`report: ${folder} holds no ${RUNS_FILE} (is it a results folder of \`channelscope run\`?)`);
    for (const record of (await readRecords<RunRecord>(file)).records) {
      const earlier = seenIn.get(record.id);
      if (earlier !== undefined) {
        throw new InputError(`report: run ${record.id} is in ${earlier === folder ? `${folder} twice` : `both ${earlier} and ${folder}`}: the folders are not disjoint parts of one sweep`);
      }
      seenIn.set(record.id, folder);
      records.push(record);
    }
  }
  if (list.length > 1) sameSweep(list);
  return { report: summarizeRecords(records, by, list.join(' + '), plannedRunsOf(list, by) ?? undefined), records };
}

/** Refuses folders whose spec.json describe different sweeps (as merge does). */
function sameSweep(folders: readonly string[]): void {
  const withSpec = folders.filter((folder) => existsSync(path.join(folder, SPEC_FILE)));
  if (withSpec.length === 0) return;
  if (withSpec.length < folders.length) {
    throw new InputError(`report: ${folders.find((folder) => !withSpec.includes(folder))} has no ${SPEC_FILE}, so it cannot be checked to be part of the sweep in ${withSpec[0]}`);
  }
  const firstFile = path.join(withSpec[0], SPEC_FILE);
  const first = parseSpec(readFileSync(firstFile, 'utf8'), firstFile);
  for (const folder of withSpec.slice(1)) {
    const file = path.join(folder, SPEC_FILE);
    const differences = specDifferences(readFileSync(file, 'utf8'), file, first);
    if (differences.length > 0) {
      throw new InputError(`report: the spec in ${folder} differs from the one in ${withSpec[0]} (at: ${differences.join(', ')}); these are not parts of one sweep`);
    }
  }
}

/** The runs a folder's spec.json plans (its checkpoint's shard of them); null without a readable spec. */
function plannedRunList(folder: string): ResolvedRun[] | null {
  const specFile = path.join(folder, SPEC_FILE);
  if (!existsSync(specFile)) return null;
  let runs;
  try {
    runs = expandSpec(parseSpec(readFileSync(specFile, 'utf8'), specFile));
  } catch {
    // a spec that no longer parses (an older version's) is unknown rather than refused: it was validated when the sweep began
    return null;
  }
  const checkpointFile = path.join(folder, CHECKPOINT_FILE);
  if (existsSync(checkpointFile)) {
    const { shard } = JSON.parse(readFileSync(checkpointFile, 'utf8')) as Checkpoint;
    if (shard) runs = selectShard(runs, { ...shard, source: CHECKPOINT_FILE });
  }
  return runs;
}

/** The union of the folders' planned runs, in all and per group of `by`; null when a folder's are unknown. */
function plannedRunsOf(folders: readonly string[], by: string[]): PlannedRuns | null {
  const planned = new Map<string, ResolvedRun>();
  for (const folder of folders) {
    const runs = plannedRunList(folder);
    if (!runs) return null;
    for (const run of runs) planned.set(run.id, run);
  }
  const byGroup: Record<string, number> = {};
  for (const run of planned.values()) {
    const key = groupKey(run.config, by);
    byGroup[key] = (byGroup[key] ?? 0) + 1;
  }
  return { total: planned.size, byGroup };
}

/**
 * The runs a results folder's spec.json plans (its checkpoint's shard of them), per group of `by`;
 * null when the folder has no spec.json.
 */
export function plannedRuns(folder: string, by: string[]): PlannedRuns | null {
  return plannedRunsOf([folder], by);
}
