// How runs are grouped and named: `report --by` fields (GROUP_ALIASES or dotted paths of the
// configuration) and labels that name only what tells a value apart from the others (`gd lr=0.1`
// beside `gd lr=0.02`, `gp s=0.5`). `report` labels its groups and `run` its configurations this
// way. Pure: the dashboard shares it.
import type { RunRecord } from './results.js';

/** Short names for the spec fields people group by; any dotted path of the configuration works too. */
export const GROUP_ALIASES: Record<string, string> = {
  d: 'architecture.inputDim',
  r: 'architecture.hidden',
  hidden: 'architecture.hidden',
  activation: 'architecture.activation',
  biases: 'architecture.biases',
  // whole settings objects, so that two optimisers (teachers, inputs) differing in any setting are
  // two groups; optimizer.kind pools them by kind
  optimizer: 'optimizer',
  solver: 'optimizer.solver',
  teacher: 'data.teacher',
  s: 'data.teacher.s',
  N: 'data.samples',
  inputs: 'data.inputs',
};

/** What a label says for a field the configuration lacks (a flow run's lr). */
export const ABSENT_VALUE = 'none';

/** A group-by field's value in a configuration: GROUP_ALIASES names or dotted paths. */
export function fieldValue(config: unknown, field: string): unknown {
  return valueAt(config, GROUP_ALIASES[field] ?? field);
}

function valueAt(config: unknown, dotted: string): unknown {
  let value: unknown = config;
  for (const part of dotted.split('.')) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
  return value;
}

/** The short name of a dotted path: its first GROUP_ALIASES name (r, not hidden), or the path itself. */
export function fieldName(dotted: string): string {
  return Object.keys(GROUP_ALIASES).find((alias) => GROUP_ALIASES[alias] === dotted) ?? dotted;
}

/** The dotted paths of a configuration's values (leaves; arrays count as values), for messages that list what one can group by. */
export function configurationFields(config: unknown, prefix = ''): string[] {
  if (!config || typeof config !== 'object' || Array.isArray(config)) return prefix ? [prefix] : [];
  return Object.entries(config as Record<string, unknown>).flatMap(([key, value]) => configurationFields(value, prefix ? `${prefix}.${key}` : key));
}

/** The `by` fields that no record's configuration has (a typo, or a field of another sweep): grouping by them would silently group nothing. */
export function fieldsAbsentFromAll(records: readonly RunRecord[], by: readonly string[]): string[] {
  return by.filter((field) => records.length > 0 && records.every((record) => fieldValue(record.config, field) === undefined));
}

/** The configuration fields whose values differ between the records (a sweep's grid axes; names, descriptions and seeds left out). */
export function varyingFields(records: readonly Pick<RunRecord, 'config'>[]): string[] {
  const configs = distinctConfigurations(records.map((record) => record.config));
  const fields = [...new Set(configs.flatMap((config) => configurationFields(config)))].filter((field) => !/(^|\.)(name|description|seed)$/.test(field));
  return fields.filter((field) => valuesDiffer(configs, field));
}

/** Each configuration's JSON, kept: configurations are written once and never changed. */
const configurationKeys = new WeakMap<object, string>();

/**
 * The distinct configurations among `configs` (equal JSON: one), in first-seen order. A sweep's
 * thousands of runs share its few dozen configurations, and what varies or how a value is labelled
 * among the runs is what it is among those: the dashboard asks at every batch of runs that arrives.
 */
function distinctConfigurations(configs: readonly unknown[]): unknown[] {
  const distinct = new Map<string, unknown>();
  for (const config of configs) {
    let key = config && typeof config === 'object' ? configurationKeys.get(config) : undefined;
    if (key === undefined) {
      key = JSON.stringify(config) ?? 'undefined';
      if (config && typeof config === 'object') configurationKeys.set(config, key);
    }
    if (!distinct.has(key)) distinct.set(key, config);
  }
  return [...distinct.values()];
}

/**
 * What a sweep's grid varies, read from its records: the varying fields, with a settings object
 * whose kind varies taken whole (`optimizer`, not optimizer.kind, optimizer.lr, …), by their short
 * names (fieldName). The default grouping where no --by was given (the HTML report, the dashboard).
 */
export function sweepAxes(records: readonly Pick<RunRecord, 'config'>[]): string[] {
  const varying = varyingFields(records);
  const axes: string[] = [];
  for (const field of varying) {
    const parts = field.split('.');
    // the outermost enclosing settings object whose kind varies, else the field itself
    const whole = parts.map((_, k) => parts.slice(0, k).join('.')).find((prefix) => prefix !== '' && varying.includes(`${prefix}.kind`));
    const axis = fieldName(whole ?? field);
    if (!axes.includes(axis)) axes.push(axis);
  }
  return axes;
}

/** Whether a field (an alias or any dotted path, array entries included) takes more than one value among configurations. */
function valuesDiffer(configs: readonly unknown[], field: string): boolean {
  return new Set(configs.map((config) => JSON.stringify(fieldValue(config, field)))).size > 1;
}

function isSettings(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A value inside a label: arrays as [a,b], absent as ABSENT_VALUE. */
function scalarText(value: unknown): string {
  if (value === undefined) return ABSENT_VALUE;
  if (Array.isArray(value)) return `[${value.map(scalarText).join(',')}]`;
  return isSettings(value) ? JSON.stringify(value) : String(value);
}

/** The setting paths (besides kind) whose values differ between settings objects of one kind, in first-seen order. */
function differingSettings(members: readonly Record<string, unknown>[]): string[] {
  const paths = [...new Set(members.flatMap((member) => configurationFields(member)))].filter((path) => path !== 'kind');
  return paths.filter((path) => new Set(members.map((member) => JSON.stringify(valueAt(member, path)) ?? ABSENT_VALUE)).size > 1);
}

/**
 * Labels for the values one field takes among `values`: scalars as they are, arrays as [a,b], an
 * absent value as ABSENT_VALUE, and a settings object (an optimiser, a teacher) by its kind and the
 * settings that differ between objects of that kind: `gd lr=0.1` and `gd lr=0.02`, but `flow`
 * when there is one flow. An object without a kind and without differences lists its settings.
 */
export function valueLabeller(values: readonly unknown[]): (value: unknown) => string {
  const byKind = new Map<string, Record<string, unknown>[]>();
  for (const value of values.filter(isSettings)) {
    const kind = typeof value.kind === 'string' ? value.kind : '';
    byKind.set(kind, [...(byKind.get(kind) ?? []), value]);
  }
  const differing = new Map([...byKind].map(([kind, members]) => [kind, differingSettings(members)]));
  return (value) => {
    if (!isSettings(value)) return scalarText(value);
    const kind = typeof value.kind === 'string' ? value.kind : '';
    const told = differing.get(kind) ?? differingSettings([value]);
    const paths = told.length > 0 || kind !== '' ? told : configurationFields(value);
    return [kind, ...paths.map((path) => `${path}=${scalarText(valueAt(value, path))}`)].filter(Boolean).join(' ') || '{}';
  };
}

export type GroupLabeller = (config: unknown) => string;

/**
 * The group of a configuration among `configs`: "field=value …" over the `by` fields, each value as
 * valueLabeller names it among the configurations' values of that field; 'all' without fields.
 * Every field is named, a missing one as `field=none`, so no group reads as the whole set.
 */
export function groupLabeller(configs: readonly unknown[], by: readonly string[]): GroupLabeller {
  if (by.length === 0) return () => 'all';
  const distinct = distinctConfigurations(configs);
  const labellers = by.map((field) => valueLabeller(distinct.map((config) => fieldValue(config, field))));
  return (config) => by.map((field, k) => `${field}=${labellers[k](fieldValue(config, field))}`).join(' ');
}

/**
 * Labels of a sweep's configurations (their grid values by path, spec.ts SpecConfiguration): the grid
 * paths whose values differ between configurations, by their short names (fieldName), each value as
 * `report` labels it: `activation=erf teacher=gp s=0.5`. '' for a configuration when nothing differs.
 */
export function configurationLabels(gridValues: readonly Record<string, unknown>[]): string[] {
  const paths = [...new Set(gridValues.flatMap((values) => Object.keys(values)))].filter(
    (path) => new Set(gridValues.map((values) => JSON.stringify(values[path]))).size > 1,
  );
  const labellers = paths.map((path) => valueLabeller(gridValues.map((values) => values[path])));
  return gridValues.map((values) => paths.map((path, k) => `${fieldName(path)}=${labellers[k](values[path])}`).join(' '));
}
