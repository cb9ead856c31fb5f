// `channelscope analyze`: diagnostics and verdict of one network given as files.
import { analyzeNetworkFiles, formatNetworkAnalysis, type NamedText } from '../experiment/analyze-network.js';

/**
 * `previous`: earlier parameter files of the same run (oldest first), which with the network make
 * the parameter history the verdict's subspace criterion and sharpening test read.
 */
export function analyzeFiles(paramsText: string, dataText: string, maxnorm: number, json: boolean, previous: NamedText[] = []): void {
  const result = analyzeNetworkFiles({ name: 'parameters', text: paramsText }, { name: 'data', text: dataText }, maxnorm, previous);
  if (json) {
    const { network, samples, analysis } = result;
    process.stdout.write(`${JSON.stringify({ network, samples, maxnorm, ...analysis }, null, 2)}\n`);
    return;
  }
  process.stdout.write(`${formatNetworkAnalysis(result).join('\n')}\n`);
}
