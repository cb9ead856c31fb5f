// Run-by-run agreement of two sweeps of the same spec and seeds — typically the float32 GPU engine
// against the float64 CPU engine. Two records of one run id agree when they end in the same place:
// the same verdict (with its cause, for runs that did not converge), the barrier reached or not by both, the same closest pair of hidden neurons, and
// final losses within a relative tolerance. Pure: the command line reads the folders.
import { closestPairs } from '../analysis/channels.js';
import { DEFAULT_THRESHOLDS, isAtBarrier } from '../analysis/classify.js';
import { parseParameterFile } from '../model/params-file.js';
import type { RunRecord } from './results.js';
import { classifyRecord, labelCounts, labelsWithRuns, UNNAMED_SOFTWARE } from './summary.js';

export interface ComparisonTolerances {
  /** final losses agree when |L₁ − L₂| ≤ lossRtol·max(|L₁|, |L₂|) */
  lossRtol: number;
  /** "at the barrier": weight norm > (1 − barrierSlack)·maxnorm (isAtBarrier, as the classifier) */
  barrierSlack: number;
}

// the barrier slack is the classifier's, so "at the barrier" means the same in both
export const DEFAULT_COMPARISON: Readonly<ComparisonTolerances> = Object.freeze({ lossRtol: 1e-2, barrierSlack: DEFAULT_THRESHOLDS.barrierTolerance });

/** What is compared per run; `agree` is the conjunction. */
export interface RunComparison {
  id: string;
  outcome: [string, string];
  atBarrier: [boolean, boolean];
  /** closest pair by cosine distance, "layer:i,j" (layers from 1, neurons from 0), per hidden layer joined by " " */
  closestPair: [string, string];
  loss: [number, number];
  sameOutcome: boolean;
  sameBarrier: boolean;
  samePair: boolean;
  lossAgrees: boolean;
  agree: boolean;
}

export interface SweepComparison {
  tolerances: ComparisonTolerances;
  /** runs present in both */
  compared: number;
  agreeing: number;
  /** per criterion: how many runs differ in it */
  differences: { outcome: number; barrier: number; pair: number; loss: number };
  onlyInFirst: string[];
  onlyInSecond: string[];
  /** per side, what its records were trained with: backend (arithmetic), code; each with its runs */
  trainedWith: [{ label: string; runs: number }[], { label: string; runs: number }[]];
  runs: RunComparison[];
}

/** "gpu (float32, group coordinates), channelscope 0.1.0 (git …)": what a record was trained with. */
function trainedWith(record: RunRecord): string {
  // (records always name their backend; a hand-made one may not)
  return `${record.backend ?? 'unnamed backend'}${record.arithmetic ? ` (${record.arithmetic})` : ''}, ${record.software ?? UNNAMED_SOFTWARE}`;
}

function closestPairKey(record: RunRecord): string {
  try {
    const { arch, theta } = parseParameterFile(JSON.stringify(record.params), `record ${record.id}`);
    return closestPairs(arch, theta)
      // layers numbered from 1 and neurons from 0, as analyze prints them and run channel-jump --pair takes them
      .map((entry) => `${entry.layer + 1}:${entry.cosine ? `${entry.cosine.i},${entry.cosine.j}` : '-'}`)
      .join(' ');
  } catch {
    return 'non-finite';
  }
}

/** The verdict with its cause for a not-converged run ("not-converged: sharpening"): a sharpening run and a stalled one do not agree. */
function verdictLabel(record: RunRecord): string {
  const verdict = classifyRecord(record);
  return verdict.cause ? `${verdict.outcome}: ${verdict.cause}` : verdict.outcome;
}

function atBarrier(record: RunRecord, slack: number): boolean {
  const maxnorm = (record.config as { maxnorm?: number | null }).maxnorm;
  return maxnorm != null && isAtBarrier(record.weightNorm, maxnorm, slack);
}

export function compareRun(first: RunRecord, second: RunRecord, tolerances: ComparisonTolerances = DEFAULT_COMPARISON): RunComparison {
  const outcome: [string, string] = [verdictLabel(first), verdictLabel(second)];
  const barrier: [boolean, boolean] = [atBarrier(first, tolerances.barrierSlack), atBarrier(second, tolerances.barrierSlack)];
  const closestPair: [string, string] = [closestPairKey(first), closestPairKey(second)];
  const loss: [number, number] = [first.loss, second.loss];
  const sameOutcome = outcome[0] === outcome[1];
  const sameBarrier = barrier[0] === barrier[1];
  const samePair = closestPair[0] === closestPair[1];
  const lossAgrees = Math.abs(loss[0] - loss[1]) <= tolerances.lossRtol * Math.max(Math.abs(loss[0]), Math.abs(loss[1])) || (Number.isNaN(loss[0]) && Number.isNaN(loss[1]));
  return {
    id: first.id,
    outcome,
    atBarrier: barrier,
    closestPair,
    loss,
    sameOutcome,
    sameBarrier,
    samePair,
    lossAgrees,
    agree: sameOutcome && sameBarrier && samePair && lossAgrees,
  };
}

/**
 * Compares the runs two sweeps share: by run id, or a run and its continuation (`channelscope
 * continue`, whose record names the run it continues in continuedFrom; its id carries its new settings).
 */
export function compareSweeps(first: readonly RunRecord[], second: readonly RunRecord[], tolerances: Partial<ComparisonTolerances> = {}): SweepComparison {
  const t = { ...DEFAULT_COMPARISON, ...tolerances };
  const secondByKey = new Map(second.map((record) => [record.id, record]));
  for (const record of second) if (record.continuedFrom && !secondByKey.has(record.continuedFrom.id)) secondByKey.set(record.continuedFrom.id, record);
  const partnerOf = (record: RunRecord) => secondByKey.get(record.id) ?? (record.continuedFrom ? secondByKey.get(record.continuedFrom.id) : undefined);
  const paired = first.map((record) => [record, partnerOf(record)] as const).filter((pair): pair is readonly [RunRecord, RunRecord] => pair[1] !== undefined);
  const matchedSecond = new Set(paired.map(([, partner]) => partner));
  const runs = paired.map(([record, partner]) => compareRun(record, partner, t));
  return {
    tolerances: t,
    compared: runs.length,
    agreeing: runs.filter((r) => r.agree).length,
    differences: {
      outcome: runs.filter((r) => !r.sameOutcome).length,
      barrier: runs.filter((r) => !r.sameBarrier).length,
      pair: runs.filter((r) => !r.samePair).length,
      loss: runs.filter((r) => !r.lossAgrees).length,
    },
    onlyInFirst: first.filter((record) => !partnerOf(record)).map((record) => record.id),
    onlyInSecond: second.filter((record) => !matchedSecond.has(record)).map((record) => record.id),
    trainedWith: [labelCounts(first, trainedWith), labelCounts(second, trainedWith)],
    runs,
  };
}

/** Runs by verdict in the first sweep (rows) and in the second (columns): agreement on the diagonal. */
function verdictTable(runs: readonly RunComparison[], labels: [string, string]): string[] {
  const verdicts = (side: 0 | 1) => [...new Set(runs.map((r) => r.outcome[side]))].sort();
  const [rows, columns] = [verdicts(0), verdicts(1)];
  const count = (row: string, column: string) => runs.filter((r) => r.outcome[0] === row && r.outcome[1] === column).length;
  return [
    `| ${labels[0]} ↓ / ${labels[1]} → | ${columns.join(' | ')} |`,
    `|${' --- |'.repeat(columns.length + 1)}`,
    ...rows.map((row) => `| ${row} | ${columns.map((column) => count(row, column)).join(' | ')} |`),
  ];
}

export function formatComparison(comparison: SweepComparison, labels: [string, string]): string {
  const { compared, agreeing, differences, tolerances } = comparison;
  const share = compared === 0 ? 'n/a' : `${((100 * agreeing) / compared).toFixed(1)}%`;
  const lines = [
    `${compared} runs in both ${labels[0]} and ${labels[1]}: ${agreeing} end in the same place (${share})`,
    `  differ in verdict: ${differences.outcome}, barrier reached: ${differences.barrier}, closest pair: ${differences.pair}, final loss (rtol ${tolerances.lossRtol}): ${differences.loss}`,
  ];
  comparison.trainedWith.forEach((side, k) => lines.push(`  ${labels[k]} trained with ${(side.length > 1 ? labelsWithRuns(side) : side.map((s) => s.label)).join('; ')}`));
  if (comparison.onlyInFirst.length) lines.push(`  only in ${labels[0]}: ${comparison.onlyInFirst.length} runs`);
  if (comparison.onlyInSecond.length) lines.push(`  only in ${labels[1]}: ${comparison.onlyInSecond.length} runs`);
  if (compared > 0) lines.push('', ...verdictTable(comparison.runs, labels));
  const differing = comparison.runs.filter((r) => !r.agree);
  if (differing.length) {
    lines.push('', '| run | verdict | at barrier | closest pair | final loss |', '| --- | --- | --- | --- | --- |');
    for (const r of differing) {
      lines.push(
        `| ${r.id} | ${r.outcome.join(' / ')} | ${r.atBarrier.join(' / ')} | ${r.closestPair.join(' / ')} | ${r.loss.map((l) => l.toPrecision(6)).join(' / ')} |`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
