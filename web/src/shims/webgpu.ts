// Browser stand-in for the `webgpu` package (Dawn for Node). src/gpu/device.ts only imports it
// outside a browser; reaching this means the page has no navigator.gpu. Aliased by web/vite.config.ts.
export const globals = {};

export function create(): never {
  throw new Error('the Node `webgpu` package is not available in the browser; use navigator.gpu');
}
