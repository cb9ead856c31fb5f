// `channelscope report DIR…`: how many runs ended in channels, finite minima, …, by group (several
// folders of one sweep, e.g. its shards, read as one).
import { formatReport } from '../experiment/report-text.js';
import { GROUP_ALIASES, sweepAxes } from '../experiment/group-labels.js';
import { reportOfRecords, reportWithRecords } from '../experiment/report.js';
import type { ThresholdOverrides } from '../experiment/summary.js';
import { carrierCounts, channelCarriers } from '../experiment/carriers.js';
import { folderDataOptions, PROCEDURE_FILE, PROCEDURE_RESULT_FILE, readFolderJson } from '../experiment/results.js';
import path from 'node:path';
import { InputError } from '../user-input/input-error.js';
import { checkPageTarget, writeHtmlReport, writeProcedureHtmlReport } from './report-html.js';
import { isProcedureFolder, presetReportOfShards, PROCEDURE_FILE_HINT, procedureReportOf, RESULT_FILE_HINT, writePresetReport, writeProcedureReport } from './preset-report.js';
import { existsSync } from 'node:fs';

export const REPORT_FORMATS = ['md', 'csv', 'json'] as const;

export async function reportCommand(folders: string[], options: { by?: string; format: (typeof REPORT_FORMATS)[number]; html?: string | boolean; carriers?: boolean; thresholds?: ThresholdOverrides }): Promise<void> {
  // nothing at all groups nothing (`--by "$FIELDS"` with FIELDS empty); an empty entry among commas is a slip
  const by = options.by?.trim() ? options.by.split(',').map((f) => f.trim()) : [];
  if (by.includes('')) throw new InputError(`--by "${options.by}" has an empty entry: name fields, comma-separated`);
  const overrides: ThresholdOverrides = options.thresholds ?? {};
  for (const field of by) {
    if (!/^[A-Za-z][\w.]*$/.test(field)) {
      throw new InputError(`--by: "${field}" is not a field name (use ${Object.keys(GROUP_ALIASES).join(', ')} or a dotted path such as optimizer.lr)`);
    }
  }
  // (a short name and its dotted path are one field: activation and architecture.activation)
  const paths = by.map((field) => GROUP_ALIASES[field] ?? field);
  const twice = paths.findIndex((field, k) => paths.indexOf(field) !== k);
  if (twice >= 0) {
    const first = by[paths.indexOf(paths[twice])];
    const named = first === by[twice] ? first : `${paths[twice]} (as ${first} and ${by[twice]})`;
    throw new InputError(`--by names ${named} twice (${options.by}): name each field once`);
  }
  if (folders.length > 1 && options.html === true) {
    throw new InputError('--html: with several folders, name the page to write (--html FILE): it has no one folder to go in');
  }
  const reclassified = Object.keys(overrides).length > 0;
  if (reclassified && options.html) {
    throw new InputError("--thresholds with --html: the page draws each run's verdict by the default criteria; report the tables with --thresholds, or the page without it");
  }
  const [folder] = folders;
  // a page that would not be written is refused before anything is read or printed
  const page = options.html ? htmlTarget(options.html, folder) : null;
  if (page) checkPageTarget(page);
  if (folders.length === 1 && isProcedureFolder(folder)) {
    await procedureReport(folder, options, by, reclassified, page);
    return;
  }
  // one preset folder also gets its own tables (DIR/report.md, DIR/tables/*.csv; by other thresholds
  // printed only, the folder keeps its report by the defaults); a procedure has only those
  const { report, records } = await reportWithRecords(folders, by, overrides);
  // the records as read and classified for the report, not read and classified again
  const presetReport = folders.length === 1 ? await writePresetReport(folder, overrides, { records, report }) : presetReportOfShards(folders, records, report, overrides);
  // data files where the sweep's run read them (its shards share the spec, and so the folder)
  // each channel's carriers found once (its data rebuilt), then counted for the table and the page alike
  const carriers = options.carriers ? channelCarriers(records, overrides, folderDataOptions(folder)) : null;
  if (carriers) report.carriers = carrierCounts(records, report.runs, overrides, {}, carriers);
  process.stdout.write(formatReport(report, options.format));
  if (presetReport !== null) {
    if (options.format === 'md') process.stdout.write(`\n${presetReport}`);
    // where the preset's tables went ("report: DIR/report.md; tables: …")
    // (no such line where the folder could not take them; writePresetReport said so)
    else if (presetReport.includes('\nreport: ')) process.stderr.write(presetReport.slice(presetReport.lastIndexOf('\nreport: ') + 1));
  }
  if (page) {
    // without --by the page groups by what the sweep's grid varies (one group "all" says little
    // there); the table printed above keeps the command's default
    const axes = by.length === 0 ? sweepAxes(records) : [];
    const pageReport = axes.length > 0 ? reportOfRecords(folders, records, axes, overrides) : report;
    if (carriers && pageReport !== report) pageReport.carriers = carrierCounts(records, pageReport.runs, overrides, {}, carriers);
    await announcePage(writeHtmlReport(page, pageReport, records, folders, logLine));
  }
}

/**
 * A procedure's folder (channel-jump, saddle-perturbation, gd-from-channel: networks followed stage by stage): its
 * report in markdown (also written to DIR/report.md), with --html a page of the figures that answer
 * its question, or its result as JSON; it has no runs to group, reclassify or tabulate as CSV, and
 * says so rather than print markdown for them.
 */
async function procedureReport(folder: string, options: { format: (typeof REPORT_FORMATS)[number]; carriers?: boolean }, by: string[], reclassified: boolean, page: string | null): Promise<void> {
  const refuse = (what: string) => {
    throw new InputError(`${what}: ${folder} holds a procedure (networks followed stage by stage), not runs to ${what === '--format csv' ? 'tabulate' : 'classify'}; its report is markdown (report DIR), JSON (--format json) or a page (--html)`);
  };
  if (reclassified) refuse('--thresholds');
  if (by.length > 0) refuse('--by');
  if (options.carriers) refuse('--carriers');
  if (options.format === 'csv') refuse('--format csv');
  const result = path.join(folder, PROCEDURE_RESULT_FILE);
  if (!existsSync(result)) throw new InputError(`${folder}: the procedure has no ${PROCEDURE_RESULT_FILE} (stopped before its end?): run it again with another --out, or after removing ${folder}`);
  if (options.format === 'json') {
    // what was run (procedure.json: the preset, --quick, its options) and what came of it
    const procedure = readFolderJson<object>(path.join(folder, PROCEDURE_FILE), PROCEDURE_FILE_HINT);
    process.stdout.write(`${JSON.stringify({ ...procedure, result: readFolderJson<unknown>(result, RESULT_FILE_HINT) }, null, 2)}\n`);
  }
  // result.json read once, for the markdown and the page alike
  const procedure = options.format === 'md' || page ? procedureReportOf(folder) : null;
  if (procedure && options.format === 'md') process.stdout.write(writeProcedureReport(folder, procedure.preset, procedure.markdown));
  if (procedure && page) {
    await announcePage(writeProcedureHtmlReport(page, { folder, ...procedure }, logLine));
  }
}

/** Where --html writes: the path given, else FOLDER/report.html. */
function htmlTarget(html: string | boolean | undefined, folder: string): string {
  return typeof html === 'string' ? html : path.join(folder, 'report.html');
}

const logLine = (line: string) => process.stderr.write(`${line}\n`);

/** The table stays on stdout (pipeable); where the page went is said on stderr. */
async function announcePage(written: Promise<string>): Promise<void> {
  logLine(`HTML report: ${await written}`);
}
