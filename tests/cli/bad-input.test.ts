// Bad input at the command line's edges (paths that cannot be written, mistyped commands, folders
// that are not there, typos in files): one plain line naming the problem, exit code 2, no stack
// trace, nothing already written lost.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { FolderLock } from '../../src/experiment/folder-lock.js';
import { describeFilesystemError } from '../../src/cli/fs-errors.js';
import { failureExit, INTERNAL_ERROR_EXIT } from '../../src/cli/main.js';
import { InputError } from '../../src/user-input/input-error.js';
import { channelscopeRoot } from '../../src/experiment/software.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'channelscope-bad-input-'));
const at = (...parts: string[]) => path.join(scratch, ...parts);

/** A stack trace's frame lines: never shown for bad input. */
const STACK_FRAME = /^\s+at /m;

const tinySpec = {
  name: 'tiny',
  architecture: { inputDim: 1, hidden: 2, activation: 'erf', biases: false },
  data: { inputs: { kind: 'normal' }, teacher: { kind: 'toy-1d' }, samples: 32 },
  optimizer: { kind: 'gd', lr: 0.01 },
  stop: { maxSteps: 50, checkEvery: 10 },
  seeds: 3,
  grid: { 'optimizer.lr': [0.01, 0.02] },
};
const specFile = at('tiny.json');
/** three shards of the tiny sweep (6 runs, 2 each), and a preset's folder (edge-of-stability --quick, 6 runs) */
const shards = [1, 2, 3].map((k) => at(`shard${k}`));
const presetFolder = at('eos');

/**
 * A read-only location holding a copy of `source`, as a user meets one (a read-only mount, or a
 * folder without write permission): a read-only bind mount where this process may mount (root,
 * as these tests run), else the copy chmod'ed unwritable (enough for any user but root). Null
 * where neither stops a write; the tests that need one are then skipped, and the injected failures
 * below still cover the same code paths.
 */
function readOnlyCopy(source: string): string | null {
  const writable = at('ro-source');
  const view = at('ro');
  cpSync(source, path.join(writable, path.basename(source)), { recursive: true });
  mkdirSync(view);
  const blocksWrites = () => {
    try {
      writeFileSync(path.join(view, 'probe'), '');
      rmSync(path.join(view, 'probe'));
      return false;
    } catch {
      return true;
    }
  };
  try {
    execFileSync('mount', ['--bind', writable, view], { stdio: 'ignore' });
    execFileSync('mount', ['-o', 'remount,bind,ro', view], { stdio: 'ignore' });
    if (blocksWrites()) return view;
    execFileSync('umount', [view], { stdio: 'ignore' });
  } catch {
    try {
      execFileSync('umount', [view], { stdio: 'ignore' });
    } catch {
      // not mounted
    }
  }
  rmSync(view, { recursive: true, force: true });
  cpSync(writable, view, { recursive: true });
  execFileSync('chmod', ['-R', 'a-w', view]);
  if (blocksWrites()) return view;
  execFileSync('chmod', ['-R', 'u+w', view]);
  return null;
}
let readOnly: string | null = null;

beforeAll(async () => {
  writeFileSync(specFile, JSON.stringify(tinySpec));
  for (const [k, shard] of shards.entries()) {
    expect((await runCli(['run', specFile, '--out', shard, '--shard', `${k + 1}/3`, '--backend', 'cpu'])).code).toBe(0);
  }
  expect((await runCli(['run', 'edge-of-stability', '--quick', '--seeds', '1', '--backend', 'cpu', '--out', presetFolder])).code).toBe(0);
  readOnly = readOnlyCopy(presetFolder);
});

afterAll(() => {
  try {
    execFileSync('umount', [at('ro')], { stdio: 'ignore' });
  } catch {
    // a chmod'ed copy, or nothing
  }
  if (existsSync(at('ro'))) execFileSync('chmod', ['-R', 'u+w', at('ro')]);
  rmSync(scratch, { recursive: true, force: true });
});

describe('a location that cannot be written', () => {
  it('report DIR still prints the preset report when DIR cannot take report.md, and says why in one line (exit 0)', async () => {
    // injected: a folder where report.md would go, so writing it fails (EISDIR) for any user, root included
    const blocked = at('eos-blocked');
    cpSync(presetFolder, blocked, { recursive: true });
    rmSync(path.join(blocked, 'report.md'));
    mkdirSync(path.join(blocked, 'report.md'));
    const { code, stdout, stderr } = await runCli(['report', blocked]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/\| group \| runs \| channel[\s\S]*## edge-of-stability/);
    expect(stderr.trim()).toBe(`channelscope: note: report.md and tables/*.csv could not be written to ${blocked} (${path.join(blocked, 'report.md')}: it is a folder, not a file); the report is printed only`);
    // the other formats, whose stderr says where the tables went, say only that
    const csv = await runCli(['report', blocked, '--format', 'csv']);
    expect(csv.code).toBe(0);
    expect(csv.stderr.trim().split('\n')).toHaveLength(1);
  });

  it("report DIR where a file stands in tables/'s place leaves report.md as it was, and says so in one line (exit 0)", async () => {
    const blocked = at('eos-tables-file');
    cpSync(presetFolder, blocked, { recursive: true });
    rmSync(path.join(blocked, 'tables'), { recursive: true });
    writeFileSync(path.join(blocked, 'tables'), 'not a folder');
    writeFileSync(path.join(blocked, 'report.md'), '## edge-of-stability: as it was');
    const { code, stdout, stderr } = await runCli(['report', blocked]);
    expect(code).toBe(0);
    expect(stdout).toContain('## edge-of-stability');
    expect(stderr.trim()).toBe(`channelscope: note: report.md and tables/*.csv could not be written to ${blocked} (${path.join(blocked, 'tables')}: a file or folder of that name is in the way); the report is printed only`);
    expect(readFileSync(path.join(blocked, 'report.md'), 'utf8')).toBe('## edge-of-stability: as it was');
  });

  it("report DIR keeps a report.md it did not write (the user's notes), says so, and still writes the tables (exit 0)", async () => {
    const folder = at('eos-notes');
    cpSync(presetFolder, folder, { recursive: true });
    writeFileSync(path.join(folder, 'report.md'), 'my notes on this sweep\n');
    rmSync(path.join(folder, 'tables'), { recursive: true, force: true });
    const { code, stdout, stderr } = await runCli(['report', folder]);
    expect(code).toBe(0);
    expect(stdout).toContain('## edge-of-stability');
    expect(stdout).not.toContain('report: ');
    expect(stderr.trim()).toBe(`channelscope: note: ${path.join(folder, 'report.md')} is not a report channelscope wrote for edge-of-stability (it begins "my notes on this sweep"): left as it is; the report is printed, not written there`);
    expect(readFileSync(path.join(folder, 'report.md'), 'utf8')).toBe('my notes on this sweep\n');
    expect(readdirSync(path.join(folder, 'tables')).length).toBeGreaterThan(0);
    // its own report is replaced as before
    const own = at('eos-own');
    cpSync(presetFolder, own, { recursive: true });
    const again = await runCli(['report', own]);
    expect(again.stderr).toBe('');
    expect(readFileSync(path.join(own, 'report.md'), 'utf8')).toMatch(/^## edge-of-stability: /);
  });

  it('an output folder whose name is too long, or a link that leads back to itself: exit 2, the reason named; a long spec name is cut in the default folder', async () => {
    const long = at('a'.repeat(300));
    const tooLong = await runCli(['run', specFile, '--out', long, '--backend', 'cpu']);
    expect(tooLong.code).toBe(2);
    expect(tooLong.stderr.trim()).toBe(`channelscope: cannot create the output folder ${long}: the name is too long for the file system`);
    execFileSync('ln', ['-s', at('loop-b'), at('loop-a')]);
    execFileSync('ln', ['-s', at('loop-a'), at('loop-b')]);
    for (const args of [['run', specFile, '--out', at('loop-a'), '--backend', 'cpu'], ['report', at('loop-a')]]) {
      const { code, stderr } = await runCli(args);
      expect(code, args.join(' ')).toBe(2);
      expect(stderr.trim(), args.join(' ')).toMatch(/: too many symbolic links \(a link that leads back to itself\?\)$/);
      expect(stderr).not.toMatch(STACK_FRAME);
    }
    const named = at('long-name.json');
    writeFileSync(named, JSON.stringify({ ...tinySpec, name: 'n'.repeat(300) }));
    const dry = await runCli(['run', named, '--dry-run'], {}, undefined, scratch);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(new RegExp(`runs/${'n'.repeat(64)}-\\d{8}-\\d{6}\\b`));
  });

  it('report DIR on a read-only location prints the report and notes that report.md could not be written', async ({ skip }) => {
    if (readOnly === null) skip();
    const folder = path.join(readOnly!, 'eos');
    const before = readFileSync(path.join(folder, 'report.md'), 'utf8');
    const { code, stdout, stderr } = await runCli(['report', folder]);
    expect(code).toBe(0);
    expect(stdout).toContain('## edge-of-stability');
    expect(stderr).toMatch(/^channelscope: note: report\.md and tables\/\*\.csv could not be written to .*: (read-only file system|permission denied)\); the report is printed only\n$/);
    expect(readFileSync(path.join(folder, 'report.md'), 'utf8')).toBe(before);
  });

  it('run, merge, continue and report --html into a read-only location: exit 2, the folder and the reason named', async ({ skip }) => {
    if (readOnly === null) skip();
    const reason = '(read-only file system|permission denied)';
    const cases: [string[], RegExp][] = [
      [['run', specFile, '--out', path.join(readOnly!, 'out'), '--backend', 'cpu'], new RegExp(`^channelscope: cannot create the output folder ${readOnly}/out: ${reason}$`)],
      [['merge', ...shards, '--out', path.join(readOnly!, 'm')], new RegExp(`^channelscope: cannot create the output folder ${readOnly}/m: ${reason}$`)],
      [['continue', shards[0], '--out', path.join(readOnly!, 'c'), '--backend', 'cpu'], new RegExp(`channelscope: cannot create the output folder ${readOnly}/c: ${reason}$`)],
      [['report', shards[0], '--html', path.join(readOnly!, 'r.html')], new RegExp(`channelscope: cannot (write|open) ${readOnly}/r.html: ${reason}$`)],
      // a dry run of a resume there says what the resume would meet
      [['run', 'edge-of-stability', '--quick', '--seeds', '1', '--backend', 'cpu', '--out', path.join(readOnly!, 'eos'), '--resume', '--dry-run'], new RegExp(`^channelscope: cannot write ${readOnly}/eos(/runs.jsonl)?: ${reason}$`)],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await runCli(args);
      expect(code, args.join(' ')).toBe(2);
      expect(stderr.trim(), args.join(' ')).toMatch(message);
      expect(stderr).not.toMatch(STACK_FRAME);
    }
  });

  it('an output folder below a file: exit 2, naming the file (for any user)', async () => {
    const { code, stderr } = await runCli(['run', specFile, '--out', path.join(specFile, 'out'), '--backend', 'cpu']);
    expect(code).toBe(2);
    expect(stderr.trim()).toBe(`channelscope: cannot create the output folder ${specFile}/out: ${specFile} is a file, not a folder`);
  });
});

describe('commands', () => {
  it("a missing file of the package's own is a bug (its stack shown), even where a named folder holds the package", () => {
    const root = channelscopeRoot()!;
    const ownFile = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT', syscall: 'open', path: path.join(root, 'dist', 'web', 'report.js') });
    const cwd = process.cwd();
    process.chdir(root);
    try {
      expect(describeFilesystemError(ownFile, ['report', '.', '--html'])).toBeNull();
      expect(describeFilesystemError(ownFile, ['report', path.dirname(root)])).toBeNull();
      // a folder named inside the package is the user's: its runs/ of a checkout
      const inRuns = Object.assign(new Error('EROFS'), { code: 'EROFS', syscall: 'mkdir', path: path.join(root, 'runs', 'x') });
      expect(describeFilesystemError(inRuns, ['run', 'spec.json'])).toMatch(/^cannot create the output folder .*runs\/x: read-only file system$/);
    } finally {
      process.chdir(cwd);
    }
  });

  it('an internal error is told apart from bad input (2) and from a check that said no (1): exit 70, its stack shown, asking for a report', () => {
    const written: string[] = [];
    const write = (text: string) => void written.push(text);
    const bug = new TypeError("Cannot read properties of undefined (reading 'theta')");
    expect(failureExit(bug, ['report', 'runs/x'], write)).toBe(INTERNAL_ERROR_EXIT);
    expect(INTERNAL_ERROR_EXIT).toBe(70);
    expect(written.join('')).toMatch(/^channelscope: an internal error \(please report it with what follows\): TypeError: Cannot read properties of undefined \(reading 'theta'\)\n {4}at /);
    written.length = 0;
    expect(failureExit(new InputError('--by: no run has "x"'), ['report', 'runs/x'], write)).toBe(2);
    expect(written).toEqual(['channelscope: --by: no run has "x"\n']);
    // our RangeErrors name bad input; the engine's are a stack overflow (a bug) or memory it cannot give
    written.length = 0;
    expect(failureExit(new RangeError('slots must be a positive integer, got 0'), ['run', 'x.json'], write)).toBe(2);
    expect(failureExit(new RangeError('Maximum call stack size exceeded'), ['run', 'x.json'], write)).toBe(INTERNAL_ERROR_EXIT);
    written.length = 0;
    let allocation: unknown;
    try {
      new Float64Array(400_001 * 400_001);
    } catch (error) {
      allocation = error;
    }
    expect(failureExit(allocation, ['run', 'x.json'], write)).toBe(2);
    expect(written.join('')).toMatch(/^channelscope: this request needs more than one array, string or buffer may hold here \(Invalid typed array length: 160000800001\): fewer --slots, or a smaller network, dataset or sweep\n$/);
    expect(failureExit(new RangeError('Invalid string length'), ['report', 'x', '--html'], write)).toBe(2);
  });

  it("a procedure folder's damaged procedure.json or result.json is bad input naming the file (exit 2), not an internal error", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'channelscope-damaged-procedure-'));
    writeFileSync(path.join(dir, 'procedure.json'), JSON.stringify({ preset: 'channel-jump', quick: true, options: {} }));
    writeFileSync(path.join(dir, 'result.json'), '{"jumps": [');
    for (const format of ['md', 'json']) {
      const { code, stderr } = await runCli(['report', dir, '--format', format]);
      expect([code, stderr], format).toEqual([2, expect.stringMatching(new RegExp(`^channelscope: ${dir}/result\\.json is damaged, not JSON \\(.*\\)\\. It is the procedure's result: run the procedure again with another --out\\n$`))]);
    }
    writeFileSync(path.join(dir, 'procedure.json'), '{"preset": "channel-jump"');
    const { code, stderr } = await runCli(['report', dir]);
    expect([code, stderr]).toEqual([2, expect.stringMatching(new RegExp(`^channelscope: ${dir}/procedure\\.json is damaged, not JSON`))]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a mistyped command is unknown, with the closest one suggested (exit 2)', async () => {
    const { code, stdout, stderr } = await runCli(['reprot', shards[0]]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe("channelscope: unknown command 'reprot'\n(Did you mean report?)\n");
    // `help NAME` of no command says so too, rather than printing the whole help
    const help = await runCli(['help', 'reprot']);
    expect(help.code).toBe(2);
    expect(help.stderr).toBe("channelscope: unknown command 'reprot'\n(Did you mean report?)\n");
    const known = await runCli(['help', 'report']);
    expect(known.code).toBe(0);
    expect(known.stdout).toMatch(/^Usage: channelscope report /);
  });

  it('an empty argument (an unset shell variable) is refused before anything starts, naming its option (exit 2)', async () => {
    for (const [args, named] of [
      [['run', specFile, '--out', '', '--backend', 'cpu'], '--out is given an empty value'],
      [['merge', ...shards, '--out', ' '], '--out is given an empty value'],
      [['report', ''], 'report: argument 1 is empty'],
      [[''], 'the command is empty'],
      [['run', specFile, '--out=', '--backend', 'cpu'], '--out is given an empty value'],
    ] as const) {
      const { code, stderr } = await runCli([...args]);
      expect(code, args.join(' ')).toBe(2);
      expect(stderr).toMatch(new RegExp(`^channelscope: ${named} \\(".*"\\): a folder, file or value must be named`));
    }
    // where empty means none, it is taken so: --by "" groups nothing, --thresholds "" changes none
    const none = await runCli(['report', shards[0], '--by', '', '--thresholds=']);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout).toMatch(/^\*\*This folder holds shard 1\/3 of a sweep in 3: shards 2\/3, 3\/3 \(4 of the sweep's 6 runs\) are in others\.[\s\S]*\n\| all \| 2 \|/);
    // a field named twice would label each group with it twice
    const twice = await runCli(['report', shards[0], '--by', 'd, d']);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toBe('channelscope: --by names d twice (d, d): name each field once\n');
    // a short name and its path are one field; an empty entry among commas is a slip
    const aliased = await runCli(['report', shards[0], '--by', 'activation,architecture.activation']);
    expect(aliased.stderr).toBe('channelscope: --by names architecture.activation (as activation and architecture.activation) twice (activation,architecture.activation): name each field once\n');
    expect(aliased.code).toBe(2);
    const commas = await runCli(['report', shards[0], '--by', ',']);
    expect(commas.stderr).toBe('channelscope: --by "," has an empty entry: name fields, comma-separated\n');
    expect(commas.code).toBe(2);
  });

  it('an option of one value given twice is refused before anything starts, with both values (exit 2); flags and lists may repeat', async () => {
    const out = at('given-twice');
    for (const [args, message] of [
      [['run', specFile, '--out', out, '--out=elsewhere', '--backend', 'cpu'], `--out is given twice ("${out}", "elsewhere"): give it once`],
      [['run', specFile, '--shard', '1/2', '--shard', '2/2', '--out', out], '--shard is given twice ("1/2", "2/2"): give it once'],
      [['report', shards[0], '--format', 'md', '--format', 'csv', '--format', 'json'], '--format is given 3 times ("md", "csv", "json"): give it once'],
    ] as const) {
      const { code, stderr } = await runCli([...args]);
      expect(stderr, args.join(' ')).toBe(`channelscope: ${message}\n`);
      expect(code).toBe(2);
    }
    expect(existsSync(out)).toBe(false);
    const flags = await runCli(['compare', shards[0], shards[0], '--json', '--json']);
    expect(flags.code, flags.stderr).toBe(0);
    // after --, and as an option's value, an option's name is no option
    for (const args of [['report', shards[0], '--format', 'md', '--', '--format'], ['merge', '--out', '--out', shards[0]]]) {
      const { stderr } = await runCli(args);
      expect(stderr, args.join(' ')).not.toMatch(/given twice/);
    }
  });

  it('a path starting with an unexpanded ~ (--out=~/x, or quoted) is refused before anything starts, not made a folder called ~ (exit 2)', async () => {
    const cwd = at('tilde');
    mkdirSync(cwd);
    for (const args of [
      ['run', specFile, '--out=~/runs/x', '--backend', 'cpu'],
      ['merge', ...shards, '--out', '~/merged'],
      ['report', shards[0], '--html=~/page.html'],
    ]) {
      const { code, stderr } = await runCli(args, {}, 60_000, cwd);
      const given = args.find((arg) => arg.includes('~'))!;
      expect(code, given).toBe(2);
      expect(stderr).toBe(`channelscope: "${given}": the shell did not expand ~ to your home folder (it does only at the start of an unquoted word: --out ~/x, not --out=~/x or "~/x"), so this would name a folder called ~ here; write the path so, or in full\n`);
    }
    expect(readdirSync(cwd)).toEqual([]);
  });

  it("report on a folder whose spec.json, checkpoint.json or continued.json is damaged names the file (exit 2); shards left out are said", async () => {
    for (const file of ['spec.json', 'checkpoint.json', 'continued.json']) {
      const damaged = at(`damaged-${file}`);
      cpSync(shards[0], damaged, { recursive: true });
      writeFileSync(path.join(damaged, file), '{"garbage');
      const { code, stderr } = await runCli(['report', damaged]);
      expect(code, file).toBe(2);
      expect(stderr, file).toMatch(new RegExp(`^channelscope: ${path.join(damaged, file)} is damaged, not JSON \\(.*\\)\\. It `));
      expect(stderr).not.toMatch(STACK_FRAME);
    }
    const two = await runCli(['report', shards[0], shards[1]]);
    expect(two.code).toBe(0);
    expect(two.stdout).toContain("**These folders hold shards 1/3, 2/3 of a sweep in 3: shard 3/3 (2 of the sweep's 6 runs) is in none of them.");
  });

  it('a line of runs.jsonl that is JSON with an id but not a whole record is named by every reader (exit 2, was a stack trace), the folder as it was', async () => {
    const damaged = at('record-without-fields');
    cpSync(shards[0], damaged, { recursive: true });
    const file = path.join(damaged, 'runs.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[1] = '{"id":"hand-written","configIndex":0}';
    writeFileSync(file, lines.join('\n'));
    const before = readFileSync(file, 'utf8');
    for (const args of [
      ['report', damaged],
      ['compare', shards[0], damaged],
      ['analyze', '--run', damaged, '--id', 'hand-written'],
      ['continue', damaged, '--out', at('never-continued'), '--backend', 'cpu'],
      ['merge', damaged, shards[1], shards[2], '--out', at('never-merged')],
      ['run', specFile, '--shard', '1/3', '--out', damaged, '--resume', '--backend', 'cpu'],
    ]) {
      const { code, stderr } = await runCli(args);
      expect(code, args.join(' ')).toBe(2);
      expect(stderr, args.join(' ')).toContain(`channelscope: ${file}: line 2 (run hand-written) is not a whole run record: it lacks config, params, stopReason\n`);
      expect(stderr).not.toMatch(STACK_FRAME);
    }
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(existsSync(at('never-continued')) || existsSync(at('never-merged'))).toBe(false);
  });

  it('compare with a folder that holds no finished run yet says so, not that the specs differ (exit 2)', async () => {
    const killed = at('killed-before-first-record');
    cpSync(shards[0], killed, { recursive: true });
    writeFileSync(path.join(killed, 'runs.jsonl'), '{"id":"a-s0","conf');
    for (const args of [['compare', shards[0], killed], ['compare', killed, shards[0]]]) {
      const { code, stderr } = await runCli(args);
      expect(code).toBe(2);
      expect(stderr).toBe(`channelscope: compare: ${killed} holds no finished runs yet (no complete record in its runs.jsonl)\n`);
    }
    // a folder compared with itself (written two ways): compared, with a note that it is one folder
    const itself = await runCli(['compare', shards[0], `${shards[0]}/`]);
    expect(itself.code).toBe(0);
    expect(itself.stderr).toBe(`compare: note: ${shards[0]} and ${shards[0]}/ are the same folder; every run agrees with itself\n`);
    expect(itself.stdout).toMatch(/\(100\.0%\)/);
  });

  it('compare --min-agreement: exit code 1 when fewer runs agree (for scripts), 0 at or above it; a bad fraction is refused (exit 2)', async () => {
    const moved = at('one-loss-moved');
    cpSync(shards[0], moved, { recursive: true });
    const file = path.join(moved, 'runs.jsonl');
    const records = readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    expect(records).toHaveLength(2);
    records[0].loss *= 2;
    writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const plain = await runCli(['compare', shards[0], moved]);
    expect([plain.code, plain.stderr]).toEqual([0, '']);
    expect(plain.stdout).toMatch(/1 end in the same place \(50\.0%\)/);
    for (const [threshold, code] of [['0.5', 0], ['50%', 0], ['0.9', 1], ['100%', 1]] as const) {
      const result = await runCli(['compare', shards[0], moved, '--min-agreement', threshold]);
      expect(result.code, threshold).toBe(code);
      expect(result.stdout, threshold).toBe(plain.stdout);
      expect(result.stderr, threshold).toBe(code === 0 ? '' : `compare: 1 of 2 runs (50.0%) end in the same place, fewer than --min-agreement ${threshold}\n`);
    }
    const { code, stderr } = await runCli(['compare', shards[0], moved, '--min-agreement', '150%']);
    expect([code, stderr]).toEqual([2, 'channelscope: --min-agreement must be a fraction from 0 to 1 (or a percentage such as 95%), got "150%"\n']);
    // a run one folder lacks (a sweep cut short, a reference of a subset) is outside the gate, and said so
    const cut = at('one-run-left');
    cpSync(shards[0], cut, { recursive: true });
    writeFileSync(path.join(cut, 'runs.jsonl'), JSON.stringify(records[1]) + '\n');
    const gated = await runCli(['compare', moved, cut, '--min-agreement', '100%']);
    expect(gated.code).toBe(0);
    expect(gated.stderr).toBe(`compare: note: --min-agreement counts only the runs both folders hold (1); 1 are only in ${moved}, 0 only in ${cut}\n`);
  });

  it('bare channelscope lists the commands and starts nothing (exit 0)', async () => {
    const cwd = at('bare');
    mkdirSync(cwd);
    const { code, stdout } = await runCli([], {}, 60_000, cwd);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: channelscope \[options\] \[command\]/);
    for (const command of ['run', 'report', 'merge', 'continue', 'quickstart']) expect(stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    expect(existsSync(path.join(cwd, 'runs'))).toBe(false);
    // npm start names the quickstart
    expect(JSON.parse(readFileSync('package.json', 'utf8')).scripts.start).toBe('node bin/channelscope.js quickstart');
  });
});

describe('merge: shards left out, named twice, an --out that is a file', () => {
  it('a missing shard or the same shard twice is a usage error (exit 2), listed, nothing written', async () => {
    const twice = await runCli(['merge', shards[0], shards[0], shards[1], shards[2], '--out', at('merged-twice')]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/^channelscope: merge: 4 of 6 runs present exactly once; nothing written\nduplicated runs \(2\):/);
    const missing = await runCli(['merge', shards[0], shards[1], '--out', at('merged-missing')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/missing runs \(2\):/);
    expect(missing.stderr).not.toMatch(/a session is writing/);
    // a shard whose session is still writing it (here: this test holds its lock): said, as the likely cause
    const lock = FolderLock.acquire(shards[1]);
    try {
      const early = await runCli(['merge', shards[0], shards[1], '--out', at('merged-missing')]);
      expect(early.code).toBe(2);
      expect(early.stderr).toContain(`(a session is writing ${shards[1]} now: merge once it has finished)\n`);
    } finally {
      lock.release();
    }
    expect(existsSync(at('merged-twice')) || existsSync(at('merged-missing'))).toBe(false);
  });

  it('--out naming an existing file says it is a file, not a folder, and leaves it as it was', async () => {
    const file = at('data.csv');
    writeFileSync(file, 'x1,y\n1,2\n');
    const { code, stderr } = await runCli(['merge', ...shards, '--out', file]);
    expect(code).toBe(2);
    expect(stderr.trim()).toBe(`channelscope: merge: --out ${file} is a file, not a folder; choose a new folder`);
    expect(readFileSync(file, 'utf8')).toBe('x1,y\n1,2\n');
    // nor a folder inside one of the shards, which would then hold a copy of the sweep
    const inside = path.join(shards[0], 'merged');
    const nested = await runCli(['merge', ...shards, '--out', inside]);
    expect(nested.stderr.trim()).toBe(`channelscope: merge: --out ${inside} is inside ${shards[0]}, one of the folders to merge; choose a folder outside them`);
    expect(nested.code).toBe(2);
    expect(existsSync(inside)).toBe(false);
  });
});

describe('folders and files that are not there', () => {
  it('merge, report, continue, compare, analyze --run and run channel-jump --from name a folder that does not exist, or is a file', async () => {
    const absent = at('no-such-folder');
    const file = at('not-a-folder.csv');
    writeFileSync(file, 'x1,y\n');
    const commands: [string, (dir: string) => string[]][] = [
      ['merge', (dir) => ['merge', dir, shards[0], '--out', at('never-merged')]],
      ['report', (dir) => ['report', dir]],
      ['continue', (dir) => ['continue', dir, '--out', at('never-continued')]],
      ['compare', (dir) => ['compare', shards[0], dir]],
      ['analyze', (dir) => ['analyze', '--run', dir, '--id', 'x']],
      ['run channel-jump --from', (dir) => ['run', 'channel-jump', '--from', dir, '--id', 'x', '--out', at('never-jumped')]],
      // (checked before the dashboard is built and served)
      ['serve', (dir) => ['serve', dir, '--port', '0']],
    ];
    for (const [command, args] of commands) {
      const missing = await runCli(args(absent));
      expect(missing.code, command).toBe(2);
      expect(missing.stderr).toBe(`channelscope: ${command}: ${absent} does not exist\n`);
      const notFolder = await runCli(args(file));
      expect(notFolder.code, command).toBe(2);
      expect(notFolder.stderr).toBe(`channelscope: ${command}: ${file} is a file, not a results folder\n`);
    }
    for (const never of ['never-merged', 'never-continued', 'never-jumped']) expect(existsSync(at(never))).toBe(false);
    // a page into a folder that is not there: said before its script is built
    const page = path.join(absent, 'x.html');
    const html = await runCli(['report', shards[0], '--html', page]);
    expect(html.code).toBe(2);
    expect(html.stderr).toMatch(new RegExp(`channelscope: cannot write ${page}: the folder ${absent} does not exist\n$`));
  });

  it("merge, continue, compare, analyze --run and run --resume name a procedure's folder as one (only report reads it), not as some other folder", async () => {
    const procedure = at('a-procedure');
    mkdirSync(procedure);
    writeFileSync(path.join(procedure, 'procedure.json'), JSON.stringify({ preset: 'channel-jump', quick: true }));
    writeFileSync(path.join(procedure, 'result.json'), '{}');
    const commands: [string, string[]][] = [
      ['merge', ['merge', procedure, shards[0], '--out', at('never-merged')]],
      ['continue', ['continue', procedure, '--out', at('never-continued')]],
      ['compare', ['compare', shards[0], procedure]],
      ['analyze', ['analyze', '--run', procedure, '--id', 'x']],
      ['run --resume', ['run', specFile, '--out', procedure, '--resume', '--backend', 'cpu']],
    ];
    for (const [command, args] of commands) {
      const refused = await runCli(args);
      expect(refused.code, command).toBe(2);
      expect(refused.stderr).toBe(`channelscope: ${command}: ${procedure} is the channel-jump procedure's folder (procedure.json), not a sweep's runs: \`channelscope report ${procedure}\` shows it\n`);
    }
    expect(readdirSync(procedure).sort()).toEqual(['procedure.json', 'result.json']);
  });

  it('analyze and run name the file they cannot read and why', async () => {
    const data = at('d.csv');
    writeFileSync(data, 'x1,y\n1,2\n');
    const params = await runCli(['analyze', '--params', at('missing.json'), '--data', data]);
    expect(params.code).toBe(2);
    expect(params.stderr).toBe(`channelscope: cannot read the parameter file ${at('missing.json')}: no such file\n`);
    const folderAsSpec = await runCli(['run', shards[0]]);
    expect(folderAsSpec.code).toBe(2);
    expect(folderAsSpec.stderr).toBe(`channelscope: cannot read the spec file ${shards[0]}: it is a folder, not a file\n`);
    const missingSpec = await runCli(['run', at('nope.json')]);
    expect(missingSpec.code).toBe(2);
    expect(missingSpec.stderr).toMatch(/^channelscope: run: cannot read the spec file .*nope\.json: no such file \(presets: /);
    // a spec with a byte-order mark is read; the data files it names are said plainly when they cannot be read
    const bomSpec = at('bom-spec.json');
    const withTeacher = (params: string) => `\uFEFF${JSON.stringify({ architecture: { inputDim: 2, hidden: 2, activation: 'softplus' }, data: { samples: 8, teacher: { kind: 'network', params } }, optimizer: { kind: 'gd', lr: 0.1 }, seeds: 1 })}`;
    for (const [params, reason] of [['nowhere.json', 'no such file or folder'], ['.', 'it is a folder, not a file']]) {
      writeFileSync(bomSpec, withTeacher(params));
      const refused = await runCli(['run', bomSpec, '--dry-run']);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toBe(`channelscope: data.teacher.params "${params}", which resolves from the spec's folder: cannot read ${path.dirname(bomSpec)}/${params}: ${reason}\n`);
    }
  });
});

describe('typos in files', () => {
  it('a mistyped key of a parameter file is named first, with the key it was meant to be', async () => {
    const params = at('weigths.json');
    writeFileSync(params, JSON.stringify({ activation: 'erf', biases: false, layers: [{ weigths: [[1], [0.5]] }, { weights: [[1, -1]] }] }));
    const data = at('d1.csv');
    writeFileSync(data, 'x1,y\n1,2\n0,1\n');
    const { code, stderr } = await runCli(['analyze', '--params', params, '--data', data]);
    expect(code).toBe(2);
    expect(stderr).toBe(`channelscope: ${params}: unknown key "weigths" at layers[0] (did you mean "weights"?)\n`);
  });
});

describe('spec errors and the grid', () => {
  const refusal = async (name: string, spec: object) => {
    const file = at(name);
    writeFileSync(file, JSON.stringify(spec));
    const { code, stderr } = await runCli(['run', file, '--out', at('never-run')]);
    expect(code).toBe(2);
    expect(existsSync(at('never-run'))).toBe(false);
    return stderr.replace(`channelscope: ${file}: `, '').trim();
  };

  it("a problem the grid has no part in is not followed by the grid's first values", async () => {
    expect(await refusal('bad-maxnorm.json', { ...tinySpec, maxnorm: -1 })).toBe('maxnorm: -1 must be a positive number or null (no barrier)');
    expect(await refusal('bad-stop.json', { ...tinySpec, stop: { ...tinySpec.stop, maxStep: 5 } })).toMatch(/^unknown field "maxStep" in stop: "maxSteps", which it resembles, is given too \(one of the two is a typo\?\) \(allowed: [^)]*\)$/);
  });

  it("a rule across fields that the grid's values decide still names them", async () => {
    const spec = { ...tinySpec, optimizer: { kind: 'sgd', lr: 0.1, batch: 16 }, grid: { 'data.samples': [8, 64] } };
    expect(await refusal('bad-batch.json', spec)).toBe("optimizer.batch: 16 exceeds the 8 samples of the dataset (data.samples) (with the grid's first values: data.samples = 8)");
  });
});

describe('shards', () => {
  it('a shard that holds no runs (a job array wider than the sweep) warns in one line and still exits 0', async () => {
    const out = at('shard-30-of-100');
    const { code, stderr } = await runCli(['run', specFile, '--shard', '30/100', '--out', out, '--backend', 'cpu']);
    expect(code).toBe(0);
    expect(stderr).toContain('\nwarning: shard 30/100 holds no runs: the sweep has 6 runs for 100 shards\n');
    // the same from a Slurm array's variables
    const slurm = await runCli(['run', specFile, '--out', at('slurm-30'), '--backend', 'cpu'], { SLURM_ARRAY_TASK_ID: '29', SLURM_ARRAY_TASK_COUNT: '100' });
    expect(slurm.code).toBe(0);
    expect(slurm.stderr).toMatch(/warning: shard \d+\/100 holds no runs/);
    // a shard with runs says nothing of the kind
    expect((await runCli(['run', specFile, '--shard', '1/100', '--out', at('shard-1-of-100'), '--backend', 'cpu'])).stderr).not.toContain('holds no runs');
  });

  it("--shard that differs from the shard a Slurm array's variables ask for wins, with a note (a script giving every task the same --shard)", async () => {
    const array = { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '4' };
    const note = 'note: --shard 1/2 overrides the shard 4/4 that SLURM_ARRAY_TASK_ID asks for; every task given the same --shard runs the same runs\n';
    const run = await runCli(['run', specFile, '--shard', '1/2', '--out', at('shard-1-of-2-in-array'), '--backend', 'cpu'], array);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(new RegExp(`^channelscope run: 3 runs \\(shard 1/2 from --shard, of 6\\) → .*\\n${note}`));
    const dryRun = await runCli(['run', specFile, '--shard', '1/2', '--out', at('never-sharded'), '--backend', 'cpu', '--dry-run'], array);
    expect(dryRun.stderr).toBe(note);
    // agreeing, or no array: nothing to say
    for (const env of [{ SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_COUNT: '2' }, {}]) {
      expect((await runCli(['run', specFile, '--shard', '1/2', '--out', at('never-sharded'), '--backend', 'cpu', '--dry-run'], env)).stderr).toBe('');
    }
  });
});

describe('resuming', () => {
  it("a resume whose checkpoint.json is damaged or gone takes the records' own word for the code that wrote them (it noted, and recorded, 'a channelscope from before records named their code')", async () => {
    for (const [name, damage] of [['damaged', (file: string) => writeFileSync(file, '{"garb')], ['gone', (file: string) => rmSync(file)]] as const) {
      const folder = at(`checkpoint-${name}`);
      cpSync(shards[0], folder, { recursive: true });
      damage(path.join(folder, 'checkpoint.json'));
      const writer = JSON.parse(readFileSync(path.join(folder, 'runs.jsonl'), 'utf8').split('\n')[0]).software;
      const { code, stderr } = await runCli(['run', specFile, '--shard', '1/3', '--out', folder, '--resume', '--backend', 'cpu']);
      expect(code, name).toBe(0);
      expect(stderr).not.toContain('from before records named their code');
      expect(JSON.parse(readFileSync(path.join(folder, 'checkpoint.json'), 'utf8')).writtenBy).toContain(writer);
      expect(readFileSync(path.join(folder, 'checkpoint.json'), 'utf8')).not.toContain('from before records named their code');
    }
  });

  it('--resume without --out is refused (exit 2): each session would write a new folder and train every run again', async () => {
    const cwd = at('resume-without-out');
    mkdirSync(cwd);
    for (const [command, args] of [
      ['run', ['run', specFile, '--backend', 'cpu', '--resume']],
      ['run', ['run', specFile, '--backend', 'cpu', '--resume', '--dry-run']],
      ['run', ['run', 'toy-1d', '--quick', '--backend', 'cpu', '--resume']],
      ['continue', ['continue', shards[0], '--backend', 'cpu', '--resume']],
    ] as const) {
      const { code, stdout, stderr } = await runCli([...args], {}, 60_000, cwd);
      expect(code, args.join(' ')).toBe(2);
      expect(stdout).toBe('');
      expect(stderr.trim()).toBe(`channelscope: ${command} --resume continues the runs stored in a results folder: name it with --out DIR (without --out each session writes a new folder, runs/<name>-<time>)`);
    }
    expect(existsSync(path.join(cwd, 'runs'))).toBe(false);
  });
});
