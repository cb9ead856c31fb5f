// The dashboard's progress line (a sweep of the page's, or a followed folder's), apart from the page shell (cs-app.ts) so that it is tested in Node.
import { activeRunsText } from '../../../src/experiment/scheduler.js';
import type { SweepProgress } from '../worker/api.js';
import type { SweepStatus } from './cs-spec-builder.js';
import { FOLLOW_INTERVAL_MS, type FollowState } from '../results/follow-runs.js';

/**
 * The progress line for a sweep in `status`. A pause takes effect at the worker's next check, after
 * the step in flight: until its progress says paused, runs may still finish, so the line says
 * "Pausing" rather than a count that would then grow.
 */
export function sweepStatusText(status: SweepStatus, progress: SweepProgress | null | undefined, total: number, endNote: string): string {
  const done = progress?.done ?? 0;
  switch (status) {
    case 'idle':
      return endNote || 'No sweep running.';
    case 'starting':
      return 'Starting: opening the engine…';
    case 'running': {
      // between finished runs (long ones: none for minutes), how far the runs going have got
      const going = activeRunsText(progress?.active, total - done);
      return `Running: ${done} of ${total} runs finished${going ? `; ${going}` : ''}.`;
    }
    case 'paused':
      return progress?.paused
        ? `Paused after ${done} of ${total} runs (runs in flight resume where they stopped).`
        : `Pausing after the step in flight: ${done} of ${total} runs finished so far…`;
    case 'finished':
    case 'cancelled':
      return endNote;
    case 'failed':
      return 'The sweep stopped with an error.';
  }
}

/**
 * Where a followed sweep (an opened folder a session still writes) stands, as its progress line says
 * it; resume: the command that resumes it (report-text.ts resumeCommand).
 */
export function followStatusText(follow: FollowState & { source: string }, planned: number | undefined, resume: string, now = Date.now()): string {
  const of = planned !== undefined ? ` of the ${planned} planned` : '';
  const recorded = `${follow.runs} run${follow.runs === 1 ? '' : 's'}${of}`;
  if (follow.error) return `Stopped following ${follow.source}: ${follow.error}. ${recorded} shown.`;
  if (follow.stopped) return follow.finished ? `Opened ${recorded} from ${follow.source}: its sweep finished while it was followed.` : `Opened ${recorded} from ${follow.source} (no longer following it).`;
  if (follow.unreachable) return `Following ${follow.source}: ${recorded} recorded; the last read failed (${follow.unreachable}), trying again every ${FOLLOW_INTERVAL_MS.idle / 1000} s.`;
  if (follow.finished && !follow.writing && !follow.complete) return `Following ${follow.source}: ${recorded} recorded; the sessions of its shards here finished, and its other shards are not here yet (each is followed once its task starts).`;
  if (follow.finished && !follow.writing) return `Following ${follow.source}: ${recorded} recorded; its session finished, and its last runs are being read.`;
  const last = follow.lastNewRunAt === null ? '' : ` (the last came ${ago(now - follow.lastNewRunAt)} ago)`;
  if (follow.writing) return `Following ${follow.source}: ${recorded} recorded, and a session is writing more${last}.`;
  return `Following ${follow.source}: ${recorded} recorded; no session is writing it now, so it stopped before its end (${resume} continues it, and its runs will show here).`;
}

function ago(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 90) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 90 ? `${minutes} min` : `${Math.round(minutes / 60)} h`;
}
