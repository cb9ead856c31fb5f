// The dashboard's components when the user acts faster than files are read or runs are computed:
// an answer to an earlier choice must not replace a later one's. In Node (Lit's server-side DOM
// shim); the components are never connected, so nothing renders and their handlers are called directly.
import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/experiment/results.js';
import { CsResultsLoader, type RecordsLoadedDetail } from '../../web/src/views/cs-results-loader.js';
import { finiteTheta, record } from './records.js';

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const jsonl = (records: RunRecord[]) => `${records.map((r) => JSON.stringify(r)).join('\n')}\n`;

/** a file whose text the test hands over when it chooses */
function slowFile(name: string) {
  const text = deferred<string>();
  return { file: { name, text: () => text.promise }, arrive: text.resolve };
}

describe('opening results', () => {
  it('a slow first choice that finishes reading after a later one does not replace it', async () => {
    const loader = new CsResultsLoader();
    const loaded: RecordsLoadedDetail[] = [];
    loader.addEventListener('records-loaded', (event) => loaded.push((event as CustomEvent<RecordsLoadedDetail>).detail));
    const first = slowFile('big/runs.jsonl');
    const firstLoad = loader.load([first.file]);
    await loader.load([{ name: 'small/runs.jsonl', text: async () => jsonl([record('b', finiteTheta)]) }]);
    first.arrive(jsonl([record('a', finiteTheta)]));
    await firstLoad;
    expect(loaded.map((detail) => detail.source)).toEqual(['small/runs.jsonl']);
    expect(loader.status).toMatch(/^loaded 1 runs from small\/runs\.jsonl/);
  });

  it('nor does its failure put an error under the later choice', async () => {
    const loader = new CsResultsLoader();
    const first = slowFile('damaged/runs.jsonl');
    const firstLoad = loader.load([first.file]);
    await loader.load([{ name: 'small/runs.jsonl', text: async () => jsonl([record('b', finiteTheta)]) }]);
    first.arrive('not json\n');
    await firstLoad;
    expect(loader.error).toBe('');
  });
});
