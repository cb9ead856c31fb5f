// The preset part of `channelscope report DIR` (experiment/preset-reports.ts): a preset folder's
// tables, written as markdown and CSV into DIR, or printed for several shards read together; a
// procedure's report from its result.json.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildPresetReport, presetReportMarkdown, tableCsv, type PresetReport } from '../experiment/preset-reports.js';
import { findPreset } from '../experiment/presets.js';
import { continuationChoice, PRESET_REPORT_FILE, PRESET_TABLES_DIR, PROCEDURE_FILE, PROCEDURE_RESULT_FILE, readContinuation, readFolderJson, readRecords, RUNS_FILE, type RunRecord } from '../experiment/results.js';
import { plannedRuns, presetOfFolder } from '../experiment/report.js';
import type { Report, ThresholdOverrides } from '../experiment/summary.js';
import { filesystemReason, isFilesystemError } from './fs-errors.js';

/**
 * Whether DIR/report.md may be replaced: absent, or a report of this preset as `report` writes it
 * (its first line "## PRESET…"). A file the user wrote there (notes, an edited report) is kept, and
 * said so on stderr: the report is then printed, not written there (a sweep's tables still are).
 */
function reportIsOurs(dir: string, preset: string): boolean {
  const file = path.join(dir, PRESET_REPORT_FILE);
  if (!existsSync(file)) return true;
  let first = '';
  try {
    first = readFileSync(file, 'utf8').split('\n', 1)[0];
  } catch {
    return true; // (unreadable: the write says why)
  }
  const heading = `## ${preset}`;
  if (first.startsWith(heading) && [':', ' ', '('].includes(first[heading.length])) return true;
  process.stderr.write(`channelscope: note: ${file} is not a report channelscope wrote for ${preset} (it begins ${JSON.stringify(first.slice(0, 60))}): left as it is; the report is printed, not written there\n`);
  return false;
}

export function isProcedureFolder(dir: string): boolean {
  return existsSync(path.join(dir, PROCEDURE_FILE));
}

/**
 * When DIR holds a preset's results: writes DIR/report.md and DIR/tables/*.csv and returns the
 * markdown (with where the files are); otherwise null. `read`: DIR's records and their report by
 * these overrides, where the caller has them (not read and classified again).
 */
export async function writePresetReport(dir: string, overrides: ThresholdOverrides = {}, read?: { records: RunRecord[]; report: Report }): Promise<string | null> {
  if (existsSync(path.join(dir, PROCEDURE_FILE))) {
    const procedure = procedureReportOf(dir);
    return procedure && writeProcedureReport(dir, procedure.preset, procedure.markdown);
  }
  const preset = presetOfFolder(dir);
  if (!preset || !existsSync(path.join(dir, RUNS_FILE))) return null;
  const records = read?.records ?? (await readRecords<RunRecord>(path.join(dir, RUNS_FILE))).records;
  // (a spec of an older version that no longer validates plans nothing: its tables, without the notes on size)
  const planned = plannedRuns(dir, []);
  const { report, markdown } = presetMarkdown(dir, dir, preset, records, planned?.total, planned?.seeds, overrides, read?.report);
  // by other thresholds the tables are the reader's, not the folder's
  if (Object.keys(overrides).length > 0) return `${markdown}\n(by other thresholds: not written to ${dir}, which keeps its report by the defaults)\n`;
  const tablesDir = path.join(dir, PRESET_TABLES_DIR);
  // the tables' folder first: where it cannot be made (a file in its place), report.md is left as it was too
  const ours = reportIsOurs(dir, preset.name);
  const written = keepWriting(dir, `${PRESET_REPORT_FILE} and ${PRESET_TABLES_DIR}/*.csv`, () => {
    mkdirSync(tablesDir, { recursive: true });
    for (const table of report.tables) writeFileSync(path.join(tablesDir, `${table.name}.csv`), tableCsv(table));
    if (ours) writeFileSync(path.join(dir, PRESET_REPORT_FILE), markdown);
  });
  if (!written) return markdown;
  // a path a shell expands: {a,b}.csv for several tables, a.csv for one (braces round one name stay as they are)
  const names = report.tables.map((t) => t.name);
  const tables = names.length === 1 ? `${tablesDir}/${names[0]}.csv` : `${tablesDir}/{${names.join(',')}}.csv`;
  return `${markdown}\n${ours ? `report: ${path.join(dir, PRESET_REPORT_FILE)}; ` : ''}tables: ${tables}\n`;
}

/** Writes a procedure folder's markdown report to DIR/report.md; returns the markdown and, where the folder took it, where it went. */
export function writeProcedureReport(dir: string, preset: string, markdown: string): string {
  if (!reportIsOurs(dir, preset) || !keepWriting(dir, PRESET_REPORT_FILE, () => writeFileSync(path.join(dir, PRESET_REPORT_FILE), markdown))) return markdown;
  return `${markdown}\nreport: ${path.join(dir, PRESET_REPORT_FILE)}\n`;
}

/** What to do about a procedure folder's damaged files. */
export const PROCEDURE_FILE_HINT = 'It says which procedure the folder holds, with its options: restore it, or run the procedure again with another --out';
export const RESULT_FILE_HINT = "It is the procedure's result: run the procedure again with another --out";

/** A procedure folder's report: its preset, its result (result.json) and the markdown of both; null when the preset is unknown or the result missing. */
export function procedureReportOf(dir: string): { preset: string; quick: boolean; result: unknown; markdown: string } | null {
  const { preset: name, quick, software } = readFolderJson<{ preset: string; quick?: boolean; software?: string }>(path.join(dir, PROCEDURE_FILE), PROCEDURE_FILE_HINT);
  const preset = findPreset(name);
  const resultFile = path.join(dir, PROCEDURE_RESULT_FILE);
  if (preset?.kind !== 'procedure' || !existsSync(resultFile)) return null;
  const result = readFolderJson<unknown>(resultFile, RESULT_FILE_HINT);
  const note = quick ? `*The --quick version:* ${preset.quickNote}\n\n` : '';
  // (folders written before procedure.json named the code have no such line)
  const ranBy = software ? `Run by ${software}.\n\n` : '';
  return { preset: preset.name, quick: Boolean(quick), result, markdown: `## ${preset.name} (${dir})\n\n${preset.question}\n\n${note}${ranBy}${preset.procedure.formatMarkdown(result)}` };
}

/**
 * The preset's tables over several folders of one preset sweep (its shards, read together before or
 * without `merge`): printed only, as no one folder is theirs; null when the sweep is no preset's.
 */
export function presetReportOfShards(folders: readonly string[], records: readonly RunRecord[], report: Report, overrides: ThresholdOverrides = {}): string | null {
  const preset = presetOfFolder(folders[0]);
  if (!preset) return null;
  const { markdown } = presetMarkdown(folders[0], folders.join(' + '), preset, [...records], report.planned?.total, plannedRuns(folders[0], [])?.seeds, overrides, report);
  return `${markdown}\n(${folders.length} folders read together: printed only; \`channelscope merge\` joins them into one folder, which keeps report.md and tables/*.csv)\n`;
}

/** The preset's report of a sweep's records, in markdown after the caveat of a continuation's folder (`dir`'s continued.json). */
function presetMarkdown(
  dir: string,
  source: string,
  preset: { name: string; quick: boolean },
  records: RunRecord[],
  planned: number | undefined,
  seeds: number | undefined,
  overrides: ThresholdOverrides,
  summarized?: Report,
): { report: PresetReport; markdown: string } {
  const report = buildPresetReport(preset.name, records, planned, { quick: preset.quick, seeds }, overrides, summarized);
  // a continuation's runs are a chosen few of the preset's, under edited settings
  const continued = readContinuation(dir);
  const note = continued
    ? `*${continued.runs.length === 1 ? 'This run continues a run' : `These ${continued.runs.length} runs continue runs`} of ${continued.from} chosen by ${continuationChoice(continued)}${continued.set.length > 0 ? `, with --set ${continued.set.join(' ')}` : ''}: the preset's tables over ${continued.runs.length === 1 ? 'it' : 'them'}, not over the preset's sample.*\n\n`
    : '';
  return { report, markdown: `${note}${presetReportMarkdown(report, source)}` };
}

/**
 * Writes the preset report's files into `dir`, or where the folder cannot take them (read-only,
 * full) says so in one line on stderr and returns false: the report is printed all the same.
 */
function keepWriting(dir: string, files: string, write: () => void): boolean {
  try {
    write();
    return true;
  } catch (error) {
    if (!isFilesystemError(error)) throw error;
    process.stderr.write(`channelscope: note: ${files} could not be written to ${dir} (${error.path ?? dir}: ${filesystemReason(error)}); the report is printed only\n`);
    return false;
  }
}
