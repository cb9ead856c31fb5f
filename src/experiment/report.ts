// Where did each run end? Classifies every record of a results folder (analysis/classify.ts) and
// summarises the outcomes per group with 95% Wilson intervals.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { evidenceFromNetwork, classifyRun, OUTCOMES, type Outcome } from '../analysis/classify.js';
import { groupCounts, type GroupCounts } from '../analysis/statistics.js';
import { InputError } from '../model/input-error.js';
import { parseParameterFile } from '../model/params-file.js';
import { readRecords, RUNS_FILE, type RunRecord } from './results.js';

/** Short names for the spec fields people group by; any dotted path of the configuration works too. */
export const GROUP_ALIASES: Record<string, string> = {
  d: 'architecture.inputDim',
  r: 'architecture.hidden',
  hidden: 'architecture.hidden',
  activation: 'architecture.activation',
  biases: 'architecture.biases',
  optimizer: 'optimizer.kind',
  solver: 'optimizer.solver',
  teacher: 'data.teacher.kind',
  s: 'data.teacher.s',
  N: 'data.samples',
  inputs: 'data.inputs.kind',
};

export interface ClassifiedRun {
  id: string;
  group: string;
  outcome: Outcome;
  /** the stricter channel criterion (cosine distance below 10⁻³) */
  channelStrict: boolean;
  reason: string;
  stopReason: string;
}

export interface Report {
  folder: string;
  by: string[];
  runs: ClassifiedRun[];
  groups: GroupCounts<Outcome>[];
  /** per group: runs meeting the strict channel criterion, with its interval */
  strictChannels: GroupCounts<'strict' | 'other'>[];
}

function valueAt(config: unknown, dotted: string): unknown {
  let value: unknown = config;
  for (const part of dotted.split('.')) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
  return value;
}

function groupKey(config: unknown, by: string[]): string {
  if (by.length === 0) return 'all';
  return by
    .map((field) => {
      const value = valueAt(config, GROUP_ALIASES[field] ?? field);
      return `${field}=${Array.isArray(value) ? `[${value.join(',')}]` : String(value)}`;
    })
    .join(' ');
}

export function classifyRecord(record: RunRecord): { outcome: Outcome; channelStrict: boolean; reason: string } {
  const config = record.config as { maxnorm?: number | null; stop?: { gradTol?: number } };
  if (record.stopReason === 'diverged') {
    return { outcome: 'diverged', channelStrict: false, reason: `values became non-finite after ${record.steps} steps` };
  }
  const { arch, theta } = parseParameterFile(JSON.stringify(record.params), `record ${record.id}`);
  const maxnorm = config.maxnorm === null || config.maxnorm === undefined ? Infinity : config.maxnorm;
  const thresholds = { maxnorm, ...(config.stop?.gradTol !== undefined ? { gradTol: config.stop.gradTol } : {}) };
  const evidence = evidenceFromNetwork(
    arch,
    theta,
    {
      loss: record.loss ?? NaN,
      gradInf: record.gradInf ?? NaN,
      stoppedBy: record.stopReason,
      finite: true, // diverged records were classified above
      ...(record.recentParams?.length >= 2 ? { thetaHistory: record.recentParams.map((theta) => Float64Array.from(theta)) } : {}),
    },
    thresholds,
  );
  const verdict = classifyRun(evidence, thresholds);
  return { outcome: verdict.outcome, channelStrict: verdict.channelStrict, reason: verdict.reason };
}

export async function buildReport(folder: string, by: string[]): Promise<Report> {
  const file = path.join(folder, RUNS_FILE);
  if (!existsSync(file)) throw new InputError(`report: ${folder} holds no ${RUNS_FILE} (is it a results folder of \`channelscope run\`?)`);
  const { records } = await readRecords<RunRecord>(file);
  const runs = records.map((record) => ({
    id: record.id,
    group: groupKey(record.config, by),
    stopReason: record.stopReason,
    ...classifyRecord(record),
  }));
  return {
    folder,
    by,
    runs,
    groups: groupCounts(runs, (r) => r.group, (r) => r.outcome, { outcomes: OUTCOMES }),
    strictChannels: groupCounts(runs, (r) => r.group, (r) => (r.outcome === 'channel' && r.channelStrict ? 'strict' : 'other'), {
      outcomes: ['strict', 'other'] as const,
    }),
  };
}

const percent = (x: number) => `${(100 * x).toFixed(1)}%`;

export function formatReport(report: Report, format: 'md' | 'csv' | 'json'): string {
  if (format === 'json') return `${JSON.stringify({ folder: report.folder, by: report.by, groups: report.groups, strictChannels: report.strictChannels, runs: report.runs }, null, 2)}\n`;
  const strictOf = (key: string) => report.strictChannels.find((g) => g.key === key)!.outcomes.strict;
  if (format === 'csv') {
    const header = ['group', 'n', ...OUTCOMES.flatMap((o) => [`${o}`, `${o}_fraction`, `${o}_low95`, `${o}_high95`]), 'channel_strict', 'channel_strict_fraction'];
    const lines = report.groups.map((g) => {
      const strict = strictOf(g.key);
      return [JSON.stringify(g.key), g.n, ...OUTCOMES.flatMap((o) => [g.outcomes[o].successes, g.outcomes[o].fraction, g.outcomes[o].low, g.outcomes[o].high]), strict.successes, strict.fraction].join(',');
    });
    return `${[header.join(','), ...lines].join('\n')}\n`;
  }
  const header = `| group | runs | ${OUTCOMES.join(' | ')} | channel (cos < 1e-3) |`;
  const rule = `|${' --- |'.repeat(OUTCOMES.length + 3)}`;
  const cell = (f: { successes: number; fraction: number; low: number; high: number }) =>
    `${f.successes} (${percent(f.fraction)} [${percent(f.low)}, ${percent(f.high)}])`;
  const rows = report.groups.map((g) => `| ${g.key} | ${g.n} | ${OUTCOMES.map((o) => cell(g.outcomes[o])).join(' | ')} | ${cell(strictOf(g.key))} |`);
  return `${[header, rule, ...rows].join('\n')}\n\nFractions of runs per outcome with 95% Wilson intervals (${report.runs.length} runs in ${report.folder}).\n`;
}
