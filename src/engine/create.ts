// Picks the engine: the GPU where an adapter exists, else the float64 CPU reference.
import { acquireGpu, describeGpu, hardwareAdapterPossible, type AcquireOptions } from '../gpu/device.js';
import { CpuEngine, type CpuEngineOptions } from './cpu/cpu-engine.js';
import type { Engine } from './engine.js';
import { GpuEngine } from './gpu/gpu-engine.js';
import { InputError } from '../user-input/input-error.js';

/** --backend gpu where there is none: the user's choice cannot be met (bad input, exit 2), not a bug. */
export const NO_ADAPTER = 'no WebGPU adapter found (no GPU, and no software Vulkan driver could be set up): --backend auto or cpu runs on the float64 CPU engine';

export type BackendChoice = 'auto' | 'gpu' | 'cpu';

export interface CreatedEngine {
  engine: Engine;
  /** one line for the user when the requested or preferred backend was not available */
  notice?: string;
}

/** `cpu`: how a CPU engine, chosen or fallen back to, runs (its worker threads). */
export async function createEngine(choice: BackendChoice = 'auto', options: AcquireOptions = {}, cpu: CpuEngineOptions = {}): Promise<CreatedEngine> {
  if (choice === 'cpu') return { engine: new CpuEngine(cpu) };
  if (choice === 'auto' && !hardwareAdapterPossible()) {
    // The only adapter would be SwiftShader's, which auto declines anyway (below): do not even start
    // Dawn, whose teardown after an early device.destroy() has crashed Node at exit on such machines.
    return {
      engine: new CpuEngine(cpu),
      notice: 'No GPU driver on this machine (no Vulkan loader): using the float64 CPU engine, which beats a software rasteriser; --backend gpu runs WebGPU on SwiftShader.',
    };
  }
  const gpu = await acquireGpu(options);
  if (gpu && gpu.software && choice === 'auto') {
    // a software rasteriser is for correctness tests: the float64 CPU engine is faster than it here
    const name = describeGpu(gpu);
    // the device lives as long as the engine: destroying it at once and then computing on has
    // crashed Dawn's teardown at exit
    const engine = new CpuEngine(cpu);
    engine.dispose = () => gpu.dispose();
    return { engine, notice: `Only a software WebGPU adapter (${name}): using the float64 CPU engine, which is faster; --backend gpu forces WebGPU.` };
  }
  if (gpu) return { engine: new GpuEngine(gpu) };
  if (choice === 'gpu') throw new InputError(NO_ADAPTER);
  return { engine: new CpuEngine(cpu), notice: 'No WebGPU adapter found: using the float64 CPU engine (slow for large ensembles).' };
}
