/**
 * coalescedLookup (src/store/coalesced.ts): reads by id asked for in one turn of the event loop go out as one
 * statement, and each caller still gets exactly the row of its own id, as its own read would have given it. Runs on
 * the suite's database (PostgreSQL when TEST_DATABASE_URL is set), over the organizations table.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { coalescedLookup, MAX_COALESCED_IDS } from '../../../src/store/coalesced.js';
import { type Compiled, compiledQuery, placeholders } from '../../../src/store/compiled.js';
import { insertOrganization, type OrganizationRow } from '../../../src/store/organizations.js';
import { useMigratedStore } from '../../support/database.js';

const ORGANIZATIONS = 150;
const idOf = (n: number) => `org_c${String(n).padStart(3, '0')}`;

function organization(n: number): OrganizationRow {
  return {
    id: idOf(n),
    name: `Organization ${n}`,
    allowlisted: 1,
    api_keys_enabled: 1,
    rate_limit_per_second: n,
    enabled_routes: 'get_encounter',
    state_version: 1,
    created_at_ms: 1_700_000_000_000 + n,
  };
}

const organizationsByIds = compiledQuery<OrganizationRow>(
  (db, count) => db.selectFrom('organizations').selectAll().where('id', 'in', placeholders(count)),
  (parameters) => parameters.length,
);

/** The statement, counting how often it runs and with which ids. */
function counted(inner: Compiled<OrganizationRow> = organizationsByIds) {
  const statements: string[][] = [];
  const query: Compiled<OrganizationRow> = {
    rows(db, parameters) {
      statements.push([...new Set(parameters as string[])]);
      return inner.rows(db, parameters);
    },
  };
  return { statements, lookup: coalescedLookup(query, (row) => row.id) };
}

describe('coalescedLookup', () => {
  const scratch = useMigratedStore('charthero-coalesced-');
  const db = () => scratch.store.db;

  beforeAll(async () => {
    for (let n = 0; n < ORGANIZATIONS; n++) await insertOrganization(db(), organization(n));
  });

  it('answers the ids asked for in one turn with one statement, each caller its own row', async () => {
    const { statements, lookup } = counted();
    const asked = [7, 3, 42, 0, 99];
    const rows = await Promise.all([...asked.map((n) => lookup.find(db(), idOf(n))), lookup.find(db(), 'org_none')]);
    expect(rows).toEqual([...asked.map(organization), undefined]);
    expect(statements).toEqual([[...asked.map(idOf), 'org_none']]);
  });

  it('gives callers of the same id equal rows, each its own object', async () => {
    const { statements, lookup } = counted();
    const [first, second, other] = await Promise.all([
      lookup.find(db(), idOf(5)),
      lookup.find(db(), idOf(5)),
      lookup.find(db(), idOf(6)),
    ]);
    expect(first).toEqual(organization(5));
    expect(second).toEqual(organization(5));
    expect(second).not.toBe(first);
    expect(other).toEqual(organization(6));
    expect(statements).toEqual([[idOf(5), idOf(6)]]);
  });

  it(`splits a turn of more than ${MAX_COALESCED_IDS} ids into statements of at most that many`, async () => {
    const { statements, lookup } = counted();
    const all = Array.from({ length: ORGANIZATIONS }, (_, n) => n);
    const rows = await Promise.all(all.map((n) => lookup.find(db(), idOf(n))));
    expect(rows).toEqual(all.map(organization));
    expect(statements.map((ids) => ids.length)).toEqual([64, 64, 22]);
    expect(statements.flat()).toEqual(all.map(idOf));
  });

  it('keeps nothing across turns: a later turn reads again and sees the change', async () => {
    const { statements, lookup } = counted();
    expect(await lookup.find(db(), idOf(9))).toEqual(organization(9));
    await db().updateTable('organizations').set({ name: 'Renamed' }).where('id', '=', idOf(9)).execute();
    expect(await lookup.find(db(), idOf(9))).toEqual({ ...organization(9), name: 'Renamed' });
    expect(statements).toEqual([[idOf(9)], [idOf(9)]]);
  });

  it('fails every caller of a statement that fails, with its error, and the next turn reads afresh', async () => {
    const failure = new Error('datastore down');
    let fail = true;
    const { lookup } = counted({
      rows: (database, parameters) => (fail ? Promise.reject(failure) : organizationsByIds.rows(database, parameters)),
    });
    const outcomes = await Promise.allSettled([lookup.find(db(), idOf(1)), lookup.find(db(), idOf(2))]);
    expect(outcomes).toEqual([
      { status: 'rejected', reason: failure },
      { status: 'rejected', reason: failure },
    ]);
    fail = false;
    expect(await lookup.find(db(), idOf(1))).toEqual(organization(1));
  });
});
