// `channelscope analyze`: diagnostics and verdict of one network given as files, or of one run of a sweep.
import { analyzeNetworkFiles, analyzeRecord, formatNetworkAnalysis, type FileAnalysis, type NamedText } from '../experiment/analyze-network.js';
import { findFolderRecord, folderDataOptions } from '../experiment/results.js';
import type { ThresholdOverrides } from '../experiment/summary.js';

/**
 * `previous`: earlier parameter files of the same run (oldest first), which with the network make
 * the parameter history the verdict's subspace criterion and sharpening test read.
 */
export function analyzeFiles(params: NamedText, data: NamedText, maxnorm: number, json: boolean, previous: NamedText[] = [], overrides: ThresholdOverrides = {}): void {
  print(analyzeNetworkFiles(params, data, maxnorm, previous, overrides), json);
}

/** Run `id` of results folder `folder`, analysed as the report judged it (analyze-network.ts analyzeRecord). */
export async function analyzeRun(folder: string, id: string, maxnorm: number | undefined, json: boolean, overrides: ThresholdOverrides = {}): Promise<void> {
  const record = await findFolderRecord(folder, id, 'analyze');
  // its data files where its run read them
  const result = analyzeRecord(record, maxnorm, overrides, folderDataOptions(folder));
  if (json) {
    print(result, true, { run: id, folder, seed: record.seed, stopReason: record.stopReason, polished: Boolean(record.polish) });
    return;
  }
  process.stdout.write(`run          ${id} of ${folder}: seed ${record.seed}, stopped by ${record.stopReason} after ${record.steps} steps${record.polish ? ', then polished (the polished network is analysed)' : ''}\n`);
  print(result, false);
}

function print(result: FileAnalysis, json: boolean, extra: Record<string, unknown> = {}): void {
  if (json) {
    const { network, samples, maxnorm, analysis } = result;
    process.stdout.write(`${JSON.stringify({ ...extra, network, samples, maxnorm, ...analysis }, null, 2)}\n`);
    return;
  }
  process.stdout.write(`${formatNetworkAnalysis(result).join('\n')}\n`);
}
