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

function presetsFromRegistry(): SpecPreset[] {
  const presets: SpecPreset[] = [];
  for (const module of Object.values(presetModules)) {
    for (const exported of Object.values(module)) {
      const entries = Array.isArray(exported) ? exported : exported && typeof exported === 'object' ? Object.entries(exported).map(([name, value]) => ({ name, ...(value as object) })) : [];
      for (const entry of entries as { name?: unknown; description?: unknown; spec?: unknown }[]) {
        if (!entry || typeof entry.name !== 'string' || !entry.spec || typeof entry.spec !== 'object') continue;
        const spec = entry.spec as Record<string, unknown>;
        presets.push({ name: entry.name, description: typeof entry.description === 'string' ? entry.description : String(spec.description ?? ''), spec, source: 'presets' });
      }
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
