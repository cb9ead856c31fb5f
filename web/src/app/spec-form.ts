// The builder's form, read off the same zod schema the command line validates with (spec.ts), so
// every field of the spec is editable and a new field appears in the form by itself.
import { configSchema, validateSpec, type ExperimentSpec } from '../../../src/experiment/spec.js';

export type FieldSchema =
  | { type: 'object'; fields: FieldEntry[] }
  /** a discriminated union: a kind menu, then the chosen kind's fields */
  | { type: 'kinds'; discriminator: string; options: Record<string, FieldEntry[]> }
  | { type: 'enum'; values: string[] }
  | { type: 'number' }
  | { type: 'boolean' }
  | { type: 'string' }
  /** anything else (4 or [4, 4], a number or null): edited as JSON text */
  | { type: 'json' };

export interface FieldEntry {
  key: string;
  schema: FieldSchema;
  required: boolean;
  defaultValue?: unknown;
}

interface ZodNode {
  _zod: { def: ZodDef };
}
interface ZodDef {
  type: string;
  innerType?: ZodNode;
  in?: ZodNode;
  shape?: Record<string, ZodNode>;
  options?: ZodNode[];
  discriminator?: string;
  entries?: Record<string, string>;
  values?: unknown[];
  defaultValue?: unknown;
}

function describeEntry(key: string, node: ZodNode): FieldEntry {
  let required = true;
  let defaultValue: unknown;
  for (;;) {
    const def = node._zod.def;
    if (def.type === 'optional') required = false;
    else if (def.type === 'default' || def.type === 'prefault') {
      required = false;
      if (defaultValue === undefined) defaultValue = def.defaultValue;
    } else if (def.type !== 'pipe') break;
    node = def.type === 'pipe' ? def.in! : def.innerType!;
  }
  return { key, schema: describeSchema(node), required, ...(defaultValue !== undefined ? { defaultValue } : {}) };
}

function describeSchema(node: ZodNode): FieldSchema {
  const def = node._zod.def;
  switch (def.type) {
    case 'object':
      return { type: 'object', fields: Object.entries(def.shape ?? {}).map(([key, child]) => describeEntry(key, child)) };
    case 'union':
      if (def.discriminator) {
        const discriminator = def.discriminator;
        const options: Record<string, FieldEntry[]> = {};
        for (const option of def.options ?? []) {
          const shape = option._zod.def.shape ?? {};
          const kind = String(shape[discriminator]?._zod.def.values?.[0]);
          options[kind] = Object.entries(shape)
            .filter(([key]) => key !== discriminator)
            .map(([key, child]) => describeEntry(key, child));
        }
        return { type: 'kinds', discriminator, options };
      }
      return { type: 'json' };
    case 'enum':
      return { type: 'enum', values: Object.values(def.entries ?? {}) };
    case 'number':
      return { type: 'number' };
    case 'boolean':
      return { type: 'boolean' };
    case 'string':
      return { type: 'string' };
    default:
      return { type: 'json' };
  }
}

/** The configuration fields of a spec (everything but seeds and grid), in schema order. */
export const CONFIG_FIELDS: FieldEntry[] = (describeSchema(configSchema as unknown as ZodNode) as { fields: FieldEntry[] }).fields;

/** Dotted paths of every leaf field, for the grid's path suggestions (kinds listed once per path). */
export function leafPaths(entries: FieldEntry[] = CONFIG_FIELDS, prefix = ''): string[] {
  const out = new Set<string>();
  for (const entry of entries) {
    const path = prefix ? `${prefix}.${entry.key}` : entry.key;
    const schema = entry.schema;
    if (schema.type === 'object') leafPaths(schema.fields, path).forEach((p) => out.add(p));
    else if (schema.type === 'kinds') {
      out.add(path);
      out.add(`${path}.${schema.discriminator}`);
      for (const fields of Object.values(schema.options)) leafPaths(fields, path).forEach((p) => out.add(p));
    } else if (entry.key !== 'name' && entry.key !== 'description') out.add(path);
  }
  return [...out];
}

export interface SpecValidation {
  spec?: ExperimentSpec;
  /** the whole-spec message of the command line's validator (names field, value and what is allowed) */
  message?: string;
  /** field path (dotted; "seeds", "grid") → what is wrong there */
  fieldErrors: Map<string, string>;
}

/** Validates with the command line's validator, and places each problem at its field. */
export function validateForForm(raw: Record<string, unknown>): SpecValidation {
  const fieldErrors = new Map<string, string>();
  const { seeds: _seeds, grid: _grid, ...base } = raw;
  const parsed = configSchema.safeParse(base);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const keys = issue.code === 'unrecognized_keys' ? issue.keys.map((key) => [...issue.path, key]) : [issue.path];
      for (const path of keys) {
        const dotted = path.map(String).join('.');
        const message = issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message;
        if (!fieldErrors.has(dotted)) fieldErrors.set(dotted, message);
      }
    }
  }
  try {
    return { spec: validateSpec(raw, 'spec'), fieldErrors };
  } catch (error) {
    const message = (error as Error).message;
    const detail = message.replace(/^spec: /, '');
    if (/^seeds\b/.test(detail)) fieldErrors.set('seeds', detail.replace(/^seeds(\[\d+\])?:? ?/, ''));
    else if (/^grid\b/.test(detail)) fieldErrors.set('grid', detail);
    return { message, fieldErrors };
  }
}
