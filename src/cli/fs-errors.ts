// Filesystem failures on paths the user named (an --out on a read-only disk, a parent that is a
// file, a full disk): bad input like any other, said in one plain line with exit code 2 rather than
// a stack trace. Failures on the package's own files stay internal errors (exit 70, with the stack).
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { FILESYSTEM_REASONS, filesystemReason, InputError } from '../user-input/input-error.js';
import { channelscopeRoot } from '../experiment/software.js';

export { filesystemReason };

/** Failures that only a write can meet: an `open` that failed with one of these opened for writing. */
const WRITE_ONLY_CODES = new Set(['EROFS', 'ENOSPC', 'EDQUOT', 'EISDIR']);
const READING_CALLS = new Set(['read', 'scandir', 'opendir', 'stat', 'lstat']);

/** The results folders `run` and `continue` make when no --out is given (run.ts defaultOutDir). */
const DEFAULT_RESULTS_ROOT = 'runs';

export function isFilesystemError(error: unknown): error is NodeJS.ErrnoException & { code: string } {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return error instanceof Error && typeof code === 'string' && code in FILESYSTEM_REASONS;
}

/**
 * Why a folder could not be made. A recursive mkdir reports ENOENT where a read-only or forbidden
 * ancestor stopped it, so the nearest existing ancestor is asked instead.
 */
function mkdirReason(error: NodeJS.ErrnoException, target: string): string {
  // walked up as the user spelled it, so the path named is theirs
  let ancestor = path.dirname(target);
  for (;;) {
    try {
      if (!statSync(ancestor).isDirectory()) return `${ancestor} is a file, not a folder`;
      break;
    } catch {
      const parent = path.dirname(ancestor);
      if (parent === ancestor) return filesystemReason(error);
      ancestor = parent;
    }
  }
  try {
    accessSync(ancestor, constants.W_OK);
  } catch (denied) {
    if (isFilesystemError(denied)) return filesystemReason(denied);
  }
  return filesystemReason(error);
}

/** Whether `inner` is `outer` or lies inside it. */
function isWithin(inner: string, outer: string): boolean {
  const relative = path.relative(outer, inner);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * Whether `file` is, or lies inside, one of the paths in the command's arguments or the default
 * results root. The package's own files (shaders, dist, web builds) are not the user's even where a
 * named folder holds the package (`report .` in a checkout): there only a path named inside the
 * package covers them (its runs/ folder), so our own missing file stays a bug with its stack.
 */
function isUserPath(file: string, argv: readonly string[]): boolean {
  const resolved = path.resolve(file);
  const named = argv.map((arg) => (arg.startsWith('--') && arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : arg)).filter((arg) => arg !== '' && !arg.startsWith('-'));
  const packageRoot = channelscopeRoot();
  const internal = packageRoot !== null && isWithin(resolved, packageRoot);
  return [...named, DEFAULT_RESULTS_ROOT].some((given) => {
    const root = path.resolve(given);
    if (internal && !(isWithin(root, packageRoot) && root !== packageRoot)) return false;
    return isWithin(resolved, root);
  });
}

/**
 * The one-line message for a filesystem failure on a path the user gave (`argv`: the command's
 * arguments), e.g. "cannot create the output folder ro/out: read-only file system"; null for any
 * other error.
 */
export function describeFilesystemError(error: unknown, argv: readonly string[]): string | null {
  if (!isFilesystemError(error) || error.path === undefined || !isUserPath(error.path, argv)) return null;
  const file = error.path;
  const { code, syscall } = error;
  if (syscall === 'mkdir') return `cannot create the output folder ${file}: ${mkdirReason(error, file)}`;
  if (syscall !== undefined && READING_CALLS.has(syscall)) return `cannot read ${file}: ${filesystemReason(error)}`;
  if (syscall === 'open' && !WRITE_ONLY_CODES.has(code)) {
    const folder = path.dirname(file);
    if (code === 'ENOENT' && !existsSync(folder)) return `cannot open ${file}: the folder ${folder} does not exist`;
    return `cannot open ${file}: ${filesystemReason(error)}`;
  }
  return `cannot write ${file}: ${filesystemReason(error)}`;
}

/** A file the user named, read whole; refused with what it is and why (exit 2), e.g. "cannot read the parameter file p.json: no such file". */
export function readUserFile(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if (!isFilesystemError(error)) throw error;
    // "or folder" would only blur it: a file was asked for
    const reason = error.code === 'ENOENT' ? 'no such file' : filesystemReason(error);
    throw new InputError(`cannot read ${what} ${file}: ${reason}`);
  }
}

/**
 * Refuses a results folder argument that is not there or is a file, naming which (exit 2), before a
 * command looks inside it for spec.json or runs.jsonl and says only that they are missing.
 */
export function requireResultsFolder(dir: string, command: string): void {
  let isFolder: boolean;
  try {
    isFolder = statSync(dir).isDirectory();
  } catch (error) {
    if (!isFilesystemError(error)) throw error;
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') throw new InputError(`${command}: ${dir} does not exist`);
    throw new InputError(`${command}: cannot read ${dir}: ${filesystemReason(error)}`);
  }
  if (!isFolder) throw new InputError(`${command}: ${dir} is a file, not a results folder`);
}
