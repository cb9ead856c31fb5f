// The fraction bars' layout: a few groups stand in columns above their names; many groups (the summary
// grouped by activation × teacher: 15) go one under another, so bars stay thick and names legible.
import { describe, expect, it } from 'vitest';
import { clampLines } from '../../web/src/charts/figure.js';
import { fractionBarsLayout, type FractionRow } from '../../web/src/charts/fraction-bars.js';

const categories = ['channel', 'finite minimum', 'not converged'];
const colors = { channel: '#d00', 'finite minimum': '#00d', 'not converged': '#888' };

function rows(groups: readonly string[]): FractionRow[] {
  return groups.flatMap((group) => categories.map((category) => ({ group, category, successes: 1, n: 4, fraction: 0.25, low: 0.05, high: 0.7 })));
}

const options = (groupLabel: string) => ({ colors, categories, groupLabel, width: 680 });

describe('fractionBarsLayout', () => {
  it('keeps a few short groups in labelled columns', () => {
    expect(fractionBarsLayout(rows(['activation=softplus', 'activation=erf', 'activation=relu']), options('activation'))).toEqual({ orientation: 'columns', counts: true });
  });

  it('lays many groups out in rows, each bar labelled, where columns would be thin or their names angled', () => {
    const groups = ['softplus', 'erf', 'relu'].flatMap((activation) =>
      ['teacher=rosenbrock', 'teacher=gp s=0.1', 'teacher=gp s=0.5', 'teacher=gp s=2', 'teacher=gp s=10'].map((teacher) => `activation=${activation} ${teacher}`),
    );
    expect(fractionBarsLayout(rows(groups), options('activation, teacher'))).toEqual({ orientation: 'rows', counts: true });
    // short names, but 40 groups × 3 bars in 680 px: columns about 4 px wide
    const many = Array.from({ length: 40 }, (_, k) => `${k}`);
    expect(fractionBarsLayout(rows(many), options('seed')).orientation).toBe('rows');
  });
});

describe('clampLines', () => {
  it('wraps within the width and cuts what does not fit the lines with "…"', () => {
    expect(clampLines('activation=erf teacher=gp s=2', 12, 400, 2)).toEqual(['activation=erf teacher=gp s=2']);
    const cut = clampLines('activation=softplus teacher=gp s=0.5 optimizer=adam η=0.01 batch=16', 12, 150, 2);
    expect(cut).toHaveLength(2);
    expect(cut[1].endsWith('…')).toBe(true);
    // one word wider than the room is cut too
    expect(clampLines('averyveryverylongwordthatdoesnotfit', 12, 60, 1)[0]).toMatch(/^avery.*…$/);
  });
});
