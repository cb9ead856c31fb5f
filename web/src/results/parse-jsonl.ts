// Reading runs.jsonl in the browser (no file system): the same contract as the command line's
// reader (src/experiment/results.ts), which needs node:fs. A damaged line stops the load with an
// error naming the file and the line, so a scientist never looks at silently thinned statistics;
// a damaged LAST line without a newline is a write interrupted by a kill and is dropped with a note.
import type { RunRecord } from '../../../src/experiment/results.js';
import { baseName, RUNS_FILE } from '../../../src/experiment/folder-files.js';

export class ResultsFileError extends Error {
  constructor(
    message: string,
    readonly source: string,
    readonly line: number | null,
  ) {
    super(message);
    this.name = 'ResultsFileError';
  }
}

export interface ParsedRuns {
  records: RunRecord[];
  /** things worth telling the user that did not stop the load (a dropped partial last line, duplicates) */
  notes: string[];
}

const REQUIRED_FIELDS = ['config', 'params', 'stopReason'] as const;

/**
 * Parses the text of a runs.jsonl file; throws ResultsFileError naming the line that is not a record,
 * and for a file without records unless `emptyAllowed` (a sweep just started, which is followed).
 */
export function parseRunsJsonl(text: string, source: string, emptyAllowed = false): ParsedRuns {
  const records: RunRecord[] = [];
  const notes: string[] = [];
  const lines = text.split('\n');
  const endsWithNewline = text.endsWith('\n');
  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index].replace(/\r$/, '');
    if (raw.trim() === '') continue;
    const lineNumber = index + 1;
    const isUnterminatedLast = index === lines.length - 1 && !endsWithNewline;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      if (isUnterminatedLast) {
        notes.push(`${source}: dropped line ${lineNumber}, an incomplete last line (a write interrupted while the sweep was running)`);
        continue;
      }
      throw new ResultsFileError(`${source}: line ${lineNumber} is not valid JSON (${(error as Error).message})`, source, lineNumber);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value) || typeof (value as { id?: unknown }).id !== 'string') {
      throw new ResultsFileError(`${source}: line ${lineNumber} is not a run record (no string "id"); is this a runs.jsonl written by \`channelscope run\`?`, source, lineNumber);
    }
    const missing = REQUIRED_FIELDS.filter((field) => !(field in (value as object)));
    if (missing.length > 0) {
      throw new ResultsFileError(`${source}: line ${lineNumber} (run ${(value as { id: string }).id}) lacks ${missing.join(', ')}`, source, lineNumber);
    }
    records.push(value as RunRecord);
  }
  if (records.length === 0 && !emptyAllowed) throw new ResultsFileError(`${source}: no run records in the file`, source, null);
  return { records, notes };
}

/**
 * Joins the records of several files (shards of one sweep, or different sweeps). A run id seen
 * twice keeps its first record: shards never overlap, so a duplicate means the same file twice.
 */
export function joinRecordSets(sets: readonly { records: RunRecord[]; source: string }[]): ParsedRuns {
  const seen = new Set<string>();
  const records: RunRecord[] = [];
  const notes: string[] = [];
  for (const { records: batch, source } of sets) {
    let duplicates = 0;
    for (const record of batch) {
      if (seen.has(record.id)) {
        duplicates++;
        continue;
      }
      seen.add(record.id);
      records.push(record);
    }
    if (duplicates > 0) notes.push(`${source}: skipped ${duplicates} run${duplicates === 1 ? '' : 's'} already loaded from another file (same id)`);
  }
  return { records, notes };
}

/**
 * The runs.jsonl files of a served folder that make its sweep: its own, or, where it has none, those
 * of the folders nearest below it (the sweep's shards) — not those further down, which are other
 * experiments kept beside the sweep (a results folder's from-the-channel/NAME/ follow-up runs).
 */
export function sweepRunsFiles(files: readonly string[]): string[] {
  const runsFiles = files.filter((file) => baseName(file) === RUNS_FILE);
  const depth = (file: string) => file.split('/').length;
  const nearest = Math.min(...runsFiles.map(depth));
  return runsFiles.filter((file) => depth(file) === nearest);
}
