// `channelscope report DIR --html [FILE]`: one HTML file that opens from disk with no server: the
// summary (and, when not too large, the records) inlined as JSON and the dashboard's chart
// components inlined as one script, built by Vite from web/src/report/report-main.ts
// (`npm run build:report`; built here on demand when missing or older than its sources).
import { accessSync, closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunRecord } from '../experiment/results.js';
import { formatReport, reportWarnings } from '../experiment/report-text.js';
import { type Report } from '../experiment/summary.js';
import { escapeHtml, markdownReportHtml } from '../experiment/report-markdown.js';
import { tableMarkdown } from '../experiment/tables.js';
import { filesystemReason, InputError } from '../user-input/input-error.js';
import { isFilesystemError } from './fs-errors.js';
import { channelscopeRoot } from '../experiment/software.js';

/** Above this much record JSON the page carries only the summary (a browser still opens it quickly). */
export const MAX_INLINED_RECORD_BYTES = 48 * 1024 * 1024;

/** The package folder holding the report's sources (web/vite.report.config.ts) or its built script (dist/report/report.js). */
function reportRoot(): string {
  const root = channelscopeRoot();
  if (!root || (!existsSync(path.join(root, 'web', 'vite.report.config.ts')) && !existsSync(path.join(root, 'dist', 'report', 'report.js')))) {
    throw new InputError('cannot find the channelscope package (web/vite.report.config.ts or dist/report/report.js)');
  }
  return root;
}

function newestSource(dir: string): number {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

/** The report script: dist/report/report.js, rebuilt when missing or older than the sources it bundles. */
export async function ensureReportBundle(log: (line: string) => void = () => {}): Promise<string> {
  const root = reportRoot();
  const bundle = path.join(root, 'dist', 'report', 'report.js');
  const config = path.join(root, 'web', 'vite.report.config.ts');
  const haveSources = existsSync(config);
  const stale = haveSources && existsSync(bundle) && Math.max(newestSource(path.join(root, 'web', 'src')), newestSource(path.join(root, 'src'))) > statSync(bundle).mtimeMs;
  if (existsSync(bundle) && !stale) return bundle;
  if (!haveSources) throw new InputError(`the HTML report's script ${bundle} is missing and its sources are not here`);
  log(`${existsSync(bundle) ? 'rebuilding' : 'building'} the HTML report's script (npm run build:report)…`);
  let vite: typeof import('vite');
  try {
    vite = await import('vite');
  } catch {
    throw new InputError('the HTML report needs its script built and Vite is not installed: run `npm install` then `npm run build:report`');
  }
  // built aside, then renamed into place: two reports started at once on a fresh checkout (or two
  // test files) each build, and neither may read the other's half-written or just-emptied bundle
  mkdirSync(path.dirname(bundle), { recursive: true });
  const aside = mkdtempSync(path.join(path.dirname(bundle), '.building-'));
  try {
    await vite.build({ configFile: config, logLevel: 'warn', build: { outDir: aside, emptyOutDir: true } });
    const built = path.join(aside, path.basename(bundle));
    if (!existsSync(built)) throw new InputError(`building the HTML report's script did not produce ${path.basename(bundle)}`);
    renameSync(built, bundle);
  } finally {
    rmSync(aside, { recursive: true, force: true });
  }
  return bundle;
}

/** JSON safe inside a <script> element: no "</script>", no "<!--". */
function inlineJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** The pages' style: the sweep report's and a procedure's. */
const PAGE_STYLE = `  body { font: 14px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #111; margin: 0; background: #f6f7f9; }
  main { max-width: 1400px; margin: 0 auto; padding: 16px 24px 40px; }
  h1 { font-size: 20px; margin: 8px 0 2px; }
  h2 { font-size: 16px; margin: 22px 0 8px; }
  /* a section's own heading: its padding already sets it off */
  section > h2:first-child { margin-top: 2px; }
  .meta { color: #555; margin: 0 0 10px; }
  .warning { background: #fff4e5; border: 1px solid #f0b45b; border-radius: 6px; padding: 8px 12px; }
  section { background: white; border: 1px solid #dde1e6; border-radius: 6px; padding: 12px 16px; margin: 12px 0; }
  /* a procedure's report.md rendered (markdownReportHtml); the tables the script draws have the dashboard's look (cs-table) */
  table.markdown { border-collapse: collapse; font-variant-numeric: tabular-nums; margin-top: 8px; }
  table.markdown th, table.markdown td { border: 1px solid #ddd; padding: 3px 8px; vertical-align: top; }
  table.markdown th { background: #f3f3f3; }
  /* wide tables scroll inside their section rather than overflow it */
  .table-scroll { overflow-x: auto; max-width: 100%; }
  .markdown-report p { max-width: 1000px; }
  .markdown-report h2, .markdown-report h3 { font-size: 15px; }
  table.markdown th, table.markdown td { text-align: left; }
  /* a cell on one line (the table scrolls sideways instead): a wrapped 'step-size-collapse' made its row three lines tall */
  table.markdown td { white-space: nowrap; }
  table.markdown th.number, table.markdown td.number { text-align: right; }
  noscript pre { white-space: pre-wrap; font-size: 12px; }
`;

/** What marks a file as a page of ours (in its head), which a later --html may replace. */
const GENERATOR_META = '<meta name="generator" content="channelscope report --html">';

/** The page around a report's body: its title, style, the data inlined as JSON and the script that draws it. */
function page(title: string, body: string, data: object, script: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${GENERATOR_META}
<title>${escapeHtml(title)}</title>
<style>
${PAGE_STYLE}</style>
</head>
<body>
<main id="report">
<h1>${escapeHtml(title)}</h1>
${body}</main>
<script type="application/json" id="channelscope-report-data">${inlineJson(data)}</script>
<script>${script.replace(/<\/script/gi, '<\\/script')}</script>
</body>
</html>
`;
}

export interface HtmlReportInput {
  report: Report;
  records: RunRecord[];
  source: string;
  /** the folders read (several: a sweep's shards), which name the page; else `source` does */
  folders?: readonly string[];
  script: string;
  generatedAt?: Date;
}

/** The page: header, the summary as a markdown-like table fallback (visible without script), the data, the script. */
export function htmlReport({ report, records, source, folders = [source], script, generatedAt = new Date() }: HtmlReportInput): string {
  const recordJson = JSON.stringify(records);
  const inlineRecords = Buffer.byteLength(recordJson) <= MAX_INLINED_RECORD_BYTES;
  const title = `channelscope report: ${folders.map((folder) => path.basename(path.resolve(folder))).join(' + ')}`;
  const data = {
    title,
    source,
    generatedAt: generatedAt.toISOString(),
    report,
    records: inlineRecords ? records : null,
    notes: inlineRecords ? [] : [`${records.length} records (${(Buffer.byteLength(recordJson) / 2 ** 20).toFixed(0)} MiB) were too large to include`],
  };
  const grouping = report.by.length > 0 ? ` grouped by ${report.by.join(', ')}` : '';
  const presetSection = report.presetTables?.length
    ? `<section><h2>The preset's tables</h2><div id="preset-tables"></div>\n<noscript><pre>${escapeHtml(report.presetTables.map(tableMarkdown).join('\n'))}</pre></noscript></section>\n`
    : '';
  return page(title, `<p class="meta">${report.runs.length} runs from <code>${escapeHtml(source)}</code>${escapeHtml(grouping)} · written ${escapeHtml(data.generatedAt)} by <code>channelscope report --html</code></p>
${reportWarnings(report).map((warning) => `<p class="warning"><strong>${escapeHtml(warning)}</strong></p>\n`).join('')}<section><h2>Summary</h2><div id="summary-chart"></div><div id="summary-table"></div>
<noscript><pre>${escapeHtml(formatReport(report, 'md'))}</pre></noscript></section>
${presetSection}<section><h2>Runs</h2><div id="views"></div></section>
`, data, script);
}

export interface ProcedureHtmlInput {
  /** the procedure's folder */
  folder: string;
  preset: string;
  /** its result.json */
  result: unknown;
  /** its report in markdown, as `report DIR` prints it */
  markdown: string;
  script: string;
  generatedAt?: Date;
}

/** A procedure folder's page (channel-jump, saddle-perturbation, gd-from-channel): the figures that answer its question, drawn from its result, and its markdown report. */
export function procedureHtmlReport({ folder, preset, result, markdown, script, generatedAt = new Date() }: ProcedureHtmlInput): string {
  const title = `channelscope report: ${path.basename(path.resolve(folder))} (${preset})`;
  const data = { kind: 'procedure', title, preset, source: folder, generatedAt: generatedAt.toISOString(), result };
  return page(title, `<p class="meta">the ${escapeHtml(preset)} procedure in <code>${escapeHtml(folder)}</code> · written ${escapeHtml(data.generatedAt)} by <code>channelscope report --html</code></p>
<section><h2>Figures</h2><div id="procedure-figures"></div><noscript><p>The figures need JavaScript; the report below has every number.</p></noscript></section>
<section class="markdown-report"><h2>The report (report.md)</h2>
${markdownReportHtml(markdown)}
</section>
`, data, script);
}

/** Writes the HTML report of a report and its records, read from `folders`, to `target`; returns it. */
export function writeHtmlReport(target: string, report: Report, records: RunRecord[], folders: readonly string[], log: (line: string) => void = () => {}): Promise<string> {
  return writePage(target, (script) => htmlReport({ report, records, source: report.source, folders, script }), log);
}

/** Writes a procedure folder's page to `target`; returns it. */
export function writeProcedureHtmlReport(target: string, procedure: Omit<ProcedureHtmlInput, 'script' | 'generatedAt'>, log: (line: string) => void = () => {}): Promise<string> {
  return writePage(target, (script) => procedureHtmlReport({ ...procedure, script }), log);
}

/** Writes the page `render` makes around the report's script to `target`, once it is known to be writable. */
async function writePage(target: string, render: (script: string) => string, log: (line: string) => void): Promise<string> {
  checkPageTarget(target);
  const script = readFileSync(await ensureReportBundle(log), 'utf8');
  writeFileSync(target, render(script));
  return target;
}

/**
 * Refuses a page target that cannot be written, or whose file is not an earlier page of ours: a
 * slip such as `--html DIR/runs.jsonl` must not overwrite the results. Said before the report is
 * read and the page's script built (a minute, the first time).
 */
export function checkPageTarget(target: string): void {
  const folder = path.dirname(path.resolve(target));
  try {
    if (!statSync(folder).isDirectory()) throw new InputError(`cannot write ${target}: ${folder} is a file, not a folder`);
    accessSync(folder, constants.W_OK);
    const existing = existsSync(target) ? statSync(target) : null;
    // a folder, or a path written as one (newdir/, which no file can be)
    if (existing?.isDirectory() || /[\\/]$/.test(target)) throw new InputError(`--html ${target}: that names a folder; name the page's file (e.g. ${path.join(target, 'report.html')})`);
    if (existing && existing.size > 0 && !fileHead(target).includes(GENERATOR_META)) {
      throw new InputError(`--html ${target}: the file exists and is not a page written by \`channelscope report --html\`; it is left as it is: name a new file (or remove it first)`);
    }
  } catch (error) {
    if (isFilesystemError(error)) throw new InputError(`cannot write ${target}: ${error.code === 'ENOENT' ? `the folder ${folder} does not exist` : filesystemReason(error)}`);
    throw error;
  }
}

/** The first kilobyte of a file, where a page of ours names its generator. */
function fileHead(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(1024);
    return head.toString('utf8', 0, readSync(fd, head, 0, head.length, 0));
  } finally {
    closeSync(fd);
  }
}
