// Shards: a deterministic 1/n of a sweep's runs, so n machines (or array tasks) share one sweep.
//
// Numbering is 1-based, as a person writes it: `--shard 1/4` … `--shard 4/4`. Run number i (0-based
// position in expandSpec's order) belongs to shard k of n when i mod n = k − 1: round robin, so
// every shard gets a similar mix of configurations and seeds whatever the grid's order.
//
// Without --shard the shard is taken from the environment of a job array:
//   - Slurm: SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT (or SLURM_ARRAY_TASK_MAX), relative to
//     SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_STEP: `--array=0-9`, `--array=1-10` and `--array=0-18:2`
//     all give shards 1/10 … 10/10. Arrays with an irregular id list (`--array=1,4,9`) cannot be mapped;
//     pass --shard there.
//   - Kubernetes Indexed Jobs: JOB_COMPLETION_INDEX (0-based) with CHANNELSCOPE_SHARD_COUNT. Kubernetes
//     does not export the number of completions, so set CHANNELSCOPE_SHARD_COUNT to the Job's
//     `.spec.completions` yourself; JOB_COMPLETION_INDEX without it is an error rather than every pod
//     running the whole sweep.
// --shard wins over the environment.
import { InputError } from '../user-input/input-error.js';

export interface Shard {
  /** 1-based shard number, 1 ≤ index ≤ count */
  index: number;
  count: number;
  /** where it came from, for messages: "--shard", "SLURM_ARRAY_TASK_ID", … */
  source: string;
}

/** A shard's place alone (a checkpoint's shard: no source to name). */
export type ShardPosition = Pick<Shard, 'index' | 'count'>;

export const SHARD_COUNT_VARIABLE = 'CHANNELSCOPE_SHARD_COUNT';

/** Parses "k/n" (1 ≤ k ≤ n). */
export function parseShard(text: string, source = '--shard'): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!match) throw new InputError(`${source} must look like k/n with 1 ≤ k ≤ n (e.g. 2/8), got "${text}"`);
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (!Number.isSafeInteger(count) || count < 1) throw new InputError(`${source}: the shard count n must be a whole number from 1 to ${Number.MAX_SAFE_INTEGER}, got "${text}"`);
  if (!Number.isSafeInteger(index) || index < 1 || index > count) {
    throw new InputError(`${source}: the shard number k must be between 1 and ${count} (shards are numbered from 1), got "${text}"`);
  }
  return { index, count, source };
}

function integerVariable(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  // digits only: Number() would also take 0x1, 1.0 and 1e3
  const value = /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value)) throw new InputError(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

/** The shard the environment asks for (Slurm job array, Kubernetes Indexed Job), or null. */
export function shardFromEnvironment(env: NodeJS.ProcessEnv = process.env): Shard | null {
  const taskId = integerVariable(env, 'SLURM_ARRAY_TASK_ID');
  if (taskId !== undefined) {
    const min = integerVariable(env, 'SLURM_ARRAY_TASK_MIN') ?? 0;
    const step = integerVariable(env, 'SLURM_ARRAY_TASK_STEP') ?? 1;
    const max = integerVariable(env, 'SLURM_ARRAY_TASK_MAX');
    let count = integerVariable(env, 'SLURM_ARRAY_TASK_COUNT');
    const rangeCount = max !== undefined ? Math.floor((max - min) / Math.max(step, 1)) + 1 : undefined;
    // an irregular id list (--array=1,4,9) has a count its range does not give: its tasks cannot be numbered
    if (count !== undefined && rangeCount !== undefined && count !== rangeCount) {
      throw new InputError(
        `cannot map Slurm array task ${taskId} to a shard: SLURM_ARRAY_TASK_COUNT ${count} is not the ${rangeCount} tasks of ${min}-${max}${step !== 1 ? `:${step}` : ''} ` +
          '(an irregular --array list); use a regular range such as --array=0-9 or pass --shard k/n',
      );
    }
    count ??= rangeCount;
    if (count === undefined) {
      throw new InputError('SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MAX is: pass --shard k/n');
    }
    const offset = taskId - min;
    if (step < 1 || offset < 0 || offset % step !== 0 || offset / step >= count) {
      throw new InputError(
        `cannot map Slurm array task ${taskId} (min ${min}, step ${step}, count ${count}) to a shard: ` +
          'use a regular range such as --array=0-9 or pass --shard k/n',
      );
    }
    return { index: offset / step + 1, count, source: 'SLURM_ARRAY_TASK_ID' };
  }
  const completionIndex = integerVariable(env, 'JOB_COMPLETION_INDEX');
  if (completionIndex !== undefined) {
    const count = integerVariable(env, SHARD_COUNT_VARIABLE);
    if (count === 0) throw new InputError(`${SHARD_COUNT_VARIABLE} is 0: set it to the Job's .spec.completions (1 or more), or pass --shard k/n`);
    if (count === undefined || count < 1) {
      throw new InputError(
        `JOB_COMPLETION_INDEX is set but ${SHARD_COUNT_VARIABLE} is not: Kubernetes Indexed Jobs do not export the number ` +
          `of completions; set ${SHARD_COUNT_VARIABLE} to the Job's .spec.completions, or pass --shard k/n`,
      );
    }
    if (completionIndex >= count) {
      throw new InputError(`JOB_COMPLETION_INDEX ${completionIndex} is not below ${SHARD_COUNT_VARIABLE} ${count}`);
    }
    return { index: completionIndex + 1, count, source: 'JOB_COMPLETION_INDEX' };
  }
  // the count without an index: every task of such a job would run the whole sweep
  const countAlone = integerVariable(env, SHARD_COUNT_VARIABLE);
  if (countAlone !== undefined && countAlone > 1) {
    throw new ShardEnvironmentError(
      `${SHARD_COUNT_VARIABLE} is ${countAlone} but JOB_COMPLETION_INDEX is not set (a Kubernetes Indexed Job sets it), so this task would run the whole sweep`,
      `pass --shard k/n, or unset ${SHARD_COUNT_VARIABLE}`,
    );
  }
  return null;
}

/** A job array's variables that do not name a shard: the problem, and what a sweep's command can do about it (a procedure's cannot). */
export class ShardEnvironmentError extends InputError {
  constructor(
    readonly problem: string,
    advice: string,
  ) {
    super(`${problem}: ${advice}`);
  }
}

/** --shard if given, else the environment's, else null (the whole sweep). */
export function resolveShard(option: string | undefined, env: NodeJS.ProcessEnv = process.env): Shard | null {
  if (option !== undefined) return parseShard(option);
  return shardFromEnvironment(env);
}

/** Whether run number `position` (0-based, in expandSpec's order) belongs to `shard`. */
export function inShard(position: number, shard: ShardPosition | null): boolean {
  return shard === null || position % shard.count === shard.index - 1;
}

/** The items of `shard`, in their order. */
export function selectShard<T>(items: readonly T[], shard: ShardPosition | null): T[] {
  return items.filter((_, position) => inShard(position, shard));
}

export function formatShard(shard: Shard | null): string {
  return shard === null ? 'all runs' : `shard ${shard.index}/${shard.count}`;
}
