// The dashboard end to end, in real headless Chromium (WebGPU on SwiftShader where there is no GPU):
// build it, serve it, run a small sweep on WebGPU from the page and check its summary table against
// `channelscope run --backend gpu` + `channelscope report` on the same spec and seeds; a browser
// without WebGPU gets a notice and the CPU engine; a malformed results file gets an error and the
// page stays usable; finished runs kept in the browser carry a sweep across a reload. Screenshots go to test-artifacts/ (gitignored).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, ElementHandle, Page } from 'puppeteer-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboardServer, type DashboardServer } from '../../src/cli/serve.js';
import { launchHeadlessChromium } from '../../web/headless.js';
import { acquireBrowserLock } from '../helpers/browser-lock.js';
import { currentSoftware, softwareLabel } from '../../src/experiment/software.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import type { RunRecord } from '../../src/experiment/results.js';
import { formatParameterFile } from '../../src/model/params-file.js';
import { formatNumber } from '../../web/src/charts/figure.js';

const SPEC_FILE = path.resolve('tests/web/fixtures/tiny-sweep.json');
const SPEC = JSON.parse(readFileSync(SPEC_FILE, 'utf8')) as Record<string, unknown>;
const GROUP_BY = 'optimizer.lr';
const ARTIFACTS = path.resolve('test-artifacts');
const OUTCOMES = ['channel', 'finite-minimum', 'plateau-saddle', 'global-minimum', 'not-converged', 'diverged'];

type CountsByGroup = Record<string, { n: number; outcomes: Record<string, number> }>;

let scratch: string;
let served: DashboardServer;
let cliRun: Promise<CliResult>;
let cliDir: string;
const browsers: Browser[] = [];
let releaseBrowserLock: (() => void) | undefined;

beforeAll(async () => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'channelscope-e2e-'));
  cliDir = path.join(scratch, 'cli-results');
  // the command line's sweep runs while the page runs its own
  cliRun = runCli(['run', SPEC_FILE, '--backend', 'gpu', '--out', cliDir]);
  const webRoot = path.join(scratch, 'web');
  // vitest sets NODE_ENV=test, which would make Vite bundle development builds (Lit's dev mode)
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ configFile: path.resolve('web/vite.config.ts'), mode: 'production', logLevel: 'error', build: { outDir: webRoot, emptyOutDir: true } });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
  served = await startDashboardServer({ webRoot, resultDirs: [], port: 0 });
  mkdirSync(ARTIFACTS, { recursive: true });
  releaseBrowserLock = await acquireBrowserLock();
});

afterAll(async () => {
  for (const browser of browsers) await browser.close().catch(() => {});
  releaseBrowserLock?.();
  await served?.close();
  await cliRun?.catch(() => {});
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/**
 * waitForSelector for elements inside shadow roots: puppeteer's waiting listens to mutations of the
 * document, which a Lit re-render inside a shadow root does not cause, so poll instead.
 */
async function waitForDeep(page: Page, selector: string, timeout = 10_000): Promise<ElementHandle<Element>> {
  const started = Date.now();
  for (;;) {
    const handle = await page.$(selector);
    if (handle) return handle;
    if (Date.now() - started > timeout) throw new Error(`no element matches ${selector} after ${timeout} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function openDashboard(webgpu: boolean): Promise<Page> {
  // one browser at a time: a second headless-shell beside a first did not get its page's worker going
  while (browsers.length > 0) await browsers.pop()!.close().catch(() => {});
  const browser = await launchHeadlessChromium({ webgpu });
  browsers.push(browser);
  const page = await browser.newPage();
  const problems: string[] = [];
  const messages: string[] = [];
  page.on('pageerror', (error) => problems.push(String(error)));
  page.on('console', (message) => messages.push(`${message.type()}: ${message.text()}`));
  await page.goto(served.url, { waitUntil: 'load' });
  await waitForDeep(page, 'cs-app >>> [data-testid="webgpu-notice"][data-webgpu]', 30_000).catch(async (error: Error) => {
    const shown = await page.evaluate(() => document.querySelector('cs-app')?.shadowRoot?.textContent?.replace(/\s+/g, ' ').slice(0, 400));
    throw new Error(`${error.message}; the page shows: ${shown}; console: ${messages.join(' | ')}; errors: ${problems.join(' | ')}`);
  });
  expect(problems, 'uncaught errors on the page').toEqual([]);
  return page;
}

/** Types a spec into the builder's JSON editor, as a person pasting it would. */
async function enterSpec(page: Page, spec: unknown): Promise<void> {
  // clicked again until the editor shows: on a loaded machine a click at the button's place can miss while the page still lays out
  let editor: ElementHandle<Element> | null = null;
  for (let attempt = 0; !editor; attempt++) {
    await page.click('cs-app >>> cs-spec-builder >>> [data-action="json-mode"]');
    editor = await waitForDeep(page, 'cs-app >>> cs-spec-builder >>> textarea[data-field="spec-json"]', 5_000).catch((error: Error) => {
      if (attempt >= 5) throw error;
      return null;
    });
  }
  await editor.evaluate((element, text) => {
    const textarea = element as HTMLTextAreaElement;
    textarea.value = text;
    textarea.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
  }, JSON.stringify(spec, null, 2));
}

async function textOf(page: Page, selector: string): Promise<string> {
  const handle = await waitForDeep(page, selector);
  return (await handle.evaluate((element) => element.textContent ?? '')).replace(/\s+/g, ' ').trim();
}

/** Starts the sweep and waits until the page says it ended; returns the final status. */
async function runSweepOnPage(page: Page, backend: 'auto' | 'gpu' | 'cpu'): Promise<string> {
  await page.select('cs-app >>> cs-spec-builder >>> select[data-field="backend"]', backend);
  await page.click('cs-app >>> cs-spec-builder >>> button[data-action="start"]');
  const ended = await page.waitForFunction(
    () => {
      const status = document.querySelector('cs-app')?.shadowRoot?.querySelector('[data-testid="sweep-progress"]')?.getAttribute('data-status');
      return status === 'finished' || status === 'failed' || status === 'cancelled' ? status : false;
    },
    { timeout: 100_000, polling: 250 },
  );
  const status = (await ended.jsonValue()) as string;
  if (status === 'failed') throw new Error(`the sweep failed on the page: ${await textOf(page, 'cs-app >>> [data-testid="app-error"]')}`);
  return status;
}

/** The summary table as the page shows it: per group, runs and runs per outcome. */
async function readSummaryTable(page: Page): Promise<CountsByGroup> {
  const table = await waitForDeep(page, 'cs-app >>> cs-summary-table >>> table[data-testid="summary-table"]');
  return table.evaluate((element) => {
    const groups: Record<string, { n: number; outcomes: Record<string, number> }> = {};
    for (const row of Array.from(element.querySelectorAll('tbody tr[data-group]'))) {
      const outcomes: Record<string, number> = {};
      for (const cell of Array.from(row.querySelectorAll('td[data-outcome]'))) outcomes[cell.getAttribute('data-outcome')!] = Number(cell.getAttribute('data-count'));
      groups[row.getAttribute('data-group')!] = { n: Number(row.getAttribute('data-runs')), outcomes };
    }
    return groups;
  });
}

/** The records the page holds by id, without their wall times (which no two trainings share). */
async function pageRecords(page: Page): Promise<Omit<RunRecord, 'wallSeconds'>[]> {
  const records = await page.evaluate(() => (document.querySelector('cs-app') as unknown as { records: RunRecord[] }).records);
  return records.map(({ wallSeconds: _wall, ...rest }) => rest).sort((a, b) => a.id.localeCompare(b.id));
}

/** Reloads the page and waits until it is ready again. */
async function reload(page: Page): Promise<void> {
  await page.reload({ waitUntil: 'load' });
  await waitForDeep(page, 'cs-app >>> [data-testid="webgpu-notice"][data-webgpu]', 30_000);
}

/** The finished runs the page says the browser keeps (0 when it shows none). */
async function keptRuns(page: Page): Promise<number> {
  const line = await page.$('cs-app >>> [data-testid="kept-runs"]');
  return line ? Number(await line.evaluate((element) => element.getAttribute('data-kept'))) : 0;
}

async function setSlots(page: Page, slots: string): Promise<void> {
  const field = await waitForDeep(page, 'cs-app >>> cs-spec-builder >>> input[data-field="slots"]');
  await field.evaluate((element, value) => {
    (element as HTMLInputElement).value = value;
    element.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
  }, slots);
}

/** `channelscope report DIR --by … --format json` as counts per group. */
async function cliCounts(dir: string, by: string): Promise<CountsByGroup> {
  const report = await runCli(['report', dir, '--by', by, '--format', 'json']);
  expect(report.code, report.stderr).toBe(0);
  const parsed = JSON.parse(report.stdout) as { groups: { key: string; n: number; outcomes: Record<string, { successes: number }> }[] };
  return Object.fromEntries(
    parsed.groups.map((group) => [group.key, { n: group.n, outcomes: Object.fromEntries(OUTCOMES.map((o) => [o, group.outcomes[o].successes])) }]),
  );
}

/** The command line's sweep of SPEC (started in beforeAll, beside the page's): its results folder once it has ended well. */
async function cliResults(): Promise<string> {
  const cli = await cliRun;
  expect(cli.code, cli.stderr).toBe(0);
  return cliDir;
}

// Fixtures made on demand and shared by the tests that need them: each test awaits what it needs, so
// it can run alone (-t), a failed assertion in one test leaves the others' preconditions alone, and
// the file still opens one WebGPU page and runs the first sweep once. A fixture that fails fails each
// test that needs it with its own error. openDashboard closes the browsers before it opens one: a
// fixture whose page went with its browser is made (and its sweep run) again.
let webgpuPageFixture: Promise<Page> | undefined;
let firstSweepFixture: Promise<FirstSweep> | undefined;

/** A page with WebGPU (SwiftShader where there is no GPU). */
async function webgpuPage(): Promise<Page> {
  const open = await webgpuPageFixture?.catch(() => undefined);
  if (open && (open.isClosed() || !open.browser().connected)) {
    webgpuPageFixture = undefined;
    firstSweepFixture = undefined;
  }
  webgpuPageFixture ??= openDashboard(true);
  return webgpuPageFixture;
}

/** The first sweep, SPEC on WebGPU, as the page showed it when it ended. */
interface FirstSweep {
  page: Page;
  /** the builder's validation line for SPEC, before the start */
  validation: string;
  /** the engine line after the sweep */
  engine: string;
  counts: CountsByGroup;
  /** the sweep's records, as the page got them */
  records: Omit<RunRecord, 'wallSeconds'>[];
}

/** The WebGPU page after it trained SPEC on WebGPU (and, with that, kept its six runs in the browser). */
async function firstSweep(): Promise<FirstSweep> {
  const page = await webgpuPage();
  firstSweepFixture ??= (async () => {
    await enterSpec(page, SPEC);
    const validation = await textOf(page, 'cs-app >>> cs-spec-builder >>> [data-testid="spec-validation"]');
    const status = await runSweepOnPage(page, 'gpu');
    if (status !== 'finished') throw new Error(`the first sweep ended ${status}, not finished`);
    return { page, validation, engine: await textOf(page, 'cs-app >>> .engine'), counts: await readSummaryTable(page), records: await pageRecords(page) };
  })();
  return firstSweepFixture;
}

describe('dashboard in headless Chromium', () => {
  it('runs a sweep on WebGPU whose summary equals channelscope run --backend gpu + report', async () => {
    const { page, validation, engine, counts: pageCounts, records } = await firstSweep();
    expect(await textOf(page, 'cs-app >>> [data-testid="webgpu-notice"]')).toMatch(/WebGPU adapter/);
    expect(validation).toContain('6 runs');
    expect(engine).toMatch(/WebGPU/);

    const expected = await cliCounts(await cliResults(), GROUP_BY);
    expect(Object.keys(expected).sort()).toEqual(['optimizer.lr=0.5', 'optimizer.lr=100']);
    expect(pageCounts).toEqual(expected);
    // each record names the code, as the CLI's do (the build's, web/vite.config.ts)
    expect(records.map((record) => record.software)).toEqual(new Array(6).fill(softwareLabel(currentSoftware())));

    // a field no run has groups nothing: the page says so rather than show one silent group
    const fields = await waitForDeep(page, 'cs-app >>> cs-summary-table >>> input[data-field="group-by-text"]');
    await fields.evaluate((element) => {
      (element as HTMLInputElement).value = 'optimizer.lrr';
      element.dispatchEvent(new Event('change', { bubbles: true, composed: true }));
    });
    expect(await textOf(page, 'cs-app >>> cs-summary-table >>> [data-testid="group-by-absent"]')).toMatch(/No run has optimizer\.lrr: it groups nothing/);
    await fields.evaluate((element, by) => {
      (element as HTMLInputElement).value = by;
      element.dispatchEvent(new Event('change', { bubbles: true, composed: true }));
    }, GROUP_BY);

    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-webgpu.png'), fullPage: true });
  });

  it('computes the per-run tabs (functions, Hessian spectrum) in a worker of their own', async () => {
    const { page, records } = await firstSweep();
    for (const [label, file] of [
      ['Functions (d = 2)', 'dashboard-functions.png'],
      ['Hessian spectrum', 'dashboard-spectrum.png'],
    ]) {
      const tab = await waitForDeep(page, 'cs-app >>> cs-results-views >>> nav');
      await tab.evaluate((nav, wanted) => Array.from(nav.querySelectorAll('button')).find((button) => button.textContent === wanted)!.click(), label);
      // "computing…" until the worker answers, then the figure
      await page.waitForFunction(
        () => {
          const root = document.querySelector('cs-app')?.shadowRoot?.querySelector('cs-results-views')?.shadowRoot;
          return root && !root.querySelector('.computing') && root.querySelector('cs-chart');
        },
        { timeout: 60_000, polling: 100 },
      );
      const chart = await waitForDeep(page, 'cs-app >>> cs-results-views >>> cs-chart');
      await chart.screenshot({ path: path.join(ARTIFACTS, file) });
      if (label === 'Hessian spectrum') {
        // the figure draws the shown run's spectrum: its P = 9 eigenvalues, ascending, as its record has them
        const { text, dots } = await chart.evaluate((element) => {
          const svg = element.shadowRoot!.querySelector('svg')!;
          return { text: svg.textContent ?? '', dots: Array.from(svg.querySelectorAll('circle > title'), (title) => title.textContent!.replace(' (drawn at the floor)', '')) };
        });
        const shown = records.find((record) => text.includes(`run ${record.id}`));
        expect(shown, `a run of the sweep named in: ${text.slice(0, 120)}`).toBeDefined();
        const eigenvalues = [...shown!.diagnostics!.hessianEigenvalues!].sort((p, q) => p - q);
        expect(eigenvalues).toHaveLength(9);
        expect(dots.sort((a, b) => Number(a.slice(1, a.indexOf(' '))) - Number(b.slice(1, b.indexOf(' '))))).toEqual(eigenvalues.map((value, k) => `λ${k + 1} = ${formatNumber(value)}`));
      }
    }
    expect(page.workers().map((worker) => worker.url()).some((url) => /views-worker/.test(url))).toBe(true);
  });

  it('shows a clear error for a malformed results file and stays usable', async () => {
    const { page } = await firstSweep();
    const results = await cliResults();
    const brokenDir = path.join(scratch, 'broken');
    mkdirSync(brokenDir, { recursive: true });
    const brokenFile = path.join(brokenDir, 'runs.jsonl');
    writeFileSync(brokenFile, '{"id": "a-s0", "config": {}, "params": \n');
    const picker = (await waitForDeep(page, 'cs-app >>> cs-results-loader >>> input[type="file"]:not([webkitdirectory])')) as ElementHandle<HTMLInputElement>;
    await picker.uploadFile(brokenFile);
    const error = await textOf(page, 'cs-app >>> cs-results-loader >>> [role="alert"]');
    expect(error).toMatch(/runs\.jsonl/);
    expect(error).toMatch(/line 1/i);
    // the summary of the sweep is still there, and the page still opens good results
    expect(Object.keys(await readSummaryTable(page))).toHaveLength(2);
    await picker.uploadFile(path.join(results, 'runs.jsonl'));
    await page.waitForFunction(
      () => document.querySelector('cs-app')?.shadowRoot?.querySelector('cs-summary-table')?.shadowRoot?.querySelector('[data-testid="summary-caption"]')?.textContent?.includes('runs.jsonl'),
      { timeout: 20_000, polling: 200 },
    );
    expect(await readSummaryTable(page)).toEqual(await cliCounts(results, GROUP_BY));
  });

  it('checks a network trained elsewhere as channelscope analyze does, and names what is wrong with bad files', async () => {
    const page = await webgpuPage();
    // an analytic channel: a pair w ± εΔ with output weights c/2 ± a/(2ε) (tests/cli/analyze.test.ts)
    const epsilon = 5e-4;
    const arch = { inputDim: 2, hidden: [2], activation: 'softplus' as const, biases: true };
    const theta = [0.6 + epsilon, -0.4, 0.6 - epsilon, -0.4, 0.1, 0.1, 0.2 + 1.2 / (2 * epsilon), 0.2 - 1.2 / (2 * epsilon), 0.05];
    const dir = path.join(scratch, 'network');
    mkdirSync(dir, { recursive: true });
    const paramsFile = path.join(dir, 'channel.json');
    const dataFile = path.join(dir, 'data.csv');
    const wideDataFile = path.join(dir, 'three-inputs.csv');
    writeFileSync(paramsFile, JSON.stringify(formatParameterFile(arch, theta)));
    writeFileSync(dataFile, `x1,x2,y\n${Array.from({ length: 30 }, (_, n) => `${Math.sin(n)},${Math.cos(1.7 * n)},${Math.tanh(n / 10 - 1)}`).join('\n')}\n`);
    writeFileSync(wideDataFile, 'x1,x2,x3,y\n0.1,0.2,0.3,1\n0.4,0.5,0.6,2\n');
    const upload = async (field: string, file: string) => {
      const input = (await waitForDeep(page, `cs-app >>> cs-network-check >>> input[data-field="${field}"]`)) as ElementHandle<HTMLInputElement>;
      await input.uploadFile(file);
    };
    const analyse = async () => {
      await page.waitForFunction(() => {
        const button = document.querySelector('cs-app')?.shadowRoot?.querySelector('cs-network-check')?.shadowRoot?.querySelector('button[data-action="analyze-network"]') as HTMLButtonElement | null;
        return button && !button.disabled;
      }, { timeout: 10_000, polling: 100 });
      await page.click('cs-app >>> cs-network-check >>> button[data-action="analyze-network"]');
    };

    await upload('network-params', paramsFile);
    await upload('network-data', wideDataFile);
    await analyse();
    expect(await textOf(page, 'cs-app >>> cs-network-check >>> [data-testid="network-error"]')).toBe(
      "three-inputs.csv has 3 input columns but the network's first layer takes 2 inputs",
    );

    await upload('network-data', dataFile);
    await analyse();
    const verdict = await waitForDeep(page, 'cs-app >>> cs-network-check >>> [data-testid="network-verdict"]');
    expect(await verdict.evaluate((element) => element.getAttribute('data-outcome'))).toBe('channel');
    const shown = await (await waitForDeep(page, 'cs-app >>> cs-network-check >>> [data-testid="network-analysis"]')).evaluate((element) => element.textContent);
    const cli = await runCli(['analyze', '--params', paramsFile, '--data', dataFile]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(shown).toBe(cli.stdout.trimEnd());
    expect(shown).toMatch(/GLU limit {4}pair 0,1 of layer 1: ε 5\.000e-4, c 0\.40000, a 1\.2000/);
    await (await waitForDeep(page, 'cs-app >>> cs-network-check')).screenshot({ path: path.join(ARTIFACTS, 'dashboard-network-check.png') });
    // a maxnorm that is no number says so (the analysis shown stays the last valid one's); Infinity is no barrier
    const maxnorm = 'cs-app >>> cs-network-check >>> input[data-field="network-maxnorm"]';
    await page.click(maxnorm, { clickCount: 3 });
    await page.type(maxnorm, '1e3x');
    expect(await textOf(page, 'cs-app >>> cs-network-check >>> [data-testid="network-maxnorm-error"]')).toBe(
      'maxnorm must be a positive number (the norm barrier; Infinity for none), got "1e3x": the analysis below is of the last valid one',
    );
    await page.click(maxnorm, { clickCount: 3 });
    await page.type(maxnorm, 'Infinity');
    await analyse();
    await page.waitForFunction(() => !document.querySelector('cs-app')?.shadowRoot?.querySelector('cs-network-check')?.shadowRoot?.querySelector('[data-testid="network-maxnorm-error"]'), { timeout: 10_000, polling: 100 });
  });

  it("checks this GPU's kernels against the float64 CPU engine from the WebGPU notice (channelscope verify in the page)", async () => {
    const page = await webgpuPage();
    // the diagnostics only: the full check takes minutes on SwiftShader (the strategies alone 90 s)
    for (const part of ['evaluation', 'training', 'strategies']) await page.click(`cs-app >>> cs-gpu-check >>> input[data-part="${part}"]`);
    await page.click('cs-app >>> cs-gpu-check >>> button[data-action="gpu-check"]');
    const ended = await page.waitForFunction(
      () => {
        const status = document.querySelector('cs-app')?.shadowRoot?.querySelector('cs-gpu-check')?.shadowRoot?.querySelector('[data-testid="gpu-check-status"]');
        const state = status?.getAttribute('data-status');
        return state && state !== 'running' ? [state, status!.getAttribute('data-checks'), status!.textContent] : false;
      },
      { timeout: 120_000, polling: 500 },
    );
    const [state, checks, text] = (await ended.jsonValue()) as [string, string, string];
    expect(state, text).toBe('passed');
    // the diagnostics of two ensembles (one- and two-hidden-layer networks)
    expect(Number(checks)).toBe(2);
    expect(text.replace(/\s+/g, ' ')).toMatch(/all 2 checks passed on WebGPU on .* \(worst error [0-9.e-]+ of its tolerance\)/);
    const rows = await page.$$eval('cs-app >>> cs-gpu-check >>> table[data-testid="gpu-check-table"] tbody tr', (trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent?.trim())),
    );
    expect(rows.map(([part, check, , verdict]) => [part, check, verdict])).toEqual([
      ['diagnostics', 'diagnostics softplus/bias/[4]', 'ok'],
      ['diagnostics', 'diagnostics erf/bias/[3,3]', 'ok'],
    ]);
    for (const [, , worst] of rows) expect(Number(worst)).toBeLessThanOrEqual(1);
    expect(await textOf(page, 'cs-app >>> cs-gpu-check >>> button[data-action="download-gpu-check"]')).toBe('Download (JSON)');
    await page.click('cs-app >>> cs-gpu-check >>> details summary');
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-gpu-check.png'), fullPage: true });
  });

  it('keeps finished runs in the browser: after a reload Start trains only the runs not kept, and a sweep cut by a reload ends as an uninterrupted one', async () => {
    const { page, records: firstRecords } = await firstSweep();
    // the first sweep's six runs outlive a reload, and its spec started again trains none of them
    await reload(page);
    await page.waitForFunction(() => document.querySelector('cs-app')?.shadowRoot?.querySelector('[data-testid="kept-runs"]'), { timeout: 10_000, polling: 200 });
    expect(await keptRuns(page)).toBe(6);
    await enterSpec(page, SPEC);
    expect(await runSweepOnPage(page, 'gpu')).toBe('finished');
    expect(await textOf(page, 'cs-app >>> [data-testid="kept-notice"]')).toMatch(/^6 of 6 runs were kept in this browser/);
    expect(await textOf(page, 'cs-app >>> [data-testid="sweep-status"]')).toMatch(/^Finished: 6 runs \(6 kept from an earlier start\)/);
    expect(await pageRecords(page)).toEqual(firstRecords);

    const forget = async () => {
      // (the page asks the worker for its kept runs after the sweep's end shows: the button comes a moment later)
      await page.waitForSelector('cs-app >>> [data-action="forget-kept"]', { timeout: 10_000 });
      await page.click('cs-app >>> [data-action="forget-kept"]');
      await page.waitForFunction(() => !document.querySelector('cs-app')?.shadowRoot?.querySelector('[data-testid="kept-runs"]'), { timeout: 10_000, polling: 200 });
    };
    // six runs two at a time (slots 2, on one ensemble): once without a break, then cut by a reload
    // after the first two end. Three of them (300 steps, a check every 100) cost next to nothing, and
    // the first two end together; the other three check their stop rules at every one of their 800
    // steps, each check a round of advance, status read and parameter read, so that after the first two
    // end the sweep has some 1600 rounds to go (8 s on SwiftShader on 2 cores). That is far more than
    // the pause below takes to land even on a fast GPU (the worker sends the page records at most
    // every 150 ms); a remainder of steps, not rounds (10 000 steps and 50 reads), could end before it.
    const longer = {
      ...SPEC,
      name: 'tiny-resume',
      description: 'three short runs, then three round-trip-bound ones that check at every step',
      grid: { 'stop.maxSteps+stop.checkEvery': [[300, 100], [800, 1]] },
    };
    await forget();
    await enterSpec(page, longer);
    await setSlots(page, '2');
    expect(await runSweepOnPage(page, 'gpu')).toBe('finished');
    const uninterrupted = await pageRecords(page);
    expect(uninterrupted).toHaveLength(6);

    await forget();
    await page.click('cs-app >>> cs-spec-builder >>> button[data-action="start"]');
    // pause as soon as the page shows two of this sweep's runs ended: in the page, polling every 10 ms,
    // with no round trip to the test between seeing them and the click
    await page.waitForFunction(
      () => {
        const root = document.querySelector('cs-app')?.shadowRoot;
        const progress = root?.querySelector('[data-testid="sweep-progress"]');
        if (progress?.getAttribute('data-status') !== 'running' || !(Number(progress.getAttribute('data-done')) >= 2)) return false;
        (root!.querySelector('cs-spec-builder')!.shadowRoot!.querySelector('button[data-action="pause"]') as HTMLButtonElement).click();
        return true;
      },
      { timeout: 60_000, polling: 10 },
    );
    // paused: the worker has kept and sent every finished run
    await page.waitForFunction(() => (document.querySelector('cs-app') as unknown as { progress: { paused: boolean } | null }).progress?.paused === true, { timeout: 30_000, polling: 100 });
    const cut = (await pageRecords(page)).length;
    expect(cut).toBeGreaterThanOrEqual(2);
    expect(cut, 'the sweep should still have had runs to train when it was paused').toBeLessThan(6);
    await reload(page);
    await page.waitForFunction(() => document.querySelector('cs-app')?.shadowRoot?.querySelector('[data-testid="kept-runs"]'), { timeout: 10_000, polling: 200 });
    expect(await keptRuns(page)).toBe(cut);
    await enterSpec(page, longer);
    await setSlots(page, '2');
    expect(await runSweepOnPage(page, 'gpu')).toBe('finished');
    // the page's summary counts every run as soon as it says finished: the last batch of records
    // reaches the page before the sweep's end does (a batch on its way had arrived after it)
    const summary = await readSummaryTable(page);
    expect(Object.values(summary).reduce((sum, group) => sum + group.n, 0)).toBe(6);
    expect(await textOf(page, 'cs-app >>> [data-testid="kept-notice"]')).toMatch(new RegExp(`^${cut} of 6 runs were kept`));
    expect(await pageRecords(page)).toEqual(uninterrupted);
    expect(await keptRuns(page)).toBe(6);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-kept-runs.png'), fullPage: true });

    // a kept run that other code trained is named as such (as `report` names every code that trained runs)
    await page.evaluate(async () => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open('channelscope');
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      const store = db.transaction('kept-runs', 'readwrite').objectStore('kept-runs');
      const cursor = await new Promise<IDBCursorWithValue | null>((resolve) => (store.openCursor().onsuccess = (event) => resolve((event.target as IDBRequest<IDBCursorWithValue | null>).result)));
      cursor!.update({ ...cursor!.value, record: { ...cursor!.value.record, software: 'channelscope 0.0.9 (git 0123456789ab)' } });
      db.close();
    });
    await page.click('cs-app >>> cs-spec-builder >>> button[data-action="start"]');
    // (the status was 'finished' before this start too: wait for the new sweep's notice)
    await page.waitForFunction(() => document.querySelector('cs-app')?.shadowRoot?.querySelector('[data-testid="kept-notice"]')?.textContent?.includes('other code'), { timeout: 30_000, polling: 100 });
    expect(await textOf(page, 'cs-app >>> [data-testid="kept-notice"]')).toMatch(/^6 of 6 runs were kept .* Some were trained by other code than this page's \(channelscope 0\.0\.9 \(git 0123456789ab\)\)/);
  });

  it('without WebGPU says so and runs a small sweep on the CPU engine, over a Web Worker per core, as channelscope run --backend cpu does', async () => {
    const page = await openDashboard(false);
    expect(await textOf(page, 'cs-app >>> [data-testid="webgpu-notice"]')).toMatch(/No WebGPU in this browser.*CPU engine/);
    // the form shows a problem at its field and holds the start button back
    const inputDim = await waitForDeep(page, 'cs-app >>> cs-spec-builder >>> input[data-field="architecture.inputDim"]');
    await inputDim.evaluate((element) => {
      (element as HTMLInputElement).value = '0';
      element.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
    });
    expect(await textOf(page, 'cs-app >>> cs-spec-builder >>> [data-error-for="architecture.inputDim"]')).toBe('must be a positive integer');
    expect(await textOf(page, 'cs-app >>> cs-spec-builder >>> [data-testid="spec-validation"]')).toContain('architecture.inputDim: 0 must be a positive integer');
    expect(await page.$eval('cs-app >>> cs-spec-builder >>> button[data-action="start"]', (button) => (button as HTMLButtonElement).disabled)).toBe(true);

    const small = { ...SPEC, name: 'tiny-cpu', description: 'four short CPU runs', seeds: 4, grid: undefined, stop: { maxSteps: 200, checkEvery: 100 } };
    const smallFile = path.join(scratch, 'tiny-cpu.json');
    writeFileSync(smallFile, JSON.stringify(small));
    const cli = runCli(['run', smallFile, '--backend', 'cpu', '--threads', '1', '--out', path.join(scratch, 'tiny-cpu')]);
    await enterSpec(page, small);
    // a bad slots value holds Start back and says why, beside a valid spec
    await setSlots(page, '-3');
    expect(await textOf(page, 'cs-app >>> cs-spec-builder >>> [data-testid="slots-error"]')).toContain('slots: "-3" is not a whole number ≥ 1');
    expect(await page.$eval('cs-app >>> cs-spec-builder >>> button[data-action="start"]', (button) => (button as HTMLButtonElement).disabled)).toBe(true);
    await setSlots(page, '');
    await page.waitForSelector('cs-app >>> cs-spec-builder >>> [data-testid="slots-error"]', { hidden: true });
    expect(await runSweepOnPage(page, 'auto')).toBe('finished');
    // the runs spread over one Web Worker per core the browser reports (web/src/worker/cpu-slot-pool.ts)
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    expect(await textOf(page, 'cs-app >>> [data-testid="engine-notice"]')).toMatch(cores > 1 ? new RegExp(`No WebGPU here.*CPU engine, ${Math.min(cores, 16)} workers`) : /No WebGPU here.*CPU engine,/);
    // the engine line counts the same workers in the same word
    const engineLine = await textOf(page, 'cs-app >>> .engine');
    expect(engineLine).not.toMatch(/thread/);
    if (cores > 1) expect(engineLine).toMatch(new RegExp(`, ${Math.min(cores, 16)} workers$`));
    const counts = await readSummaryTable(page);
    expect(Object.values(counts).reduce((sum, group) => sum + group.n, 0)).toBe(4);
    // and train as the command line's CPU engine on one thread does, run by run and to the bit: data
    // and initial parameters come from portable arithmetic (src/numerics/portable-math.ts), and the
    // activations' Math.exp and log1p agree between Node's V8 and Chromium's
    expect((await cli).code).toBe(0);
    const expected = readFileSync(path.join(scratch, 'tiny-cpu', 'runs.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as RunRecord);
    const trained = await pageRecords(page);
    expect(trained.map((record) => record.id)).toEqual(expected.map((record) => record.id).sort());
    for (const record of trained) {
      const twin = expected.find((other) => other.id === record.id)!;
      expect([record.stopReason, record.steps, record.loss, record.params0, record.params], record.id).toEqual([twin.stopReason, twin.steps, twin.loss, twin.params0, twin.params]);
    }
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-no-webgpu.png'), fullPage: true });
  });
});
