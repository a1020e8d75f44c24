import { defineConfig } from 'vitest/config';

// PostgreSQL-only files (*.pg.test.ts) belong to the PostgreSQL run: they are left out, not skipped, without
// TEST_DATABASE_URL, and CI fails when its PostgreSQL run did not execute them (.ci/check-postgres-run.mjs).
const postgres = Boolean(process.env.TEST_DATABASE_URL);

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'packages/client/test/**/*.test.ts'],
    exclude: postgres ? [] : ['**/*.pg.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
