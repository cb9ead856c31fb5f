// Continuing runs of a results folder from where they stopped, under changed settings (a higher norm
// barrier, more steps, another solver): the spec with `--set` edits, the runs chosen by their verdict
// or stop reason, and each continued run matched to the record it starts from. `channelscope continue`
// (cli/continue.ts) trains them; the verdict "channel-opening" says when this is worth doing.
import { NOT_CONVERGED_CAUSES, OUTCOMES } from '../analysis/classify.js';
import { InputError } from '../user-input/input-error.js';
import { parseParameterFile } from '../model/params-file.js';
import { expandSpec, type ResolvedRun } from './grid.js';
import { STOP_REASONS, type ContinuedFrom, type RunRecord } from './results.js';
import { RECENT_PARAMS } from './scheduler.js';
import { parseSpec, type ExperimentSpec } from './spec.js';
import { classifyRecord } from './summary.js';

/** Parts of a spec a continuation may not change: each run keeps its network and its data. */
const FIXED_SECTIONS = ['architecture', 'data', 'init', 'seeds', 'grid', 'name'] as const;

/** What `--only` may name: a verdict, a not-converged cause or a stop reason. */
// (a set: 'diverged' is both a verdict and a stop reason)
export const SELECTION_LABELS: readonly string[] = [...new Set([...OUTCOMES, ...NOT_CONVERGED_CAUSES, ...STOP_REASONS])];

/** "path=value" edits (value as JSON where it parses, else a string) applied to a copy of a spec's JSON. */
export function applySpecEdits(input: Record<string, unknown>, edits: readonly string[]): Record<string, unknown> {
  const spec = structuredClone(input);
  const gridPaths = Object.keys((spec.grid as Record<string, unknown> | undefined) ?? {}).flatMap((key) => key.split('+'));
  const edited = new Set<string>();
  for (const edit of edits) {
    const match = /^([A-Za-z][\w.]*)=(.*)$/s.exec(edit.trim());
    if (!match) throw new InputError(`--set "${edit}": expected path=value, e.g. maxnorm=1e4 or stop.maxSteps=40000`);
    const [, path, text] = match;
    // two values for one path are a slip, not a choice of the last
    if (edited.has(path)) throw new InputError(`--set ${path} is given twice (${edits.filter((other) => other.trim().startsWith(`${path}=`)).join(', ')}): give each path once`);
    edited.add(path);
    const section = path.split('.')[0];
    if ((FIXED_SECTIONS as readonly string[]).includes(section)) {
      throw new InputError(`--set ${path}: a continued run keeps its network, data and seed (${FIXED_SECTIONS.join(', ')} stay as they were); change maxnorm, stop, optimizer, trajectory, …`);
    }
    const varied = gridPaths.find((grid) => grid === path || grid.startsWith(`${path}.`) || path.startsWith(`${grid}.`));
    if (varied) throw new InputError(`--set ${path}: the spec's grid varies ${varied}, which would override it`);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = text;
    }
    // JSON reads 1e400 as Infinity, which the edited spec's JSON would write as null
    if (holdsNonFinite(value)) throw new InputError(`--set ${path}=${text}: a number beyond float64's range (about 1.8e308)${path === 'maxnorm' ? '; maxnorm=null is no barrier' : ''}`);
    const keys = path.split('.');
    if (keys.some((key) => key === '__proto__' || key === 'constructor' || key === 'prototype')) throw new InputError(`--set ${path}: not a spec field`);
    let target = spec as Record<string, unknown>;
    for (const key of keys.slice(0, -1)) {
      const next = target[key];
      if (next === undefined) target[key] = {};
      else if (typeof next !== 'object' || next === null || Array.isArray(next)) throw new InputError(`--set ${path}: ${key} is ${JSON.stringify(next)}, not an object`);
      target = target[key] as Record<string, unknown>;
    }
    target[keys[keys.length - 1]] = value;
  }
  return spec;
}

/** Whether a parsed JSON value holds a number that is not finite, at any depth. */
function holdsNonFinite(value: unknown): boolean {
  if (typeof value === 'number') return !Number.isFinite(value);
  return value !== null && typeof value === 'object' && Object.values(value).some(holdsNonFinite);
}

/** `--only` labels, checked against SELECTION_LABELS. */
export function parseSelection(text: string | undefined): string[] | null {
  if (text === undefined) return null;
  const labels = text.split(',').map((label) => label.trim()).filter(Boolean);
  const unknown = labels.filter((label) => !SELECTION_LABELS.includes(label));
  if (labels.length === 0 || unknown.length > 0) {
    const what = unknown.length > 0 ? `"${unknown.join('", "')}" is not a` : `"${text}" names no`;
    throw new InputError(`--only ${what} verdict, not-converged cause or stop reason (${SELECTION_LABELS.join(', ')})`);
  }
  return labels;
}

/** Whether a record's verdict, cause or stop reason is among `labels` (null: every run that did not converge or diverge, by its verdict). */
export function selectedRecord(record: RunRecord, labels: readonly string[] | null): boolean {
  const verdict = classifyRecord(record);
  if (labels === null) return verdict.outcome === 'not-converged';
  return labels.includes(verdict.outcome) || (verdict.cause !== undefined && labels.includes(verdict.cause)) || labels.includes(record.stopReason);
}

export interface ContinuationPlan {
  /** the edited spec, the continued folder's spec */
  spec: ExperimentSpec;
  /** the edited spec's runs that continue a chosen record, with it and the parameters it stopped at */
  runs: { run: ResolvedRun; from: RunRecord; start: Float64Array }[];
}

/**
 * The edited spec and, for every chosen record, the run of the edited spec with the same
 * configuration and seed (its id differs: the settings are part of it). A record of another spec
 * (a merged folder of several) is refused.
 */
export function planContinuation(specText: string, specSource: string, records: readonly RunRecord[], edits: readonly string[], labels: readonly string[] | null): ContinuationPlan {
  const original = parseSpec(specText, specSource);
  const spec = parseSpec(JSON.stringify(applySpecEdits(original.input, edits)), `${specSource} with ${edits.length > 0 ? edits.map((edit) => `--set ${edit}`).join(' ') : 'no edits'}`);
  const originalIds = new Map(expandSpec(original).map((run) => [run.id, run]));
  const edited = new Map(expandSpec(spec).map((run) => [`${run.configIndex}:${run.seed}`, run]));
  const runs: ContinuationPlan['runs'] = [];
  for (const record of records) {
    if (!selectedRecord(record, labels)) continue;
    const source = originalIds.get(record.id);
    if (!source) {
      throw new InputError(
        `run ${record.id} is not a run of ${specSource}: a folder of another spec, merged from several, or written by a version of channelscope that named runs otherwise`,
      );
    }
    // checked here, before a folder is made: a run frozen with non-finite values has nothing to continue from
    const start = startingParameters(record);
    if (!start.every(Number.isFinite)) throw new InputError(`run ${record.id}: its final parameters are not finite (it diverged), so it cannot be continued`);
    const run = edited.get(`${source.configIndex}:${source.seed}`)!;
    runs.push({ run, from: record, start });
  }
  return { spec, runs };
}

/** The parameters a continued run starts from: where the record stopped. */
function startingParameters(record: RunRecord): Float64Array {
  return parseParameterFile(JSON.stringify(record.params), `record ${record.id}`).theta;
}

/**
 * A continued run's record as written: where it came from and, where it made fewer checks than a
 * record keeps parameters of (RECENT_PARAMS), its recent parameters reaching back into the source
 * run's, whose last is its start. A run that stops at once (at the barrier it had reached) would
 * otherwise carry one θ and no motion, and the classifier would judge it without the last-update test.
 */
export function continuedRecord(record: RunRecord, folder: string, from: RunRecord): RunRecord {
  if (record.recentParams.length >= RECENT_PARAMS) return { ...record, continuedFrom: continuedFrom(folder, from) };
  const recentParams = [...(from.recentParams ?? []), ...record.recentParams].slice(-RECENT_PARAMS);
  // the source's steps counted back from its end, where this run began (its step 0); none where either has none
  const steps = from.recentSteps && record.recentSteps ? [...from.recentSteps.map((step) => step - from.steps), ...record.recentSteps].slice(-RECENT_PARAMS) : null;
  const { recentSteps: _unmerged, ...rest } = record;
  return { ...rest, recentParams, ...(steps && steps.length === recentParams.length ? { recentSteps: steps } : {}), continuedFrom: continuedFrom(folder, from) };
}

/**
 * The chosen runs the barrier stopped that the edited spec stops at the same barrier or a lower one:
 * they stop again at once, so a continuation with other settings teaches nothing about them.
 */
export function runsStoppedAgainAtBarrier(plan: ContinuationPlan): number {
  return plan.runs.filter(({ run, from }) => {
    const before = (from.config as { maxnorm?: number | null }).maxnorm ?? null;
    const after = run.config.maxnorm ?? null;
    // the scheduler's rule: a barrier stops flows unless stop.atBarrier says otherwise, other optimisers only where it says so
    const barrierStops = run.config.stop.atBarrier ?? run.config.optimizer.kind === 'flow';
    return from.stopReason === 'barrier' && barrierStops && before !== null && after !== null && after <= before;
  }).length;
}

export function continuedFrom(folder: string, record: RunRecord): ContinuedFrom {
  const config = record.config as { maxnorm?: number | null };
  return {
    folder,
    id: record.id,
    stopReason: record.stopReason,
    steps: record.steps,
    weightNorm: record.weightNorm,
    maxnorm: config.maxnorm ?? null,
    software: record.software ?? null,
  };
}
