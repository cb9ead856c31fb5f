// Node-side launcher for headless Chromium with WebGPU, used by the dashboard's end-to-end test
// and the browser benchmark. Runs in Node only: never import it from web/src.
//
// Executable, in order: $CHROMIUM_PATH, a system Chromium/Chrome, then the headless-shell build
// shipped inside the npm package @sparticuz/chromium (unpacked to the temp folder on first use).
// On machines without a GPU, Chromium's WebGPU runs on SwiftShader (its bundled software Vulkan);
// `--enable-unsafe-webgpu` is what exposes an adapter in headless Linux builds (checked on
// Chromium 147: without it navigator.gpu exists but requestAdapter() resolves to null).
import { existsSync } from 'node:fs';
import type { Browser, Page } from 'puppeteer-core';
import puppeteer from 'puppeteer-core';
import { isSoftwareAdapter, SOFTWARE_DAWN_TOGGLES } from '../src/gpu/device.js';

export interface HeadlessOptions {
  /** expose a WebGPU adapter (default true); false gives a page whose requestAdapter() is null */
  webgpu?: boolean;
  /**
   * 'software' forces SwiftShader (default; deterministic, works everywhere);
   * 'hardware' lets Chromium pick the machine's GPU through Vulkan.
   * Default from $CHANNELSCOPE_BROWSER_GPU when set.
   */
  adapter?: 'software' | 'hardware';
  /** more command-line switches, appended last */
  extraArgs?: string[];
  /** viewport for screenshots; defaults to a laptop-sized 1440×900 */
  viewport?: { width: number; height: number };
  /** forward the browser's stdout/stderr (debugging) */
  dumpio?: boolean;
}

export interface ChromiumExecutable {
  path: string;
  source: 'CHROMIUM_PATH' | 'system' | 'npm:@sparticuz/chromium';
}

const SYSTEM_CHROMIUM_PATHS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/lib/chromium/chromium',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
];

let npmChromiumPath: Promise<string> | null = null;

/** Finds a Chromium executable; unpacks @sparticuz/chromium's (once per process) as a last resort. */
export async function findChromium(): Promise<ChromiumExecutable> {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH=${fromEnv} does not exist`);
    return { path: fromEnv, source: 'CHROMIUM_PATH' };
  }
  const system = SYSTEM_CHROMIUM_PATHS.find((candidate) => existsSync(candidate));
  if (system) return { path: system, source: 'system' };
  npmChromiumPath ??= import('@sparticuz/chromium').then(({ default: chromium }) => chromium.executablePath());
  try {
    return { path: await npmChromiumPath, source: 'npm:@sparticuz/chromium' };
  } catch (error) {
    npmChromiumPath = null;
    throw new Error(
      `no Chromium found: set CHROMIUM_PATH, install chromium, or reinstall @sparticuz/chromium (${(error as Error).message})`,
    );
  }
}

/** The command-line switches for a given configuration (exported so tests and benchmarks can log them). */
export function chromiumArgs(options: HeadlessOptions = {}): string[] {
  const adapter = options.adapter ?? (process.env.CHANNELSCOPE_BROWSER_GPU === 'hardware' ? 'hardware' : 'software');
  const enableFeatures: string[] = [];
  const args = [
    // containers run as root without user namespaces: Chromium's sandbox cannot start there
    '--no-sandbox',
    '--disable-setuid-sandbox',
    '--no-zygote',
    '--ignore-gpu-blocklist',
    '--font-render-hinting=none',
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-dev-shm-usage', // small /dev/shm in containers crashes renderers
  ];
  if (adapter === 'software') {
    // ANGLE on SwiftShader for the compositor; Dawn then finds SwiftShader's Vulkan for WebGPU
    args.push('--use-gl=angle', '--use-angle=swiftshader', '--enable-unsafe-swiftshader');
    args.push(`--enable-dawn-features=${SOFTWARE_DAWN_TOGGLES.join(',')}`);
  } else {
    enableFeatures.push('Vulkan');
    args.push('--use-angle=vulkan', '--disable-vulkan-surface');
  }
  if (options.webgpu !== false) args.push('--enable-unsafe-webgpu');
  // Chromium keeps only the last --enable-features switch, so features are gathered into one
  if (enableFeatures.length > 0) args.push(`--enable-features=${enableFeatures.join(',')}`);
  args.push(...(options.extraArgs ?? []));
  return args;
}

/** The Dawn toggles a Chromium command line enables (its last --enable-dawn-features switch). */
export function dawnTogglesOf(args: readonly string[]): string[] {
  const prefix = '--enable-dawn-features=';
  const last = args.filter((arg) => arg.startsWith(prefix)).at(-1);
  return last ? last.slice(prefix.length).split(',').filter(Boolean) : [];
}

/** Launches headless Chromium with WebGPU (SwiftShader unless told otherwise). Close the browser when done. */
export async function launchHeadlessChromium(options: HeadlessOptions = {}): Promise<Browser> {
  const executable = await findChromium();
  return puppeteer.launch({
    executablePath: executable.path,
    // @sparticuz ships chrome-headless-shell, which only runs in 'shell' mode; a full Chromium
    // (system or CHROMIUM_PATH) uses the new headless mode
    headless: executable.source === 'npm:@sparticuz/chromium' ? 'shell' : true,
    args: chromiumArgs(options),
    defaultViewport: options.viewport ?? { width: 1440, height: 900 },
    dumpio: options.dumpio ?? false,
  });
}

export interface PageWebGpuInfo {
  available: boolean;
  vendor?: string;
  architecture?: string;
  description?: string;
  /** whether the adapter is a software rasteriser (SwiftShader), not the machine's GPU */
  software?: boolean;
  /** why there is no adapter, when there is none */
  reason?: string;
}

/** What WebGPU adapter a page gets (the page must be a secure context: http://127.0.0.1 counts). */
export async function pageWebGpuInfo(page: Page): Promise<PageWebGpuInfo> {
  const info = await page.evaluate(async (): Promise<PageWebGpuInfo> => {
    if (!('gpu' in navigator) || !navigator.gpu) return { available: false, reason: 'navigator.gpu is undefined' };
    const adapter = await navigator.gpu.requestAdapter();
    if (!adapter) return { available: false, reason: 'requestAdapter() returned null' };
    const info = adapter.info;
    return { available: true, vendor: info.vendor, architecture: info.architecture, description: info.description };
  });
  return info.available ? { ...info, software: isSoftwareAdapter(info) } : info;
}
