// What the page says after a user switches between its sources of runs, in headless Chromium on the
// CPU engine (no WebGPU): results opened after a sweep are not described by that sweep's engine and
// progress; a sweep started after results were opened is grouped by its own grid; JSON that does not
// parse cannot be started (Start ran the last text that parsed, under a stale "Valid"); the closest
// pair figure says where channels sit on it. Found by a UI audit with screenshots. And a preset's
// tables: shown for a preset's sweep, run in the page or opened with its spec.json, as `report` makes them.
// And a served folder whose sweep is still being written: shown as the part of its planned runs it
// is, and followed as its runs come in.
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboardServer, type DashboardServer } from '../../src/cli/serve.js';
import { FolderLock } from '../../src/experiment/folder-lock.js';
import { expandSpec } from '../../src/experiment/grid.js';
import { selectShard } from '../../src/experiment/shard.js';
import { parseSpec } from '../../src/experiment/spec.js';
import { launchHeadlessChromium } from '../../web/headless.js';
import { acquireBrowserLock } from '../helpers/browser-lock.js';
import { runCli } from '../helpers/cli.js';

const SPEC_FILE = path.resolve('tests/web/fixtures/tiny-sweep.json');

let scratch: string;
let served: DashboardServer;
let webBuild: string;
let browser: Browser | undefined;
let releaseBrowserLock: (() => void) | undefined;

beforeAll(async () => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'channelscope-state-e2e-'));
  const cli = runCli(['run', SPEC_FILE, '--backend', 'cpu', '--out', path.join(scratch, 'cli')]);
  // a preset's sweep: loss-levels --quick with one seed, 6 runs of a 64-point grid (seconds)
  const preset = runCli(['run', 'loss-levels', '--quick', '--seeds', '1', '--backend', 'cpu', '--out', path.join(scratch, 'loss-levels')]);
  const webRoot = path.join(scratch, 'web');
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production'; // (vitest's NODE_ENV=test would bundle Lit's dev mode)
  try {
    await build({ configFile: path.resolve('web/vite.config.ts'), mode: 'production', logLevel: 'error', build: { outDir: webRoot, emptyOutDir: true } });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
  expect((await cli).code).toBe(0);
  expect((await preset).code).toBe(0);
  // two of its runs continued (the not-converged ones, longer): a continuation's folder keeps the preset's name
  const continued = await runCli(['continue', path.join(scratch, 'loss-levels'), '--only', 'not-converged', '--set', 'stop.maxSteps=20000', '--backend', 'cpu', '--out', path.join(scratch, 'loss-levels-continued')]);
  expect(continued.code).toBe(0);
  // a procedure's folder (no runs): channel-jump --quick, seconds
  const procedure = await runCli(['run', 'channel-jump', '--quick', '--backend', 'cpu', '--out', path.join(scratch, 'channel-jump')]);
  expect(procedure.code).toBe(0);
  served = await startDashboardServer({ webRoot, resultDirs: [], port: 0 });
  webBuild = webRoot;
  releaseBrowserLock = await acquireBrowserLock();
});

afterAll(async () => {
  await browser?.close().catch(() => {});
  releaseBrowserLock?.();
  await served?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function poll<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean, timeout = 60_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() - started > timeout) throw new Error(`${what}: still ${JSON.stringify(value)} after ${timeout} ms`);
    await sleep(200);
  }
}

const BUILDER = 'cs-app >>> cs-spec-builder >>> ';

async function setJson(page: Page, text: string): Promise<void> {
  await page.$eval(`${BUILDER}textarea[data-field="spec-json"]`, (area, value) => {
    (area as HTMLTextAreaElement).value = value;
    area.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
  }, text);
  await sleep(300);
}

const startDisabled = (page: Page) => page.$eval(`${BUILDER}button[data-action="start"]`, (b) => (b as HTMLButtonElement).disabled);
const validation = (page: Page) => page.$eval(`${BUILDER}[data-testid="spec-validation"]`, (e) => e.textContent!.replace(/\s+/g, ' ').trim());
const groupFields = (page: Page) => page.$eval('cs-app >>> cs-summary-table >>> input[data-field="group-by-text"]', (e) => (e as HTMLInputElement).value);
const progress = (page: Page) =>
  page.$eval('cs-app >>> [data-testid="sweep-progress"]', (e) => ({
    status: e.getAttribute('data-status'),
    total: e.getAttribute('data-total'),
    text: e.textContent!.replace(/\s+/g, ' ').trim(),
  }));

async function openResults(page: Page, ...files: string[]): Promise<void> {
  // (the progress line may say "Opened" already, of what was opened before: wait for this opening's event)
  await page.evaluate(() => {
    const flag = window as unknown as { opened?: boolean };
    flag.opened = false;
    document.querySelector('cs-app')!.addEventListener('records-loaded', () => (flag.opened = true), { once: true });
  });
  const input = await page.$('cs-app >>> cs-results-loader >>> input[type="file"]:not([webkitdirectory])');
  await input!.uploadFile(...files);
  await poll('opened', () => page.evaluate(() => (window as unknown as { opened?: boolean }).opened === true), (opened) => opened);
  await poll('shown', () => progress(page), (p) => p.text.startsWith('Opened'));
}

interface ShownPresetTables {
  heading: string;
  tables: { caption: string; rows: string[][] }[];
  figures: number;
}

/** The preset's section of the dashboard (null where there is none): its heading, its tables' cells and how many figures it draws. */
const presetSection = (page: Page): Promise<ShownPresetTables | null> =>
  page.evaluate(() => {
    const section = document.querySelector('cs-app')!.shadowRoot!.querySelector('[data-testid="preset-tables"]');
    const tables = section?.querySelector('cs-preset-tables')?.shadowRoot;
    if (!section || !tables) return null;
    const text = (node: Element | null) => (node?.textContent ?? '').replace(/\s+/g, ' ').trim();
    return {
      heading: text(section.querySelector('h2')),
      tables: Array.from(tables.querySelectorAll('cs-table'), (table) => ({
        caption: text(table.shadowRoot!.querySelector('.caption')),
        rows: Array.from(table.shadowRoot!.querySelectorAll('tr'), (row) => Array.from(row.querySelectorAll('th, td'), text)),
      })),
      figures: Array.from(tables.querySelectorAll('cs-chart')).filter((chart) => chart.shadowRoot?.querySelector('svg')).length,
    };
  });

/** A markdown report's tables (### title, then | cells |), as the page shows them. */
function markdownTables(markdown: string): { caption: string; rows: string[][] }[] {
  return markdown
    .split('\n### ')
    .slice(1)
    .map((part) => {
      const lines = part.split('\n');
      const rows = lines.filter((line) => line.startsWith('| ') && !line.startsWith('| ---'));
      return { caption: lines[0].trim(), rows: rows.map((line) => line.slice(2, -2).split(' | ').map((cell) => cell.trim())) };
    });
}

/**
 * A fresh page of a server's dashboard with its one served folder opened (clicked in the loader's
 * list), what the page shows of it (its progress line, the summary's warnings and runs column) and
 * the page errors and console errors it raises.
 */
async function openServedFolder(server: DashboardServer) {
  browser ??= await launchHeadlessChromium({ webgpu: false });
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(String(error)));
  page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
  await page.goto(server.url, { waitUntil: 'load' });
  const listed = await poll('the served folder', () => page.$('cs-app >>> cs-results-loader >>> .listing button'), (button) => button !== null);
  // clicked again until the loader answers (its status or error line): a click at the button's place
  // can miss while the page still lays out on a loaded machine (CI: the page still idle 60 s after one
  // click, as with the JSON editor below)
  const loaderSays = () => page.$eval('cs-app >>> cs-results-loader', (loader) => loader.shadowRoot!.querySelector('.status, .error')?.textContent ?? '');
  await poll(
    'the loader, after clicking the served folder',
    async () => {
      if ((await loaderSays()) === '') await listed!.click();
      await sleep(500);
      return loaderSays();
    },
    (said) => said !== '',
  );
  const read = async () => ({
    ...(await progress(page)),
    warnings: await page.$$eval('cs-app >>> [data-testid="summary-warning"]', (notes) => notes.map((note) => note.textContent!.replace(/\s+/g, ' ').trim())),
    runsCells: await page.$$eval('cs-app >>> cs-summary-table >>> tbody tr', (rows) => rows.map((row) => row.querySelectorAll('td')[0]?.textContent?.trim() ?? '')),
  });
  // the parts are read one after another, and a render between two reads would mix two states (CI saw
  // the new runs column beside the old warnings): two equal reads in a row are one state
  const shown = async () => {
    for (let last = await read(); ; ) {
      const next = await read();
      if (JSON.stringify(next) === JSON.stringify(last)) return next;
      last = next;
    }
  };
  return { page, shown, problems };
}

/** A fresh page of the dashboard (CPU engine: no WebGPU) with its spec builder in JSON mode, and the page errors it raises. */
async function dashboardWithJsonEditor(): Promise<{ page: Page; problems: string[] }> {
  browser ??= await launchHeadlessChromium({ webgpu: false });
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(String(error)));
  await page.goto(served.url, { waitUntil: 'load' });
  await poll('the builder', () => page.$(`${BUILDER}button[data-action="json-mode"]`), (h) => h !== null);
  // clicked again until the editor shows: on a loaded machine a click at the button's place can miss
  // while the page still lays out (CI: no editor 60 s after one click); a fixed wait lost the race with
  // Lit's render
  await poll(
    'the JSON editor',
    async () => {
      const editor = await page.$(`${BUILDER}textarea[data-field="spec-json"]`);
      if (!editor) await page.click(`${BUILDER}button[data-action="json-mode"]`);
      return editor;
    },
    (h) => h !== null,
  );
  return { page, problems };
}

describe('the dashboard between sources of runs', () => {
  it('describes opened results by themselves, groups a sweep by its grid, starts only JSON that parses', async () => {
    const { page, problems } = await dashboardWithJsonEditor();

    // a sweep over r (the hidden width), not over the opened results' learning rate
    const spec = { ...(JSON.parse(readFileSync(SPEC_FILE, 'utf8')) as Record<string, unknown>), name: 'state-e2e', seeds: 1, grid: { 'architecture.hidden': [2, 3] } };
    await setJson(page, JSON.stringify(spec, null, 2));
    await poll('the validation', () => validation(page), (text) => /Valid: 2 configurations × 1 seed = 2 runs/.test(text));
    // the summary is grouped by the spec's own grid field, architecture.hidden, under its short name
    const ownGrid = await groupFields(page);
    expect(ownGrid).toBe('r');

    // JSON that does not parse: no "Valid", no Start, no switch to a form that would drop the text
    const broken = JSON.stringify({ ...spec, seeds: 40 }, null, 2).replace('"seeds": 40', '"seeds": 40,,');
    await setJson(page, broken);
    await poll('the validation', () => validation(page), (text) => /does not parse/.test(text));
    expect(await startDisabled(page)).toBe(true);
    expect(await page.$eval(`${BUILDER}button[data-action="form-mode"]`, (b) => (b as HTMLButtonElement).disabled)).toBe(true);
    await setJson(page, JSON.stringify(spec, null, 2));
    await poll('Start enabled', () => startDisabled(page), (disabled) => !disabled);

    // results of another sweep (grouped by its learning rate), then this sweep
    const runsFile = path.join(scratch, 'cli', 'runs.jsonl');
    await openResults(page, runsFile);
    expect(await groupFields(page)).toBe('optimizer.lr');
    await page.select(`${BUILDER}select[data-field="backend"]`, 'cpu');
    await page.click(`${BUILDER}button[data-action="start"]`);
    const ended = await poll('the sweep', () => progress(page), (p) => p.status === 'finished' || p.status === 'failed', 120_000);
    expect(ended.status).toBe('finished');
    expect(ended.text).toMatch(/engine: CPU/);
    expect(await groupFields(page)).toBe(ownGrid);

    // results opened after the sweep: no engine, notice or progress of that sweep
    await openResults(page, runsFile);
    const opened = await progress(page);
    expect(opened.text).toMatch(/^Opened 6 runs from runs\.jsonl\./);
    expect(opened.text).not.toMatch(/engine:|CPU engine|not finished/);
    expect(opened.total).toBe('0');
    expect(await page.$('cs-app >>> [data-testid="engine-notice"]')).toBeNull();

    // the closest-pair figure: small distances are on the left, large output weights high
    await page.click('cs-app >>> cs-results-views >>> button[role="tab"]:nth-of-type(2)');
    const pairText = await poll(
      'the closest-pair figure',
      () =>
        page.$eval('cs-app >>> cs-results-views', (e) => {
          // the figure is drawn in a chart element's own shadow root
          const text = (node: Node): string =>
            [...((node as Element).shadowRoot ? [(node as Element).shadowRoot!] : []), ...Array.from(node.childNodes)]
              .map((child) => (child.nodeType === Node.TEXT_NODE ? child.textContent ?? '' : text(child)))
              .join(' ');
          return text(e).replace(/\s+/g, ' ');
        }),
      (text) => text.includes('Closest pair: how close'),
    );
    expect(pairText).toMatch(/channels sit at the upper left/);
    expect(pairText).not.toMatch(/lower right/);
    expect(problems).toEqual([]);
  });

  it("shows a preset's tables and figures for its sweep, run in the page or opened with its spec.json, as report.md has them, a procedure's figure and report for its folder, and neither for other runs", async () => {
    const { page, problems } = await dashboardWithJsonEditor();

    const folder = path.join(scratch, 'loss-levels');
    const expected = markdownTables(readFileSync(path.join(folder, 'report.md'), 'utf8'));
    expect(expected.map((table) => table.caption)).toEqual(['Plateau saddles by biases and r', 'Plateau saddles without biases against with them, by r', 'Loss levels of the runs that converged at finite norm (relative tolerance 1e-3)']);
    const shown = (what: string) => poll(what, () => presetSection(page), (section) => section !== null && section.tables.length === expected.length && section.figures === 1);

    // the preset's spec (as the command line wrote it) run in the page on the CPU engine: the same runs, so the same tables
    await setJson(page, readFileSync(path.join(folder, 'spec.json'), 'utf8'));
    await poll('the validation', () => validation(page), (text) => /Valid: 6 configurations × 1 seed = 6 runs/.test(text));
    await page.select(`${BUILDER}select[data-field="backend"]`, 'cpu');
    await page.click(`${BUILDER}button[data-action="start"]`);
    const ended = await poll('the sweep', () => progress(page), (p) => p.status === 'finished' || p.status === 'failed', 120_000);
    expect(ended.status).toBe('finished');
    const ranHere = (await shown("the sweep's preset tables"))!;
    expect(ranHere.heading).toBe("The loss-levels preset's tables (its quick version)");
    expect(ranHere.tables).toEqual(expected);

    // runs.jsonl alone: no spec, no preset tables
    await openResults(page, path.join(folder, 'runs.jsonl'));
    expect(await presetSection(page)).toBeNull();
    // with its spec.json beside it: the same tables again
    await openResults(page, path.join(folder, 'runs.jsonl'), path.join(folder, 'spec.json'));
    expect((await shown("the opened folder's preset tables"))!.tables).toEqual(expected);
    // the builder holds another spec; the opened sweep's is offered, and loaded on a click
    await setJson(page, JSON.stringify({ ...(JSON.parse(readFileSync(path.join(folder, 'spec.json'), 'utf8')) as object), seeds: 2 }));
    await poll('the validation', () => validation(page), (text) => /= 12 runs/.test(text));
    await page.click('cs-app >>> [data-testid="opened-spec"] button[data-action="load-opened-spec"]');
    await poll("the opened sweep's spec", () => validation(page), (text) => /Valid: 6 configurations × 1 seed = 6 runs/.test(text));
    await page.waitForSelector('cs-app >>> [data-testid="opened-spec"]', { hidden: true });
    // regrouped, the summary changes and the preset's tables stay as they were (they group their own way): not made again
    await page.evaluate(() => {
      const tables = document.querySelector('cs-app')!.shadowRoot!.querySelector('cs-preset-tables') as HTMLElement & { tables: unknown; madeBefore?: unknown };
      tables.madeBefore = tables.tables;
    });
    await page.$eval('cs-app >>> cs-summary-table >>> input[data-field="group-by-text"]', (input) => {
      (input as HTMLInputElement).value = 'biases';
      input.dispatchEvent(new Event('change'));
    });
    await poll('the regrouped summary', () => groupFields(page), (fields) => fields === 'biases');
    expect(await page.evaluate(() => {
      const tables = document.querySelector('cs-app')!.shadowRoot!.querySelector('cs-preset-tables') as HTMLElement & { tables: unknown; madeBefore?: unknown };
      return tables.tables === tables.madeBefore;
    })).toBe(true);
    // beside the summary, folded: the not-converged causes and the reach, one row per summary group, as the report page has them
    const outcomeTables = await page.evaluate(() => {
      const app = document.querySelector('cs-app')!.shadowRoot!;
      const tables = app.querySelector('[data-testid="outcome-tables"] cs-outcome-tables')!.shadowRoot!.querySelectorAll('cs-table');
      return {
        groups: app.querySelector('cs-summary-table')!.shadowRoot!.querySelectorAll('tbody tr').length,
        tables: Array.from(tables, (table) => ({
          caption: table.shadowRoot!.querySelector('.caption')!.textContent,
          runs: Array.from(table.shadowRoot!.querySelectorAll('tbody tr'), (row) => Number(row.querySelectorAll('td')[1].textContent)),
        })),
      };
    });
    expect(outcomeTables.tables.map((table) => table.caption)).toEqual(['Not converged, by cause', 'How far runs got']);
    expect(outcomeTables.tables[0].runs).toHaveLength(outcomeTables.groups);
    expect(outcomeTables.tables[0].runs.reduce((sum, n) => sum + n, 0)).toBe(6);
    // a continuation of some of its runs: the tables over those, saying so
    const again = path.join(scratch, 'loss-levels-continued');
    const continuedRuns = readFileSync(path.join(again, 'runs.jsonl'), 'utf8').trim().split('\n').length;
    await openResults(page, path.join(again, 'runs.jsonl'), path.join(again, 'spec.json'));
    await poll('the continuation caveat', () => page.$eval('cs-app >>> [data-testid="preset-continued"]', (e) => e.textContent!.replace(/\s+/g, ' ').trim()).catch(() => ''), (text) => text !== '');
    expect(await page.$eval('cs-app >>> [data-testid="preset-continued"]', (e) => e.textContent!.replace(/\s+/g, ' ').trim())).toMatch(
      new RegExp(`^${continuedRuns} runs? continues? runs? of .*loss-levels from where .* The tables are over these runs, chosen and continued, not over the preset's sample\\.$`),
    );
    // a procedure's folder: no runs, its figure and report instead of a preset's tables
    const jump = path.join(scratch, 'channel-jump');
    const input = await page.$('cs-app >>> cs-results-loader >>> input[type="file"]:not([webkitdirectory])');
    await input!.uploadFile(...['procedure.json', 'result.json', 'report.md'].map((name) => path.join(jump, name)));
    const procedureView = await poll(
      "the procedure's view",
      () =>
        page.evaluate(() => {
          const app = document.querySelector('cs-app')!.shadowRoot!;
          const section = app.querySelector('[data-testid="procedure"]');
          const view = section?.querySelector('cs-procedure-view')?.shadowRoot;
          return {
            heading: section?.querySelector('h2')?.textContent?.replace(/\s+/g, ' ').trim() ?? '',
            figure: view?.querySelector('cs-chart')?.shadowRoot?.querySelector('svg')?.textContent ?? '',
            // report.md as HTML: its tables as tables, its text without markdown's marks
            report: view?.querySelector('.report')?.textContent ?? '',
            reportTables: Array.from(view?.querySelectorAll('.report table') ?? [], (table) => table.querySelectorAll('tr').length),
            presetTables: app.querySelector('[data-testid="preset-tables"]') !== null,
            summary: app.querySelector('[data-testid="procedure-summary"]')?.textContent ?? '',
          };
        }),
      (view) => view.figure !== '',
    );
    expect(procedureView.heading).toBe('The channel-jump procedure (its quick version): the chosen files');
    const reportMarkdown = readFileSync(path.join(jump, 'report.md'), 'utf8');
    const reportTableBlocks = reportMarkdown.split(/\n\s*\n/).filter((block) => /^\|.*\n\|\s*:?-/.test(block.trim()));
    expect(reportTableBlocks.length).toBeGreaterThan(0);
    expect(procedureView.reportTables).toEqual(reportTableBlocks.map((block) => block.trim().split('\n').length - 1));
    expect(procedureView.report).toContain('|f − f_GLU|');
    expect(procedureView.report).not.toMatch(/\|-|\*The|\\\|/);
    expect(procedureView.presetTables).toBe(false);
    // the summary says why it has no table, rather than "no finished runs yet"
    expect(procedureView.summary).toContain('no sweep of runs to summarise');
    expect((await progress(page)).text).toMatch(/^Opened the channel-jump procedure's result from the chosen files: a procedure, not a sweep of runs/);
    // another sweep's runs (no preset's): the section goes
    await openResults(page, path.join(scratch, 'cli', 'runs.jsonl'), path.join(scratch, 'cli', 'spec.json'));
    expect(await presetSection(page)).toBeNull();
    expect(await page.$('cs-app >>> [data-testid="procedure"]')).toBeNull();
    expect(problems).toEqual([]);
  });

  it('follows a served sweep still being written: its planned runs, the runs as they come, until its session finishes', async () => {
    // the tiny sweep's 6 runs, 2 recorded when the page opens the folder, a session writing the rest
    const done = path.join(scratch, 'cli');
    const lines = readFileSync(path.join(done, 'runs.jsonl'), 'utf8').trim().split('\n').map((line) => `${line}\n`);
    const live = path.join(scratch, 'live');
    mkdirSync(live);
    copyFileSync(path.join(done, 'spec.json'), path.join(live, 'spec.json'));
    const checkpoint = (finished: boolean) =>
      writeFileSync(path.join(live, 'checkpoint.json'), JSON.stringify({ ...JSON.parse(readFileSync(path.join(done, 'checkpoint.json'), 'utf8')), finished, updatedAt: new Date().toISOString() }));
    checkpoint(false);
    // a session writing it (this process holds its lock, as \`run\` would)
    const lock = FolderLock.acquire(live);
    // the third record half written
    writeFileSync(path.join(live, 'runs.jsonl'), lines[0] + lines[1] + lines[2].slice(0, 30));
    const server = await startDashboardServer({ webRoot: webBuild, resultDirs: [live], port: 0 });
    try {
      const { page, shown, problems } = await openServedFolder(server);

      const first = await poll('the opened sweep', shown, (state) => state.text.startsWith('Following'));
      expect(first.text).toMatch(/^Following 0-live: 2 runs of the 6 planned recorded, and a session is writing more\. Stop following/);
      expect(first.total).toBe('6');
      expect(first.warnings).toEqual([
        expect.stringMatching(/^Recorded 2 of the 6 runs planned so far: the sweep is still running, 4 to go\. The fractions cover the recorded runs only\./),
        'No run of this group is recorded yet, so the table leaves it out: optimizer.lr=100 (3 planned).',
      ]);
      // grouped by what the sweep varies (its learning rate), though only one rate has runs yet: that group says how many it plans
      expect(await groupFields(page)).toBe('optimizer.lr');
      expect(first.runsCells).toEqual(['2 of 3']);

      appendFileSync(path.join(live, 'runs.jsonl'), lines[2].slice(30) + lines[3]);
      // (the summary follows the records within its refresh interval)
      const more = await poll('the runs written since', shown, (state) => state.runsCells.length === 2, 20_000);
      expect(more.text).toMatch(/^Following 0-live: 4 runs of the 6 planned recorded, and a session is writing more \(the last came \d+ s ago\)\./);
      expect(more.runsCells).toEqual(['3', '1 of 3']);
      expect(more.warnings).toHaveLength(1);

      // the session writes the rest and finishes
      appendFileSync(path.join(live, 'runs.jsonl'), lines.slice(4).join(''));
      checkpoint(true);
      lock.release();
      const end = await poll('the finished sweep', shown, (state) => state.text.startsWith('Opened') && state.runsCells[1] === '3', 30_000);
      expect(end.text).toMatch(/^Opened 6 runs of the 6 planned from 0-live: its sweep finished while it was followed\. channel 0/);
      expect(end.warnings).toEqual([]);
      expect(end.runsCells).toEqual(['3', '3']);
      expect(problems).toEqual([]);
    } finally {
      lock.release();
      await server.close();
    }
  });

  it("follows a job array's shards as they start: each shard's runs, the plan growing to the whole sweep, until every shard finished", async () => {
    const done = path.join(scratch, 'cli');
    const lines = readFileSync(path.join(done, 'runs.jsonl'), 'utf8').trim().split('\n').map((line) => `${line}\n`);
    const runs = expandSpec(parseSpec(readFileSync(path.join(done, 'spec.json'), 'utf8')));
    const array = path.join(scratch, 'array');
    // shard k of 2 as `run --shard k/2` writes it: its runs' lines, its checkpoint naming the shard
    const shardLines = (index: number) => {
      const ids = new Set(selectShard(runs, { index, count: 2 }).map((run) => run.id));
      return lines.filter((line) => ids.has((JSON.parse(line) as { id: string }).id));
    };
    const startShard = (index: number, recorded: number) => {
      const dir = path.join(array, `shard-${index}`);
      mkdirSync(dir, { recursive: true });
      copyFileSync(path.join(done, 'spec.json'), path.join(dir, 'spec.json'));
      checkpointOf(dir, index, false);
      writeFileSync(path.join(dir, 'runs.jsonl'), shardLines(index).slice(0, recorded).join(''));
      return dir;
    };
    const checkpointOf = (dir: string, index: number, finished: boolean) =>
      writeFileSync(path.join(dir, 'checkpoint.json'), JSON.stringify({ format: 1, shard: { index, count: 2 }, runs: 3, completed: 0, byReason: {}, finished, updatedAt: new Date().toISOString() }));
    const first = startShard(1, 1);
    const lock = FolderLock.acquire(first);
    const server = await startDashboardServer({ webRoot: webBuild, resultDirs: [array], port: 0 });
    try {
      const { shown, problems } = await openServedFolder(server);

      // one shard of two started: its 3 runs planned, the other shard named as missing
      const one = await poll('the first shard', shown, (state) => state.text.startsWith('Following'));
      expect(one.text).toMatch(/^Following 0-array: 1 run of the 3 planned recorded, and a session is writing more\./);
      expect(one.warnings[0]).toMatch(/^This folder holds shard 1\/2 of a sweep in 2: shard 2\/2 \(3 of the sweep's 6 runs\) is in others\./);

      // the other task starts: its folder is followed, and the whole sweep is planned
      startShard(2, 2);
      const both = await poll('the second shard', shown, (state) => /^Following 0-array: 3 runs of the 6 planned/.test(state.text), 30_000);
      expect(both.total).toBe('6');
      expect(both.warnings.some((warning) => /shard 2\/2/.test(warning))).toBe(false);

      // both write the rest and finish
      appendFileSync(path.join(first, 'runs.jsonl'), shardLines(1).slice(1).join(''));
      appendFileSync(path.join(array, 'shard-2', 'runs.jsonl'), shardLines(2).slice(2).join(''));
      checkpointOf(first, 1, true);
      checkpointOf(path.join(array, 'shard-2'), 2, true);
      lock.release();
      const end = await poll('the finished array', shown, (state) => state.text.startsWith('Opened'), 40_000);
      expect(end.text).toMatch(/^Opened 6 runs of the 6 planned from 0-array: its sweep finished while it was followed\./);
      expect(end.warnings).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      lock.release();
      await server.close();
    }
  });
});
