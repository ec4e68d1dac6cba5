import { defineConfig } from 'vitest/config';

/** The projects that run against real services: one Redis Cluster and MariaDB, shared by the run. */
const withServices = {
  // Starts a local Redis Cluster (or uses JE_TEST_REDIS_URL) and checks MariaDB; see the file.
  globalSetup: ['test/support/global-setup.ts'],
  testTimeout: 60_000,
  hookTimeout: 120_000,
  // One file at a time: the files start processes, kill them and load the machine. Projects of
  // one file at a time run after the others, one file at a time between them too.
  fileParallelism: false,
};

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // Some unit tests compile every example journey: seconds on a busy 2-core machine.
          testTimeout: 30_000,
        },
      },
      { test: { name: 'integration', include: ['test/integration/**/*.test.ts'], ...withServices } },
      // The web console in a real browser (chromium + playwright-core); skipped, saying why, without chromium.
      { test: { name: 'browser', include: ['test/browser/**/*.test.ts'], ...withServices } },
      // Fault injection under load; runs alone with `npx vitest run --project chaos`.
      { test: { name: 'chaos', include: ['test/chaos/**/*.test.ts'], ...withServices } },
      // Real images and containers (scripts/docker-env.sh sets up the engine and registry); every
      // test is skipped, with the reason printed, where no Docker engine answers. Builds are cached
      // between runs; the first build of the base image on a machine takes minutes. Containers join
      // the run's Redis Cluster and MariaDB (host networking), hence the global setup here too.
      {
        test: {
          name: 'docker',
          include: ['test/docker/**/*.test.ts'],
          globalSetup: withServices.globalSetup,
          testTimeout: 600_000,
          hookTimeout: 900_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
