// How a long command (a sweep, a procedure) is asked to stop: SIGINT (Ctrl-C), SIGTERM (a scheduler),
// or the pipe its output goes to closed by its reader (`… 2>&1 | head`: bin.ts sees EPIPE). The last
// is no process signal listener: Node ignores SIGPIPE, and removing the last listener of it would
// leave the signal's default action, death, in place of that.
import { EventEmitter } from 'node:events';

export type StopReason = 'SIGINT' | 'SIGTERM' | 'SIGPIPE';

/** The exit code of a command stopped so: 128 + the signal's number, as a shell reports a death by it. */
export const STOP_EXIT_CODES: Record<StopReason, number> = { SIGINT: 130, SIGTERM: 143, SIGPIPE: 141 };

const closedPipes = new EventEmitter();

/**
 * Asks the running command to stop as the output's reader is gone; false where none listens (the
 * command has nothing to keep: it may simply end).
 */
export function stopForClosedPipe(): boolean {
  return closedPipes.emit('closed', 'SIGPIPE');
}

/** Calls `stop` on the first stop request; returns the function that stops listening. */
export function onStopRequest(stop: (reason: StopReason) => void): () => void {
  const signals: StopReason[] = ['SIGINT', 'SIGTERM'];
  for (const signal of signals) process.on(signal, stop);
  closedPipes.on('closed', stop);
  return () => {
    for (const signal of signals) process.off(signal, stop);
    closedPipes.off('closed', stop);
  };
}
