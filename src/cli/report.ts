// `channelscope report DIR`: how many runs ended in channels, finite minima, …, by group.
import { buildReport, formatReport, GROUP_ALIASES } from '../experiment/report.js';
import { InputError } from '../model/input-error.js';
import { writeHtmlReport } from './report-html.js';
import { isProcedureFolder, writePresetReport } from './presets.js';

export const REPORT_FORMATS = ['md', 'csv', 'json'] as const;

export async function reportCommand(folder: string, options: { by?: string; format: (typeof REPORT_FORMATS)[number]; html?: string | boolean }): Promise<void> {
  const by = options.by ? options.by.split(',').map((f) => f.trim()).filter(Boolean) : [];
  for (const field of by) {
    if (!/^[A-Za-z][\w.]*$/.test(field)) {
      throw new InputError(`--by: "${field}" is not a field name (use ${Object.keys(GROUP_ALIASES).join(', ')} or a dotted path such as optimizer.lr)`);
    }
  }
  // a preset's folder also gets its own tables (DIR/report.md, DIR/tables/*.csv); a procedure has only those
  const presetReport = await writePresetReport(folder);
  if (presetReport !== null && isProcedureFolder(folder)) {
    process.stdout.write(presetReport);
    return;
  }
  const report = await buildReport(folder, by);
  process.stdout.write(formatReport(report, options.format));
  if (presetReport !== null) {
    if (options.format === 'md') process.stdout.write(`\n${presetReport}`);
    else process.stderr.write(`preset report: ${presetReport.slice(presetReport.lastIndexOf('report: '))}`);
  }
  if (options.html) {
    // the table stays on stdout (pipeable); where the page went is said on stderr
    const file = await writeHtmlReport(folder, report, typeof options.html === 'string' ? options.html : undefined, (line) => process.stderr.write(`${line}\n`));
    process.stderr.write(`HTML report: ${file}\n`);
  }
}
