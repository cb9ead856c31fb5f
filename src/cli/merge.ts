// `channelscope merge DIR… --out OUT`: joins the folders of a sharded sweep into one.
//
// Checks that every folder holds the same spec (as a sweep: the resolved configurations and seeds)
// and that every run id the spec expands to is present exactly once across the folders. Missing,
// duplicated or foreign ids (a shard left out or named twice) are listed and nothing is written;
// these, like any bad input (a folder without spec.json, different specs, a non-empty OUT), are
// exit 2. The merged runs.jsonl holds the records
// byte for byte as the shards wrote them, in the spec's run order. Files are streamed, never held
// whole. A partial last line in a shard (a killed, unfinished shard) is ignored with a warning; its
// run is then reported missing. OUT is complete or empty: the files are written into a hidden folder
// beside it and renamed into place at the end, so a merge killed halfway leaves no half OUT (its
// hidden folder is removed by the next merge to that OUT on this machine).
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { processAlive, sessionWriting } from '../experiment/folder-lock.js';
import { InputError } from '../user-input/input-error.js';
import { expandSpec } from '../experiment/grid.js';
import {
  CHECKPOINT_FILE,
  compareFolderSpecs,
  mergedFolderData,
  CONTINUED_FILE,
  parseRecordLine,
  RUNS_FILE,
  scanLines,
  SPEC_FILE,
  readCheckpoint,
  continuationKindMismatch,
  notASweepFolder,
  writersOf,
  type Checkpoint,
  type ContinuationFile,
  type RecordSummary,
} from '../experiment/results.js';
import { plannedRunsOfFolders } from '../experiment/report.js';
import { shardGaps, shardList } from '../experiment/sweep-plan.js';
import { formatSummary } from './run.js';

export interface MergeOptions {
  out: string;
}

interface Location {
  folder: number;
  offset: number;
  bytes: number;
}

/** Shows at most `limit` items of a list, then how many more. */
function listSome(items: string[], limit = 20): string {
  const shown = items.slice(0, limit).map((item) => `  ${item}`);
  if (items.length > limit) shown.push(`  … and ${items.length - limit} more`);
  return shown.join('\n');
}

/**
 * Where continuations of a sharded sweep's shard folders (one `continue` each) leave out a shard: the
 * shards of n their source folders' checkpoints name, and those missing; null where the sources are
 * not all shards of one n, cannot be read here, or are all there. (A shard with no run to continue
 * has no continuation: `continue` refuses it, so this is said, not refused.)
 */
function continuedSourceShards(continued: readonly ContinuationFile[]): string | null {
  const gaps = shardGaps(continued.map((file) => readCheckpoint(file.fromPath ?? path.resolve(file.from))?.shard));
  if (!gaps) return null;
  return `the folders continue shards ${shardList(gaps.given, gaps.count)} of a sweep (their source folders' checkpoints say); none continues ${shardList(gaps.missing, gaps.count)}: where those shards had runs to continue, their continuations are missing from this merge`;
}

/** Merges; returns the exit code (0 merged, 2 missing or duplicated runs: the folders given are not the sweep's shards, once each). */
export async function mergeCommand(dirs: string[], options: MergeOptions): Promise<number> {
  if (dirs.length === 0) throw new InputError('merge: name at least one results folder');
  const out = options.out;
  const resolvedOut = path.resolve(out);
  if (dirs.some((dir) => path.resolve(dir) === resolvedOut)) throw new InputError(`merge: --out ${out} is one of the folders to merge; choose a new folder`);
  // a results folder inside a shard's would be read as part of it (a folder is read with what it holds: report, serve)
  const holder = dirs.find((dir) => resolvedOut.startsWith(`${path.resolve(dir)}${path.sep}`));
  if (holder !== undefined) throw new InputError(`merge: --out ${out} is inside ${holder}, one of the folders to merge; choose a folder outside them`);
  if (existsSync(out)) {
    if (!statSync(out).isDirectory()) throw new InputError(`merge: --out ${out} is a file, not a folder; choose a new folder`);
    if (readdirSync(out).length > 0) throw new InputError(`merge: ${out} already exists and is not empty; choose a new --out`);
  }

  // The same spec everywhere.
  for (const dir of dirs) {
    if (!existsSync(path.join(dir, SPEC_FILE))) throw notASweepFolder('merge', dir, SPEC_FILE);
  }
  const { spec, text: specText, mismatch } = compareFolderSpecs(dirs);
  if (mismatch) {
    throw new InputError(`merge: the spec in ${mismatch.folder} differs from the one in ${dirs[0]} (at: ${mismatch.differences.join(', ')}); these are not shards of one sweep`);
  }
  const { mismatch: dataMismatch, ...data } = mergedFolderData(dirs);
  if (dataMismatch) throw new InputError(`merge: ${dataMismatch}; these are not shards of one sweep`);
  // continuations (`channelscope continue`) plan a chosen few of the spec's runs: the union of theirs
  const { continuations, mismatch: kindMismatch } = continuationKindMismatch(dirs);
  if (kindMismatch) throw new InputError(`merge: ${kindMismatch}`);
  const continued = continuations.filter((file): file is ContinuationFile => file !== null);
  const chosen = continued.length > 0 ? new Set(continued.flatMap((file) => file.runs)) : null;
  if (chosen) {
    // a continuation's continued.json names only its own shard's runs (continue --shard k/n): a shard
    // left out would not show among the missing runs, so its absence is found from the checkpoints
    const { missingShards } = plannedRunsOfFolders(spec, dirs);
    if (missingShards) {
      const { count, given, missing } = missingShards;
      throw new InputError(
        `merge: these continuation folders hold shards ${shardList(given, count)} of their chosen runs, not ${shardList(missing, count)} (the runs of a shard are named only in its own ${CONTINUED_FILE}): merge the folders of every shard`,
      );
    }
    const sources = continuedSourceShards(continued);
    if (sources) process.stderr.write(`merge: note: ${sources}\n`);
  }
  const expected = expandSpec(spec).filter((run) => !chosen || chosen.has(run.id));
  const expectedIds = new Set(expected.map((run) => run.id));

  // Where every record is.
  const locations = new Map<string, Location[]>();
  const summaries = new Map<string, RecordSummary>();
  const unexpected: string[] = [];
  /** runs per backend that trained them (the records say) */
  const backends = new Map<string, number>();
  for (let folder = 0; folder < dirs.length; folder++) {
    const file = path.join(dirs[folder], RUNS_FILE);
    if (!existsSync(file)) {
      process.stderr.write(`merge: ${dirs[folder]} has no ${RUNS_FILE} (no run finished there)\n`);
      continue;
    }
    const scan = await scanLines(file, ({ text, line, offset, bytes }) => {
      const record = parseRecordLine<RecordSummary & { backend?: unknown }>(text, line, file);
      if (typeof record.backend === 'string') backends.set(record.backend, (backends.get(record.backend) ?? 0) + 1);
      if (!expectedIds.has(record.id)) {
        unexpected.push(`${record.id} (${file} line ${line})`);
        return;
      }
      let list = locations.get(record.id);
      if (!list) locations.set(record.id, (list = []));
      list.push({ folder, offset, bytes });
      summaries.set(record.id, { id: record.id, configIndex: record.configIndex, stopReason: record.stopReason });
    });
    if (scan.truncatedTail) process.stderr.write(`merge: ${file} ends in a partial line (a write cut short by a kill); ignored\n`);
  }

  const missing = expected.filter((run) => !locations.has(run.id)).map((run) => run.id);
  const duplicated = [...locations.entries()]
    .filter(([, list]) => list.length > 1)
    .map(([id, list]) => `${id} (${list.length}×: ${list.map((l) => dirs[l.folder]).join(', ')})`);
  if (missing.length > 0 || duplicated.length > 0 || unexpected.length > 0) {
    const err = (text: string) => process.stderr.write(`${text}\n`);
    err(`channelscope: merge: ${locations.size - duplicated.length} of ${expected.length} runs present exactly once; nothing written`);
    if (missing.length > 0) err(`missing runs (${missing.length}):\n${listSome(missing)}`);
    const writing = dirs.filter((dir) => sessionWriting(dir));
    if (missing.length > 0 && writing.length > 0) err(`(a session is writing ${writing.join(', ')} now: merge once it has finished)`);
    if (duplicated.length > 0) err(`duplicated runs (${duplicated.length}):\n${listSome(duplicated)}`);
    if (unexpected.length > 0) err(`runs not in the spec (${unexpected.length}):\n${listSome(unexpected)}`);
    return 2;
  }

  if (backends.size > 1) {
    process.stderr.write(`merge: note: the folders' runs were trained on different backends (${[...backends].map(([backend, runs]) => `${backend}: ${runs} runs`).join(', ')}): float32 and float64 runs agree only within float32's tolerance (\`channelscope compare\` checks them run by run); each record names its own ("backend")\n`);
  }

  // Which code wrote the shards' records (their checkpoints say; a missing or damaged one says nothing)
  const writtenBy = [...new Set(dirs.flatMap((dir) => writersOf(readCheckpoint(dir))))];
  if (writtenBy.length > 1) {
    process.stderr.write(`merge: note: the folders' records were written by different code (${writtenBy.join('; ')}); each record names its own ("software")\n`);
  }

  // Write OUT: the spec as the first folder stored it, the records in the spec's run order; all of it
  // in a staging folder first, renamed to OUT once complete
  // (OUT made first, empty: where it cannot be, the error names it; a merge killed later leaves it
  // empty, which the next one takes)
  mkdirSync(out, { recursive: true });
  const staging = stagingFolder(resolvedOut);
  removeStaleStaging(resolvedOut);
  mkdirSync(staging);
  try {
    const fds = dirs.map((dir) => (existsSync(path.join(dir, RUNS_FILE)) ? openSync(path.join(dir, RUNS_FILE), 'r') : -1));
    const target = openSync(path.join(staging, RUNS_FILE), 'w');
    try {
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      const flush = () => {
        const buffer = Buffer.concat(pending);
        let offset = 0;
        while (offset < buffer.length) offset += writeSync(target, buffer, offset, buffer.length - offset);
        pending = [];
        pendingBytes = 0;
      };
      for (const run of expected) {
        const { folder, offset, bytes } = locations.get(run.id)![0];
        const line = Buffer.alloc(bytes + 1);
        let read = 0;
        while (read < bytes) read += readSync(fds[folder], line, read, bytes - read, offset + read);
        line[bytes] = 0x0a;
        pending.push(line);
        pendingBytes += line.length;
        if (pendingBytes > 1 << 20) flush();
      }
      flush();
      fsyncSync(target);
    } finally {
      closeSync(target);
      for (const fd of fds) if (fd >= 0) closeSync(fd);
    }
    writeSmall(path.join(staging, SPEC_FILE), specText);
    if (chosen) {
      const merged: ContinuationFile = { from: [...new Set(continued.map((file) => file.from))].join(' + '), set: continued[0].set, only: continued[0].only, runs: expected.map((run) => run.id) };
      writeSmall(path.join(staging, CONTINUED_FILE), `${JSON.stringify(merged, null, 2)}\n`);
    }
    const byReason: Record<string, number> = {};
    for (const { stopReason } of summaries.values()) byReason[stopReason] = (byReason[stopReason] ?? 0) + 1;
    const checkpoint: Checkpoint & { mergedFrom: string[] } = {
      format: 1,
      shard: null,
      runs: expected.length,
      completed: expected.length,
      byReason,
      ...(writtenBy.length > 0 ? { writtenBy } : {}),
      ...data,
      finished: true,
      updatedAt: new Date().toISOString(),
      mergedFrom: dirs,
    };
    writeSmall(path.join(staging, CHECKPOINT_FILE), `${JSON.stringify(checkpoint, null, 2)}\n`);
    // (rename replaces an empty folder on POSIX, not on Windows: the empty OUT goes first)
    rmdirSync(out);
    renameSync(staging, out);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }

  process.stdout.write(`merged ${expected.length} runs from ${dirs.length} folder${dirs.length === 1 ? '' : 's'}\n\n`);
  process.stdout.write(formatSummary(spec, summaries.values(), expected.length));
  process.stdout.write(`\nresults: ${path.join(out, RUNS_FILE)}\n`);
  return 0;
}

/** OUT's staging folder for this process: hidden, beside OUT (a rename within one folder is atomic). */
function stagingFolder(out: string): string {
  return path.join(path.dirname(out), `.${path.basename(out)}.merging-${hostname()}-${process.pid}`);
}

/** Staging folders of OUT left by merges killed on this machine (their process gone); another machine's are its own. */
function removeStaleStaging(out: string): void {
  const parent = path.dirname(out);
  if (!existsSync(parent)) return;
  const prefix = `.${path.basename(out)}.merging-${hostname()}-`;
  for (const name of readdirSync(parent)) {
    const pid = name.startsWith(prefix) ? Number(name.slice(prefix.length)) : NaN;
    if (Number.isInteger(pid) && pid !== process.pid && !processAlive(pid)) {
      rmSync(path.join(parent, name), { recursive: true, force: true });
      process.stderr.write(`merge: removed ${path.join(parent, name)}, left by a merge to ${out} that was cut short\n`);
    }
  }
}

function writeSmall(file: string, text: string): void {
  const fd = openSync(file, 'w');
  try {
    const buffer = Buffer.from(text);
    let offset = 0;
    while (offset < buffer.length) offset += writeSync(fd, buffer, offset, buffer.length - offset);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
