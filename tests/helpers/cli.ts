// The `channelscope` command as a user runs it: a child process, its exit code and output.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
/** The command through tsx, as `npx channelscope` runs it from a checkout. */
export const BIN = path.resolve('bin/channelscope.js');
const TSX = path.resolve('node_modules/.bin/tsx');
/** The folders whose TypeScript the children run: all of them must be compiled and current to use dist/. */
const SOURCE_FOLDERS = ['src', 'benchmarks'];

let compiledCurrent: boolean | undefined;
/**
 * Whether every TypeScript file under SOURCE_FOLDERS has its file in dist/ (written by `npm test`'s
 * tsc) and none is newer than it. Children then run the compiled code, which starts in ~0.35 s
 * instead of tsx's ~0.85 s (the suite starts ~250 of them: on 2 cores about a minute and a half);
 * otherwise — a test run after an edit without a build — they run the sources through tsx, so a
 * test never sees stale code.
 */
function compiledIsCurrent(): boolean {
  const root = path.resolve('.');
  const newerSource = (folder: string): boolean =>
    readdirSync(folder, { withFileTypes: true }).some((entry) => {
      const source = path.join(folder, entry.name);
      if (entry.isDirectory()) return newerSource(source);
      if (!entry.name.endsWith('.ts') || entry.name.endsWith('.d.ts')) return false;
      const compiled = path.join(root, 'dist', path.relative(root, source)).replace(/\.ts$/, '.js');
      try {
        return statSync(compiled).mtimeMs < statSync(source).mtimeMs;
      } catch {
        return true; // not compiled at all
      }
    });
  compiledCurrent ??= !SOURCE_FOLDERS.some((folder) => newerSource(path.join(root, folder)));
  return compiledCurrent;
}

/** The command and leading arguments that run the TypeScript entry `source` (a path from the repository root) as a child. */
export function scriptCommand(source: string): [string, ...string[]] {
  return compiledIsCurrent() ? ['node', path.resolve('dist', source.replace(/\.ts$/, '.js'))] : [TSX, path.resolve(source)];
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `cwd`: the working folder of the command (default: this process's, the repository root). */
export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}, timeout = 300_000, cwd?: string): Promise<CliResult> {
  return runEntry(compiledIsCurrent() ? path.resolve('dist/src/cli/bin.js') : BIN, args, env, timeout, cwd);
}

/** Through the checkout's own entry (tsx) whatever runCli chose: what `npx channelscope` runs there. */
export async function runCheckoutCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return runEntry(BIN, args, env, 300_000);
}

async function runEntry(entry: string, args: string[], env: NodeJS.ProcessEnv, timeout: number, cwd?: string): Promise<CliResult> {
  try {
    const { stdout, stderr } = await exec('node', [entry, ...args], { timeout, env: { ...process.env, ...env }, cwd });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Every file directly in a folder with its contents, to show that a refusal changed nothing. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir)) out[name] = readFileSync(path.join(dir, name), 'utf8');
  return out;
}
