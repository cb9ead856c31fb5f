// `channelscope doctor`: what will run the computations.
import { acquireGpu, describeGpu, type GpuContext } from '../gpu/device.js';
import type { BackendChoice } from '../engine/create.js';

const GPU_PRECISION = 'float32 kernels; Kahan-compensated sums over samples, pairwise across threads';
const CPU_PRECISION = 'float64, Neumaier-compensated sums over samples';

function gpuReport(gpu: GpuContext, choice: BackendChoice) {
  return {
    // what `--backend auto` uses: a software adapter (SwiftShader) is slower than the CPU engine
    backend: gpu.software && choice === 'auto' ? 'cpu' : 'gpu',
    description: describeGpu(gpu),
    adapter: gpu.adapterInfo,
    software: gpu.software,
    driverSource: gpu.driverSource,
    features: gpu.features,
    limits: gpu.limits,
    precision: GPU_PRECISION,
  };
}

export async function doctor(choice: BackendChoice, json: boolean): Promise<void> {
  const gpu = choice === 'cpu' ? null : await acquireGpu();
  if (!gpu && choice === 'gpu') throw new Error('no WebGPU adapter found (no GPU, and no software Vulkan driver could be set up)');
  const out = (line: string) => process.stdout.write(`${line}\n`);
  if (!gpu) {
    const report = {
      backend: 'cpu',
      description: choice === 'cpu' ? 'float64 CPU engine (requested)' : 'No WebGPU adapter found: using the float64 CPU engine.',
      precision: CPU_PRECISION,
    };
    if (json) out(JSON.stringify(report, null, 2));
    else out(`backend      cpu\ndescription  ${report.description}\nprecision    ${report.precision}`);
    return;
  }
  const report = gpuReport(gpu, choice);
  gpu.dispose();
  if (json) {
    out(JSON.stringify(report, null, 2));
    return;
  }
  const { vendor, architecture, device, description } = report.adapter;
  out(`backend      ${report.backend}${report.backend === 'cpu' ? ' (the software adapter below is slower than the float64 CPU engine; --backend gpu forces it)' : ''}`);
  out(`description  ${report.description}`);
  out(`adapter      vendor=${vendor} architecture=${architecture} device=${device} description=${description}`);
  out(`driver       ${report.driverSource}${report.software ? ' (software rasteriser: correct but slow)' : ''}`);
  out(`features     ${report.features.join(', ')}`);
  for (const [name, value] of Object.entries(report.limits)) out(`limit        ${name} = ${value}`);
  out(`precision    ${report.precision}`);
}
