// Which spec comes with opened results (cs-results-loader): the spec.json beside each runs.jsonl,
// when every folder has one and they are one sweep's; the dashboard shows that preset's tables. In
// Node (Lit's server-side DOM shim); the loader is never connected, its load() is called directly.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/experiment/results.js';
import { validateSpec } from '../../src/experiment/spec.js';
import { plannedRunsOf } from '../../src/experiment/sweep-plan.js';
import { CsResultsLoader, type ProcedureLoadedDetail, type RecordsLoadedDetail } from '../../web/src/views/cs-results-loader.js';
import { finiteTheta, record } from './records.js';

const jsonl = (records: RunRecord[]) => `${records.map((r) => JSON.stringify(r)).join('\n')}\n`;
const file = (name: string, text: string) => ({ name, text: async () => text });
const PRESET_SPEC = { name: 'loss-levels', description: 'loss-levels --quick: …', seeds: 2 };

async function opened(...files: { name: string; text: () => Promise<string> }[]): Promise<RecordsLoadedDetail> {
  return openedAs(false, ...files);
}

/** `wholeFolders`: the files are all their folders hold (a served, chosen or dropped folder), not loose files. */
async function openedAs(wholeFolders: boolean, ...files: { name: string; text: () => Promise<string> }[]): Promise<RecordsLoadedDetail> {
  const loader = new CsResultsLoader();
  const loaded: RecordsLoadedDetail[] = [];
  loader.addEventListener('records-loaded', (event) => loaded.push((event as CustomEvent<RecordsLoadedDetail>).detail));
  await loader.load(files, { wholeFolders });
  expect(loader.error).toBe('');
  expect(loaded).toHaveLength(1);
  return loaded[0];
}

describe('the spec that comes with opened results', () => {
  it("is the folder's spec.json beside its runs.jsonl, or the shards' one spec (the same JSON, however it is laid out)", async () => {
    const alone = await opened(file('a/runs.jsonl', jsonl([record('x', finiteTheta)])), file('a/spec.json', JSON.stringify(PRESET_SPEC)));
    expect(alone.spec).toEqual(PRESET_SPEC);
    expect(alone.notes).toEqual([]);
    const shards = await opened(
      file('s/shard-1/runs.jsonl', jsonl([record('x', finiteTheta)])),
      file('s/shard-1/spec.json', JSON.stringify(PRESET_SPEC)),
      file('s/shard-2/runs.jsonl', jsonl([record('y', finiteTheta)])),
      file('s/shard-2/spec.json', JSON.stringify(PRESET_SPEC, null, 2)),
    );
    expect(shards.records.map((r) => r.id)).toEqual(['x', 'y']);
    expect(shards.spec).toEqual(PRESET_SPEC);
    // a spec.json saved with a byte-order mark (a Windows editor) reads as the command line reads it
    const marked = await opened(file('a/runs.jsonl', jsonl([record('x', finiteTheta)])), file('a/spec.json', `\uFEFF${JSON.stringify(PRESET_SPEC)}`));
    expect(marked.spec).toEqual(PRESET_SPEC);
  });

  it('is none for loose runs files, a folder without one, a spec that is not JSON, or folders of different sweeps (then a note says why)', async () => {
    expect((await opened(file('runs.jsonl', jsonl([record('x', finiteTheta)])))).spec).toBeNull();
    // one of two folders has none: the runs are not known to be that sweep's alone
    const partly = await opened(file('a/runs.jsonl', jsonl([record('x', finiteTheta)])), file('a/spec.json', JSON.stringify(PRESET_SPEC)), file('b/runs.jsonl', jsonl([record('y', finiteTheta)])));
    expect(partly.spec).toBeNull();
    // a spec.json elsewhere than beside the runs is not theirs
    expect((await opened(file('a/runs.jsonl', jsonl([record('x', finiteTheta)])), file('b/spec.json', JSON.stringify(PRESET_SPEC)))).spec).toBeNull();
    const damaged = await opened(file('a/runs.jsonl', jsonl([record('x', finiteTheta)])), file('a/spec.json', '{"name": "loss-levels",'));
    expect(damaged.spec).toBeNull();
    expect(damaged.notes).toHaveLength(1);
    expect(damaged.notes[0]).toMatch(/^a\/spec\.json does not read as JSON \(.*\(line 1 column 24\)\): the runs are shown without their preset's tables$/);
    // a key given twice is named, not passed off as a file that is not JSON
    const twice = await opened(file('a/runs.jsonl', jsonl([record('x', finiteTheta)])), file('a/spec.json', '{"name": "loss-levels", "seeds": 1, "seeds": 2}'));
    expect(twice.notes).toEqual(['a/spec.json does not read as JSON ("seeds" is given twice in one object (line 1 column 37): JSON would keep only the last; give it once): the runs are shown without their preset\'s tables']);
    // a served spec.json that does not come (the server answered 404)
    const unread = await opened(file('a/runs.jsonl', jsonl([record('x', finiteTheta)])), {
      name: 'a/spec.json',
      text: async () => {
        throw new Error('a/spec.json: the server answered 404 Not Found');
      },
    });
    expect(unread.spec).toBeNull();
    expect(unread.notes).toEqual(["a/spec.json could not be read (a/spec.json: the server answered 404 Not Found): the runs are shown without their preset's tables"]);
    const different = await opened(
      file('a/runs.jsonl', jsonl([record('x', finiteTheta)])),
      file('a/spec.json', JSON.stringify(PRESET_SPEC)),
      file('b/runs.jsonl', jsonl([record('y', finiteTheta)])),
      file('b/spec.json', JSON.stringify({ ...PRESET_SPEC, seeds: 3 })),
    );
    expect(different.records).toHaveLength(2);
    expect(different.spec).toBeNull();
    expect(different.notes).toEqual(["the folders' spec.json files differ (a/spec.json and b/spec.json): they are not one sweep, so no preset's tables are shown"]);
  });
});

describe('the runs opened folders plan (their checkpoint.json and continued.json beside runs.jsonl)', () => {
  // 2 configurations × 3 seeds
  const TINY = readFileSync('tests/web/fixtures/tiny-sweep.json', 'utf8');
  const checkpoint = (shard: { index: number; count: number } | null, finished: boolean) => JSON.stringify({ format: 1, shard, runs: 3, completed: 1, byReason: {}, finished, updatedAt: `2026-12-07T10:0${finished ? 5 : 0}:00.000Z` });
  const plannedOf = (detail: RecordsLoadedDetail) => plannedRunsOf(validateSpec(detail.spec), detail.folders.map((folder) => folder.share!));

  it("are each shard's runs, and a continuation's chosen ones; the shards' specs may be worded differently (as merge compares them)", async () => {
    // the same sweep written otherwise: the seeds as a list, a default spelled out
    const reworded = JSON.stringify({ ...JSON.parse(TINY), seeds: [0, 1, 2], maxnorm: 1000 }, null, 1);
    const shards = await opened(
      file('s/1/runs.jsonl', jsonl([record('x', finiteTheta)])),
      file('s/1/spec.json', TINY),
      file('s/1/checkpoint.json', checkpoint({ index: 1, count: 2 }, false)),
      file('s/2/runs.jsonl', jsonl([record('y', finiteTheta)])),
      file('s/2/spec.json', reworded),
      file('s/2/checkpoint.json', checkpoint({ index: 2, count: 2 }, true)),
    );
    expect([shards.spec, shards.notes]).toEqual([JSON.parse(TINY), []]);
    expect(shards.folders).toEqual([
      { runsFile: 's/1/runs.jsonl', share: { shard: { index: 1, count: 2 }, chosenRuns: null }, checkpoint: { finished: false } },
      { runsFile: 's/2/runs.jsonl', share: { shard: { index: 2, count: 2 }, chosenRuns: null }, checkpoint: { finished: true } },
    ]);
    expect(plannedOf(shards).planned).toHaveLength(6);
    expect(plannedOf(shards).missingShards).toBeUndefined();
    // one shard of two: its 3 runs, and the other shard named
    const one = await opened(file('s/1/runs.jsonl', jsonl([record('x', finiteTheta)])), file('s/1/spec.json', TINY), file('s/1/checkpoint.json', checkpoint({ index: 1, count: 2 }, false)));
    expect(plannedOf(one).planned).toHaveLength(3);
    expect(plannedOf(one).missingShards).toEqual({ count: 2, given: [1], missing: [2], runs: 3, sweepRuns: 6 });
    // the whole sweep's folder
    const whole = await opened(file('runs.jsonl', jsonl([record('x', finiteTheta)])), file('spec.json', TINY), file('checkpoint.json', checkpoint(null, true)));
    expect(plannedOf(whole).planned).toHaveLength(6);
    // runs.jsonl and spec.json chosen without the checkpoint.json: perhaps one shard's, so the runs planned are not guessed
    const bare = await opened(file('runs.jsonl', jsonl([record('x', finiteTheta)])), file('spec.json', TINY));
    expect(bare.folders).toEqual([{ runsFile: 'runs.jsonl', share: null, checkpoint: null }]);
    // the same as a whole folder that has no checkpoint.json (served, or chosen as a folder): the whole
    // sweep, as `channelscope report` reads it (the page had shown no "recorded 1 of 6" where the report did)
    const folder = await openedAs(true, file('f/runs.jsonl', jsonl([record('x', finiteTheta)])), file('f/spec.json', TINY));
    expect(folder.folders).toEqual([{ runsFile: 'f/runs.jsonl', share: { shard: null, chosenRuns: null }, checkpoint: null }]);
    expect(plannedOf(folder).planned).toHaveLength(6);
    // a continuation plans the runs it chose: its continued.json names those of its own shard (a shard of the chosen runs)
    const chosen = plannedOf(whole).planned.slice(1, 4).map((run) => run.id);
    const continuation = await opened(
      file('c/runs.jsonl', jsonl([record('x', finiteTheta)])),
      file('c/spec.json', TINY),
      file('c/checkpoint.json', checkpoint({ index: 2, count: 2 }, false)),
      file('c/continued.json', JSON.stringify({ from: 'runs/a', set: [], only: null, runs: chosen })),
    );
    expect(plannedOf(continuation).planned.map((run) => run.id)).toEqual(chosen);
  });

  it("open a sweep that has recorded no run yet while its session runs (to be followed), and refuse an empty runs.jsonl otherwise", async () => {
    const started = await opened(file('a/runs.jsonl', ''), file('a/spec.json', TINY), file('a/checkpoint.json', checkpoint(null, false)));
    expect(started.folders[0].checkpoint).toEqual({ finished: false });
    expect(started.records).toEqual([]);
    expect(plannedOf(started).planned).toHaveLength(6);
    for (const files of [[file('a/runs.jsonl', '')], [file('a/runs.jsonl', '\n'), file('a/checkpoint.json', checkpoint(null, true))]]) {
      const loader = new CsResultsLoader();
      let loaded = 0;
      loader.addEventListener('records-loaded', () => loaded++);
      expect(await loader.load(files)).toBeNull();
      expect([loaded, loader.error]).toEqual([0, 'Could not load the results: a/runs.jsonl: no run records in the file\nNothing was loaded; the views still show what was there before.']);
    }
  });

  it('are unknown, with a note, where a checkpoint.json or continued.json cannot be read', async () => {
    const damaged = await opened(file('a/runs.jsonl', jsonl([record('x', finiteTheta)])), file('a/spec.json', TINY), file('a/checkpoint.json', '{"shard": '));
    expect(damaged.records).toHaveLength(1);
    expect(damaged.folders).toEqual([{ runsFile: 'a/runs.jsonl', share: null, checkpoint: null }]);
    expect(damaged.notes).toHaveLength(1);
    expect(damaged.notes[0]).toMatch(/^a\/checkpoint\.json could not be read \(.*\): the runs its folder plans are unknown$/);
    const notObject = await opened(file('a/runs.jsonl', jsonl([record('x', finiteTheta)])), file('a/checkpoint.json', checkpoint(null, true)), file('a/continued.json', '[]'));
    expect(notObject.folders[0].share).toBeNull();
    expect(notObject.notes).toEqual(['a/continued.json is not an object: the runs its folder plans are unknown']);
  });
});

describe("a procedure's folder (no runs: procedure.json and result.json)", () => {
  async function openedProcedure(...files: { name: string; text: () => Promise<string> }[]): Promise<{ procedure: ProcedureLoadedDetail[]; records: number; error: string }> {
    const loader = new CsResultsLoader();
    const procedure: ProcedureLoadedDetail[] = [];
    let records = 0;
    loader.addEventListener('procedure-loaded', (event) => procedure.push((event as CustomEvent<ProcedureLoadedDetail>).detail));
    loader.addEventListener('records-loaded', () => records++);
    await loader.load(files);
    return { procedure, records, error: loader.error };
  }

  it('opens as the procedure: its preset, result and report.md (the shallowest one where a folder holds several)', async () => {
    const result = { jumps: [{ epsilon: 0.1 }] };
    const { procedure, records, error } = await openedProcedure(
      file('cj/procedure.json', JSON.stringify({ preset: 'channel-jump', quick: true, options: {} })),
      file('cj/result.json', JSON.stringify(result)),
      file('cj/report.md', '## channel-jump\n'),
      file('cj/inner/procedure.json', JSON.stringify({ preset: 'gd-from-channel' })),
      file('cj/inner/result.json', '{}'),
    );
    expect([records, error]).toEqual([0, '']);
    expect(procedure).toEqual([
      { preset: 'channel-jump', quick: true, result, markdown: '## channel-jump\n', source: 'cj', notes: ['1 more procedure folder here, not opened (cj/inner): open each on its own'] },
    ]);
    // without report.md: '' (the page says report DIR writes it)
    const bare = await openedProcedure(file('procedure.json', JSON.stringify({ preset: 'saddle-perturbation' })), file('result.json', '{}'));
    expect(bare.procedure).toEqual([{ preset: 'saddle-perturbation', quick: false, result: {}, markdown: '', source: 'the chosen files', notes: [] }]);
    // a report.md that does not come (a 404 after the listing): the procedure opens without it, saying so
    const unread = await openedProcedure(file('p/procedure.json', JSON.stringify({ preset: 'channel-jump' })), file('p/result.json', '{}'), {
      name: 'p/report.md',
      text: async () => {
        throw new Error('the server answered 404 Not Found');
      },
    });
    expect(unread.procedure.map((p) => [p.markdown, p.notes])).toEqual([['', ['p/report.md could not be read (the server answered 404 Not Found)']]]);
  });

  it('names what is wrong: a result that is not JSON, a procedure.json that names no procedure, a folder with neither runs nor a result', async () => {
    const damaged = await openedProcedure(file('p/procedure.json', JSON.stringify({ preset: 'channel-jump' })), file('p/result.json', '{"jumps": ['));
    expect(damaged.procedure).toEqual([]);
    expect(damaged.error).toMatch(/^Could not load the results: p\/result\.json is not JSON \(/);
    const nameless = await openedProcedure(file('p/procedure.json', '{}'), file('p/result.json', '{}'));
    expect(nameless.error).toMatch(/p\/procedure\.json names no procedure \("preset" is missing\)/);
    // a procedure.json without its result.json is no procedure's folder
    const half = await openedProcedure(file('p/procedure.json', JSON.stringify({ preset: 'channel-jump' })));
    expect(half.error).toMatch(/^no \.jsonl file found: drop runs\.jsonl files or results folders/);
  });
});
