// `channelscope compare A B`: run-by-run agreement of two results folders of the same spec.
import { compareSweeps, formatComparison } from '../experiment/compare.js';
import { readFolderRecords } from '../experiment/results.js';
import { InputError } from '../user-input/input-error.js';
import { nonNegativeNumberOption } from './number-options.js';

const recordsOf = (folder: string) => readFolderRecords(folder, 'compare');

export async function compareCommand(first: string, second: string, options: { lossRtol: string; json?: boolean }): Promise<void> {
  const lossRtol = nonNegativeNumberOption('--loss-rtol', options.lossRtol);
  const comparison = compareSweeps(await recordsOf(first), await recordsOf(second), { lossRtol });
  if (comparison.compared === 0) throw new InputError(`compare: ${first} and ${second} share no run ids (different specs or seeds?)`);
  process.stdout.write(options.json ? `${JSON.stringify(comparison, null, 2)}\n` : formatComparison(comparison, [first, second]));
}
