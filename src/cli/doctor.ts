// `channelscope doctor`: what will run the computations.
import { acquireGpu, describeGpu } from '../gpu/device.js';
import type { BackendChoice } from '../engine/create.js';

export async function doctor(choice: BackendChoice, json: boolean): Promise<void> {
  const gpu = choice === 'cpu' ? null : await acquireGpu();
  if (!gpu && choice === 'gpu') throw new Error('no WebGPU adapter found (no GPU, and no software Vulkan driver could be set up)');
  const report = gpu
    ? {
        backend: 'gpu',
        description: describeGpu(gpu),
        adapter: gpu.adapterInfo,
        software: gpu.software,
        driverSource: gpu.driverSource,
        features: gpu.features,
        limits: gpu.limits,
        precision: 'float32 kernels; compensated sums over samples',
      }
    : {
        backend: 'cpu',
        description: choice === 'cpu' ? 'float64 CPU engine (requested)' : 'No WebGPU adapter found: using the float64 CPU engine.',
        precision: 'float64, compensated sums over samples',
      };
  gpu?.dispose();
  if (json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  process.stdout.write(`backend      ${report.backend}\n${'description'.padEnd(13)}${report.description}\n`);
  if ('adapter' in report) {
    const { vendor, architecture, device, description } = report.adapter;
    process.stdout.write(`adapter      vendor=${vendor} architecture=${architecture} device=${device} description=${description}\n`);
    process.stdout.write(`driver       ${report.driverSource}${report.software ? ' (software rasteriser: correct but slow)' : ''}\n`);
    process.stdout.write(`features     ${report.features.join(', ')}\n`);
    for (const [name, value] of Object.entries(report.limits)) process.stdout.write(`limit        ${name} = ${value}\n`);
  }
  process.stdout.write(`precision    ${report.precision}\n`);
}
