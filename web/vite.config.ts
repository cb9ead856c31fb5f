// Builds the dashboard (web/index.html, and web/bench.html when it exists) into dist/dashboard.
//
// The engine and experiment code is shared with Node. Two Node-only modules sit on its import
// paths: src/gpu/swiftshader.ts (unpacks a software Vulkan driver) and the `webgpu` package (Dawn).
// The browser has navigator.gpu instead, so both are replaced by shims (nodeOnlyShim), and any other node:
// import reaching the browser graph fails the build with the importing module named.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { BUILD_INFO_FILE, currentSoftware, softwareLabel } from '../src/experiment/software.js';

const webRoot = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.dirname(webRoot);

/** Modules that import node: builtins only lazily, behind a check that the browser build satisfies. */
const LAZY_NODE_IMPORTERS = [path.join(repoRoot, 'src/gpu/shader-source.ts')];

/** The browser stand-in for a Node-only module, or null. */
function nodeOnlyShim(source: string, importer: string | undefined): string | null {
  if (source === 'webgpu') return path.join(webRoot, 'src/shims/webgpu.ts');
  if (importer && path.normalize(importer).startsWith(path.join(repoRoot, 'src/gpu/')) && /(^|\/)swiftshader\.js$/.test(source)) {
    return path.join(webRoot, 'src/shims/swiftshader.ts');
  }
  return null;
}

function refuseNodeBuiltins(): Plugin {
  return {
    name: 'channelscope:refuse-node-builtins',
    enforce: 'pre',
    resolveId(source, importer) {
      const shim = nodeOnlyShim(source, importer);
      if (shim) return shim;
      if (!source.startsWith('node:')) return null;
      if (importer && LAZY_NODE_IMPORTERS.includes(path.normalize(importer))) {
        return `\0unavailable:${source}`;
      }
      throw new Error(`${source} imported by ${importer ?? '?'}: Node-only modules must not reach the browser bundle`);
    },
    load(id) {
      if (!id.startsWith('\0unavailable:')) return null;
      return `throw new Error(${JSON.stringify(`${id.slice('\0unavailable:'.length)} is not available in the browser`)});`;
    },
  };
}

/** The code the build is made from, for records trained in the page and for `serve`'s staleness check. */
const BUILD_SOFTWARE = softwareLabel(currentSoftware());

/** dist/dashboard/build-info.json: which code the build was made from (src/cli/serve.ts reads it). */
function buildInfo(): Plugin {
  return {
    name: 'channelscope:build-info',
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: BUILD_INFO_FILE, source: `${JSON.stringify({ software: BUILD_SOFTWARE })}\n` });
    },
  };
}

const pages: Record<string, string> = { index: path.join(webRoot, 'index.html') };
// the browser benchmark's page, when its author has added it
if (existsSync(path.join(webRoot, 'bench.html'))) pages.bench = path.join(webRoot, 'bench.html');

export default defineConfig({
  root: webRoot,
  base: './',
  // the code a record trained in the browser names (RunRecord.software), as `channelscope run`'s do
  define: { __CHANNELSCOPE_SOFTWARE__: JSON.stringify(BUILD_SOFTWARE) },
  plugins: [refuseNodeBuiltins(), buildInfo()],
  worker: { format: 'es', plugins: () => [refuseNodeBuiltins()] },
  build: {
    outDir: path.join(repoRoot, 'dist/dashboard'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 2000,
    // (no "[PLUGIN_TIMINGS]" warning block: on a loaded machine every plugin is slow, and the block
    // reads like an error in the output of `serve`, which builds the dashboard itself)
    rollupOptions: { input: pages, checks: { bundlerTimings: false } },
  },
  server: { fs: { allow: [repoRoot] } },
});
