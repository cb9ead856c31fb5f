// Loading runs.jsonl in the dashboard: records parsed, a damaged line named, a torn last line dropped.
import { describe, expect, it } from 'vitest';
import { joinRecordSets, parseRunsJsonl, ResultsFileError, sweepRunsFiles } from '../../web/src/results/parse-jsonl.js';
import { finiteTheta, record } from './records.js';

const line = (id: string) => JSON.stringify(record(id, finiteTheta));

describe('parseRunsJsonl', () => {
  it('reads every record and skips blank lines (CRLF too)', () => {
    const { records, notes } = parseRunsJsonl(`${line('a')}\r\n\n${line('b')}\n`, 'runs.jsonl');
    expect(records.map((r) => r.id)).toEqual(['a', 'b']);
    expect(notes).toEqual([]);
  });

  it('names the file and line of a damaged record', () => {
    const text = `${line('a')}\n{"id": "b", broken\n${line('c')}\n`;
    expect(() => parseRunsJsonl(text, 'sweep/runs.jsonl')).toThrowError(/sweep\/runs\.jsonl: line 2 is not valid JSON/);
    try {
      parseRunsJsonl(text, 'sweep/runs.jsonl');
    } catch (error) {
      expect(error).toBeInstanceOf(ResultsFileError);
      expect((error as ResultsFileError).line).toBe(2);
    }
  });

  it('refuses JSON that is not a run record, naming the line and what is missing', () => {
    expect(() => parseRunsJsonl(`${line('a')}\n[1,2]\n`, 'x.jsonl')).toThrowError(/line 2 is not a run record/);
    expect(() => parseRunsJsonl(`{"id":"q","config":{}}\n`, 'x.jsonl')).toThrowError(/line 1 \(run q\) lacks params, stopReason/);
    expect(() => parseRunsJsonl('\n\n', 'empty.jsonl')).toThrowError(/no run records/);
  });

  it('drops a torn last line (no newline) with a note, as resume does', () => {
    const { records, notes } = parseRunsJsonl(`${line('a')}\n{"id":"b","con`, 'runs.jsonl');
    expect(records).toHaveLength(1);
    expect(notes[0]).toMatch(/dropped line 2, an incomplete last line/);
  });

  it('joins files, keeping the first record of a repeated id', () => {
    const a = parseRunsJsonl(`${line('a')}\n${line('b')}\n`, 'one').records;
    const b = parseRunsJsonl(`${line('b')}\n${line('c')}\n`, 'two').records;
    const joined = joinRecordSets([{ records: a, source: 'one' }, { records: b, source: 'two' }]);
    expect(joined.records.map((r) => r.id)).toEqual(['a', 'b', 'c']);
    expect(joined.notes).toEqual(['two: skipped 1 run already loaded from another file (same id)']);
  });
});

describe('sweepRunsFiles', () => {
  it("takes a served folder's own runs.jsonl, else its shards', never the follow-up experiments below", () => {
    // a results folder with follow-up runs in subfolders (edge-of-stability-4-seeds-2026-12-06)
    expect(sweepRunsFiles(['README.md', 'runs.jsonl', 'spec.json', 'from-the-channel/eta-0.01/runs.jsonl', 'from-the-channel/eta-1/runs.jsonl'])).toEqual(['runs.jsonl']);
    // a folder of shards, one of which has follow-ups of its own
    expect(sweepRunsFiles(['s1/runs.jsonl', 's2/runs.jsonl', 's2/more/x/runs.jsonl', 'notes.txt'])).toEqual(['s1/runs.jsonl', 's2/runs.jsonl']);
    expect(sweepRunsFiles(['spec.json'])).toEqual([]);
  });
});
