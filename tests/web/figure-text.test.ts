// Figures keep their plots' width: long subtitles and notes wrap instead of widening the figure (a
// figure wider than its column is scaled down, every label with it).
import { describe, expect, it } from 'vitest';
import { wrapLine } from '../../web/src/charts/figure.js';

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
});
