// `report` over a results folder: reads its runs.jsonl and summarises it (summary.ts, which the
// dashboard shares without a file system).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../model/input-error.js';
import { readRecords, RUNS_FILE, type RunRecord } from './results.js';
import { summarizeRecords, type Report } from './summary.js';

export { classifyRecord, formatReport, GROUP_ALIASES, summarizeRecords, type ClassifiedRun, type Report } from './summary.js';

export async function buildReport(folder: string, by: string[]): Promise<Report> {
  const file = path.join(folder, RUNS_FILE);
  if (!existsSync(file)) throw new InputError(`report: ${folder} holds no ${RUNS_FILE} (is it a results folder of \`channelscope run\`?)`);
  const { records } = await readRecords<RunRecord>(file);
  return summarizeRecords(records, by, folder);
}
