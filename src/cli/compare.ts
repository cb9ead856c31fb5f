// `channelscope compare A B`: run-by-run agreement of two results folders of the same spec.
import { realpathSync } from 'node:fs';
import { compareSweeps, formatComparison } from '../experiment/compare.js';
import { readFolderRecords, type RunRecord } from '../experiment/results.js';
import { InputError } from '../user-input/input-error.js';
import { fractionOption, nonNegativeNumberOption } from './number-options.js';

/** A folder's records; one without any (a sweep killed before its first run ended) is said as such, not as an unrelated spec. */
async function recordsOf(folder: string): Promise<RunRecord[]> {
  const records = await readFolderRecords(folder, 'compare');
  if (records.length === 0) throw new InputError(`compare: ${folder} holds no finished runs yet (no complete record in its runs.jsonl)`);
  return records;
}

/**
 * Prints the comparison; with --min-agreement, exit code 1 when fewer of the runs both folders hold
 * than that end in the same place (as diff exits 1 on a difference), for scripts. Runs only one
 * folder holds (a reference of a subset, or a sweep cut short) are outside the gate, and said so.
 */
export async function compareCommand(first: string, second: string, options: { lossRtol: string; minAgreement?: string; json?: boolean }): Promise<void> {
  const lossRtol = nonNegativeNumberOption('--loss-rtol', options.lossRtol);
  const minAgreement = options.minAgreement === undefined ? undefined : fractionOption('--min-agreement', options.minAgreement);
  const [firstRecords, secondRecords] = [await recordsOf(first), await recordsOf(second)];
  // (allowed: it shows the folder reads back the same; but a slip of the shell's completion is likelier)
  if (realpathSync(first) === realpathSync(second)) process.stderr.write(`compare: note: ${first} and ${second} are the same folder; every run agrees with itself\n`);
  const comparison = compareSweeps(firstRecords, secondRecords, { lossRtol });
  if (comparison.compared === 0) throw new InputError(`compare: ${first} and ${second} share no run ids (different specs or seeds?)`);
  process.stdout.write(options.json ? `${JSON.stringify(comparison, null, 2)}\n` : formatComparison(comparison, [first, second]));
  if (minAgreement === undefined) return;
  const unmatched = comparison.onlyInFirst.length + comparison.onlyInSecond.length;
  if (unmatched > 0) {
    process.stderr.write(`compare: note: --min-agreement counts only the runs both folders hold (${comparison.compared}); ${comparison.onlyInFirst.length} are only in ${first}, ${comparison.onlyInSecond.length} only in ${second}\n`);
  }
  const agreement = comparison.agreeing / comparison.compared;
  if (agreement < minAgreement) {
    process.stderr.write(`compare: ${comparison.agreeing} of ${comparison.compared} runs (${(100 * agreement).toFixed(1)}%) end in the same place, fewer than --min-agreement ${options.minAgreement}\n`);
    process.exitCode = 1;
  }
}
