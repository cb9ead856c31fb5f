// The builder's starting points: every sweep preset (quick and paper-sized) and every example spec,
// each under a name of its own, each a spec the command line accepts.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { listPresets } from '../../web/src/app/presets.js';
import { PRESETS } from '../../src/experiment/presets.js';
import { validateSpec } from '../../src/experiment/spec.js';

describe('the builder\'s starting points', () => {
  const presets = listPresets();

  it('are the sweep presets, then the example specs by path, under distinct names', () => {
    const sweeps = PRESETS.filter((preset) => preset.kind === 'sweep').flatMap((preset) => [`${preset.name} (quick)`, preset.name]);
    const examples = readdirSync('examples').filter((file) => file.endsWith('.json')).sort().map((file) => `examples/${file}`);
    expect(presets.map((p) => p.name)).toEqual([...sweeps, ...examples]);
    expect(new Set(presets.map((p) => p.name)).size).toBe(presets.length);
    expect(presets.filter((p) => p.source === 'examples').map((p) => p.name)).toEqual(examples);
  });

  it('are valid specs with a description', () => {
    for (const preset of presets) {
      expect(preset.description, preset.name).not.toBe('');
      expect(() => validateSpec(preset.spec, preset.name), preset.name).not.toThrow();
    }
    // a quick version says its own sizes, not only the paper-sized preset's
    const quick = presets.find((p) => p.name === 'loss-levels (quick)')!;
    expect(quick.description).toMatch(/Quick version: .*r = 2…4/);
  });
});
