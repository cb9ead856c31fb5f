// WGSL sources live in shaders/*.wgsl. They are specialised with wgsl-preprocessor: a file may use
// `#if ${FLAG}` blocks and `${NAME}` constants, filled from a definitions map at pipeline creation.
import { wgsl } from 'wgsl-preprocessor/wgsl-preprocessor.js';

export type ShaderDefinitions = Record<string, string | number | boolean>;

/** Reads a shader file by name; Node reads the shaders/ folder, a browser build registers its own. */
export type ShaderReader = (name: string) => string;

let reader: ShaderReader | null = null;

export function setShaderReader(read: ShaderReader): void {
  reader = read;
}

async function nodeShaderReader(): Promise<ShaderReader> {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const { fileURLToPath } = await import('node:url');
  // walk up from this module (src/gpu or dist/src/gpu) to the package root holding shaders/
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'shaders', 'activations.wgsl'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the shaders/ folder of channelscope');
    dir = parent;
  }
  const folder = path.join(dir, 'shaders');
  return (name) => fs.readFileSync(path.join(folder, name), 'utf8');
}

export async function shaderReader(): Promise<ShaderReader> {
  if (!reader) reader = await nodeShaderReader();
  return reader;
}

/** Fills `${NAME}` placeholders and resolves `#if` blocks. Unknown names are an error, not blanks. */
export function preprocessShader(source: string, definitions: ShaderDefinitions, name = 'shader'): string {
  const parts = source.split(/\$\{(\w+)\}/);
  const strings: string[] = [];
  const values: unknown[] = [];
  for (let k = 0; k < parts.length; k++) {
    if (k % 2 === 0) {
      strings.push(parts[k]);
    } else {
      if (!(parts[k] in definitions)) throw new Error(`${name}: no value for \${${parts[k]}}`);
      values.push(definitions[parts[k]]);
    }
  }
  return wgsl(Object.assign(strings, { raw: strings }) as unknown as TemplateStringsArray, ...values);
}

/** Concatenates shader files (shared snippets first) and specialises them. */
export async function buildShader(files: string[], definitions: ShaderDefinitions): Promise<string> {
  const read = await shaderReader();
  return files.map((file) => preprocessShader(read(file), definitions, file)).join('\n');
}
