#!/usr/bin/env node
// Runs the TypeScript sources through tsx; where tsx cannot load (e.g. a machine whose
// node_modules lack esbuild's binary), runs the compiled dist/ from `npm run build`.
let entry = new URL('../src/cli/bin.ts', import.meta.url).href;
try {
  const { register } = await import('tsx/esm/api');
  register();
} catch {
  entry = new URL('../dist/src/cli/bin.js', import.meta.url).href;
}
await import(entry);
