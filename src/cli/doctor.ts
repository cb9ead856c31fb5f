// `channelscope doctor`: what will run the computations.
import { acquireGpu, describeGpu, type GpuContext } from '../gpu/device.js';
import { NO_ADAPTER, type BackendChoice } from '../engine/create.js';
import { InputError } from '../user-input/input-error.js';
import { DOUBLE_FLOAT_BOUND, measureDoubleFloat } from '../engine/gpu/double-float-check.js';
import { currentSoftware, softwareLabel } from '../experiment/software.js';

/** The code and runtime answering: a report (a benchmark's doctor.json) names what it measured. */
function softwareLine(): string {
  return `${softwareLabel(currentSoftware())}, Node ${currentSoftware().node}`;
}

const GPU_PRECISION = 'float32 kernels (stiff flow of deep softplus/erf networks in double-float); Kahan-compensated sums over samples, pairwise across threads';

/** Whether this device's shader compiler keeps double-float arithmetic (the deep stiff kernel needs it). */
async function doubleFloatReport(gpu: GpuContext): Promise<{ exact: boolean; worstRelativeError: number; bound: number; failedChecks: number; error?: string }> {
  try {
    const result = await measureDoubleFloat(gpu.device);
    return { exact: result.failures.length === 0, worstRelativeError: Math.max(...Object.values(result.worst)), bound: DOUBLE_FLOAT_BOUND, failedChecks: result.failures.length };
  } catch (error) {
    // a device that cannot even run the check: say so, the rest of the report still stands
    return { exact: false, worstRelativeError: NaN, bound: DOUBLE_FLOAT_BOUND, failedChecks: NaN, error: error instanceof Error ? error.message : String(error) };
  }
}
const CPU_PRECISION = 'float64, Neumaier-compensated sums over samples';
/** What --backend auto runs beside a software adapter (SwiftShader), which is slower than it. */
const SOFTWARE_ADAPTER_UNUSED = 'the float64 CPU engine (the software adapter below is slower; --backend gpu forces it)';

function gpuReport(gpu: GpuContext, choice: BackendChoice) {
  // what `--backend auto` uses: a software adapter (SwiftShader) is slower than the CPU engine
  const backend = gpu.software && choice === 'auto' ? 'cpu' : 'gpu';
  return {
    version: softwareLine(),
    backend,
    // precision and description are the backend's that runs; the adapter's own are gpuPrecision and gpuDescription
    precision: backend === 'cpu' ? CPU_PRECISION : GPU_PRECISION,
    description: backend === 'cpu' ? SOFTWARE_ADAPTER_UNUSED : describeGpu(gpu),
    gpuDescription: describeGpu(gpu),
    adapter: gpu.adapterInfo,
    softwareAdapter: gpu.software,
    driverSource: gpu.driverSource,
    dawnToggles: gpu.dawnToggles,
    features: gpu.features,
    limits: gpu.limits,
    gpuPrecision: GPU_PRECISION,
  };
}

export async function doctor(choice: BackendChoice, json: boolean): Promise<void> {
  const gpu = choice === 'cpu' ? null : await acquireGpu();
  if (!gpu && choice === 'gpu') throw new InputError(NO_ADAPTER);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  if (!gpu) {
    const report = {
      version: softwareLine(),
      backend: 'cpu',
      description: choice === 'cpu' ? 'float64 CPU engine (requested)' : 'No WebGPU adapter found: using the float64 CPU engine.',
      precision: CPU_PRECISION,
    };
    if (json) out(JSON.stringify(report, null, 2));
    else out(`version      ${report.version}\nbackend      cpu\ndescription  ${report.description}\nprecision    ${report.precision}`);
    return;
  }
  let report;
  try {
    report = { ...gpuReport(gpu, choice), doubleFloat: await doubleFloatReport(gpu) };
  } finally {
    gpu.dispose();
  }
  if (json) {
    out(JSON.stringify(report, null, 2));
    return;
  }
  const { vendor, architecture, device, description } = report.adapter;
  out(`version      ${report.version}`);
  const onCpu = report.backend === 'cpu';
  out(`backend      ${onCpu ? `cpu: ${SOFTWARE_ADAPTER_UNUSED}` : 'gpu'}`);
  out(`precision    ${report.precision}`);
  out(`${onCpu ? 'unused GPU  ' : 'description '} ${report.gpuDescription}`);
  out(`adapter      vendor=${vendor} architecture=${architecture} device=${device} description=${description}`);
  out(`driver       ${report.driverSource}${report.softwareAdapter ? ' (software rasteriser: correct but slow)' : ''}`);
  if (report.dawnToggles.length > 0) out(`dawn toggles ${report.dawnToggles.join(', ')} (the software driver's, for speed: src/gpu/device.ts SOFTWARE_DAWN_TOGGLES)`);
  out(`features     ${report.features.join(', ')}`);
  for (const [name, value] of Object.entries(report.limits)) out(`limit        ${name} = ${value}`);
  if (onCpu) out(`gpu precision ${report.gpuPrecision}`);
  const { exact, worstRelativeError, bound, failedChecks, error } = report.doubleFloat;
  out(
    error
      ? `double-float could not be checked: ${error}`
      : exact
      ? `double-float worst error ${worstRelativeError.toExponential(1)} relative to float64 (bound ${bound.toExponential(1)}): deep networks' stiff flow can follow their channels`
      : `double-float BROKEN: ${failedChecks} checks missed ${bound.toExponential(1)} (worst ${worstRelativeError.toExponential(1)}): this device's shader compiler does not keep float32 operations as written, so deep networks' stiff flow is no better than float32 here; use --backend cpu for them`,
  );
  out(`kernels      checked by channelscope verify --backend gpu: every kernel against the float64 CPU engine on this device${report.softwareAdapter ? ' (minutes on a software adapter)' : ''}`);
}
