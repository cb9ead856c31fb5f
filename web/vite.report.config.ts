// Builds the self-contained HTML report's script: web/src/report/report-main.ts and the chart
// components in one IIFE file (dist/report/report.js), which `channelscope report DIR --html`
// inlines into the page so it opens from disk without a server. `npm run build:report`, or built on
// demand by the command.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const webRoot = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.dirname(webRoot);
export const REPORT_BUNDLE = path.join(repoRoot, 'dist/report/report.js');

/** A node: import in the report's graph would break the page opened from disk: fail the build instead. */
function refuseNodeBuiltins(): Plugin {
  return {
    name: 'channelscope:report-refuse-node-builtins',
    enforce: 'pre',
    resolveId(source, importer) {
      if (source.startsWith('node:')) throw new Error(`${source} imported by ${importer ?? '?'}: the HTML report must not reach Node-only modules`);
      return null;
    },
  };
}

export default defineConfig({
  root: webRoot,
  logLevel: 'warn',
  plugins: [refuseNodeBuiltins()],
  // Lit's production build (its "development" export warns in the console and checks more slowly)
  resolve: { conditions: ['browser', 'module', 'import', 'production', 'default'] },
  // Vite's library mode leaves process.env.NODE_ENV in; the page has no process
  define: { 'process.env.NODE_ENV': JSON.stringify('production') },
  build: {
    outDir: path.dirname(REPORT_BUNDLE),
    emptyOutDir: true,
    target: 'es2022',
    minify: true,
    reportCompressedSize: false,
    // (no "[PLUGIN_TIMINGS]" warning block in the output of `report --html`, which builds this on demand)
    rollupOptions: { checks: { bundlerTimings: false } },
    lib: {
      entry: path.join(webRoot, 'src/report/report-main.ts'),
      formats: ['iife'],
      name: 'ChannelscopeReport',
      fileName: () => path.basename(REPORT_BUNDLE),
    },
  },
});
