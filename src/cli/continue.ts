// `channelscope continue DIR`: chosen runs of a results folder, started again where they stopped under
// edited settings (`--set maxnorm=1e4`), into a results folder of their own, then how their verdicts
// changed. See experiment/continuation.ts.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../user-input/input-error.js';
import { continuedRecord, parseSelection, planContinuation, runsStoppedAgainAtBarrier } from '../experiment/continuation.js';
import { folderDataOptions, notASweepFolder, readFolderRecords, SPEC_FILE, type RunRecord } from '../experiment/results.js';
import { classifyRecord } from '../experiment/summary.js';
import { sessionWriting } from '../experiment/folder-lock.js';
import { defaultOutDir, requireResumeFolder, runParsedSpec, type RunCommandOptions } from './run.js';
import { shellWord } from '../user-input/shell-word.js';

export interface ContinueCommandOptions extends Omit<RunCommandOptions, 'dryRun'> {
  /** path=value edits of the folder's spec */
  set?: string[];
  /** verdicts, causes or stop reasons of the runs to continue (comma-separated) */
  only?: string;
}

const verdictLabel = (record: RunRecord): string => {
  const verdict = classifyRecord(record);
  return verdict.cause ? `${verdict.outcome} (${verdict.cause})` : verdict.outcome;
};

export async function continueCommand(folder: string, options: ContinueCommandOptions): Promise<string> {
  requireResumeFolder('continue', options);
  const specFile = path.join(folder, SPEC_FILE);
  if (!existsSync(specFile)) throw notASweepFolder('continue', folder, SPEC_FILE);
  const labels = parseSelection(options.only);
  const records = await readFolderRecords(folder, 'continue');
  const plan = planContinuation(readFileSync(specFile, 'utf8'), specFile, records, options.set ?? [], labels);
  const which = labels ? labels.join(' or ') : 'not converged';
  // a folder still being written: its later runs are not among those continued now
  const writing = sessionWriting(folder);
  if (plan.runs.length === 0) {
    const none = records.length === 0 ? `${folder} holds no run yet` : `none of the ${records.length} runs of ${folder} is ${which} (\`channelscope report ${shellWord(folder)}\` counts them)`;
    throw new InputError(`continue: ${none}${writing ? `; a session is writing ${folder} now: continue it once the runs to continue are recorded` : ''}`);
  }
  const out = options.out ?? defaultOutDir({ ...plan.spec, name: `${plan.spec.name ?? path.basename(path.resolve(folder))}-continued` }, specFile);
  if (path.resolve(out) === path.resolve(folder)) throw new InputError(`continue: --out must be a new folder, not ${folder} itself (its records stay as they are)`);
  process.stderr.write(`channelscope continue: ${plan.runs.length} of ${records.length} runs of ${folder} (${which})${options.set?.length ? `, with ${options.set.join(', ')}` : ''}\n`);
  if (writing) process.stderr.write(`note: a session is writing ${folder} now: the runs it records from here on are not among these\n`);
  const stoppedAgain = runsStoppedAgainAtBarrier(plan);
  if (stoppedAgain > 0) {
    process.stderr.write(`note: ${stoppedAgain} of them stopped at the norm barrier, which these settings do not raise: they stop again at once (raise it with --set maxnorm=…, e.g. ten times)\n`);
  }

  const sources = new Map(plan.runs.map(({ run, from }) => [run.id, from]));
  const starts = new Map(plan.runs.map(({ run, start }) => [run.id, start]));
  const dir = await runParsedSpec(plan.spec, specFile, { ...options, out }, {
    selected: (run) => sources.has(run.id),
    start: (run) => starts.get(run.id)!,
    annotate: (record) => continuedRecord(record, folder, sources.get(record.id)!),
    // the source's data files resolve where its run resolved them (older folders: the working
    // directory, as `analyze --run` rebuilds them) and must hold what its runs trained on
    dataOptions: folderDataOptions(folder),
    provenance: { from: folder, fromPath: path.resolve(folder), set: options.set ?? [], only: labels },
  });

  // how the verdicts changed, run by run
  const transitions = new Map<string, number>();
  for (const record of await readFolderRecords(dir, 'continue')) {
    const source = sources.get(record.id);
    if (!source) continue;
    const key = `${verdictLabel(source)} → ${verdictLabel(record)}`;
    transitions.set(key, (transitions.get(key) ?? 0) + 1);
  }
  const rows = [...transitions].sort((a, b) => b[1] - a[1]);
  process.stdout.write(`\nverdicts, before → after (runs):\n${rows.map(([key, n]) => `  ${key}: ${n}`).join('\n')}\n`);
  return dir;
}
