// One GPU engine per test file, released in teardown so the worker process can exit.
import { afterAll } from 'vitest';
import { acquireGpu } from '../../src/gpu/device.js';
import { withErrorScopes, type KernelProgram, type PipelineCache } from '../../src/gpu/kernel.js';
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

/**
 * Runs a test kernel whose bindings are one storage input (binding 0, `input`) and one storage
 * output (binding 1, `outputFloats` floats) over `workgroups` workgroups, and reads the output back.
 */
export async function runPointKernel(device: GPUDevice, pipelines: PipelineCache, program: KernelProgram, input: Float32Array<ArrayBuffer>, outputFloats: number, workgroups: number): Promise<Float32Array> {
  const created: GPUBuffer[] = [];
  const make = (size: number, usage: number) => {
    const buffer = device.createBuffer({ size, usage });
    created.push(buffer);
    return buffer;
  };
  try {
    return await withErrorScopes(device, program.name, async () => {
      const pipeline = await pipelines.get(program);
      const points = make(input.byteLength, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST);
      device.queue.writeBuffer(points, 0, input);
      const bytes = 4 * outputFloats;
      const output = make(bytes, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC);
      const readback = make(bytes, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
      const bindGroup = device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: points } },
          { binding: 1, resource: { buffer: output } },
        ],
      });
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(workgroups);
      pass.end();
      encoder.copyBufferToBuffer(output, 0, readback, 0, bytes);
      device.queue.submit([encoder.finish()]);
      await readback.mapAsync(GPUMapMode.READ);
      const result = new Float32Array(readback.getMappedRange().slice(0));
      readback.unmap();
      return result;
    });
  } finally {
    created.forEach((buffer) => buffer.destroy());
  }
}
