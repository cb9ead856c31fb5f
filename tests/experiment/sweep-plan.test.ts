// The runs a sweep's folders plan (sweep-plan.ts), which `report` and the dashboard both count: each
// folder its checkpoint's shard of the spec's runs, a continuation the runs its continued.json names
// (its own shard of the chosen runs already), and the shards none of the folders holds.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expandSpec } from '../../src/experiment/grid.js';
import { selectShard } from '../../src/experiment/shard.js';
import { parseSpec } from '../../src/experiment/spec.js';
import { plannedRunsOf, plannedSummaryOptions, specDifferences } from '../../src/experiment/sweep-plan.js';

// 2 configurations (learning rates) × 3 seeds
const TINY = readFileSync('tests/web/fixtures/tiny-sweep.json', 'utf8');
const spec = parseSpec(TINY);
const runs = expandSpec(spec);
const ids = (planned: readonly { id: string }[]) => planned.map((run) => run.id);

describe('the runs folders of a sweep plan', () => {
  it("are the sweep's, each folder's shard of them, or their union", () => {
    expect(ids(plannedRunsOf(spec, [{ shard: null, chosenRuns: null }]).planned)).toEqual(ids(runs));
    const first = plannedRunsOf(spec, [{ shard: { index: 1, count: 2 }, chosenRuns: null }]);
    expect(ids(first.planned)).toEqual(ids(selectShard(runs, { index: 1, count: 2 })));
    expect(first.missingShards).toEqual({ count: 2, given: [1], missing: [2], runs: 3, sweepRuns: 6 });
    const both = plannedRunsOf(spec, [1, 2].map((index) => ({ shard: { index, count: 2 }, chosenRuns: null })));
    expect(new Set(ids(both.planned))).toEqual(new Set(ids(runs)));
    expect(both.missingShards).toBeUndefined();
  });

  it("are a sharded continuation's own runs, as continued.json names them (a shard of the chosen runs, not of the spec's)", () => {
    // `continue --shard k/2` over 5 chosen runs: shard 1 takes chosen runs 1, 3, 5, shard 2 runs 2, 4
    const chosen = runs.slice(0, 5);
    const shares = [1, 2].map((index) => ({ shard: { index, count: 2 }, chosenRuns: ids(selectShard(chosen, { index, count: 2 })) }));
    expect(ids(plannedRunsOf(spec, [shares[0]]).planned)).toEqual(ids([chosen[0], chosen[2], chosen[4]]));
    expect(ids(plannedRunsOf(spec, [shares[1]]).planned)).toEqual(ids([chosen[1], chosen[3]]));
    // its missing shard's runs are known only to that shard's folder
    expect(plannedRunsOf(spec, [shares[1]]).missingShards).toEqual({ count: 2, given: [2], missing: [1] });
    expect(new Set(ids(plannedRunsOf(spec, shares).planned))).toEqual(new Set(ids(chosen)));
  });

  it('are counted per group as the records are labelled, a group without records included', () => {
    const { groupOf, planned } = plannedSummaryOptions([], plannedRunsOf(spec, [{ shard: null, chosenRuns: null }]), ['optimizer.lr'], true);
    expect(planned).toEqual({ total: 6, byGroup: { 'optimizer.lr=0.5': 3, 'optimizer.lr=100': 3 }, stillRunning: true });
    expect(groupOf(runs[5].config)).toBe('optimizer.lr=100');
    expect(plannedSummaryOptions([], { planned: runs }, [], false).planned).toEqual({ total: 6, byGroup: { all: 6 } });
  });
});

describe('two specs are one sweep', () => {
  it('when their resolved configurations and seeds agree, however they are written', () => {
    expect(specDifferences(JSON.stringify({ ...JSON.parse(TINY), seeds: [0, 1, 2], maxnorm: 1000 }), 'b/spec.json', spec)).toEqual([]);
    expect(specDifferences(JSON.stringify({ ...JSON.parse(TINY), seeds: 4 }), 'b/spec.json', spec)).toEqual(['seeds']);
  });
});
