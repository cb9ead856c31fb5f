// Which spec comes with opened results (cs-results-loader): the spec.json beside each runs.jsonl,
// when every folder has one and they are one sweep's; the dashboard shows that preset's tables. In
// Node (Lit's server-side DOM shim); the loader is never connected, its load() is called directly.
import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/experiment/results.js';
import { CsResultsLoader, type ProcedureLoadedDetail, type RecordsLoadedDetail } from '../../web/src/views/cs-results-loader.js';
import { finiteTheta, record } from './records.js';

const jsonl = (records: RunRecord[]) => `${records.map((r) => JSON.stringify(r)).join('\n')}\n`;
const file = (name: string, text: string) => ({ name, text: async () => text });
const PRESET_SPEC = { name: 'loss-levels', description: 'loss-levels --quick: …', seeds: 2 };

async function opened(...files: { name: string; text: () => Promise<string> }[]): Promise<RecordsLoadedDetail> {
  const loader = new CsResultsLoader();
  const loaded: RecordsLoadedDetail[] = [];
  loader.addEventListener('records-loaded', (event) => loaded.push((event as CustomEvent<RecordsLoadedDetail>).detail));
  await loader.load(files);
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
    expect(damaged.notes).toEqual(["a/spec.json is not JSON: the runs are shown without their preset's tables"]);
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
    expect(different.notes).toEqual(["the folders' spec.json files differ (a/spec.json, b/spec.json): they are not one sweep, so no preset's tables are shown"]);
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
