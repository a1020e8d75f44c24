// Fails CI unless the PostgreSQL-only suites ran and passed in the given vitest JSON report (a run where
// TEST_DATABASE_URL did not reach the tests would skip them and otherwise look green).
import { readFileSync } from 'node:fs';

const REQUIRED = [
  // [test file, describe block, at least this many tests]
  ['test/postgres/outage.pg.test.ts', 'PostgreSQL outage: a real cut between the server and the database', 4],
  ['test/postgres/outage.pg.test.ts', 'PostgreSQL timeouts and pool bounds (openStore)', 2],
  ['test/postgres/change-feed-order.pg.test.ts', 'PostgreSQL change feed', 2],
  [
    'test/postgres/datastore-faults.pg.test.ts',
    'PostgreSQL faults at connect and in use: 503 datastore_unavailable, never 500, then 200 again',
    5,
  ],
  ['test/postgres/datastore-faults.pg.test.ts', 'CHARTHERO_DATABASE_POOL_SIZE', 1],
  ['test/postgres/fault-classes.pg.test.ts', 'PostgreSQL errors, classified', 15],
  ['test/postgres/compiled-direct.pg.test.ts', 'compiled queries on PostgreSQL, outside Kysely', 1],
  ['test/multi-instance/revocation.test.ts', 'two serve processes on one postgres database', 2],
  ['test/postgres/webhooks-two-instances.pg.test.ts', 'two serve instances sharing the PostgreSQL webhook queue', 1],
];

const report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const problems = [];
for (const [file, suite, minimum] of REQUIRED) {
  const results = report.testResults
    .filter((result) => result.name.endsWith(file))
    .flatMap((result) => result.assertionResults)
    .filter((test) => test.ancestorTitles.includes(suite));
  const passed = results.filter((test) => test.status === 'passed').length;
  if (passed < minimum || passed !== results.length) {
    const statuses = results.map((test) => `${test.status}: ${test.title}`);
    problems.push(
      `${file} › ${suite}: ${passed} of ${results.length} passed, ${minimum} required ${JSON.stringify(statuses)}`,
    );
  }
}
if (problems.length > 0) {
  console.error(`CI: the PostgreSQL run did not run every PostgreSQL test:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(
  `PostgreSQL run: ${report.numPassedTests} of ${report.numTotalTests} tests passed; ` +
    `every PostgreSQL-only suite ran (${REQUIRED.map(([, suite]) => suite).join('; ')})`,
);
