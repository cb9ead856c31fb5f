// The `channelscope` command as a user runs it: a child process, its exit code and output.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
export const BIN = path.resolve('bin/channelscope.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `cwd`: the working folder of the command (default: this process's, the repository root). */
export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}, timeout = 300_000, cwd?: string): Promise<CliResult> {
  try {
    const { stdout, stderr } = await exec('node', [BIN, ...args], { timeout, env: { ...process.env, ...env }, cwd });
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
