/**
 * Query plans at scale on PostgreSQL: builds a scratch database with 1,000,000 encounters in one organization
 * (plus 10 smaller organizations, 1.5 documents per encounter and 100,000 API keys), then prints
 * EXPLAIN (ANALYZE, BUFFERS) for the exact statements the server sends: the store functions run on a Kysely
 * instance that records each compiled query, and that SQL is explained with the same parameters.
 *
 *   node --import tsx bench/postgres-plans.ts [postgres://127.0.0.1:5432/charthero_bench_plans] [--reuse] [--generic]
 *     > plans.txt
 *
 * --generic explains each statement's generic plan instead (`plan_cache_mode = force_generic_plan`): the server
 * runs these statements as named prepared statements (src/store/postgres.ts), and PostgreSQL may plan one of those
 * once for any parameters after its fifth run.
 *
 * The database is dropped and recreated (its name must start with charthero_bench). Generating takes about a
 * minute on two cores. The results are written up in bench/postgres-plans.md.
 */
import { createHash, createHmac } from 'node:crypto';
import { type CompiledQuery, Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { findKeyByDigests } from '../src/store/api-keys.js';
import { changesSince } from '../src/store/change-feed.js';
import {
  findDocument,
  findEncounter,
  findPatients,
  listEncounterPage,
  listedDocuments,
} from '../src/store/clinical.js';
import { openStore, postgresConnectionString } from '../src/store/db.js';
import { migrate } from '../src/store/migrate.js';
import type { Database } from '../src/store/schema.js';

const url = new URL(
  process.argv.slice(2).find((arg) => !arg.startsWith('--')) ?? 'postgres://127.0.0.1:5432/charthero_bench_plans',
);
const name = url.pathname.slice(1);
if (!/^charthero_bench[a-z0-9_]*$/.test(name)) throw new Error('the database name must start with charthero_bench');

const BIG = 'org_big';
const ENCOUNTERS = 1_000_000;
const OTHER_ORGS = 10;
const OTHER_ENCOUNTERS = 20_000;
const KEYS = 100_000;

async function admin(sql: string) {
  const base = new URL(url);
  base.pathname = '/postgres';
  const client = new pg.Client({ connectionString: postgresConnectionString(base.toString()) });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const log = (text: string) => process.stderr.write(`${text}\n`);

async function generate(client: pg.Client) {
  const step = async (label: string, sql: string) => {
    const started = performance.now();
    await client.query(sql);
    log(`  ${label}: ${Math.round(performance.now() - started)} ms`);
  };
  await client.query('select setseed(0.42)');
  await step(
    'organizations',
    `insert into organizations (id, name, allowlisted, api_keys_enabled, rate_limit_per_second, enabled_routes, state_version, created_at_ms)
     select id, id, 1, 1, 0, 'list_encounters,get_encounter,get_document,get_transcript,get_audio_url', 1, 1672531200000
     from (select '${BIG}' as id union all select 'org_other_' || lpad(g::text, 2, '0') from generate_series(1, ${OTHER_ORGS}) g) o`,
  );
  await step(
    'patients',
    `insert into patients (id, organization_id, first_name, last_name, date_of_birth)
     select 'pat_' || o.id || '_' || g, o.id, 'First' || g, 'Last' || g, '1970-01-01'
     from organizations o, generate_series(1, case when o.id = '${BIG}' then 10000 else 100 end) g`,
  );
  // created_at: whole seconds over three years, so some encounters share a timestamp (the id breaks ties);
  // 95% clinical, 3% demo, 2% training; 2% unavailable. Ids are random-looking, not in creation order.
  await step(
    'encounters',
    `insert into encounters (id, organization_id, patient_id, encounter_type, status, origin, available,
                             created_at_ms, updated_at_ms, date_of_service_ms)
     select 'enc_' || substr(md5(org || g), 1, 20), org, 'pat_' || org || '_' || (1 + g % patients),
            (array['ambient','dictation','upload'])[1 + g % 3], 'completed',
            case when r < 0.95 then 'clinical' when r < 0.98 then 'demo' else 'training' end,
            case when a < 0.98 then 1 else 0 end, t, t + 60000, t
     from (select o.id as org, g, case when o.id = '${BIG}' then 10000 else 100 end as patients,
                  random() as r, random() as a, 1672531200000 + floor(random() * 94608000)::bigint * 1000 as t
           from organizations o,
                generate_series(1, case when o.id = '${BIG}' then ${ENCOUNTERS} else ${OTHER_ENCOUNTERS} end) g) s`,
  );
  await step(
    'documents',
    `insert into documents (id, encounter_id, schema_type, title, status, workflow_variant, available,
                            audio_duration_seconds, content_format, content_text, created_at_ms, updated_at_ms)
     select 'doc_' || substr(md5(e.id || n), 1, 20), e.id,
            case when n = 1 then 'document' else 'ambient_transcript' end, 'Visit note',
            case when n = 1 then null else 'finalized' end, case when n = 1 then 'soap' else null end, 1,
            case when n = 1 then null else 600.5 end, case when n = 1 then 'markdown' else null end,
            case when n = 1 then '# Visit note' || chr(10) || 'Patient doing well.' else null end,
            e.created_at_ms + n * 60000, e.created_at_ms + n * 60000
     from encounters e, generate_series(1, 2) n
     where n = 1 or get_byte(decode(md5(e.id), 'hex'), 0) % 2 = 0`,
  );
  await step(
    'api keys',
    `insert into api_keys (id, digest, digest_key_version, environment, organization_id, name, scopes, status,
                           expires_at_ms, created_at_ms, last_used_at_ms, rate_limit_per_second, display_prefix, state_version)
     select 'key_' || g, encode(sha256(('key' || g)::bytea), 'hex'), 1, 'test',
            case when g % 11 = 0 then '${BIG}' else 'org_other_' || lpad((1 + g % ${OTHER_ORGS})::text, 2, '0') end,
            'bench', 'encounters:read patients:read documents:read recordings:read', 'active',
            null, 1672531200000, null, null, 'abcd', 1
     from generate_series(1, ${KEYS}) g`,
  );
  await step(
    'change feed',
    `insert into change_feed (entity, entity_id, changed_at_ms) select 'key', 'key_' || g, 1672531200000 from generate_series(1, 5000) g`,
  );
  await step('vacuum analyze', 'vacuum analyze');
}

async function main() {
  // --reuse: explain against the database a previous run generated.
  const reuse = process.argv.includes('--reuse');
  const generic = process.argv.includes('--generic');
  if (!reuse) {
    await admin(`drop database if exists ${name} with (force)`);
    await admin(`create database ${name}`);
    const store = openStore(url.toString(), { timeoutMs: 600_000 });
    await migrate(store);
    await store.close();
  }
  const client = new pg.Client({ connectionString: postgresConnectionString(url.toString()) });
  await client.connect();
  if (!reuse) {
    log(`generating ${name}`);
    await generate(client);
  }

  // The store functions run on this instance; each compiled statement is explained with its parameters.
  const captured: CompiledQuery[] = [];
  const pool = new pg.Pool({ connectionString: postgresConnectionString(url.toString()), max: 1 });
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    log: (event) => {
      if (event.level === 'query') captured.push(event.query);
    },
  });
  const explainCustom = async (query: CompiledQuery) =>
    (await client.query(`explain (analyze, buffers) ${query.sql}`, [...query.parameters])).rows;
  const explainGeneric = async (query: CompiledQuery) => {
    await client.query(`prepare plan_check as ${query.sql}`);
    try {
      await client.query('set plan_cache_mode = force_generic_plan');
      // EXECUTE takes its arguments as expressions: literals, which PostgreSQL casts to the parameters' types.
      const values = query.parameters.map((value) => client.escapeLiteral(String(value))).join(', ');
      return (await client.query(`explain (analyze, buffers) execute plan_check(${values})`)).rows;
    } finally {
      await client.query('reset plan_cache_mode');
      await client.query('deallocate plan_check');
    }
  };
  const explain = async (title: string, run: () => Promise<unknown>) => {
    captured.length = 0;
    await run(); // Also warms the cache, as a running server's would be.
    for (const query of captured) {
      const rows = generic ? await explainGeneric(query) : await explainCustom(query);
      console.log(`### ${title}\n`);
      console.log('```sql');
      const parameters = query.parameters.length > 8 ? [...query.parameters.slice(0, 3), '…'] : query.parameters;
      console.log(`${query.sql}\n-- ${query.parameters.length} parameters: ${JSON.stringify(parameters)}`);
      console.log('```\n```');
      // Long id lists in a plan line are cut for reading.
      for (const row of rows) console.log(String(row['QUERY PLAN']).replace(/'\{([^}]{80})[^}]*\}'/g, "'{$1…}'"));
      console.log('```\n');
    }
  };

  const { rows: sizes } = await client.query(
    `select relname, n_live_tup from pg_stat_user_tables where relname in ('encounters','documents','api_keys','patients') order by 1`,
  );
  console.log(`Rows: ${sizes.map((row) => `${row.relname} ${row.n_live_tup}`).join(', ')}\n`);

  // A token digested under two keyring versions: one digest matches nothing, the other is stored key 77777's.
  const unknown = createHmac('sha256', 'not-a-real-key').update('ch_sk_test_x').digest('hex');
  const stored = createHash('sha256').update('key77777').digest('hex');
  await explain('Key lookup by digest (two keyring versions)', () => findKeyByDigests(db, [unknown, stored], 'test'));
  const day = Date.UTC(2024, 5, 1);
  for (const order of ['desc', 'asc'] as const) {
    for (const offset of [0, 10_000]) {
      await explain(`List page: ${order}, offset ${offset}, no date filter`, () =>
        listEncounterPage(db, { organizationId: BIG, limit: 50, offset, order, startMs: null, endMs: null }),
      );
      await explain(`List page: ${order}, offset ${offset}, start_at/end_at (six months)`, () =>
        listEncounterPage(db, {
          organizationId: BIG,
          limit: 50,
          offset,
          order,
          startMs: day,
          endMs: day + 183 * 86_400_000,
        }),
      );
    }
  }
  const page = await listEncounterPage(db, {
    organizationId: BIG,
    limit: 50,
    offset: 500,
    order: 'desc',
    startMs: null,
    endMs: null,
  });
  await explain('Encounter by id', () => findEncounter(db, page[7]!.id));
  await explain('Documents of a page of 50 encounters', () =>
    listedDocuments(
      db,
      page.map((row) => row.id),
    ),
  );
  await explain('Patients of a page of 50 encounters', () =>
    findPatients(
      db,
      page.map((row) => row.patient_id),
    ),
  );
  const { rows: documents } = await client.query('select id from documents where encounter_id = $1 limit 1', [
    page[7]!.id,
  ]);
  await explain('Document by id', () => findDocument(db, documents[0].id));
  const { rows: feed } = await client.query('select max(id)::int as last from change_feed');
  await explain('Change feed poll (every 200 ms per instance; 3 new changes)', () =>
    changesSince(db, feed[0].last - 6),
  );

  await db.destroy();
  await client.end();
}

await main();
