// The loader following a served job array (cs-results-loader followIfWritten), in Node against
// `channelscope serve` itself: shard folders that appear after the sweep was opened join when their
// spec.json is the sweep's (one of another sweep is said once and left out), the plan's folders grow
// with them, and following ends once every shard is there and finished. The follower's intervals are
// shortened; `location` is the server's, as in the page.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboardServer, type DashboardServer } from '../../src/cli/serve.js';
import type { RunRecord } from '../../src/experiment/results.js';
import { FOLLOW_INTERVAL_MS } from '../../web/src/results/follow-runs.js';
import { CsResultsLoader, type FoldersAddedDetail, type FollowStateDetail, type RecordsLoadedDetail, type ResultsListing } from '../../web/src/views/cs-results-loader.js';
import { finiteTheta, record } from './records.js';

const TINY = readFileSync('tests/web/fixtures/tiny-sweep.json', 'utf8');
const jsonl = (ids: string[]) => ids.map((id) => `${JSON.stringify(record(id, finiteTheta))}\n`).join('');
const checkpoint = (index: number, finished: boolean) => JSON.stringify({ format: 1, shard: { index, count: 2 }, runs: 3, completed: 3, byReason: {}, finished, updatedAt: '' });

let scratch: string;
const saved = { ...FOLLOW_INTERVAL_MS };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'channelscope-follow-shards-'));
  mkdirSync(path.join(scratch, 'web'));
  writeFileSync(path.join(scratch, 'web', 'index.html'), '<!doctype html>');
  Object.assign(FOLLOW_INTERVAL_MS, { writing: 20, idle: 20 });
});

afterAll(() => {
  Object.assign(FOLLOW_INTERVAL_MS, saved);
  delete (globalThis as { location?: unknown }).location;
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

function shard(array: string, name: string, spec: string, index: number, ids: string[], finished = true): void {
  mkdirSync(path.join(array, name), { recursive: true });
  writeFileSync(path.join(array, name, 'spec.json'), spec);
  writeFileSync(path.join(array, name, 'checkpoint.json'), checkpoint(index, finished));
  writeFileSync(path.join(array, name, 'runs.jsonl'), jsonl(ids));
}

/** The loader on the served array, with what it dispatches (`refuse`: its records-loaded cancelled, as a page running a sweep does). */
async function opened(array: string, { refuse = false, listed = (entry: ResultsListing) => entry } = {}): Promise<{ server: DashboardServer; loader: CsResultsLoader; loaded: RecordsLoadedDetail[]; appended: RunRecord[]; added: FoldersAddedDetail[]; states: FollowStateDetail[] }> {
  const server = await startDashboardServer({ webRoot: path.join(scratch, 'web'), resultDirs: [array], port: 0 });
  (globalThis as { location?: unknown }).location = new URL(server.url);
  const loader = new CsResultsLoader();
  const loaded: RecordsLoadedDetail[] = [];
  const appended: RunRecord[] = [];
  const added: FoldersAddedDetail[] = [];
  const states: FollowStateDetail[] = [];
  loader.addEventListener('records-loaded', (event) => {
    loaded.push((event as CustomEvent<RecordsLoadedDetail>).detail);
    if (refuse) event.preventDefault();
  });
  loader.addEventListener('records-appended', (event) => appended.push(...(event as CustomEvent<{ records: RunRecord[] }>).detail.records));
  loader.addEventListener('folders-added', (event) => added.push((event as CustomEvent<FoldersAddedDetail>).detail));
  loader.addEventListener('follow-state', (event) => states.push((event as CustomEvent<FollowStateDetail>).detail));
  // (opening a folder asks the server for its listing again: it gets it as `listed` has it too)
  const fetchListing = loader.fetchListing.bind(loader);
  loader.fetchListing = async () => (await fetchListing())?.map(listed) ?? null;
  const [entry] = (await (await fetch(new URL('/api/results', server.url))).json()) as ResultsListing[];
  await loader.loadListed(listed(entry));
  return { server, loader, loaded, appended, added, states };
}

/** `body` on the loader of the served array (opened), then its following stopped and its server closed. */
async function whileOpened(array: string, options: Parameters<typeof opened>[1], body: (open: Awaited<ReturnType<typeof opened>>) => Promise<void>): Promise<void> {
  const open = await opened(array, options);
  try {
    await body(open);
  } finally {
    open.loader.stopFollowing();
    await open.server.close();
  }
}

/** Waits for ok(), for up to 30 s: polls take tens of ms, but a loaded 2-core machine may take far longer. */
async function until(what: string, ok: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!ok() && Date.now() < deadline) await sleep(20);
  if (!ok()) throw new Error(`${what}: not after 30 s`);
}

describe("following a served job array's shards as they start", () => {
  it("waits for the missing shard, leaves out a folder of another sweep, joins the sweep's, and ends when all finished", async () => {
    const array = path.join(scratch, 'array');
    shard(array, 'shard-1', TINY, 1, ['a', 'b', 'c']);
    await whileOpened(array, {}, async ({ loader, loaded, appended, added, states }) => {
      expect(loaded.map((detail) => detail.records.length)).toEqual([3]);
      // its one shard finished, but shard 2 of 2 has not started: followed, waiting
      await until('the first poll', () => states.length > 0);
      expect(states.at(-1)).toMatchObject({ finished: true, complete: false, stopped: false });
      expect(loader.status).toBe('loaded 3 runs from 0-array — following it: the runs written since come in (see Progress)');

      // a folder of another sweep appears beside it: said once, not joined
      shard(array, 'other', JSON.stringify({ ...JSON.parse(TINY), seeds: 4 }), 2, ['x']);
      await until('the other sweep noted', () => loader.status.includes('another sweep'));
      expect(loader.status).toMatch(/ — 0-array\/other\/runs\.jsonl appeared, but its spec\.json is another sweep's: its runs are not shown$/);
      expect(loader.status.startsWith('loaded 3 runs from 0-array — following it')).toBe(true);
      await sleep(200);
      expect(loader.status.match(/another sweep/g)).toHaveLength(1);
      expect(added).toEqual([]);

      // shard 2 starts, its spec worded otherwise but the same sweep: joined, its runs read from the start
      shard(array, 'shard-2', JSON.stringify({ ...JSON.parse(TINY), seeds: [0, 1, 2] }), 2, ['d', 'e', 'f']);
      await until('shard 2 followed to the end', () => states.at(-1)?.stopped === true);
      expect(added.map((detail) => detail.folders.map((folder) => [folder.runsFile, folder.share]))).toEqual([[['0-array/shard-2/runs.jsonl', { shard: { index: 2, count: 2 }, chosenRuns: null }]]]);
      expect(appended.map((r) => r.id)).toEqual(['d', 'e', 'f']);
      expect(states.at(-1)).toMatchObject({ finished: true, complete: true, stopped: true, runs: 6 });
      // the loader's own line: what it loaded, then how far following got
      expect(loader.status).toMatch(/^loaded 3 runs from 0-array — 0-array\/other\/runs\.jsonl appeared, .* — followed to 6 runs$/);
    });
  });

  it('waits for nothing where no folder can join: a spec this version does not read, or the served folder is one shard', async () => {
    const old = path.join(scratch, 'old-array');
    shard(old, 'shard-1', JSON.stringify({ name: 'from an older version', grid: 'unknown' }), 1, ['a']);
    const alone = path.join(scratch, 'array', 'shard-1');
    for (const folder of [old, alone]) {
      await whileOpened(folder, {}, async ({ loaded, states }) => {
        expect(loaded).toHaveLength(1);
        await sleep(150);
        // every session finished and nothing can come: not followed at all
        expect(states).toEqual([]);
      });
    }
  });

  it('follows nothing the page refused to show (a sweep runs in it), and says nothing was loaded', async () => {
    const array = path.join(scratch, 'refused');
    shard(array, 'shard-1', TINY, 1, ['a', 'b', 'c'], false);
    await whileOpened(array, { refuse: true }, async ({ loader, loaded, states }) => {
      expect(loaded).toHaveLength(1);
      await sleep(150);
      // its session has not finished, and yet: not followed
      expect(states).toEqual([]);
      expect(loader.status).toBe('');
    });
  });

  it('opens a folder as the server lists it at the click, not at the page load: a sweep started into it since is read', async () => {
    const array = path.join(scratch, 'started-later');
    mkdirSync(array);
    const server = await startDashboardServer({ webRoot: path.join(scratch, 'web'), resultDirs: [array], port: 0 });
    try {
      (globalThis as { location?: unknown }).location = new URL(server.url);
      const loader = new CsResultsLoader();
      const loaded: RecordsLoadedDetail[] = [];
      loader.addEventListener('records-loaded', (event) => loaded.push((event as CustomEvent<RecordsLoadedDetail>).detail));
      const [before] = (await loader.fetchListing()) ?? [];
      expect(before.files).toEqual([]);
      shard(array, 'shard-1', TINY, 1, ['a', 'b', 'c']);
      await loader.loadListed(before);
      expect(loader.error).toBe('');
      expect(loaded.map((detail) => detail.records.length)).toEqual([3]);
      // and the list on the page says what it holds now
      expect(loader.listing?.[0].files).toContain('shard-1/runs.jsonl');
      loader.stopFollowing();
    } finally {
      await server.close();
    }
  });

  it("says where the server's listing of the folder was cut", async () => {
    const array = path.join(scratch, 'cut');
    shard(array, 'shard-1', TINY, 1, ['a', 'b', 'c']);
    shard(array, 'shard-2', TINY, 2, ['d', 'e', 'f']);
    // (as the server lists a folder of more files than MAX_LISTED_FILES: here cut after the first shard)
    await whileOpened(array, { listed: (entry) => ({ ...entry, files: entry.files.filter((file) => file.startsWith('shard-1/')), truncated: true }) }, async ({ loader, loaded, states }) => {
      expect(loaded.map((detail) => detail.records.length)).toEqual([3]);
      expect(loader.status).toContain('the server lists only the first 3 files of 0-cut: runs in folders after them are not shown');
      // its shard finished, and the shards past the cut are not waited for: not followed
      await sleep(100);
      expect(states).toEqual([]);
    });
  });

  it('says nothing more of a followed sweep once the same folder is opened again (its stopped state would be taken for the new opening)', async () => {
    const array = path.join(scratch, 'reopened');
    shard(array, 'shard-1', TINY, 1, ['a', 'b', 'c'], false);
    // the served folder is the shard itself, its session unfinished: followed
    await whileOpened(path.join(array, 'shard-1'), {}, async ({ server, loader, states }) => {
      await until('the first poll', () => states.length > 0);
      const events: string[] = [];
      loader.addEventListener('records-loaded', () => events.push('loaded'));
      loader.addEventListener('follow-state', (event) => events.push((event as CustomEvent<FollowStateDetail>).detail.stopped ? 'stopped' : 'following'));
      const [entry] = (await (await fetch(new URL('/api/results', server.url))).json()) as ResultsListing[];
      await loader.loadListed(entry);
      // (the new follower's first poll: three requests, which a loaded machine may take a while over)
      await until("the new follower's first word", () => events.indexOf('loaded') >= 0 && events.length > events.indexOf('loaded') + 1);
      // and a moment more, for a late word of the old follower's
      await sleep(100);
      // after the opening, only the new follower's word: following, never the old one's "stopped"
      const after = events.slice(events.indexOf('loaded') + 1);
      expect(after.every((event) => event === 'following')).toBe(true);
    });
  });
});
