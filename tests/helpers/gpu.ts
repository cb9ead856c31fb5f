// One GPU engine per test file, released in teardown so the worker process can exit.
import { afterAll } from 'vitest';
import { acquireGpu, type GpuContext } from '../../src/gpu/device.js';
import type { Evaluation, EvaluationRequest } from '../../src/engine/engine.js';
import type { KernelTuning } from '../../src/engine/gpu/kernel-strategy.js';
import { GpuEngine } from '../../src/engine/gpu/gpu-engine.js';
import { CpuEnsemble } from '../../src/engine/cpu/cpu-ensemble.js';
import type { EnsembleOptions, SlotRun, TrainingEnsemble } from '../../src/engine/training.js';

export async function gpuEngineForSuite(): Promise<GpuEngine> {
  const gpu = await acquireGpu();
  if (!gpu) throw new Error('no WebGPU adapter: the GPU suites need SwiftShader (npm package @sparticuz/chromium) or a GPU');
  const engine = new GpuEngine(gpu);
  afterAll(() => engine.dispose());
  return engine;
}

/**
 * Runs `work` inside WebGPU validation and out-of-memory error scopes and fails on any error. The
 * scopes are popped even when `work` throws (its error is the one reported), so that a failed test
 * leaves none pushed for the next test's errors to land in.
 */
export async function expectNoGpuErrors<T>(device: GPUDevice, work: () => Promise<T>): Promise<T> {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let validation: GPUError | null = null;
  let memory: GPUError | null = null;
  let result: T;
  try {
    result = await work();
  } finally {
    validation = await device.popErrorScope();
    memory = await device.popErrorScope();
  }
  if (validation) throw new Error(`WebGPU validation error: ${validation.message}`);
  if (memory) throw new Error(`WebGPU out-of-memory error: ${memory.message}`);
  return result;
}

/**
 * A GPU ensemble and the float64 CPU reference with the same options, slot s of both loaded with
 * runs[s]: the setup of every GPU-against-CPU training test.
 */
export async function ensembleWithReference(engine: GpuEngine, options: EnsembleOptions, runs: SlotRun[]): Promise<[TrainingEnsemble, CpuEnsemble]> {
  const gpu = await engine.createEnsemble(options);
  const reference = new CpuEnsemble(options);
  for (let s = 0; s < runs.length; s++) {
    await gpu.load(s, runs[s]);
    await reference.load(s, runs[s]);
  }
  return [gpu, reference];
}

/** A planted kernel fault: each named quantity of an evaluation multiplied by its factor. */
export interface PlantedFault {
  gradient?: number;
  hvp?: number;
}

/**
 * A GPU engine (and every engine withTuning derives from it) whose evaluations come back with
 * `fault` planted (gradients or HVPs scaled) where `broken(tuning, request)` holds: a kernel fault
 * for the checks that must catch one. Each derived engine compiles its own pipelines (the cache is
 * private to GpuEngine).
 */
export function engineWithPlantedFault(gpu: GpuContext, fault: PlantedFault, broken: (tuning: KernelTuning, request: EvaluationRequest) => boolean = () => true, tuning: KernelTuning = {}): GpuEngine {
  class PlantedFaultEngine extends GpuEngine {
    override withTuning(more: KernelTuning): GpuEngine {
      return engineWithPlantedFault(this.gpu, fault, broken, { ...this.tuning, ...more });
    }

    override async evaluate(request: EvaluationRequest): Promise<Evaluation> {
      const result = await super.evaluate(request);
      if (!broken(this.tuning, request)) return result;
      const scaled = (values: Float64Array | undefined, factor: number | undefined) => (values && factor !== undefined ? values.map((v) => factor * v) : values);
      return { ...result, gradient: scaled(result.gradient, fault.gradient), hvp: scaled(result.hvp, fault.hvp) };
    }
  }
  return new PlantedFaultEngine(gpu, tuning);
}

/** engineWithPlantedFault with gradients 1% too large where `broken(tuning, request)` holds. */
export function engineWithBrokenGradients(gpu: GpuContext, broken: (tuning: KernelTuning, request: EvaluationRequest) => boolean, tuning: KernelTuning = {}): GpuEngine {
  return engineWithPlantedFault(gpu, { gradient: 1.01 }, broken, tuning);
}
