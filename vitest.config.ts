import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // GPU suites compile many pipeline variants on SwiftShader (software Vulkan): slow, not hung
    testTimeout: 600_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
