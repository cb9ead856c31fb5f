// One GPU engine per test file, released in teardown so the worker process can exit.
import { afterAll } from 'vitest';
import { acquireGpu } from '../../src/gpu/device.js';
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

/** Runs `work` inside WebGPU validation and out-of-memory error scopes and fails on any error. */
export async function expectNoGpuErrors<T>(device: GPUDevice, work: () => Promise<T>): Promise<T> {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  const result = await work();
  const validation = await device.popErrorScope();
  const memory = await device.popErrorScope();
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
