// Figures keep their plots' width: long subtitles and notes wrap instead of widening the figure (a
// figure wider than its column is scaled down, every label with it); threshold labels stay inside the frame.
import { describe, expect, it } from 'vitest';
import { decadeTicks, sideBySide, wrapLine } from '../../web/src/charts/figure.js';
import { markLabelSide } from '../../web/src/charts/result-figures.js';

describe('figure text', () => {
  it('wraps a long line at spaces to the width, keeping every word in order', () => {
    const note = 'Channel: weight norm at the barrier, closest pair of equal neurons (relative L2 < 0.5) at cosine distance < 10⁻², output weights of opposite signs, last updates along the pair. Labels: runs/total.';
    const lines = wrapLine(note, 11.5, 480);
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.join(' ')).toBe(note);
    // 0.56 em per character: 480 px hold about 74 characters at 11.5 px
    for (const line of lines) expect(line.length * 11.5 * 0.56).toBeLessThanOrEqual(480);
    expect(wrapLine('short', 12, 480)).toEqual(['short']);
    expect(wrapLine('averyveryverylongwordthatdoesnotfit', 12, 50)).toEqual(['averyveryverylongwordthatdoesnotfit']);
  });

  it('puts panels side by side only where the width holds them, else stacks them the width across (a phone: no half-size labels)', () => {
    expect(sideBySide(1400, 340)).toEqual({ columns: 2, panelWidth: 670 });
    expect(sideBySide(740, 340)).toEqual({ columns: 2, panelWidth: 340 });
    expect(sideBySide(739, 340)).toEqual({ columns: 1, panelWidth: 699 });
    expect(sideBySide(384, 320)).toEqual({ columns: 1, panelWidth: 344 });
    expect(sideBySide(200, 320)).toEqual({ columns: 1, panelWidth: 280 });
    expect(sideBySide(980, 300, 1)).toEqual({ columns: 1, panelWidth: 940 });
  });

  it('puts a threshold label at either end of the axis beside its line, not across the y axis or the frame', () => {
    const thresholds = [{ x: 1e-3 }, { x: 1e-2 }];
    const distances = [0.0018, 0.002, 0.3, null];
    // 10⁻³ left of every distance: the axis starts there, so the label reads to the right of its line
    expect(markLabelSide(1e-3, thresholds, distances)).toEqual({ textAnchor: 'start', dx: 3 });
    expect(markLabelSide(1e-2, thresholds, distances)).toEqual({ textAnchor: 'middle', dx: 0 });
    // the barrier right of every weight norm: to the left of its line
    expect(markLabelSide(1e3, [{ x: 1e3 }], [0.2, 0.5])).toEqual({ textAnchor: 'end', dx: -3 });
  });

  it('grids a log axis whose range covers three decades or more, rounded out to powers of ten, at the powers only (not 2…9 of each); a narrower one as Plot would', () => {
    expect(decadeTicks([4.3e4, 1.2e7])).toEqual([1e4, 1e5, 1e6, 1e7, 1e8]);
    expect(decadeTicks([2.6e-9, 8e-7, 0, NaN])).toEqual([1e-9, 1e-8, 1e-7, 1e-6]);
    // rounded out to [10, 10⁴]: three decades, though the values span under two
    expect(decadeTicks([15, 1100])).toEqual([10, 100, 1000, 1e4]);
    // within two decades rounded out: Plot's ticks (with 2, 3, 5…) help to read it
    expect(decadeTicks([150, 900])).toBeUndefined();
    expect(decadeTicks([0.013, 0.9])).toBeUndefined();
    expect(decadeTicks([])).toBeUndefined();
    // an axis whose domain is the range itself: the powers inside it, exact at the edge, if three or more
    expect(decadeTicks([0.004, 600], { exactDomain: true })).toEqual([0.01, 0.1, 1, 10, 100]);
    expect(decadeTicks([1e-5, 0.2], { exactDomain: true })).toEqual([1e-5, 1e-4, 1e-3, 0.01, 0.1]);
    expect(decadeTicks([0.333, 15], { exactDomain: true })).toBeUndefined();
  });
});
