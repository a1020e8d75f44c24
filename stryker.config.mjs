/**
 * Mutation testing, started by hand (`npm run mutation`; not in CI): StrykerJS mutates the access checks, the
 * query parser and the media URL signer, and runs the fast tests of vitest.mutation.config.ts against each mutant.
 * Offline: no dashboard reporter; the HTML report goes to reports/mutation/ (ignored by git).
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  plugins: ['@stryker-mutator/vitest-runner'],
  mutate: ['src/access/**/*.ts', 'src/query/**/*.ts', 'src/media/signed-urls.ts'],
  coverageAnalysis: 'perTest',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  // The machine is shared: one test process at a time.
  concurrency: 1,
  timeoutMS: 10_000,
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  ignorePatterns: ['dist', 'reports', 'bench/results', 'data', '.stryker-tmp'],
};
