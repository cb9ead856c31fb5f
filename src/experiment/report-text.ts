// A report as people read it: markdown, CSV and JSON (formatReport), and the sentences and warnings
// the command line's report, the HTML page and the dashboard share. Pure, as summary.ts is, whose
// Report it formats.
import { DEFAULT_THRESHOLDS, NOT_CONVERGED_CAUSES, OUTCOMES } from '../analysis/classify.js';
import type { Fraction, Quartiles } from '../analysis/statistics.js';
import { labelsWithRuns, type PlannedRuns, type Report, type ThresholdOverrides } from './summary.js';
import { dataColumn, percent, tableJson } from './tables.js';
import { shardList } from './sweep-plan.js';
import { shellWord } from '../user-input/shell-word.js';

/** A warning that the folders hold only some shards of their sweep; null when they hold all (or are not shards). */
export function missingShardsWarning(planned: PlannedRuns | undefined): string | null {
  const shards = planned?.missingShards;
  if (!shards) return null;
  const list = (indices: number[]) => shardList(indices, shards.count);
  const runs = shards.runs !== undefined ? ` (${shards.runs} of the sweep's ${shards.sweepRuns} runs)` : '';
  const one = shards.given.length === 1;
  return `${one ? 'This folder holds shard' : 'These folders hold shards'} ${list(shards.given)} of a sweep in ${shards.count}: shard${shards.missing.length === 1 ? '' : 's'} ${list(shards.missing)}${runs} ${shards.missing.length === 1 ? 'is' : 'are'} in ${one ? 'others' : 'none of them'}. The table covers the shard${one ? '' : 's'} given; name every shard's folder for the whole sweep.`;
}

/**
 * A report's warnings, most general first: shards not among its folders, runs not recorded (yet,
 * where a session is writing them), and the groups none of whose runs is recorded (not in its table).
 */
export function reportWarnings(report: Pick<Report, 'planned' | 'runs' | 'continued' | 'groups'>): string[] {
  return [
    missingShardsWarning(report.planned),
    missingRunsWarning(report.runs.length, report.planned?.total, { stillRunning: report.planned?.stillRunning, continuation: Boolean(report.continued) }),
    unrecordedGroupsWarning(report),
  ].filter((warning): warning is string => warning !== null);
}

/** The planned groups without a recorded run, which a report's table leaves out (a group of no runs has no fractions); null when there are none. */
export function unrecordedGroupsWarning(report: Pick<Report, 'planned' | 'groups'>): string | null {
  const shown = new Set(report.groups.map((group) => group.key));
  const absent = Object.entries(report.planned?.byGroup ?? {}).filter(([key]) => !shown.has(key));
  if (absent.length === 0) return null;
  const listed = absent.slice(0, 8).map(([key, planned]) => `${key} (${planned} planned)`);
  const more = absent.length > listed.length ? `, and ${absent.length - listed.length} more` : '';
  return `No run of ${absent.length === 1 ? 'this group' : `these ${absent.length} groups`} is recorded${report.planned?.stillRunning ? ' yet' : ''}, so the table leaves ${absent.length === 1 ? 'it' : 'them'} out: ${listed.join(', ')}${more}.`;
}

/** The command that resumes a stopped sweep's folder: a continuation's is resumed by `continue`. */
export function resumeCommand(continuation: boolean): string {
  return continuation ? '`channelscope continue … --resume`' : '`channelscope run … --resume`';
}

/**
 * A warning that `recorded` of `planned` runs have records; null when none are missing (or unknown).
 * stillRunning: a session is writing them now; continuation: the folder is a continuation's.
 */
export function missingRunsWarning(recorded: number, planned: number | undefined, how: { stillRunning?: boolean; continuation?: boolean } = {}): string | null {
  if (planned === undefined || recorded >= planned) return null;
  const missing = planned - recorded;
  const why = how.stillRunning
    ? ` so far: the sweep is still running, ${missing} to go`
    : `: the sweep stopped before ${missing} finished (${resumeCommand(Boolean(how.continuation))} continues it)`;
  return `Recorded ${recorded} of the ${planned} runs planned${why}. The fractions cover the recorded runs only. The missing ones are the slowest, often runs still on their way along a channel, so the fractions lean towards quick outcomes.`;
}

/**
 * A classification threshold as every report writes it, one way: small and large ones as powers of
 * ten (1e-3, 1e-6, 1e+4), others as they are (0.01, 0.5, 0, 1000).
 */
export function thresholdText(value: number): string {
  return value !== 0 && (Math.abs(value) < 0.01 || Math.abs(value) >= 1e4) ? value.toExponential() : String(value);
}

/** One sentence naming the thresholds changed from the defaults, or '' when none was. */
export function thresholdSentence(overrides: ThresholdOverrides | undefined): string {
  const entries = Object.entries(overrides ?? {}) as [keyof ThresholdOverrides, number][];
  if (entries.length === 0) return '';
  const floored = entries.some(([name]) => name === 'gradTol' || name === 'stationaryTol') ? ' (GPU runs: not below float32\'s floors)' : '';
  return `Classified with ${entries.map(([name, value]) => `${name} = ${thresholdText(value)} (default ${thresholdText(DEFAULT_THRESHOLDS[name])})`).join(', ')}${floored}.`;
}

/** "These runs continue runs of DIR from where they stopped …", for a continuation's records; '' for others. */
export function continuedSentence(continued: Report['continued']): string {
  if (!continued || continued.length === 0) return '';
  const total = continued.reduce((sum, c) => sum + c.runs, 0);
  const subject =
    continued.length > 1
      ? `${total} runs continue runs of other folders (${continued.map((c) => `${c.runs} of ${c.label}`).join(', ')})`
      : total === 1
        ? `1 run continues a run of ${continued[0].label}`
        : `${total} runs continue runs of ${continued[0].label}`;
  return `${subject} from where ${total === 1 ? 'it' : 'they'} stopped (channelscope continue; each record's continuedFrom names its run).`;
}

/** Where runs ended channel-opening: how to see whether their channels close (a line and a blank one), else nothing. */
function openingHint(report: Report): string[] {
  const runs = report.runs.filter((run) => run.cause === 'channel-opening');
  if (runs.length === 0) return [];
  const folder = report.source.includes(' + ') ? 'DIR' : report.source;
  // ten times the barrier they stopped at (their weight norm is within 1% of it)
  const higher = 10 ** (Math.round(Math.log10(Math.max(...runs.map((run) => run.reach.weightNorm)))) + 1);
  return [
    `${runs.length} run${runs.length === 1 ? '' : 's'} stopped at the barrier while a channel was still closing: \`channelscope continue ${shellWord(folder)} --only channel-opening --set maxnorm=${higher.toExponential(0).replace('+', '')}\` continues ${runs.length === 1 ? 'it' : 'them'} with a higher barrier and shows which close.`,
    '',
  ];
}

/** "Trained by X." or, for records of several codes, each with its runs: what a citation of the table needs. */
export function softwareSentence(software: Report['software'] | undefined): string {
  if (!software || software.length === 0) return '';
  if (software.length === 1) return `Trained by ${software[0].label}.`;
  return `Trained by ${software.length} versions of the code: ${labelsWithRuns(software).join(', ')}; their runs may differ from one version's in their last bits, or more where the code changed.`;
}

export const REACH_MEASURES = ['weightNorm', 'inverseEpsilon', 'minCosine', 'evaluations', 'loss'] as const;
/** The reach measures as people read them (markdown, the HTML report). */
export const REACH_HEADERS: Record<(typeof REACH_MEASURES)[number], string> = {
  weightNorm: 'weight norm',
  inverseEpsilon: '1/ε of the closest pair',
  minCosine: 'its cosine distance',
  evaluations: 'gradient evaluations',
  loss: 'final loss',
};
export const REACH_NOTE =
  'How far runs got: median [lower quartile, upper quartile], over the runs that did not diverge (the runs column counts them). ε = ‖wᵢ − wⱼ‖/2 for the pair of hidden neurons closest in cosine distance (input vectors with bias; one input without biases: ((wᵢ − wⱼ)/max|w|)²/2), or for a run on a channel its channel\'s pair.';
export const CAUSES_NOTE =
  "Not converged, by cause: at the norm barrier with neurons sharpening towards a kink or step (input vectors growing along themselves, not a channel); at the norm barrier with neurons moving out along their activation's exponential tail (output weight up, bias down); at the norm barrier on its way into a channel that has not closed (the outgoing weights of two to four neurons growing apart, their sum standing still, input vectors not yet within the cosine criterion); at the norm barrier without the channel signature or another road; relu at rest on a kink (its loss no longer descending, its gradient never small there); still moving (the weight norm still changing when the run ended, whatever its gradient: with a small one it would otherwise pass for converged); gradient not small when the run ended, the weight norm at rest; at a saddle.";
const number3 = (x: number) => (Number.isFinite(x) ? x.toPrecision(3) : String(x));
/** Quartiles as "median [lower, upper]", '–' without values. */
export const quartileText = (q: Quartiles) => (q.n === 0 ? '–' : `${number3(q.median)} [${number3(q.low)}, ${number3(q.high)}]`);

/** The carrier columns of a group's CSV row (none when the report has no carriers). */
function carrierCells(report: Report, key: string): number[] {
  if (!report.carriers) return [];
  const c = report.carriers.find((entry) => entry.key === key);
  return c ? [c.pair, c.three, c.four, c.unknown] : [0, 0, 0, 0];
}

/** The summary's column of runs under the stricter channel criterion, at the report's threshold: "channel (cos < 1e-3)". */
export function strictChannelHeader(report: Pick<Report, 'thresholds'>): string {
  const strictCosine = report.thresholds?.strictCosine ?? DEFAULT_THRESHOLDS.strictCosine;
  return `channel (cos < ${thresholdText(strictCosine)})`;
}

/** A group's runs under the stricter channel criterion, with their fraction and interval. */
export function strictChannelsIn(report: Pick<Report, 'strictChannels'>, key: string): Fraction {
  return report.strictChannels.find((g) => g.key === key)!.outcomes.strict;
}

/** A group's runs as the summary's runs column writes them; a group missing runs says how many it planned: "120 of 480". */
export function groupRunsText(report: Pick<Report, 'planned'>, group: { key: string; n: number }): string {
  const planned = report.planned?.byGroup[group.key];
  return planned !== undefined && planned > group.n ? `${group.n} of ${planned}` : String(group.n);
}

export function formatReport(report: Report, format: 'md' | 'csv' | 'json'): string {
  const plannedIn = (key: string) => report.planned?.byGroup[key] ?? null;
  if (format === 'json') {
    const { source, by, groups, strictChannels, causes, reach, runs, planned, software, carriers, thresholds, presetTables } = report;
    // JSON has no Infinity: a switched-off threshold is written as the string "Infinity"
    const thresholdsJson = thresholds && Object.fromEntries(Object.entries(thresholds).map(([name, value]) => [name, Number.isFinite(value) ? value : String(value)]));
    const presetJson = presetTables ? { presetTables: presetTables.map(tableJson) } : {};
    return `${JSON.stringify({ source, by, ...(thresholdsJson ? { thresholds: thresholdsJson } : {}), ...(planned ? { planned } : {}), software, groups, strictChannels, notConvergedCauses: causes, ...(carriers ? { channelCarriers: carriers } : {}), reach, ...presetJson, runs }, null, 2)}\n`;
  }
  if (format === 'csv') {
    const carrierColumns = report.carriers ? ['channel_pair', 'channel_three', 'channel_four', 'channel_carriers_unknown'] : [];
    const header = ['group', 'n', 'planned', ...OUTCOMES.flatMap((o) => [`${o}`, `${o}_fraction`, `${o}_low95`, `${o}_high95`]), 'channel_strict', 'channel_strict_fraction', ...carrierColumns, ...NOT_CONVERGED_CAUSES.map((c) => `not_converged_${c}`), ...REACH_MEASURES.map((m) => `${m}_median`)];
    const lines = report.groups.map((g, index) => {
      const strict = strictChannelsIn(report, g.key);
      const reach = report.reach[index];
      return [
        // always quoted, CSV-escaped (a label may hold commas, quotes or spaces)
        `"${g.key.replace(/"/g, '""')}"`,
        g.n,
        plannedIn(g.key) ?? '',
        ...OUTCOMES.flatMap((o) => [g.outcomes[o].successes, g.outcomes[o].fraction, g.outcomes[o].low, g.outcomes[o].high]),
        strict.successes,
        strict.fraction,
        ...carrierCells(report, g.key),
        ...NOT_CONVERGED_CAUSES.map((c) => report.causes[index].outcomes[c].successes),
        ...REACH_MEASURES.map((m) => reach[m].median),
      ].join(',');
    });
    // one rectangular table, as CSV readers expect: a preset's tables are CSV files of their own (DIR/tables/*.csv)
    return `${[header.map(dataColumn).join(','), ...lines].join('\n')}\n`;
  }
  const header = `| group | runs | ${OUTCOMES.join(' | ')} | ${strictChannelHeader(report)} |`;
  const rule = `|${' --- |'.repeat(OUTCOMES.length + 3)}`;
  const cell = (f: Fraction) =>
    `${f.successes} (${percent(f.fraction)} [${percent(f.low)}, ${percent(f.high)}])`;
  const rows = report.groups.map((g) => `| ${g.key} | ${groupRunsText(report, g)} | ${OUTCOMES.map((o) => cell(g.outcomes[o])).join(' | ')} | ${cell(strictChannelsIn(report, g.key))} |`);
  const causeRows = report.causes.map((g) => `| ${g.key} | ${g.n} | ${NOT_CONVERGED_CAUSES.map((c) => g.outcomes[c].successes).join(' | ')} |`);
  const reachHeader = `| group | runs | ${REACH_MEASURES.map((m) => REACH_HEADERS[m]).join(' | ')} |`;
  const reachRows = report.reach.map((g) => `| ${g.key} | ${g.n} | ${REACH_MEASURES.map((m) => quartileText(g[m])).join(' | ')} |`);
  return [
    ...reportWarnings(report).flatMap((warning) => [`**${warning}**`, '']),
    header,
    rule,
    ...rows,
    '',
    `Fractions of runs per outcome with 95% Wilson intervals (${report.runs.length} runs in ${report.source}). ${thresholdSentence(report.thresholds)} ${softwareSentence(report.software)} ${continuedSentence(report.continued)}`.replace(/ {2,}/g, ' ').trimEnd(),
    '',
    `| group | runs | ${NOT_CONVERGED_CAUSES.join(' | ')} |`,
    `|${' --- |'.repeat(NOT_CONVERGED_CAUSES.length + 2)}`,
    ...causeRows,
    '',
    CAUSES_NOTE,
    '',
    ...openingHint(report),
    ...(report.carriers
      ? [
          '| group | channels | carried by a pair | by three neurons | by four | data not rebuilt |',
          `|${' --- |'.repeat(6)}`,
          ...report.groups.map((g) => {
            const [pair, three, four, unknown] = carrierCells(report, g.key);
            return `| ${g.key} | ${pair + three + four + unknown} | ${pair} | ${three} | ${four} | ${unknown} |`;
          }),
          '',
          "Channels by the neurons carrying them, chosen on each run's data: the pair with the largest outgoing weights of each sign (its limit the GLU c·σ + a·(Δ·x̃)·σ′), or three or four neurons whose outgoing weights grow like a second (third) difference and whose limit adds ½(x̃ᵀMx̃)·σ″ (and σ‴); channelscope analyze --run DIR --id RUN shows one.",
          '',
        ]
      : []),
    reachHeader,
    `|${' --- |'.repeat(7)}`,
    ...reachRows,
    '',
    REACH_NOTE,
    '',
  ].join('\n');
}
