// `report` over a results folder: reads its runs.jsonl and summarises it (summary.ts, which the
// dashboard shares without a file system).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../model/input-error.js';
import { expandSpec } from './grid.js';
import { CHECKPOINT_FILE, readRecords, RUNS_FILE, SPEC_FILE, type Checkpoint, type RunRecord } from './results.js';
import { selectShard } from './shard.js';
import { parseSpec } from './spec.js';
import { groupKey, summarizeRecords, type PlannedRuns, type Report } from './summary.js';

export { classifyRecord, formatReport, GROUP_ALIASES, summarizeRecords, type ClassifiedRun, type Report } from './summary.js';

export async function buildReport(folder: string, by: string[]): Promise<Report> {
  const file = path.join(folder, RUNS_FILE);
  if (!existsSync(file)) throw new InputError(`report: ${folder} holds no ${RUNS_FILE} (is it a results folder of \`channelscope run\`?)`);
  const { records } = await readRecords<RunRecord>(file);
  return summarizeRecords(records, by, folder, plannedRuns(folder, by) ?? undefined);
}

/**
 * The runs a results folder's spec.json plans (its checkpoint's shard of them), per group of `by`;
 * null when the folder has no spec.json. A folder's spec was validated when the sweep began, so a
 * spec that no longer parses (an older version's) is treated as unknown rather than refused.
 */
export function plannedRuns(folder: string, by: string[]): PlannedRuns | null {
  const specFile = path.join(folder, SPEC_FILE);
  if (!existsSync(specFile)) return null;
  let runs;
  try {
    runs = expandSpec(parseSpec(readFileSync(specFile, 'utf8'), specFile));
  } catch {
    return null;
  }
  const checkpointFile = path.join(folder, CHECKPOINT_FILE);
  if (existsSync(checkpointFile)) {
    const { shard } = JSON.parse(readFileSync(checkpointFile, 'utf8')) as Checkpoint;
    if (shard) runs = selectShard(runs, { ...shard, source: CHECKPOINT_FILE });
  }
  const byGroup: Record<string, number> = {};
  for (const run of runs) {
    const key = groupKey(run.config, by);
    byGroup[key] = (byGroup[key] ?? 0) + 1;
  }
  return { total: runs.length, byGroup };
}
