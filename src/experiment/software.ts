// Which code wrote a results folder's records: channelscope's version, its git commit when it runs
// from a checkout, and Node's. A run's result is fixed to the last bit by its spec, its seed, the
// whole sweep (scheduler.ts) and the code; so a resume or a merge that joins records of different
// code says so, and every record names the code that wrote it.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Software {
  /** package.json's version */
  channelscope: string;
  /**
   * `git describe --always --dirty` of the checkout it runs from (-dirty: tracked files changed), or
   * the environment's CHANNELSCOPE_COMMIT (a copy of the tree without .git, as a GPU machine gets:
   * the commit it was copied from); null when neither says
   */
  commit: string | null;
  /** process.version */
  node: string;
}

let current: Software | undefined;

/** The code running now (computed once per process). */
export function currentSoftware(): Software {
  if (current) return current;
  const root = channelscopeRoot();
  const version = root ? (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version?: string }).version : undefined;
  const commit = process.env.CHANNELSCOPE_COMMIT?.trim() || (root ? gitDescribe(root) : null);
  current = { channelscope: version ?? 'unknown', commit, node: process.version };
  return current;
}

/** "channelscope 0.1.0 (git 101f2a8c3d4e-dirty)": what a record and a checkpoint name (Node's version aside: it does not change a result). */
export function softwareLabel(software: Software): string {
  return `channelscope ${software.channelscope}${software.commit ? ` (git ${software.commit})` : ''}`;
}

/** dist/dashboard's file naming the code the dashboard was built from (web/vite.config.ts writes it, `serve` reads it). */
export const BUILD_INFO_FILE = 'build-info.json';

/**
 * The channelscope package's folder: the nearest above `from` (itself included; default this module's)
 * whose package.json names channelscope, from src/, dist/src/ or benchmarks/ alike; null when none does.
 */
export function channelscopeRoot(from = path.dirname(fileURLToPath(import.meta.url))): string | null {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        if ((JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'channelscope') return dir;
      } catch {
        // an unreadable package.json is not ours; keep looking
      }
    }
    if (path.dirname(dir) === dir) return null;
  }
}

function gitDescribe(root: string): string | null {
  if (!existsSync(path.join(root, '.git'))) return null;
  const result = spawnSync('git', ['-C', root, 'describe', '--always', '--dirty', '--abbrev=12'], { encoding: 'utf8', timeout: 5000 });
  const text = result.status === 0 ? result.stdout.trim() : '';
  return text || null;
}
