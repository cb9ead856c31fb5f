// The dashboard's progress line, apart from the page shell (cs-app.ts) so that it is tested in Node.
import type { SweepProgress } from '../worker/api.js';
import type { SweepStatus } from './cs-spec-builder.js';

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
    case 'running':
      return `Running: ${done} of ${total} runs finished.`;
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
