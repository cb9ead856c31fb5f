// `channelscope verify`'s kernel checks (src/engine/verify-kernels.ts): they pass on SwiftShader, and
// they fail when a kernel's results are off. Only a few checks run here (SwiftShader compiles the stiff
// kernels slowly; the diagnostics checks run in the dashboard's test, tests/web/dashboard.e2e.test.ts);
// the kernels themselves are tested in gpu-{ensemble,stiff,strategies,diagnostics}.
import { describe, expect, it } from 'vitest';
import { GpuEngine } from '../../src/engine/gpu/gpu-engine.js';
import type { EnsembleOptions, TrainingEnsemble } from '../../src/engine/training.js';
import { KERNEL_TOLERANCE, verifyStrategies, verifyTraining } from '../../src/engine/verify-kernels.js';
import { CpuEngine } from '../../src/engine/cpu/cpu-engine.js';
import { ENGINE_TOLERANCE, makeVariantCase, verifyVariant } from '../../src/engine/verify.js';
import { engineWithBrokenGradients, engineWithPlantedFault, gpuEngineForSuite } from '../helpers/gpu.js';

const engine = await gpuEngineForSuite();

/** An engine whose ensembles report every parameter 1e-3 (relative to 1) off: a broken kernel. */
class OffByAThousandth extends GpuEngine {
  override async createEnsemble(options: EnsembleOptions): Promise<TrainingEnsemble> {
    const ensemble = await super.createEnsemble(options);
    return new Proxy(ensemble, {
      get(target, key) {
        if (key === 'parameters') return async (slot: number) => (await target.parameters(slot)).map((v) => v + 1e-3 * Math.max(1, Math.abs(v)));
        const value = Reflect.get(target, key);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }
}

describe('verify: kernel checks', () => {
  it('passes GD step by step and explicit flow at fixed times, naming the arithmetic', async () => {
    const checks = await verifyTraining(engine, 1, (name) => name === 'gd softplus/bias/[4]' || name.startsWith('dopri5'));
    expect(checks.map((c) => [c.check, c.compared])).toEqual([
      ['gd softplus/bias/[4]', 'θ and loss at steps 1–100 (tolerance 0.0001) and θ after 150 more in one advance (0.001), relative to the largest |θ|'],
      ['dopri5 softplus/bias/[3] (float32)', 'θ and loss at t = 0.5 and 5, relative to the largest |θ|'],
    ]);
    for (const c of checks) {
      expect(c.pass, `${c.check}: ${c.note ?? ''}`).toBe(true);
      // compared for real: float32 against float64 differs, within the tolerance
      expect(c.worst).toBeGreaterThan(0);
      expect(c.worst).toBeLessThanOrEqual(1);
    }
  });

  it('fails a kernel whose parameters are off by 1e-3, ten times the discrete tolerance', async () => {
    expect(KERNEL_TOLERANCE.discrete).toBe(1e-4);
    const broken = new OffByAThousandth(engine.gpu);
    const [steps] = await verifyTraining(broken, 1, (name) => name === 'gd softplus/bias/[4]');
    expect(steps.check).toBe('gd softplus/bias/[4]');
    expect(steps.pass).toBe(false);
    expect(steps.worst).toBeGreaterThan(5);
  });

  // (verify-tolerances.test.ts pins the tolerances and plants the same faults without rounding noise)
  it.each([
    ['HVP 0.1%', 'hvp', { hvp: 1.001 }],
    ['gradient 0.05%', 'gradient', { gradient: 1.0005 }],
  ] as const)('fails an evaluation kernel whose %s is off, in the evaluation checks and the strategies', async (_, quantity, fault) => {
    const cpu = new CpuEngine();
    const c = makeVariantCase({ inputDim: 3, hidden: [3, 3], activation: 'softplus', biases: true }, 1);
    const sound = await verifyVariant(engine, cpu, c);
    expect(sound.pass, JSON.stringify(sound.againstCpu)).toBe(true);
    const broken = engineWithPlantedFault(engine.gpu, fault);
    const report = await verifyVariant(broken, cpu, c);
    expect(report.pass).toBe(false);
    expect(report.againstCpu[quantity].pass).toBe(false);
    expect(report.againstCpu[quantity].maxRel).toBeGreaterThan(ENGINE_TOLERANCE[quantity]);
    const [strategy] = await verifyStrategies(broken, ['tiled/16']);
    expect(strategy.pass).toBe(false);
    expect(strategy.errors![quantity]).toBeGreaterThan(ENGINE_TOLERANCE[quantity]);
  });

  it('names the shape a strategy fails on', async () => {
    // wrong only for the widest shape, W2's d = 16
    const broken = engineWithBrokenGradients(engine.gpu, (_, request) => request.arch.inputDim === 16);
    const [check] = await verifyStrategies(broken, ['tiled/16']);
    expect(check.pass).toBe(false);
    expect(check.note).toBe('over tolerance on d = 16 softplus/bias/[16]; over tolerance on d = 16 softplus/bias/[16] with the barrier');
  });

  it('checks each kernel strategy on the benchmark shapes, reporting each quantity, and skips nothing on SwiftShader', async () => {
    const checks = await verifyStrategies(engine, ['tiled/16', 'register/16x2+hoist+subgroups']);
    expect(checks.map((c) => c.check)).toEqual(['strategy tiled/16', 'strategy register/16x2+hoist+subgroups']);
    for (const c of checks) {
      expect(c.pass, `${c.check}: ${c.note ?? ''}`).toBe(true);
      expect(c.note).toBeUndefined();
      expect(Object.keys(c.errors ?? {})).toEqual(['loss', 'gradient', 'hvp']);
      expect(c.errors!.gradient).toBeGreaterThan(0);
    }
  });
});
