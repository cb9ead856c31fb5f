// channelscope report DIR --html: one self-contained page with the summary inlined and the charts' script.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureReportBundle, htmlReport, procedureHtmlReport } from '../../src/cli/report-html.js';
import { markdownReportHtml } from '../../src/experiment/report-markdown.js';
import { launchHeadlessChromium } from '../../web/headless.js';
import { acquireBrowserLock } from '../helpers/browser-lock.js';
import { summarizeRecords, type Report } from '../../src/experiment/summary.js';
import { CAUSES_NOTE } from '../../src/experiment/report-text.js';
import { runCli } from '../helpers/cli.js';
import { channelTheta, config, finiteTheta, record } from '../web/records.js';
import { scratchDir } from '../helpers/scratch.js';

const records = [
  record('channel-a', channelTheta(1e-4), { weightNorm: 1000 }),
  record('finite-b', finiteTheta),
  record('finite-c', finiteTheta, { config: { ...config, optimizer: { kind: 'adam', lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8 } } }),
];

function resultsFolder(): string {
  const dir = scratchDir('channelscope-report-html-');
  writeFileSync(path.join(dir, 'runs.jsonl'), records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  return dir;
}

function inlinedData(html: string): { title: string; report: Report; records: unknown[] | null } {
  const match = /<script type="application\/json" id="channelscope-report-data">([\s\S]*?)<\/script>/.exec(html);
  expect(match).not.toBeNull();
  return JSON.parse(match![1]);
}

/** Elements that would fetch something: a self-contained page has none with a src or href. */
function externalReferences(html: string): string[] {
  return [...html.matchAll(/<(script|link|img|iframe|object|embed|source)\b[^>]*\s(src|href|data)\s*=\s*["']?([^"'\s>]+)/gi)].map((m) => m[0]);
}

/** A figure's text without its spaces and line breaks: a subtitle wraps onto several SVG text lines wherever its width ends. */
const squeezed = (text: string) => text.replace(/\s+/g, '');

/** A table as report.md writes one: a text column, a numeric one (---:) whose header holds an escaped pipe. */
const MARKDOWN_TABLE = '| name | max \\|f − f_GLU\\| |\n|---|---:|\n| s0 | 0.5 |';

describe('channelscope report --html', () => {
  it('writes DIR/report.html with the summary numbers inlined and the chart script inside the page', async () => {
    const dir = resultsFolder();
    const result = await runCli(['report', dir, '--by', 'optimizer', '--html']);
    expect(result.stderr).toMatch(/HTML report: .*report\.html/);
    expect(result.code).toBe(0);
    const file = path.join(dir, 'report.html');
    expect(existsSync(file)).toBe(true);
    const html = readFileSync(file, 'utf8');

    // the summary: the same numbers `report` computes, for every group and outcome
    const expected = summarizeRecords(records, ['optimizer'], dir);
    const data = inlinedData(html);
    expect(data.report.groups).toEqual(JSON.parse(JSON.stringify(expected.groups)));
    expect(data.report.runs.map((r) => [r.id, r.outcome])).toEqual(expected.runs.map((r) => [r.id, r.outcome]));
    expect(data.records).toHaveLength(records.length);
    // and readable without the script: the markdown table's cells, e.g. "1 (50.0% [9.5%, 90.5%])"
    const flow = expected.groups.find((g) => g.key === 'optimizer=flow')!;
    const channel = flow.outcomes.channel;
    expect(html).toContain(`${channel.successes} (${(100 * channel.fraction).toFixed(1)}% [${(100 * channel.low).toFixed(1)}%, ${(100 * channel.high).toFixed(1)}%])`);
    expect(result.stdout).toContain('| optimizer=flow |');

    // self-contained: no element fetches anything; the components are in the inline script
    expect(externalReferences(html)).toEqual([]);
    expect(html).not.toMatch(/@import\s+url/i);
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
    expect(scripts).toHaveLength(1);
    expect(scripts[0].length).toBeGreaterThan(10_000);
    for (const tag of ['cs-summary-chart', 'cs-results-views', 'cs-chart']) expect(scripts[0]).toContain(tag);
  });

  it('writes to the file given after --html', async () => {
    const dir = resultsFolder();
    const target = path.join(dir, 'elsewhere.html');
    const result = await runCli(['report', dir, '--html', target, '--format', 'csv']);
    expect(result.code).toBe(0);
    expect(existsSync(target)).toBe(true);
    expect(existsSync(path.join(dir, 'report.html'))).toBe(false);
    expect(result.stdout.split('\n')[0]).toMatch(/^group,n,planned,channel,/);
  });

  it('replaces an earlier page, but refuses to overwrite any other file (exit 2, before printing anything; the file as it was)', async () => {
    const dir = resultsFolder();
    const page = path.join(dir, 'page.html');
    expect((await runCli(['report', dir, '--html', page])).code).toBe(0);
    expect((await runCli(['report', dir, '--html', page])).code).toBe(0);
    const notes = path.join(dir, 'notes.html');
    writeFileSync(notes, '<p>my notes</p>\n');
    for (const target of [path.join(dir, 'runs.jsonl'), notes]) {
      const before = readFileSync(target, 'utf8');
      const result = await runCli(['report', dir, '--html', target]);
      expect(result.code, target).toBe(2);
      expect(result.stderr.trim()).toBe(`channelscope: --html ${target}: the file exists and is not a page written by \`channelscope report --html\`; it is left as it is: name a new file (or remove it first)`);
      expect(result.stdout).toBe('');
      expect(readFileSync(target, 'utf8')).toBe(before);
    }
    // as its help says
    expect((await runCli(['report', '--help'])).stdout.replace(/\s+/g, ' ')).toContain('(default: DIR/report.html; an existing file is replaced only if it is such a page)');
    for (const folder of [dir, path.join(dir, 'new-folder/')]) {
      const folderTarget = await runCli(['report', dir, '--html', folder]);
      expect(folderTarget.code).toBe(2);
      expect(folderTarget.stdout).toBe('');
      expect(folderTarget.stderr.trim()).toBe(`channelscope: --html ${folder}: that names a folder; name the page's file (e.g. ${path.join(folder, 'report.html')})`);
    }
  });

  it("without --by groups the page by what the sweep varies (the printed table keeps one group)", async () => {
    const dir = resultsFolder();
    const result = await runCli(['report', dir, '--html']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('| all |');
    const data = inlinedData(readFileSync(path.join(dir, 'report.html'), 'utf8'));
    expect(data.report.by).toEqual(['optimizer']);
    expect(data.report.groups.map((g) => g.key).sort()).toEqual(['optimizer=adam', 'optimizer=flow']);
  });

  it('inlines the channel carriers with --carriers, for the page to show beside the summary', async () => {
    const dir = resultsFolder();
    const result = await runCli(['report', dir, '--by', 'optimizer', '--html', '--carriers']);
    expect(result.code).toBe(0);
    const data = inlinedData(readFileSync(path.join(dir, 'report.html'), 'utf8'));
    expect(data.report.carriers!.map((c) => c.key).sort()).toEqual(data.report.groups.map((g) => g.key).sort());
    const channels = data.report.groups.reduce((sum, g) => sum + g.outcomes.channel.successes, 0);
    expect(data.report.carriers!.reduce((sum, c) => sum + c.channels, 0)).toBe(channels);
  });

  it("shows the not-converged causes, the reach and a preset's tables, as the markdown report does", async () => {
    const release = await acquireBrowserLock();
    const browser = await launchHeadlessChromium({ webgpu: false });
    try {
      const report: Report = {
        ...summarizeRecords(records, ['optimizer'], 'x'),
        presetTables: [
          {
            name: 'by-optimizer',
            title: 'Channels by optimiser',
            columns: ['optimizer', 'runs', 'channel', 'channel fraction', 'channel low95', 'channel high95', '1/ε median', '1/ε q1', '1/ε q3'],
            rows: [['gd η=0.1', 4, 1, 0.25, 0.05, 0.7, 12.5, 3, 40]],
            note: 'A note under the table.',
          },
          // the toy's L∞(w) is drawn as well (these records are no toy's: the table's own points, no runs)
          { name: 'loss-at-infinity', title: 'Loss at infinity L∞(w)', columns: ['w', 'L∞', 'c', 'a'], rows: [[0.5, 0.04, 1, 1], [1, 0.03, 1, 1], [1.5, 0.05, 1, 1]] },
          // a long table: its first 15 rows until asked for all
          { name: 'long', title: 'A long table', columns: ['k', 'k²'], rows: Array.from({ length: 30 }, (_, k) => [k, k * k]) },
          // and edge-of-stability's λ_max against 2/η (of GD runs only: these flows give none)
          { name: 'lambda-max-by-lr', title: 'λ_max against 2/η', columns: ['η', 'runs'], rows: [[0.1, 4]] },
          // and loss-levels' final losses by r (these runs: r = 2 with biases, one panel)
          { name: 'loss-levels', title: 'Loss levels', columns: ['biases', 'r'], rows: [['true', '2']] },
          // and channel-frequency's channel fraction by teacher and activation, drawn from this table
          {
            name: 'by-teacher-activation',
            title: 'Channel fraction by teacher and activation',
            columns: ['teacher', 'activation', 'runs', 'channel', 'channel fraction', 'channel low95', 'channel high95'],
            rows: [['rosenbrock', 'softplus', 4, 1, 0.25, 0.05, 0.7]],
          },
        ],
      };
      const file = path.join(scratchDir('channelscope-report-page-'), 'report.html');
      writeFileSync(file, htmlReport({ report, records, source: 'x', script: readFileSync(await ensureReportBundle(), 'utf8') }));
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(String(error)));
      await page.goto(`file://${file}`, { waitUntil: 'load' });
      await page.waitForFunction(() => document.querySelector('#preset-tables cs-preset-tables')?.shadowRoot?.querySelector('cs-table')?.shadowRoot?.querySelector('table'), { timeout: 30_000 });
      // every table of the page but the summary is a <cs-table>: the outcome tables' in <cs-outcome-tables>, the preset's in <cs-preset-tables>
      const tables = await page.evaluate(() => {
        const within = (selector: string) => Array.from(document.querySelector(selector)!.shadowRoot!.querySelectorAll('cs-table'));
        return [...within('#summary-table cs-outcome-tables'), ...within('#preset-tables cs-preset-tables')].map((element) => ({
          caption: element.shadowRoot!.querySelector('.caption')?.textContent ?? '',
          rows: Array.from(element.shadowRoot!.querySelectorAll('tr')).map((row) => Array.from(row.querySelectorAll('th, td')).map((cell) => cell.textContent)),
          note: element.shadowRoot!.querySelector('.note')?.textContent ?? '',
          csv: Boolean(element.shadowRoot!.querySelector('[data-action=export-csv]')),
        }));
      });
      expect(errors).toEqual([]);
      const captioned = (caption: string) => tables.find((table) => table.caption === caption)!;
      const causes = captioned('Not converged, by cause');
      expect(causes.rows[0].slice(0, 3)).toEqual(['group', 'runs', 'sharpening']);
      expect(causes.rows.slice(1).map((row) => row[0])).toEqual(report.causes.map((group) => group.key));
      const reach = captioned('How far runs got');
      expect(reach.rows[0]).toContain('1/ε of the closest pair');
      expect(reach.rows).toHaveLength(1 + report.reach.length);
      expect(causes.note).toBe(CAUSES_NOTE);
      expect(captioned('Channels by optimiser').rows).toEqual([
        ['optimizer', 'runs', 'channel', '1/ε'],
        ['gd η=0.1', '4', '1 (25.0% [5.0%, 70.0%])', '12.5 [3.00, 40.0]'],
      ]);
      expect(captioned('Channels by optimiser').note).toBe('A note under the table.');
      // a preset's table downloads as CSV; the report's own tables have their data in the summary's CSV and report --format csv
      expect([captioned('Channels by optimiser').csv, causes.csv]).toEqual([true, false]);
      const figures = await page.evaluate(() =>
        Array.from(document.querySelector('#preset-tables cs-preset-tables')!.shadowRoot!.querySelectorAll('cs-chart'), (chart) => chart.shadowRoot?.querySelector('svg')?.textContent ?? ''),
      );
      expect(figures).toHaveLength(5);
      const longTable = () =>
        page.evaluate(() => {
          const table = Array.from(document.querySelector('#preset-tables cs-preset-tables')!.shadowRoot!.querySelectorAll('cs-table')).find((t) => t.shadowRoot!.querySelector('.caption')!.textContent === 'A long table')!;
          return { rows: table.shadowRoot!.querySelectorAll('tbody tr').length, button: table.shadowRoot!.querySelector('[data-action=toggle-rows]')?.textContent?.trim() };
        });
      expect(await longTable()).toEqual({ rows: 15, button: 'Show all 30 rows (15 more)' });
      await page.evaluate(() => {
        const table = Array.from(document.querySelector('#preset-tables cs-preset-tables')!.shadowRoot!.querySelectorAll('cs-table')).find((t) => t.shadowRoot!.querySelector('.caption')!.textContent === 'A long table')!;
        (table.shadowRoot!.querySelector('[data-action=toggle-rows]') as HTMLButtonElement).click();
      });
      await page.waitForFunction(() => Array.from(document.querySelector('#preset-tables cs-preset-tables')!.shadowRoot!.querySelectorAll('cs-table')).some((t) => t.shadowRoot!.querySelectorAll('tbody tr').length === 30));
      expect(await longTable()).toEqual({ rows: 30, button: 'Show the first 15 rows' });
      // by-optimizer: every run's final weight norm per optimiser beside the barrier, saying how many runs it draws
      expect(figures[0]).toContain('How far each optimiser got with the same budget: the final weight norm');
      expect(squeezed(figures[0])).toContain(squeezed('of the 3 runs that did not diverge (of 3)'));
      expect(figures[0]).toContain('the norm barrier (1000)');
      expect(figures[0]).toMatch(/flow.*adam η=0\.001/);
      expect(figures[1]).toContain('Loss at infinity L∞(w) and where the runs along a channel ended');
      expect(figures[1]).toContain('No run ended along a channel.');
      expect(squeezed(figures[1])).toContain(squeezed('Dots: the 0 of 3 runs'));
      expect(figures[2]).toContain('no full-batch GD run that did not diverge');
      expect(figures[3]).toContain('Final loss of every run by r');
      expect(figures[3]).toContain('With biases');
      expect(figures[3]).not.toContain('Without biases');
      // a sideways histogram: how many runs a bar's length stands for is said, not left to overlapping ticks
      expect(squeezed(figures[3])).toContain(squeezed("of the 3 runs that did not diverge (of 3), stacked by outcome (bins of 1/60 decade): a bar's length is how many runs ended there, a column's full width 3 runs")); // the three runs' losses share one bin, stacked
      expect(figures[4]).toContain('How often runs end in a channel, by teacher and activation');
      expect(figures[4]).toContain('rosenbrock');
      expect(figures[4]).toContain('1/4'); // the table's count, as the bar's label
      expect(squeezed(figures[4])).toContain(squeezed('Fraction of the 4 runs classified channel'));
    } finally {
      await browser.close();
      release();
    }
  });

  it("renders a procedure's report.md: headings a level below the page's, emphasis, code, escaped text, tables", () => {
    const html = markdownReportHtml(`## gd-from-channel (runs/x)\n\n*The --quick version:* \`N\` = 256, **kept** <b>\n\n${MARKDOWN_TABLE}\n\nafter`);
    expect(html).toContain('<h3>gd-from-channel (runs/x)</h3>');
    expect(html).toContain('<p><em>The --quick version:</em> <code>N</code> = 256, <strong>kept</strong> &lt;b&gt;</p>');
    expect(html).toContain('<thead><tr><th>name</th><th class="number">max |f − f_GLU|</th></tr></thead>');
    expect(html).toContain('<tr><td>s0</td><td class="number">0.5</td></tr>');
    expect(html).toMatch(/<\/table><\/div>\n<p>after<\/p>$/);
  });

  it('keeps inlined data from closing its script element', () => {
    const tricky = record('</script><script>alert(1)</script>', finiteTheta);
    const report = summarizeRecords([tricky], [], 'x');
    const html = htmlReport({ report, records: [tricky], source: 'x', script: 'void 0' });
    expect(html.match(/<\/script>/g)).toHaveLength(2); // the data's and the script's own end tags
    const data = inlinedData(html);
    expect(data.report.runs[0].id).toBe(tricky.id);
  });

  it("is named after every folder it reads (a sweep's shards), not the last one", () => {
    const run = record('shard-run', finiteTheta);
    const folders = ['runs/sweep-1', 'runs/sweep-2'];
    const report = summarizeRecords([run], [], folders.join(' + '));
    const html = htmlReport({ report, records: [run], source: report.source, folders, script: 'void 0' });
    expect(html).toContain('<title>channelscope report: sweep-1 + sweep-2</title>');
    expect(inlinedData(html).title).toBe('channelscope report: sweep-1 + sweep-2');
    expect(htmlReport({ report, records: [run], source: 'runs/one-folder', script: 'void 0' })).toContain('<title>channelscope report: one-folder</title>');
  });

  it("draws a procedure's figures from its result: channel-jump's slopes, saddle-perturbation's fates, gd-from-channel's edge", async () => {
    // channel-jump and saddle-perturbation: the fields their figures read, as the procedures write them
    const jump = (k: number) => {
      const epsilon = 0.01 * 0.7 ** k;
      return { jump: k, epsilon, inverseEpsilon: 1 / epsilon, gap: 3e-3 * epsilon ** 2, lambdaMax: 4 / epsilon ** 2 };
    };
    const results: Record<string, unknown> = {
      'channel-jump': { carriers: { layer: 0, members: [0, 2] }, records: [0, 1, 2, 3].map(jump), slopes: { gapVsEpsilon: 2, lambdaMaxVsEpsilon: -2 }, gapSign: 1, stopped: null },
      'saddle-perturbation': {
        base: { arch: { inputDim: 2, hidden: [2], activation: 'softplus', biases: true }, loss: 0.8 },
        table: [
          { gamma: -0.5, lambdaMin: -0.15, finalLoss: 0.09, fate: 'channel', reason: 'a channel' },
          { gamma: 0.5, lambdaMin: 0, finalLoss: 0.8, fate: 'saddle-line', reason: 'back on the line' },
        ],
      },
      'gd-from-channel': JSON.parse(readFileSync('benchmarks/results/gd-from-channel-2026-12-06/result.json', 'utf8')),
    };
    const script = readFileSync(await ensureReportBundle(), 'utf8');
    const release = await acquireBrowserLock();
    const browser = await launchHeadlessChromium({ webgpu: false });
    try {
      const figures: Record<string, string> = {};
      for (const [preset, result] of Object.entries(results)) {
        const file = path.join(scratchDir('channelscope-procedure-page-'), 'report.html');
        writeFileSync(file, procedureHtmlReport({ folder: `runs/${preset}`, preset, result, markdown: `## ${preset}\n\nthe markdown\n\n${MARKDOWN_TABLE}`, script }));
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on('pageerror', (error) => errors.push(String(error)));
        await page.goto(`file://${file}`, { waitUntil: 'load' });
        await page.waitForSelector('#procedure-figures cs-chart', { timeout: 30_000 });
        figures[preset] = await page.evaluate(() => document.querySelector('#procedure-figures cs-chart')?.shadowRoot?.querySelector('svg')?.textContent ?? '');
        expect(await page.evaluate(() => document.querySelector('.markdown-report')?.textContent)).toContain('the markdown');
        // report.md's tables as tables: cells split at pipes (not at an escaped one), numbers right-aligned
        const table = await page.evaluate(() =>
          Array.from(document.querySelectorAll('.markdown-report table tr'), (row) => Array.from(row.children, (cell) => `${cell.textContent} ${getComputedStyle(cell).textAlign}`)),
        );
        expect(table).toEqual([
          ['name left', 'max |f − f_GLU| right'],
          ['s0 left', '0.5 right'],
        ]);
        expect(errors, preset).toEqual([]);
        await page.close();
      }
      // each figure says what it is drawn from: channel-jump's points, saddle-perturbation's runs, gd-from-channel's runs of how many
      expect(squeezed(figures['channel-jump'])).toContain(squeezed('4 points: the start and 3 jumps'));
      expect(squeezed(figures['saddle-perturbation'])).toContain(squeezed('Each of the 2 θ_γ is pushed along its most negative curvature'));
      expect(squeezed(figures['saddle-perturbation'])).toContain(squeezed('d = 2, 2 hidden softplus neurons with biases'));
      expect(squeezed(figures['gd-from-channel'])).toContain(squeezed('One dot per GD run (95 of 162: 27 starts along the channels of d = 1, N = 4096, 2 hidden erf neurons without biases, each at 6 η)'));
      expect(figures['channel-jump']).toContain('Loss gap: slope 2.00 (the paper: 2)');
      expect(figures['channel-jump']).toContain('λ_max: slope 2.00 (the paper: 2)');
      expect(figures['saddle-perturbation']).toContain('Pushed off the saddle line');
      expect(figures['saddle-perturbation']).toMatch(/saddle line.*channel/);
      expect(figures['gd-from-channel']).toContain('GD started inside a channel');
      expect(figures['gd-from-channel']).toMatch(/kept.*stabilised.*left/);
    } finally {
      await browser.close();
      release();
    }
  });
});
