// How outcomes and stop reasons look on the page (one palette for the progress bar and the table).
import type { Outcome } from '../../../src/analysis/classify.js';

export const OUTCOME_LABELS: Record<Outcome, string> = {
  channel: 'channel',
  'finite-minimum': 'finite minimum',
  'plateau-saddle': 'plateau / saddle',
  'global-minimum': 'global minimum',
  'not-converged': 'not converged',
  diverged: 'diverged',
};

export const OUTCOME_COLORS: Record<Outcome, string> = {
  channel: '#d1495b',
  'finite-minimum': '#2e86ab',
  'plateau-saddle': '#edae49',
  'global-minimum': '#3b8d4f',
  'not-converged': '#8d8d8d',
  diverged: '#5c3c92',
};

/** Saves text as a file through a temporary link (no server round trip). */
export function downloadText(text: string, fileName: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
