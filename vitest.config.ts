import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // GPU suites compile many pipeline variants on SwiftShader (software Vulkan): slow, not hung. One
    // limit for every test and hook, none tighter in the files: a loaded 2-core CI machine runs some
    // files at twice their usual time, and a tight limit there fails a test that was only slow
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    // vitest's default (cores − 1) is one worker on 2 cores; two overlap one file's pipeline
    // compilation with another's host work (2 cores: 606 s → 506 s for the whole suite)
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
