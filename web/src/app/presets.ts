// Starting points for the builder: the preset registry (src/experiment/presets.ts) when it exists,
// else the example specs in examples/. Both are bundled at build time.
/// <reference types="vite/client" />

export interface SpecPreset {
  name: string;
  description: string;
  spec: Record<string, unknown>;
  source: 'presets' | 'examples';
}

const exampleModules = import.meta.glob('../../../examples/*.json', { eager: true, import: 'default' }) as Record<string, Record<string, unknown>>;
// matches nothing until the registry file exists; then its exports are read below
const presetModules = import.meta.glob('../../../src/experiment/presets.ts', { eager: true }) as Record<string, Record<string, unknown>>;

interface RegistrySweepPreset {
  kind: 'sweep';
  name: string;
  description: string;
  spec: Record<string, unknown>;
  quick: Record<string, unknown>;
}

/** Sweep presets of the registry, each as its quick version (about a minute on a CPU) and the paper-sized one. */
function presetsFromRegistry(): SpecPreset[] {
  const presets: SpecPreset[] = [];
  for (const module of Object.values(presetModules)) {
    const registry = module.PRESETS;
    if (!Array.isArray(registry)) continue;
    for (const preset of registry as { kind?: unknown }[]) {
      if (preset?.kind !== 'sweep') continue; // procedures (saddle perturbation, …) are not specs
      const sweep = preset as RegistrySweepPreset;
      presets.push({ name: `${sweep.name} (quick)`, description: sweep.description, spec: sweep.quick, source: 'presets' });
      presets.push({ name: sweep.name, description: `${sweep.description} (paper-sized)`, spec: sweep.spec, source: 'presets' });
    }
  }
  return presets;
}

function presetsFromExamples(): SpecPreset[] {
  return Object.entries(exampleModules)
    .map(([file, spec]) => ({
      name: typeof spec.name === 'string' ? spec.name : file.slice(file.lastIndexOf('/') + 1).replace(/\.json$/, ''),
      description: typeof spec.description === 'string' ? spec.description : '',
      spec,
      source: 'examples' as const,
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function listPresets(): SpecPreset[] {
  const registry = presetsFromRegistry();
  return registry.length > 0 ? registry : presetsFromExamples();
}

/** A minimal valid spec to start from scratch: every other field takes its default. */
export const BLANK_SPEC: Record<string, unknown> = {
  architecture: { inputDim: 2, hidden: 4, activation: 'softplus' },
  optimizer: { kind: 'gd', lr: 0.01 },
  seeds: 4,
};
