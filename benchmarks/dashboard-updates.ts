// How long the dashboard's page is busy as a big sweep's runs stream in: the records of a results
// folder (by default a fresh `channel-frequency --quick` on the CPU), copied to `--runs` runs with ids
// and seeds of their own, handed to the page in `--batches` batches as the sweep worker hands them
// over, each followed by the summary's refresh; the time from a batch to every component's update
// (summary, outcome and preset tables, results views) is the page's time for that batch. Headless
// Chromium; the batches go in through <cs-app>'s own fields (records, refreshSummary), as its sweep
// listener does. A page busy longer than the worker's batch interval (250 ms) falls behind the sweep.
//
//   npx tsx benchmarks/dashboard-updates.ts [--runs 4500] [--batches 30] [--source DIR] [--web DIR] [--json FILE]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'vite';
import { startDashboardServer } from '../src/cli/serve.js';
import { integerOption } from '../src/cli/number-options.js';
import { currentSoftware, softwareLabel } from '../src/experiment/software.js';
import type { RunRecord } from '../src/experiment/results.js';
import { launchHeadlessChromium } from '../web/headless.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '4500' },
    batches: { type: 'string', default: '30' },
    source: { type: 'string' },
    web: { type: 'string' },
    json: { type: 'string' },
  },
});
const runs = integerOption('--runs', values.runs!, 1);
const batches = integerOption('--batches', values.batches!, 1);
const scratch = mkdtempSync(path.join(os.tmpdir(), 'channelscope-dashboard-updates-'));

try {
  const source = values.source ?? path.join(scratch, 'source');
  if (!values.source) {
    console.error('running channel-frequency --quick on the CPU for the records to copy…');
    execFileSync(process.execPath, ['bin/channelscope.js', 'run', 'channel-frequency', '--quick', '--backend', 'cpu', '--out', source], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const web = values.web ?? path.join(scratch, 'web');
  if (!values.web) {
    process.env.NODE_ENV = 'production';
    await build({ configFile: path.resolve('web/vite.config.ts'), mode: 'production', logLevel: 'error', build: { outDir: web, emptyOutDir: true } });
  }
  // the source's runs, copied until there are --runs: each copy a run of its own (id, seed)
  const own = readFileSync(path.join(source, 'runs.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as RunRecord);
  const copies = Array.from({ length: runs }, (_, k) => {
    const record = own[k % own.length];
    const copy = Math.floor(k / own.length);
    return copy === 0 ? record : { ...record, id: `${record.id}-copy${copy}`, seed: record.seed + 100_000 * copy };
  });
  const folder = path.join(scratch, 'streamed');
  mkdirSync(folder);
  writeFileSync(path.join(folder, 'runs.jsonl'), `${copies.map((record) => JSON.stringify(record)).join('\n')}\n`);
  writeFileSync(path.join(folder, 'spec.json'), readFileSync(path.join(source, 'spec.json')));

  const served = await startDashboardServer({ webRoot: web, resultDirs: [folder], port: 0 });
  const browser = await launchHeadlessChromium({ webgpu: false, viewport: { width: 1300, height: 1000 } });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    await page.goto(served.url, { waitUntil: 'load' });
    await page.waitForFunction(() => document.querySelector('cs-app')?.shadowRoot?.querySelector('cs-results-views'), { timeout: 60_000 });
    const perBatch = await page.evaluate(async (count: number) => {
      const listing = (await (await fetch('/api/results')).json()) as { url: string }[];
      const base = listing[0].url.replace(/\/?$/, '/');
      const all = (await (await fetch(`${base}runs.jsonl`)).text()).trim().split('\n').map((line) => JSON.parse(line));
      const app = document.querySelector('cs-app') as HTMLElement & Record<string, any>;
      // as a sweep of this spec started in the page: its preset's tables too
      app.sweepSpec = await (await fetch(`${base}spec.json`)).json();
      app.status = 'running';
      const size = Math.ceil(all.length / count);
      const times: number[] = [];
      // (no functions declared in here: tsx would name them with a helper the page does not have)
      for (let k = 0; k < count; k++) {
        const started = performance.now();
        app.records = [...app.records, ...all.slice(k * size, (k + 1) * size)];
        app.refreshSummary(true);
        await app.updateComplete;
        for (const tag of ['cs-summary-table', 'cs-summary-chart', 'cs-outcome-tables', 'cs-preset-tables', 'cs-results-views']) await (app.shadowRoot!.querySelector(tag) as any)?.updateComplete;
        // and the layout and paint of what changed
        await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
        times.push(performance.now() - started);
      }
      return times;
    }, batches);
    if (errors.length > 0) throw new Error(`the page failed: ${errors.join('; ')}`);
    const total = perBatch.reduce((sum, t) => sum + t, 0);
    const result = {
      software: softwareLabel(currentSoftware()),
      runs,
      batches,
      source: values.source ?? 'channel-frequency --quick (CPU)',
      perBatchMs: perBatch.map((t) => Math.round(t)),
      lastBatchMs: Math.round(perBatch[perBatch.length - 1]),
      totalMs: Math.round(total),
    };
    console.log(`${runs} runs in ${batches} batches: ${result.totalMs} ms of page time, the last batch ${result.lastBatchMs} ms (${result.software})`);
    console.log(`per batch (ms): ${result.perBatchMs.join(' ')}`);
    if (values.json) writeFileSync(values.json, `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await browser.close();
    await served.close();
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
