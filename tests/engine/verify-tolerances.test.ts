// `channelscope verify`'s tolerances (src/engine/verify.ts, src/engine/verify-kernels.ts), pinned with
// the measurements that set them, so that loosening one fails here; and the evaluation tolerances
// against planted faults in an engine of exact arithmetic (the float64 CPU engine, one quantity
// scaled), so that what they refuse does not depend on a device's roundings. The GPU suites state
// their own, tighter tolerances (gpu-engine.test.ts, gpu-stiff.test.ts, …); verify-kernels.test.ts
// plants the same faults in a GPU engine.
import { describe, expect, it } from 'vitest';
import { CpuEngine } from '../../src/engine/cpu/cpu-engine.js';
import type { Evaluation, EvaluationRequest } from '../../src/engine/engine.js';
import { KERNEL_TOLERANCE } from '../../src/engine/verify-kernels.js';
import { CHANNEL_CONDITIONING, CHANNEL_NETWORK, ENGINE_TOLERANCE, FINITE_DIFFERENCE_TOLERANCE, kernelDisagreement, makeVariantCase, verifyVariant } from '../../src/engine/verify.js';

describe('verify tolerances', () => {
  it('for evaluations: about 10–25× what SwiftShader measures, and below the planted faults below', () => {
    // measured on SwiftShader (float32 against float64, all 42 variants, seeds 1–7 and 11, the channel
    // network's loss and gradient relative to 10× its largest entry): loss 4.6e-6, gradient 1.9e-5, HVP 4.0e-6
    expect(ENGINE_TOLERANCE).toEqual({ loss: 1e-4, gradient: 2e-4, hvp: 1e-4 });
    // the channel network's float32 loss and gradient lose 30–100× the others' to cancellation
    expect(CHANNEL_NETWORK).toBe(1);
    expect(CHANNEL_CONDITIONING).toBe(10);
    // a gradient 0.05% off and an HVP 0.1% off are errors of 5e-4 and 1e-3 relative in every network
    expect(ENGINE_TOLERANCE.gradient).toBeLessThan(5e-4 / 2);
    expect(ENGINE_TOLERANCE.hvp).toBeLessThan(1e-3 / 5);
    // the CPU's derivatives against fourth-order central differences (truncation ~1e-9, rounding ~1e-11)
    expect(FINITE_DIFFERENCE_TOLERANCE).toEqual({ gradient: 1e-6, hvp: 1e-5 });
  });

  it('for the kernels: as measured on SwiftShader with room for other devices (verify-kernels.ts says why)', () => {
    expect(KERNEL_TOLERANCE).toEqual({
      // 100 optimiser steps, then 150 in one advance
      discrete: 1e-4,
      discreteLong: 1e-3,
      // float32 flow: measured θ 1.6e-6; 10·rtol for controllers that part more on other devices;
      // a flow kernel 0.1% off measures 3.7e-4
      flow: 1e-4,
      doubleFloat: 1e-6,
      relu: 1e-4,
      lambdaMax: 1e-4,
      lambdaMin: 1e-5,
      spectrum: 1e-4,
      cosine: 1e-3,
    });
  });
});

/** The float64 CPU engine with one quantity of every evaluation scaled: a planted fault without rounding noise. */
class ScaledCpuEngine extends CpuEngine {
  constructor(private readonly fault: { gradient?: number; hvp?: number }) {
    super();
  }

  override async evaluate(request: EvaluationRequest): Promise<Evaluation> {
    const result = await super.evaluate(request);
    const scaled = (values: Float64Array | undefined, factor: number | undefined) => (values && factor !== undefined ? values.map((v) => factor * v) : values);
    return { ...result, gradient: scaled(result.gradient, this.fault.gradient), hvp: scaled(result.hvp, this.fault.hvp) };
  }
}

describe('verify refuses planted evaluation faults', () => {
  const cpu = new CpuEngine();
  const c = makeVariantCase({ inputDim: 3, hidden: [3, 3], activation: 'tanh', biases: true }, 1);

  it('passes the engine without a fault', async () => {
    const report = await verifyVariant(new ScaledCpuEngine({}), cpu, c);
    expect(report.pass).toBe(true);
    expect(report.againstCpu.gradient.maxRel).toBe(0);
  });

  it.each([
    ['gradient', { gradient: 1.0005 }, 5e-4],
    ['hvp', { hvp: 1.001 }, 1e-3],
  ] as const)('%s off by %o: the variant fails on that quantity alone', async (quantity, fault, error) => {
    const engine = new ScaledCpuEngine(fault);
    const report = await verifyVariant(engine, cpu, c);
    expect(report.pass).toBe(false);
    expect(report.againstCpu[quantity].pass).toBe(false);
    expect(report.againstCpu[quantity].maxRel).toBeCloseTo(error, 10);
    for (const other of (['loss', 'gradient', 'hvp'] as const).filter((q) => q !== quantity)) expect(report.againstCpu[other].pass).toBe(true);
    const disagreement = await kernelDisagreement(engine, c.arch, true, cpu);
    expect(disagreement).toBe(`${quantity} differs from the float64 CPU engine by ${error.toExponential(1)} relative (tolerance ${ENGINE_TOLERANCE[quantity]})`);
  });
});
