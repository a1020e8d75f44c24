import { defineConfig } from 'vitest/config';

/**
 * The fast tests that pin src/access, src/query and src/media/signed-urls.ts, for the mutation run only
 * (`npm run mutation`, stryker.config.mjs): the unit tests only. The order of checks in authenticate.ts and
 * authorize.ts is pinned by the route suites (the 401 and 403 files under test/routes), which start an app per file and would
 * make a run take hours; their mutants survive this run.
 */
export default defineConfig({
  test: {
    include: ['test/unit/access/**/*.test.ts', 'test/unit/query/**/*.test.ts', 'test/unit/media/signed-urls.test.ts'],
    // Instrumented code is many times slower: its 100 kB query strings would time out, and list-query.test.ts
    // pins the same rules with literal cases.
    exclude: ['test/unit/query/list-query.property.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
