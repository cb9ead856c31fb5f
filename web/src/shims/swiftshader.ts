// Browser stand-in for src/gpu/swiftshader.ts: a browser brings its own WebGPU (navigator.gpu),
// so there is never a software Vulkan driver to set up. Aliased in by web/vite.config.ts.
import type { SoftwareVulkan } from '../../../src/gpu/swiftshader.js';

export type { SoftwareVulkan };

export async function enableSoftwareVulkan(): Promise<SoftwareVulkan | null> {
  return null;
}

export function hasSystemVulkanLoader(): boolean {
  return false;
}
