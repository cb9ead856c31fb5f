// Starting points for the builder: the paper's sweep presets (src/experiment/presets.ts), each quick
// and paper-sized, then the example specs in examples/. Both are bundled at build time.
/// <reference types="vite/client" />
import { PRESETS } from '../../../src/experiment/presets.js';

export interface SpecPreset {
  /** what the menu shows and picks by: the preset's name, or the example's path */
  name: string;
  description: string;
  spec: Record<string, unknown>;
  source: 'presets' | 'examples';
}

const exampleModules = import.meta.glob('../../../examples/*.json', { eager: true, import: 'default' }) as Record<string, Record<string, unknown>>;

/** Sweep presets, each as its quick version (about a minute on a CPU) and the paper-sized one; procedures are no specs. */
function presetsFromRegistry(): SpecPreset[] {
  return PRESETS.flatMap((preset) =>
    preset.kind === 'sweep'
      ? [
          // the quick spec's sizes are not the preset's (loss-levels: r = 2…4, not 1…5): its note says them
          { name: `${preset.name} (quick)`, description: `${preset.description}. Quick version: ${preset.quickNote}`, spec: preset.quick as Record<string, unknown>, source: 'presets' as const },
          { name: preset.name, description: `${preset.description} (paper-sized)`, spec: preset.spec as Record<string, unknown>, source: 'presets' as const },
        ]
      : [],
  );
}

/** The example specs by their path (examples/toy-1d.json and the preset toy-1d are different starting points). */
function presetsFromExamples(): SpecPreset[] {
  return Object.entries(exampleModules)
    .map(([file, spec]) => ({
      name: `examples/${file.slice(file.lastIndexOf('/') + 1)}`,
      description: typeof spec.description === 'string' ? spec.description : '',
      spec,
      source: 'examples' as const,
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function listPresets(): SpecPreset[] {
  return [...presetsFromRegistry(), ...presetsFromExamples()];
}

/** A minimal valid spec to start from scratch: every other field takes its default. */
export const BLANK_SPEC: Record<string, unknown> = {
  architecture: { inputDim: 2, hidden: 4, activation: 'softplus' },
  optimizer: { kind: 'gd', lr: 0.01 },
  seeds: 4,
};
