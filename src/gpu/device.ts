// One way to get a GPUDevice, in Node (Dawn via the `webgpu` package) and in the browser.
import { enableSoftwareVulkan, hasSystemVulkanLoader } from './swiftshader.js';

export const OPTIONAL_FEATURES: GPUFeatureName[] = ['subgroups', 'timestamp-query', 'shader-f16'];

/**
 * Dawn toggles for the software driver, where the test suites run (hardware keeps Dawn's defaults):
 * - disable_workgroup_init: WGSL zero-fills workgroup memory at every dispatch; our kernels write
 *   every workgroup variable before reading it, and on SwiftShader the fill made the GPU suites
 *   1.6–5× slower (gpu-engine.test.ts 52 s → 11 s on 2 cores);
 * - disable_robustness: Dawn's bounds clamps on every array index; the kernels clamp their own
 *   indices where one could leave its array, and without Dawn's another 15–25% (11 s → 8.4 s). A stray
 *   index then shows in the tests as a wrong result or a crash instead of being clamped out of sight.
 */
export const SOFTWARE_DAWN_TOGGLES = ['disable_workgroup_init', 'disable_robustness'];

/** Limits we raise to the adapter's maximum when it offers more than the default. */
const RAISED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

export interface GpuContext {
  device: GPUDevice;
  adapterInfo: { vendor: string; architecture: string; device: string; description: string };
  features: string[];
  limits: Record<(typeof RAISED_LIMITS)[number], number>;
  /** true when the adapter is a software rasteriser (SwiftShader) */
  software: boolean;
  /** how the driver was found: 'browser', 'system', or the software Vulkan's source */
  driverSource: string;
  /** Dawn toggles this instance was created with (SOFTWARE_DAWN_TOGGLES on the software driver in Node) */
  dawnToggles: string[];
  hasSubgroups: boolean;
  hasTimestamps: boolean;
  dispose(): void;
}

export interface AcquireOptions {
  powerPreference?: GPUPowerPreference;
  /** skip optional features (to test fallbacks) */
  disableFeatures?: GPUFeatureName[];
}

interface GpuEntry {
  gpu: GPU;
  release(): void;
  driverSource: string;
  dawnToggles: string[];
}

/**
 * Whether a hardware adapter could exist: always in a browser; in Node only with a configured
 * Vulkan driver or a system Vulkan loader (otherwise the only adapter would be SwiftShader's).
 */
export function hardwareAdapterPossible(): boolean {
  if (isBrowser()) return true;
  return Boolean(process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES) || hasSystemVulkanLoader();
}

/** Whether an adapter's info names a software rasteriser (SwiftShader, llvmpipe, lavapipe). */
export function isSoftwareAdapter(info: { vendor?: string; architecture?: string; description?: string }): boolean {
  return /swiftshader|llvmpipe|lavapipe|software/i.test(`${info.vendor ?? ''} ${info.architecture ?? ''} ${info.description ?? ''}`);
}

function isBrowser(): boolean {
  return typeof navigator !== 'undefined' && 'gpu' in navigator && typeof process === 'undefined';
}

/** A Dawn instance in Node, with the software toggles for a software driver (ours, or one the environment points at). */
async function nodeGpu(driverSource: string, software: boolean): Promise<GpuEntry> {
  const webgpu = await import('webgpu');
  // GPUBufferUsage, GPUMapMode, … as in a browser
  for (const [name, value] of Object.entries(webgpu.globals)) {
    if (!(name in globalThis)) Object.assign(globalThis, { [name]: value });
  }
  const dawnToggles = software ? [...SOFTWARE_DAWN_TOGGLES] : [];
  let gpu: GPU | null = webgpu.create(dawnToggles.length > 0 ? [`enable-dawn-features=${dawnToggles.join(',')}`] : []) as GPU;
  return {
    get gpu() {
      if (!gpu) throw new Error('GPU instance already released');
      return gpu;
    },
    // The `webgpu` instance keeps Node alive while referenced: drop it when done.
    release() {
      gpu = null;
    },
    driverSource,
    dawnToggles,
  };
}

async function requestAdapter(entry: GpuEntry, options: AcquireOptions): Promise<GPUAdapter | null> {
  try {
    return await entry.gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  } catch {
    return null;
  }
}

/**
 * Returns a GPU context, or null when no adapter exists (then callers fall back to the CPU engine).
 * In Node without a usable Vulkan driver it turns to SwiftShader by itself.
 */
export async function acquireGpu(options: AcquireOptions = {}): Promise<GpuContext | null> {
  let entry: GpuEntry;
  let adapter: GPUAdapter | null = null;
  if (isBrowser()) {
    entry = { gpu: navigator.gpu, release() {}, driverSource: 'browser', dawnToggles: [] };
    adapter = await requestAdapter(entry, options);
  } else {
    entry = await nodeGpu('system', false);
    if (hardwareAdapterPossible()) adapter = await requestAdapter(entry, options);
    if (adapter && isSoftwareAdapter(adapter.info ?? {})) {
      // a software driver the environment points at (VK_ICD_FILENAMES, set by an earlier call here
      // or by the user): its instance gets the software toggles too
      entry.release();
      entry = await nodeGpu('system', true);
      adapter = await requestAdapter(entry, options);
    }
    if (!adapter) {
      entry.release();
      const software = await enableSoftwareVulkan();
      if (!software) return null;
      entry = await nodeGpu(software.source, true);
      adapter = await requestAdapter(entry, options);
    }
  }
  if (!adapter) {
    entry.release();
    return null;
  }

  const disabled = new Set(options.disableFeatures ?? []);
  const requiredFeatures = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f) && !disabled.has(f));
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) requiredLimits[name] = adapter.limits[name];
  const device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
  const info = adapter.info;
  const adapterInfo = {
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    device: info?.device ?? '',
    description: info?.description ?? '',
  };
  const software = isSoftwareAdapter(adapterInfo);
  const limits = {} as GpuContext['limits'];
  for (const name of RAISED_LIMITS) limits[name] = device.limits[name];
  let disposed = false;
  return {
    device,
    adapterInfo,
    features: [...device.features].sort(),
    limits,
    software,
    driverSource: entry.driverSource,
    dawnToggles: entry.dawnToggles,
    hasSubgroups: device.features.has('subgroups'),
    hasTimestamps: device.features.has('timestamp-query'),
    dispose() {
      if (disposed) return;
      disposed = true;
      device.destroy();
      entry.release();
    },
  };
}

export function describeGpu(ctx: GpuContext): string {
  const { vendor, architecture, description } = ctx.adapterInfo;
  const name = [vendor, architecture, description].filter(Boolean).join(' ');
  return `WebGPU on ${name || 'unknown adapter'}${ctx.software ? ' (software)' : ''}`;
}
