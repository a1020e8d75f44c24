import { defineConfig } from 'vitest/config';

/**
 * The tests that pin src/access, src/query and src/media/signed-urls.ts, for the mutation run only
 * (`npm run mutation`, stryker.config.mjs): their unit tests (authenticate.test.ts pins the order of checks on plain
 * values), plus the throttle suite, the keyring rotation and the media route (the signed URLs end to end), which
 * start an app per file. The route suites pin the same rules again end to end; they would make a run take an hour.
 */
export default defineConfig({
  test: {
    include: [
      'test/unit/access/**/*.test.ts',
      'test/unit/query/**/*.test.ts',
      'test/unit/media/signed-urls.test.ts',
      'test/hardening/auth-failure-throttle.test.ts',
      'test/hardening/keyring-rotation.test.ts',
      'test/media/media-route.test.ts',
    ],
    // Instrumented code is many times slower: its 100 kB query strings would time out, and list-query.test.ts
    // pins the same rules with literal cases.
    exclude: ['test/unit/query/list-query.property.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
