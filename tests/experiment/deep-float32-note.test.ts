// The channel-frequency report warns when deep networks ran in float32 on the GPU: float32 cannot
// follow their channels to the barrier (benchmarks/results/deep-float32-emulation-2026-12-05.md), so
// their channel fractions are lower bounds. Checked on the committed [4, 4] records, float32
// (SwiftShader) and float64 (CPU) (benchmarks/results/deep-float32-swiftshader).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildPresetReport, deepFloat32Note, presetReportMarkdown } from '../../src/experiment/preset-reports.js';
import type { RunRecord } from '../../src/experiment/results.js';
import type { RunConfig } from '../../src/experiment/spec.js';

const recordsOf = (file: string): RunRecord[] =>
  readFileSync(new URL(`../../benchmarks/results/deep-float32-swiftshader/${file}`, import.meta.url), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
const withConfig = (records: RunRecord[]) => records.map((record) => ({ record, config: record.config as RunConfig }));

describe('the float32 caveat for deep networks', () => {
  const gpu = recordsOf('gpu-runs.jsonl');
  const cpu = recordsOf('cpu-runs.jsonl');

  it('names the float32 deep runs and the float64 way out, and is absent for float64 runs', () => {
    const note = deepFloat32Note(withConfig(gpu));
    expect(note).toContain(`${gpu.length} runs of deep networks ([4,4]) ran in float32 on the GPU`);
    expect(note).toContain('--backend cpu (float64)');
    expect(deepFloat32Note(withConfig(cpu))).toBeNull();
  });

  it('leaves out runs the GPU trained in double-float, and relu (no channels)', () => {
    const doubleFloat = gpu.map((record) => ({ ...record, arithmetic: 'double-float' }));
    expect(deepFloat32Note(withConfig(doubleFloat))).toBeNull();
    const relu = withConfig(gpu).map(({ record, config }) => ({ record, config: { ...config, architecture: { ...config.architecture, activation: 'relu' as const } } }));
    expect(deepFloat32Note(relu)).toBeNull();
    // a record that names float32 is flagged whatever its backend field says
    expect(deepFloat32Note(withConfig(gpu.slice(0, 1).map((record) => ({ ...record, backend: 'cpu', arithmetic: 'float32' }))))).toContain('1 runs of deep networks');
  });

  it('stands under the channel-frequency width table', () => {
    const byWidth = (records: RunRecord[]) => buildPresetReport('channel-frequency', records).tables.find((t) => t.name === 'by-r')!;
    expect(byWidth([...cpu, ...gpu]).note).toContain('ran in float32 on the GPU');
    expect(byWidth(cpu).note).not.toContain('ran in float32');
  });

  it('the preset report warns when its sweep recorded fewer runs than planned', () => {
    expect(presetReportMarkdown(buildPresetReport('channel-frequency', cpu, 100), 'here')).toContain(`Recorded ${cpu.length} of the 100 runs planned`);
    expect(presetReportMarkdown(buildPresetReport('channel-frequency', cpu, cpu.length), 'here')).not.toContain('Recorded');
  });
});
