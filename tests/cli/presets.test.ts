// `channelscope presets`, `run PRESET` and the preset report, as a user runs them.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findPreset, PRESETS, presetSpec, type SweepPreset } from '../../src/experiment/presets.js';
import { parseSpec } from '../../src/experiment/spec.js';
import { expandSpec } from '../../src/experiment/grid.js';
import { BIN, runCli } from '../helpers/cli.js';
import { currentSoftware, softwareLabel } from '../../src/experiment/software.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'channelscope-presets-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('channelscope presets / run PRESET', () => {
  it('lists every preset with its full and quick size', async () => {
    const { code, stdout } = await runCli(['presets']);
    expect(code).toBe(0);
    for (const preset of PRESETS) expect(stdout).toContain(preset.name);
    expect(stdout).toMatch(/channel-frequency {2}\(sweep\)\n.*\n {2}full: {2}18,000 networks × N = 10,000\n {2}quick: 60 networks × N = 64; d = 2, r = 4, N = 64, 4 seeds per teacher × activation: shows channels with erf and never with relu/);
    // a procedure whose later stages depend on its first gives an upper bound
    expect(stdout).toMatch(/gd-from-channel {2}\(procedure\)\n.*\n {2}full: {2}at most 1,160 networks × N = 4,096\n {2}quick: at most 388 networks × N = 256;/);
    // what each quick version can show, and a quick spec names itself so its report can say so
    for (const preset of PRESETS) {
      expect(stdout).toContain(preset.quickNote);
      if (preset.kind === 'sweep') expect(presetSpec(preset, { quick: true }).description).toMatch(new RegExp(`^${preset.name} --quick`));
    }
  });

  it('presets --json lists them for scripts; presets NAME --spec prints a sweep preset\'s spec, whose runs are the preset\'s id for id', async () => {
    const list = await runCli(['presets', '--json']);
    expect(list.code).toBe(0);
    const presets = JSON.parse(list.stdout) as { name: string; kind: string; question: string; full: { networks: number }; quick: { networks: number; note: string } }[];
    expect(presets.map((p) => p.name)).toEqual(PRESETS.map((p) => p.name));
    expect(presets.find((p) => p.name === 'channel-frequency')).toMatchObject({ kind: 'sweep', full: { networks: 18_000, samples: 10_000 }, quick: { networks: 60, samples: 64 } });
    for (const [k, preset] of PRESETS.entries()) expect(presets[k].question).toBe(preset.question);

    for (const [name, extra] of [['channel-frequency', ['--quick']], ['loss-levels', ['--seeds', '3']]] as const) {
      const printed = await runCli(['presets', name, '--spec', ...extra]);
      expect([printed.code, printed.stderr]).toEqual([0, '']);
      const options = { quick: extra[0] === '--quick', seeds: extra[0] === '--seeds' ? 3 : undefined };
      const expected = expandSpec(presetSpec(findPreset(name) as SweepPreset, options));
      const fromFile = expandSpec(parseSpec(printed.stdout, `${name}.json`));
      expect(fromFile.map((run) => run.id)).toEqual(expected.map((run) => run.id));
      expect(fromFile.map((run) => run.config)).toEqual(expected.map((run) => run.config));
    }

    // a name alone: that preset's entry of the list
    const one = await runCli(['presets', 'toy-1d']);
    expect([one.code, one.stderr]).toEqual([0, '']);
    expect(one.stdout).toMatch(/^toy-1d {2}\(sweep\)\n {2}two erf neurons/);
    expect(one.stdout).not.toContain('channel-frequency  (sweep)');
    expect(JSON.parse((await runCli(['presets', 'channel-jump', '--json'])).stdout).map((preset: { name: string }) => preset.name)).toEqual(['channel-jump']);

    for (const [args, message] of [
      [['presets', 'channel-jump', '--spec'], 'presets: channel-jump is a procedure, not a sweep: it has no spec file to edit; `channelscope run channel-jump` runs it at the paper\'s size, with --quick small, or with --from DIR --id RUN [--pair I,J] follows the channel of a run of yours'],
      [['presets', 'chanel-frequency', '--spec'], 'presets: "chanel-frequency" is not a preset; did you mean channel-frequency?'],
      [['presets', '--spec'], 'presets --spec needs a preset name'],
      [['presets', 'toy-1d', '--quick'], 'presets: --quick and --seeds go with --spec (channelscope presets toy-1d --spec --quick)'],
      [['presets', 'chanel-frequency'], 'presets: "chanel-frequency" is not a preset; did you mean channel-frequency?'],
      [['presets', 'toy-1d', '--spec', '--seeds', '0'], '--seeds must be a positive integer, got "0"'],
    ] as const) {
      const { code, stdout, stderr } = await runCli([...args]);
      expect(code, args.join(' ')).toBe(2);
      expect(stdout).toBe('');
      expect(stderr, args.join(' ')).toContain(message);
    }
  });

  it('refuses an unknown preset with exit code 2, listing the presets', async () => {
    const { code, stderr } = await runCli(['run', 'channel-freq', '--quick']);
    expect(code).toBe(2);
    expect(stderr).toContain('"channel-freq" is not a preset');
    expect(stderr).toContain('loss-levels, saddle-perturbation, channel-frequency');
    // a typo of one is named with the one it was meant to be
    const typo = await runCli(['run', 'channel-frequncy', '--quick']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/^channelscope: run: "channel-frequncy" is not a preset; did you mean channel-frequency\? \(presets: loss-levels, /);
  });

  it('refuses --quick on a spec file and a bad --seeds', async () => {
    expect((await runCli(['run', 'examples/default.json', '--quick'])).code).toBe(2);
    const bad = await runCli(['run', 'toy-1d', '--seeds', '0', '--out', path.join(scratch, 'never')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--seeds must be a positive integer');
    expect(existsSync(path.join(scratch, 'never'))).toBe(false);
  });

  it("refuses a procedure's --out that is a file or a folder holding anything (exit 2, dry run or not), leaving it as it was", async () => {
    const file = path.join(scratch, 'notes.txt');
    writeFileSync(file, 'mine\n');
    const folder = path.join(scratch, 'my-folder');
    mkdirSync(folder);
    writeFileSync(path.join(folder, 'report.md'), 'my report\n');
    for (const [out, message] of [
      [file, `${file} exists and is not a folder`],
      [folder, `${folder} already exists and is not empty: a procedure writes a new folder (it has no --resume); choose another --out`],
    ]) {
      for (const dryRun of [['--dry-run'], []]) {
        const { code, stdout, stderr } = await runCli(['run', 'channel-jump', '--quick', '--backend', 'cpu', '--out', out, ...dryRun]);
        expect(code, `${out} ${dryRun}`).toBe(2);
        expect(stdout).toBe('');
        expect(stderr).toBe(`channelscope: ${message}\n`);
      }
    }
    expect(readFileSync(file, 'utf8')).toBe('mine\n');
    expect(readdirSync(folder)).toEqual(['report.md']);
    expect(readFileSync(path.join(folder, 'report.md'), 'utf8')).toBe('my report\n');
  });

  it('channel-jump --from DIR --id RUN follows the channel a run of a sweep ended in (here three neurons)', async () => {
    const out = path.join(scratch, 'jump-s13');
    const run = await runCli(['run', 'channel-jump', '--quick', '--from', 'benchmarks/results/flow-cpu-subset', '--id', 'ef8dcaf39579-s13', '--backend', 'cpu', '--out', out]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/3 neurons 0,1,2 \(a limit of order 2\) of layer 1; ε × 0\.7 per jump/);
    // 8 jumps: measured slopes 1.97 and −3.99
    expect(run.stdout).toMatch(/loss − L∞ against ε 1\.9\d \(expected 2\), λ_max against ε -(3\.9\d|4\.0\d) \(expected -4/);
    const saved = JSON.parse(readFileSync(path.join(out, 'procedure.json'), 'utf8'));
    expect(saved.options.construct.seed).toBe(13);
    // which code ran it, for whoever cites it
    expect(saved.software).toBe(softwareLabel(currentSoftware()));
    expect(run.stdout).toContain(`Run by ${softwareLabel(currentSoftware())}.`);
    expect(saved.options.network).toHaveLength(17);
    // report on a procedure's folder: markdown, or JSON of what ran and what came of it, and with
    // --html a page of its figures; no runs to group, reclassify or tabulate, said with exit code 2
    // rather than markdown in their place
    const json = await runCli(['report', out, '--format', 'json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ preset: 'channel-jump', quick: true, options: { construct: { seed: 13 } }, result: expect.any(Object) });
    const html = await runCli(['report', out, '--html']);
    expect(html.code, html.stderr).toBe(0);
    expect(html.stderr).toContain(`HTML report: ${path.join(out, 'report.html')}`);
    const page = readFileSync(path.join(out, 'report.html'), 'utf8');
    const inlined = JSON.parse(/<script type="application\/json" id="channelscope-report-data">([\s\S]*?)<\/script>/.exec(page)![1]) as { kind: string; preset: string; result: { slopes: object } };
    expect(inlined).toMatchObject({ kind: 'procedure', preset: 'channel-jump', result: { slopes: expect.any(Object) } });
    expect(page).toContain('loss − L∞ against ε'); // the markdown report, in the page
    for (const [flags, name] of [[['--format', 'csv'], '--format csv'], [['--by', 'r'], '--by'], [['--thresholds', 'cosine=1e-3'], '--thresholds'], [['--carriers'], '--carriers']] as const) {
      const refused = await runCli(['report', out, ...flags]);
      expect(refused.stderr, name).toContain(`${name}: ${out} holds a procedure (networks followed stage by stage)`);
      expect(refused.code, name).toBe(2);
    }
  });

  it('refuses --from without --id, --from for other presets and spec files, a run that is not there or not in a channel, a bad --pair (exit code 2)', async () => {
    const cases: [string[], RegExp, NodeJS.ProcessEnv?][] = [
      [['run', 'channel-jump', '--from', 'benchmarks/results/flow-cpu-subset'], /--from DIR --id RUN \(both\)/],
      [['run', 'toy-1d', '--quick', '--from', 'benchmarks/results/flow-cpu-subset', '--id', 'x'], /toy-1d takes no run/],
      [['run', 'examples/default.json', '--from', 'benchmarks/results/flow-cpu-subset', '--id', 'x'], /not a spec file/],
      [['run', 'channel-jump', '--from', 'benchmarks/results/flow-cpu-subset', '--id', 'nope', '--out', path.join(scratch, 'never-jump')], /has no run "nope"/],
      // a finite minimum: nothing to follow unless a pair is named, and the refused run leaves no folder
      [['run', 'channel-jump', '--quick', '--backend', 'cpu', '--from', 'benchmarks/results/flow-cpu-subset', '--id', 'ef8dcaf39579-s1', '--out', path.join(scratch, 'never-jump')], /not in a channel: .*name the pair to follow \(`--pair i,j`/],
      [['run', 'channel-jump', '--from', 'benchmarks/results/flow-cpu-subset', '--id', 'ef8dcaf39579-s1', '--pair', '0,0', '--out', path.join(scratch, 'never-jump')], /--pair: neurons 0 and 0 are not two neurons of hidden layer 1 \(0 … 3\)/],
      [['run', 'channel-jump', '--from', 'benchmarks/results/flow-cpu-subset', '--id', 'ef8dcaf39579-s1', '--pair', '2:0,1', '--out', path.join(scratch, 'never-jump')], /--pair: layer 2 is not a hidden layer/],
      [['run', 'channel-jump', '--from', 'benchmarks/results/flow-cpu-subset', '--id', 'ef8dcaf39579-s1', '--pair', 'x', '--out', path.join(scratch, 'never-jump')], /--pair: "x" is not \[layer:\]i,j/],
      [['run', 'channel-jump', '--pair', '0,1'], /--from DIR --id RUN \(both\); --pair names a pair of that run/],
      [['run', 'gd-from-channel', '--seeds', '3'], /--seeds: gd-from-channel is a procedure \(networks followed stage by stage\), not a sweep over seeds/],
      // in a job array every task would run the whole procedure
      [['run', 'channel-jump', '--quick', '--dry-run'], /channel-jump is a procedure, which does not split into shards, but SLURM_ARRAY_TASK_ID asks for shard 2\/2: run it once, outside a job array/, { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '2' }],
      // the count without an index: the problem, without a sweep's advice (--shard)
      [
        ['run', 'channel-jump', '--quick', '--dry-run'],
        /^channelscope: channel-jump is a procedure, which does not split into shards, and the environment speaks of a job array \(CHANNELSCOPE_SHARD_COUNT is 4 but JOB_COMPLETION_INDEX is not set \(a Kubernetes Indexed Job sets it\), so this task would run the whole sweep\): run it once, outside a job array$/m,
        { CHANNELSCOPE_SHARD_COUNT: '4' },
      ],
    ];
    for (const [args, message, env] of cases) {
      const result = await runCli(args, env);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(message);
    }
    expect(existsSync(path.join(scratch, 'never-jump'))).toBe(false);
    // a procedure takes its folder as a sweep does: one held by a live session (here this test's process) is refused
    const busy = path.join(scratch, 'busy-procedure');
    mkdirSync(busy);
    writeFileSync(path.join(busy, 'channelscope.lock'), JSON.stringify({ pid: process.pid, host: hostname(), since: 'now', command: 'run channel-jump' }));
    const refused = await runCli(['run', 'channel-jump', '--quick', '--backend', 'cpu', '--out', busy]);
    expect(refused.stderr).toMatch(/busy-procedure is in use by another channelscope \(process \d+ .*: channelscope run channel-jump\)/);
    expect(refused.code).toBe(2);
    expect(readdirSync(busy)).toEqual(['channelscope.lock']);
  });

  it('a procedure stopped (SIGTERM) keeps nothing: it has no resume, and its folder would claim results', async () => {
    // (a closed pipe stops it the same way, stop-requests.ts; the sweep's test in resume.test.ts closes one)
    const out = path.join(scratch, 'stopped-procedure');
    const child = spawn('node', [BIN, 'run', 'channel-jump', '--quick', '--backend', 'cpu', '--threads', '1', '--out', out], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (exitCode) => resolve(exitCode)));
    // under way: its folder made and locked, its procedure.json written
    for (let k = 0; k < 600 && !existsSync(path.join(out, 'procedure.json')); k++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(existsSync(path.join(out, 'procedure.json')), stderr).toBe(true);
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(stderr).toMatch(/SIGTERM: stopped; a procedure has no --resume, so nothing of it is kept in .*: run it again/);
    expect(existsSync(out)).toBe(false);
  });

  it('runs a quick preset and ends with its report; report DIR recognises the preset and writes markdown and CSV', async () => {
    const out = path.join(scratch, 'eos');
    const run = await runCli(['run', 'edge-of-stability', '--quick', '--seeds', '1', '--backend', 'cpu', '--out', out]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('## edge-of-stability: 6 runs');
    expect(run.stdout).toContain(`*The --quick version:* ${findPreset('edge-of-stability')!.quickNote}`);
    expect(run.stdout).toContain('λ_max·η/2');
    // which code made the table, for whoever cites it
    expect(run.stdout).toContain(`reach as median [lower quartile, upper quartile]. Trained by ${softwareLabel(currentSoftware())}.`);
    expect(JSON.parse(readFileSync(path.join(out, 'spec.json'), 'utf8')).name).toBe('edge-of-stability');
    expect(readdirSync(path.join(out, 'tables'))).toEqual(['lambda-max-by-lr.csv']);
    const csv = readFileSync(path.join(out, 'tables', 'lambda-max-by-lr.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(1 + 6);
    // CSV column names are snake_case ASCII, as the generic report's are
    expect(csv[0]).toMatch(/^eta,runs,channel,channel_fraction,channel_low95,channel_high95,.*,2_over_eta,lambda_max_median,.*,lambda_max_times_eta_over_2_q3$/);

    rmSync(path.join(out, 'report.md'));
    const report = await runCli(['report', out]);
    expect(report.code).toBe(0);
    // the per-run outcome table, then the preset's tables
    expect(report.stdout).toMatch(/\| group \| runs \| channel[\s\S]*## edge-of-stability/);
    expect(existsSync(path.join(out, 'report.md'))).toBe(true);
    // every format carries the preset's tables: JSON with named columns; CSV stays one rectangular
    // table (what a CSV reader expects), the preset's tables beside it in tables/*.csv, as stderr says
    const json = JSON.parse((await runCli(['report', out, '--format', 'json'])).stdout);
    expect(json.presetTables.map((table: { name: string }) => table.name)).toEqual(['lambda-max-by-lr']);
    const [lambdaTable] = json.presetTables;
    expect(lambdaTable.rows).toHaveLength(6);
    expect(lambdaTable.rows[0]).toMatchObject({ eta: expect.any(String), runs: 1, '2_over_eta': expect.any(Number) });
    expect(Object.keys(lambdaTable.rows[0])).toEqual(lambdaTable.columns);
    const csvRun = await runCli(['report', out, '--format', 'csv']);
    const csvReport = csvRun.stdout.trim().split('\n');
    expect(csvReport[0]).toMatch(/^group,n,planned,channel,channel_fraction,channel_low95/);
    expect(new Set(csvReport.map((line) => line.split(',').length)).size).toBe(1);
    expect(csvRun.stderr).toContain(`tables: ${path.join(out, 'tables')}/lambda-max-by-lr.csv\n`);
    for (const header of [csvReport[0], csv[0]]) expect(header).toMatch(/^[a-z0-9_]+(,[a-z0-9_]+)*$/);
    const html = await runCli(['report', out, '--html', path.join(scratch, 'eos.html')]);
    expect(html.code).toBe(0);
    const page = readFileSync(path.join(scratch, 'eos.html'), 'utf8');
    expect(page).toContain('<div id="preset-tables">');
    expect(page).toContain('### Full-batch GD: λ_max of the final Hessian against 2/η');
    // by other thresholds the preset's tables are printed, and the folder keeps its own report
    const kept = readFileSync(path.join(out, 'report.md'), 'utf8');
    const other = await runCli(['report', out, '--thresholds', 'cosine=1e-6']);
    expect(other.code).toBe(0);
    expect(other.stdout).toContain('Classified with cosine = 1e-6 (default 0.01)');
    expect(other.stdout).toContain(`(by other thresholds: not written to ${out}, which keeps its report by the defaults)`);
    expect(readFileSync(path.join(out, 'report.md'), 'utf8')).toBe(kept);

    // its shards read together (before or without merge) carry the preset's tables too, printed only
    const runs = readFileSync(path.join(out, 'runs.jsonl'), 'utf8').trim().split('\n');
    const shards = [1, 2].map((index) => {
      const dir = path.join(scratch, `eos-shard-${index}`);
      mkdirSync(dir);
      cpSync(path.join(out, 'spec.json'), path.join(dir, 'spec.json'));
      writeFileSync(path.join(dir, 'runs.jsonl'), `${runs.filter((_, k) => k % 2 === index - 1).join('\n')}\n`);
      return dir;
    });
    const joined = await runCli(['report', ...shards]);
    expect(joined.code, joined.stderr).toBe(0);
    expect(joined.stdout).toContain(`## edge-of-stability: 6 runs in ${shards.join(' + ')}`);
    expect(joined.stdout).toContain('### Full-batch GD: λ_max of the final Hessian against 2/η');
    expect(joined.stdout).toContain('(2 folders read together: printed only; `channelscope merge` joins them');
    for (const dir of shards) expect(existsSync(path.join(dir, 'report.md'))).toBe(false);
    expect(JSON.parse((await runCli(['report', ...shards, '--format', 'json'])).stdout).presetTables).toHaveLength(1);
  });
});
