// How outcomes look on the page and in its charts: one label and colour each (progress bar, tables, figures).
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
