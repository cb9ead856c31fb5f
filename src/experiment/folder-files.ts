// The files a results folder holds, by name: what `channelscope run`, `continue` and the procedure
// presets write, and which of them the dashboard reads. No file system here: the page and `serve` use it
// alike (serve lists a folder's files the page reads; the page finds a sweep's files by these names).

export const SPEC_FILE = 'spec.json';
export const RUNS_FILE = 'runs.jsonl';
export const CHECKPOINT_FILE = 'checkpoint.json';
/** a continuation's provenance (results.ts ContinuationFile): the folder it continues, its edits and the runs it plans */
export const CONTINUED_FILE = 'continued.json';
/** What a procedure preset's folder holds instead of spec.json / runs.jsonl. */
export const PROCEDURE_FILE = 'procedure.json';
export const PROCEDURE_RESULT_FILE = 'result.json';
/** The preset report's files inside a results folder. */
export const PRESET_REPORT_FILE = 'report.md';
export const PRESET_TABLES_DIR = 'tables';
/** held by the session writing the folder (folder-lock.ts) */
export const LOCK_FILE = 'channelscope.lock';

const READ_BY_DASHBOARD = new Set([SPEC_FILE, CHECKPOINT_FILE, CONTINUED_FILE, PROCEDURE_FILE, PROCEDURE_RESULT_FILE, PRESET_REPORT_FILE, LOCK_FILE]);

/**
 * Whether the dashboard reads a file of this name (a base name): run records (any .jsonl, runs.jsonl
 * first), the sweep's spec, checkpoint and continuation beside them, a procedure's files, and the
 * lock that says a session is writing the folder.
 */
export function readByDashboard(baseName: string): boolean {
  return baseName.endsWith('.jsonl') || READ_BY_DASHBOARD.has(baseName);
}

/** A '/'-separated path's last segment, the file's own name (as the page names files: served paths, chosen files, a spec's data files). */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
