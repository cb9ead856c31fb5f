// Finds a software Vulkan driver (SwiftShader) for Dawn on machines without a GPU.
//
// Sources, in order: a system Chromium's copy, then the one shipped inside the npm package
// @sparticuz/chromium (a brotli-compressed tarball we unpack once into a cache folder).
// Dawn dlopen()s libvulkan.so.1 by name; the dynamic loader only reads LD_LIBRARY_PATH at process
// start, so we preload the shipped loader with RTLD_NODELETE: Dawn's later dlopen then finds it.
import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress } from 'node:zlib';

const SYSTEM_ICD_FILES = ['/usr/lib/chromium/vk_swiftshader_icd.json', '/usr/lib64/chromium/vk_swiftshader_icd.json'];
const SYSTEM_VULKAN_LOADERS = [
  '/usr/lib/x86_64-linux-gnu/libvulkan.so.1',
  '/usr/lib64/libvulkan.so.1',
  '/usr/lib/libvulkan.so.1',
  '/lib/x86_64-linux-gnu/libvulkan.so.1',
];
const RTLD_NODELETE = 0x1000; // glibc value; not exported by os.constants.dlopen

export interface SoftwareVulkan {
  icdFile: string;
  /** the Vulkan loader we preloaded, or null when the system has one */
  loader: string | null;
  source: 'system-chromium' | 'npm:@sparticuz/chromium';
}

function systemVulkanLoader(): string | null {
  return SYSTEM_VULKAN_LOADERS.find((p) => existsSync(p)) ?? null;
}

/** Unpacks @sparticuz/chromium's swiftshader.tar.br into a per-version cache folder (once). */
async function unpackNpmSwiftShader(): Promise<string | null> {
  const require = createRequire(import.meta.url);
  let entryPoint: string;
  try {
    entryPoint = require.resolve('@sparticuz/chromium'); // its exports map hides package.json
  } catch {
    return null;
  }
  // build/cjs has a package.json of its own: walk up to the one that names the package
  let packageDir = path.dirname(entryPoint);
  const isPackageRoot = (dir: string) =>
    existsSync(path.join(dir, 'package.json')) &&
    JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).name === '@sparticuz/chromium';
  while (!isPackageRoot(packageDir)) {
    if (path.dirname(packageDir) === packageDir) return null;
    packageDir = path.dirname(packageDir);
  }
  const packageJson = path.join(packageDir, 'package.json');
  const archive = path.join(packageDir, 'bin', 'swiftshader.tar.br');
  if (!existsSync(archive)) return null;
  const version = JSON.parse(readFileSync(packageJson, 'utf8')).version as string;
  const cacheRoot = process.env.CHANNELSCOPE_CACHE ?? path.join(os.homedir() || os.tmpdir(), '.cache', 'channelscope');
  const target = path.join(cacheRoot, `swiftshader-${version}`);
  if (existsSync(path.join(target, 'vk_swiftshader_icd.json'))) return target;
  // Unpack into a private folder and rename, so concurrent processes never see half a driver.
  const staging = `${target}.${process.pid}.tmp`;
  mkdirSync(staging, { recursive: true });
  const { extract } = await import('tar-fs');
  await pipeline(createReadStream(archive), createBrotliDecompress(), extract(staging));
  try {
    renameSync(staging, target);
  } catch {
    rmSync(staging, { recursive: true, force: true }); // another process won the race
  }
  return target;
}

/**
 * Points Vulkan at SwiftShader for this process. Must run before Dawn's first instance is created.
 * Returns null when no software driver can be found.
 */
export async function enableSoftwareVulkan(): Promise<SoftwareVulkan | null> {
  if (process.platform !== 'linux') return null;
  const systemIcd = SYSTEM_ICD_FILES.find((p) => existsSync(p));
  if (systemIcd && systemVulkanLoader()) {
    process.env.VK_ICD_FILENAMES = systemIcd;
    return { icdFile: systemIcd, loader: null, source: 'system-chromium' };
  }
  const folder = await unpackNpmSwiftShader();
  if (!folder) return null;
  const icdFile = path.join(folder, 'vk_swiftshader_icd.json');
  let loader: string | null = systemVulkanLoader();
  if (!loader) {
    loader = path.join(folder, 'libvulkan.so.1');
    preloadSharedLibrary(loader);
  }
  process.env.VK_ICD_FILENAMES = icdFile;
  delete process.env.VK_DRIVER_FILES;
  return { icdFile, loader, source: 'npm:@sparticuz/chromium' };
}

/** True when a Vulkan loader can be found by name (system install or LD_LIBRARY_PATH). */
export function hasSystemVulkanLoader(): boolean {
  if (systemVulkanLoader()) return true;
  const dirs = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  return dirs.some((dir) => existsSync(path.join(dir, 'libvulkan.so.1')));
}

function preloadSharedLibrary(file: string): void {
  const flags = os.constants.dlopen;
  try {
    process.dlopen({ exports: {} } as NodeJS.Module, file, flags.RTLD_NOW | flags.RTLD_GLOBAL | RTLD_NODELETE);
  } catch (error) {
    // A plain shared library is no Node addon: "did not self-register" is expected and harmless,
    // the library stays mapped thanks to RTLD_NODELETE.
    if (!String((error as Error).message).includes('self-register')) throw error;
  }
}
