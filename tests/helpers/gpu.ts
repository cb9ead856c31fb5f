// One GPU engine per test file, released in teardown so the worker process can exit.
import { afterAll } from 'vitest';
import { acquireGpu } from '../../src/gpu/device.js';
import { GpuEngine } from '../../src/engine/gpu/gpu-engine.js';

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
