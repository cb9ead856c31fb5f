// The summary table (<cs-summary-table>) is one table in the dashboard and on the HTML report page:
// the same columns, the strict channel criterion's beside the outcomes, and the cues of a table
// scrolled sideways; the page shows it without the dashboard's group-by controls.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OUTCOMES } from '../../src/analysis/classify.js';
import { ensureReportBundle, htmlReport } from '../../src/cli/report-html.js';
import { groupRunsText, strictChannelHeader, strictChannelsIn } from '../../src/experiment/report-text.js';
import { summarizeRecords, type Report } from '../../src/experiment/summary.js';
import { OUTCOME_LABELS } from '../../web/src/charts/outcome-style.js';
import { launchHeadlessChromium } from '../../web/headless.js';
import { acquireBrowserLock } from '../helpers/browser-lock.js';
import { scratchDir } from '../helpers/scratch.js';
import { channelTheta, config, finiteTheta, record } from './records.js';

const records = [
  record('channel-a', channelTheta(1e-4), { weightNorm: 1000 }),
  record('channel-b', channelTheta(1e-5), { weightNorm: 1000 }),
  record('finite-c', finiteTheta),
  record('finite-d', finiteTheta, { config: { ...config, optimizer: { kind: 'adam', lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8 } } }),
];

/** The headers and rows of the summary table inside a <cs-summary-table>, as a reader sees them. */
interface ShownTable {
  headers: string[];
  rows: { group: string; runs: string; counts: number[]; strict: number }[];
  /** group-by menus and fields */
  controls: number;
  csvButton: boolean;
}

describe('the summary table', () => {
  it('is the same table on the HTML report page as in the dashboard, with the strict channel column and scroll cues', async () => {
    // a planned group with runs missing, and a strict threshold changed from the default (between the
    // two channels' cosine distances, 1e-8 and 1e-10): both show in the table
    const summary = summarizeRecords(records, ['optimizer'], 'x', { overrides: { strictCosine: 1e-9 } });
    const report: Report = { ...summary, planned: { total: 6, byGroup: { 'optimizer=flow': 5, 'optimizer=adam': 1 } } };
    const file = path.join(scratchDir('channelscope-summary-table-'), 'report.html');
    writeFileSync(file, htmlReport({ report, records, source: 'x', script: readFileSync(await ensureReportBundle(), 'utf8') }));

    const release = await acquireBrowserLock();
    const browser = await launchHeadlessChromium({ webgpu: false });
    try {
      const page = await browser.newPage();
      // narrower than the table: it scrolls sideways
      await page.setViewport({ width: 640, height: 800 });
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(String(error)));
      await page.goto(`file://${file}`, { waitUntil: 'load' });
      await page.waitForFunction(() => document.querySelector('#summary-table cs-summary-table')?.shadowRoot?.querySelector('table'), { timeout: 30_000 });
      // the dashboard's table beside it: the same component, with its group-by controls, on the report the page holds
      await page.evaluate(() => {
        const dashboardTable = document.createElement('cs-summary-table') as HTMLElement & { report: unknown; groupBy: string[] };
        dashboardTable.id = 'dashboard-table';
        dashboardTable.report = JSON.parse(document.getElementById('channelscope-report-data')!.textContent!).report;
        dashboardTable.groupBy = ['optimizer'];
        document.body.append(dashboardTable);
      });
      await page.waitForFunction(() => document.querySelector('#dashboard-table')?.shadowRoot?.querySelector('table'));
      const shown = (selector: string) =>
        page.$eval(selector, (element): ShownTable => {
          const root = element.shadowRoot!;
          return {
            headers: Array.from(root.querySelectorAll('thead th'), (th) => th.textContent!.replace(/\s+/g, ' ').trim()),
            rows: Array.from(root.querySelectorAll('tbody tr'), (row) => ({
              group: row.querySelector('th')!.textContent!.trim(),
              runs: row.querySelector('td')!.textContent!.trim(),
              counts: Array.from(row.querySelectorAll('td[data-outcome]'), (cell) => Number(cell.getAttribute('data-count'))),
              strict: Number(row.querySelector('td[data-criterion="channel-strict"]')!.getAttribute('data-count')),
            })),
            controls: root.querySelectorAll('select, input').length,
            csvButton: root.querySelector('button[data-action="export-csv"]') !== null,
          };
        });
      const onPage = await shown('#summary-table cs-summary-table');
      const inDashboard = await shown('#dashboard-table');

      expect(strictChannelHeader(report)).toBe('channel (cos < 1e-9)');
      expect(onPage.headers).toEqual(['group', 'runs', ...OUTCOMES.map((o) => OUTCOME_LABELS[o]), strictChannelHeader(report)]);
      expect(onPage.rows).toEqual(
        report.groups.map((group) => ({
          group: group.key,
          runs: groupRunsText(report, group),
          counts: OUTCOMES.map((o) => group.outcomes[o].successes),
          strict: strictChannelsIn(report, group.key).successes,
        })),
      );
      const flow = onPage.rows.find((row) => row.group === 'optimizer=flow')!;
      expect([flow.runs, flow.counts[OUTCOMES.indexOf('channel')], flow.strict]).toEqual(['3 of 5', 2, 1]);
      expect(onPage.csvButton).toBe(true);
      expect(onPage.controls).toBe(0);
      expect({ ...inDashboard, controls: 0 }).toEqual(onPage);
      expect(inDashboard.controls).toBeGreaterThan(0);

      // the page's table says there is more past its right edge, and once scrolled to the end, past its left
      const frame = () => page.$eval('#summary-table cs-summary-table', (element) => element.shadowRoot!.querySelector('.frame')!.className.split(/\s+/).filter(Boolean).sort());
      await page.waitForFunction(() => document.querySelector('#summary-table cs-summary-table')!.shadowRoot!.querySelector('.frame.more-right'));
      expect(await frame()).toEqual(['frame', 'more-right']);
      await page.$eval('#summary-table cs-summary-table', (element) => {
        const box = element.shadowRoot!.querySelector('.scroll')!;
        box.scrollLeft = box.scrollWidth;
      });
      await page.waitForFunction(() => document.querySelector('#summary-table cs-summary-table')!.shadowRoot!.querySelector('.frame.more-left'));
      expect(await frame()).toEqual(['frame', 'more-left']);
      // the page's other tables (causes, reach: <cs-table>) have the same cues: the widest, then scrolled to its end
      const widest = `Array.from(document.querySelector('cs-outcome-tables').shadowRoot.querySelectorAll('cs-table')).sort((p, q) => q.shadowRoot.querySelector('table').scrollWidth - p.shadowRoot.querySelector('table').scrollWidth)[0]`;
      const otherFrame = () => page.evaluate(`${widest}.shadowRoot.querySelector('.frame').className.split(/\\s+/).filter(Boolean).sort()`);
      await page.waitForFunction(`${widest}.shadowRoot.querySelector('.frame.more-right')`);
      expect(await otherFrame()).toEqual(['frame', 'more-right']);
      await page.evaluate(`{ const box = ${widest}.shadowRoot.querySelector('.scroll'); box.scrollLeft = box.scrollWidth; }`);
      await page.waitForFunction(`${widest}.shadowRoot.querySelector('.frame.more-left')`);
      expect(await otherFrame()).toEqual(['frame', 'more-left']);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      release();
    }
  });
});
