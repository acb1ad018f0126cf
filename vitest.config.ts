import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/integration/kafka/**'],
        },
      },
      {
        // Tests against a real Kafka broker and schema registry. The global setup starts them
        // once per run (installing them on first use) and only when a file here is selected.
        extends: true,
        test: {
          name: 'kafka',
          include: ['test/integration/kafka/**/*.test.ts'],
          globalSetup: ['test/helpers/stack.ts'],
        },
      },
    ],
  },
});
