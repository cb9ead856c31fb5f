// `report` over a results folder: reads its runs.jsonl and summarises it (summary.ts, which the
// dashboard shares without a file system).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../user-input/input-error.js';
import { closestName } from '../user-input/closest-name.js';
import { CHECKPOINT_FILE, compareFolderSpecs, continuationKindMismatch, readContinuation, readFolderJson, readFolderRecords, SPEC_FILE, type Checkpoint, type RunRecord } from './results.js';
import { presetTables, tabledPresetOfSpec } from './preset-reports.js';
import { plannedCounts, plannedRunsOf, plannedSummaryOptions, type FolderShare } from './sweep-plan.js';
import { sessionWriting } from './folder-lock.js';
import { parseSpec, type ExperimentSpec } from './spec.js';
import { configurationFields, fieldsAbsentFromAll, GROUP_ALIASES, groupLabeller } from './group-labels.js';
import { summarizeRecords, type PlannedRuns, type Report, type ThresholdOverrides } from './summary.js';

/**
 * The report of one results folder, or of several folders of one sweep read as one: the shards of a
 * sharded sweep (`--shard k/n`, Slurm or Kubernetes indexes) before or without `merge`, or folders of
 * one spec that each hold some of its runs. Several folders must hold the same sweep (their
 * spec.json) and no run twice; their planned runs are the union of each folder's.
 */
export async function buildReport(folders: string | readonly string[], by: string[], overrides: ThresholdOverrides = {}): Promise<Report> {
  return (await reportWithRecords(folders, by, overrides)).report;
}

/** buildReport, with the records it read (the HTML report draws them). */
export async function reportWithRecords(folders: string | readonly string[], by: string[], overrides: ThresholdOverrides = {}): Promise<{ report: Report; records: RunRecord[] }> {
  const list = typeof folders === 'string' ? [folders] : folders;
  if (list.length === 0) throw new InputError('report: name at least one results folder');
  const records: RunRecord[] = [];
  const seenIn = new Map<string, string>();
  for (const folder of list) {
    for (const record of await readFolderRecords(folder, 'report')) {
      const earlier = seenIn.get(record.id);
      if (earlier !== undefined) {
        throw new InputError(`report: run ${record.id} is in ${earlier === folder ? `${folder} twice` : `both ${earlier} and ${folder}`}: the folders are not disjoint parts of one sweep`);
      }
      seenIn.set(record.id, folder);
      records.push(record);
    }
  }
  // in the spec's order (configuration, then seed), not the order runs finished in: groups and runs
  // list alike for a sweep run whole, resumed or in shards, and GP teachers come in order of s
  records.sort((a, b) => a.configIndex - b.configIndex || a.seed - b.seed);
  return { report: reportOfRecords(list, records, by, overrides), records };
}

/** The report of records already read from the folders (reportWithRecords), grouped by `by`: the HTML page regroups them by the sweep's axes. */
export function reportOfRecords(folders: readonly string[], records: readonly RunRecord[], by: string[], overrides: ThresholdOverrides = {}): Report {
  const absent = fieldsAbsentFromAll(records, by);
  if (absent.length > 0) {
    // the fields of every configuration: a sweep over optimisers has optimizer.lr in some runs only
    const fields = [...new Set(records.flatMap((record) => configurationFields(record.config)))].filter((field) => !field.startsWith('name') && !field.startsWith('description'));
    const groupable = [...Object.keys(GROUP_ALIASES), ...fields];
    const meant = absent.map((field) => closestName(field, groupable));
    const suggestion = meant.every((name) => name !== undefined) ? ` (did you mean ${meant.map((name) => `"${name}"`).join(', ')}?)` : '';
    throw new InputError(
      `--by: no run in ${folders.join(' + ')} has ${absent.map((field) => `"${field}"`).join(', ')}${suggestion}; group by ${Object.keys(GROUP_ALIASES).join(', ')} or a dotted path of the runs' configuration: ${fields.join(', ')}`,
    );
  }
  const spec = sweepOf(folders);
  const planned = spec ? plannedSummaryOptions(records, plannedRunsOfFolders(spec, folders), by, folders.some(sessionWriting)) : {};
  const report = summarizeRecords(records, by, folders.join(' + '), { ...planned, overrides });
  // a preset's folder (or its shards: one spec, sweepOf checked) carries the preset's tables (as its report.md does) in every format
  const preset = presetOfFolder(folders[0]);
  if (preset) report.presetTables = presetTables(preset.name, records, report.runs, report.thresholds?.barrierTolerance);
  return report;
}

/**
 * The preset with report tables whose sweep a folder holds (its spec.json's name), and whether it ran
 * --quick; null for any other folder, or one without spec.json. A spec.json that is not JSON is
 * named as damaged.
 */
export function presetOfFolder(folder: string): { name: string; quick: boolean } | null {
  const specFile = path.join(folder, SPEC_FILE);
  if (!existsSync(specFile)) return null;
  return tabledPresetOfSpec(readFolderJson(specFile, 'It is the sweep\'s spec: restore it (a copy of the spec file the sweep was run with will do)'));
}

/**
 * The sweep the folders hold (their spec.json), or null when they have none. One folder's spec that no
 * longer parses (an older version's) is unknown rather than refused: it was validated when the sweep
 * began. Several folders must describe one sweep, as merge requires.
 */
function sweepOf(folders: readonly string[]): ExperimentSpec | null {
  const specFile = (folder: string) => path.join(folder, SPEC_FILE);
  const withSpec = folders.filter((folder) => existsSync(specFile(folder)));
  if (withSpec.length === 0) return null;
  if (folders.length === 1) {
    try {
      return parseSpec(readFileSync(specFile(folders[0]), 'utf8'), specFile(folders[0]));
    } catch {
      return null;
    }
  }
  if (withSpec.length < folders.length) {
    throw new InputError(`report: ${folders.find((folder) => !withSpec.includes(folder))} has no ${SPEC_FILE}, so it cannot be checked to be part of the sweep in ${withSpec[0]}`);
  }
  const { spec, mismatch } = compareFolderSpecs(folders);
  if (mismatch) {
    throw new InputError(`report: the spec in ${mismatch.folder} differs from the one in ${folders[0]} (at: ${mismatch.differences.join(', ')}); these are not parts of one sweep`);
  }
  // continued runs beside fresh ones would read as one sample, and neither's caveat would hold
  const kind = continuationKindMismatch(folders).mismatch;
  if (kind) throw new InputError(`report: ${kind}; report each on its own`);
  return spec;
}

/** The runs the folders plan (sweep-plan.ts), from each one's checkpoint.json shard and continued.json. */
export function plannedRunsOfFolders(spec: ExperimentSpec, folders: readonly string[]): ReturnType<typeof plannedRunsOf> {
  const shares: FolderShare[] = folders.map((folder) => {
    const checkpointFile = path.join(folder, CHECKPOINT_FILE);
    const { shard } = existsSync(checkpointFile)
      ? readFolderJson<Checkpoint>(checkpointFile, 'It says which shard of the sweep the folder holds: restore it, or delete it to read the folder as the whole sweep')
      : { shard: null };
    return { shard: shard ?? null, chosenRuns: readContinuation(folder)?.runs ?? null };
  });
  return plannedRunsOf(spec, shares);
}

/**
 * The runs a results folder's spec.json plans (its checkpoint's shard of them), per group of `by`;
 * null when the folder has no spec.json.
 */
export function plannedRuns(folder: string, by: string[]): PlannedRuns | null {
  const spec = sweepOf([folder]);
  if (!spec) return null;
  const { planned } = plannedRunsOfFolders(spec, [folder]);
  return { ...plannedCounts(planned, groupLabeller(planned.map((run) => run.config), by)), seeds: spec.seeds.length };
}
