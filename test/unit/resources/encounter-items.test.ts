/**
 * Stored list items (src/resources/encounter-items.ts): list_encounters and get_encounter send each encounter's
 * item as encounter_items holds it. What must hold:
 * - the bytes are exactly what the route's response serializer writes for the same values, and what the rows
 *   give when no item is stored (the fallback);
 * - an item is sent only when it is of the current form and names the encounter and organization it is served
 *   for — anything else is built from the rows;
 * - the import, the only writer of clinical rows, rewrites an item in the same transaction whenever its
 *   encounter, its patient or one of its documents changes, so a response never shows a row's older values;
 * - the form is pinned, so a change to what an item says cannot ship without a new ENCOUNTER_ITEM_VERSION.
 */
import Fastify from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { EncounterDetail, EncounterList } from '../../../src/contract/schemas.js';
import { importLines, type SourceLine } from '../../../src/import/importer.js';
import {
  ENCOUNTER_ITEM_VERSION,
  encounterItemRow,
  rebuildEncounterItems,
} from '../../../src/resources/encounter-items.js';
import { addKey } from '../../support/fixture.js';
import { insertOpenOrganization } from '../../support/organizations.js';
import { auth, bearer, type Headers, pathOf } from '../../support/requests.js';
import { useHarness } from '../../support/use-harness.js';

const LIST = '/external/v1/encounters';

async function serializedBySchema(schema: object, body: unknown): Promise<string> {
  const app = Fastify();
  app.get('/', { schema: { response: { 200: schema } } }, async () => body);
  const response = await app.inject({ method: 'GET', url: '/' });
  await app.close();
  return response.body;
}

// No NUL: PostgreSQL text cannot hold one. Short strings (under 42 characters) and long ones take different
// escaping paths in the serializer, so both are here.
const HOSTILE_SHORT = 'q " b \\ t \t n \n \u0007 \u2028 é 🩺';
const HOSTILE_LONG = `${HOSTILE_SHORT} </script> \u007f \u2029 漢字 and then some more text past the short path`;

describe('stored encounter items', () => {
  const h = useHarness();
  const db = () => h.runtime.store.db;

  it('the stored form is pinned (bump ENCOUNTER_ITEM_VERSION, and rebuild the items, when this must change)', () => {
    const row = encounterItemRow({
      encounter_id: 'enc_1',
      organization_id: 'org_1',
      encounter_type: 'ambient',
      status: 'completed',
      created_at: '2026-05-25T14:00:00Z',
      updated_at: '2026-05-25T14:00:00.250Z',
      date_of_service: null,
      patient: { patient_id: 'pat_1', first_name: 'Ada', last_name: null, date_of_birth: '1970-01-01' },
      documents: [
        {
          document_id: 'doc_1',
          schema_type: 'document',
          title: null,
          status: 'signed',
          created_at: '2026-05-25T14:05:00Z',
          updated_at: '2026-05-25T14:05:00Z',
        },
      ],
    });
    expect(ENCOUNTER_ITEM_VERSION).toBe(1);
    expect(row).toEqual({
      encounter_id: 'enc_1',
      version: 1,
      item:
        '{"encounter_id":"enc_1","organization_id":"org_1","encounter_type":"ambient","status":"completed",' +
        '"created_at":"2026-05-25T14:00:00Z","updated_at":"2026-05-25T14:00:00.250Z","date_of_service":null,' +
        '"patient":{"patient_id":"pat_1","first_name":"Ada","last_name":null,"date_of_birth":"1970-01-01"},' +
        '"documents":[{"document_id":"doc_1","schema_type":"document","title":null,"status":"signed",' +
        '"created_at":"2026-05-25T14:05:00Z","updated_at":"2026-05-25T14:05:00Z"}]}',
      disclosed: 'enc_1,pat_1,doc_1',
    });
  });

  describe('the bytes sent', () => {
    beforeAll(async () => {
      await db()
        .updateTable('patients')
        .set({ first_name: HOSTILE_SHORT, last_name: HOSTILE_LONG })
        .where('id', '=', 'pat_a1')
        .execute();
      await db().updateTable('documents').set({ title: HOSTILE_LONG }).where('id', '=', 'doc_note').execute();
      await db().updateTable('documents').set({ title: HOSTILE_SHORT }).where('id', '=', 'doc_amb').execute();
      await rebuildEncounterItems(db(), ['enc_a1', 'enc_a3', 'enc_a5_tie', 'enc_demo']);
    });

    const cases = [
      ['a list page', `${LIST}?limit=100`, EncounterList, true],
      ['a list page with more after it', `${LIST}?limit=2&offset=1&sort_order=asc`, EncounterList, true],
      ['an empty list page', `${LIST}?offset=50`, EncounterList, false],
      ['a detail', pathOf('get_encounter', 'enc_a1'), EncounterDetail, true],
      ['a detail with no documents', pathOf('get_encounter', 'enc_a3'), EncounterDetail, true],
    ] as const;

    it.each(cases)(
      '%s: what the schema serializer writes, and what the rows give',
      async (_name, url, schema, hostile) => {
        const served = await h.get(url, auth(h));
        expect(served.statusCode).toBe(200);
        expect(served.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(served.headers['content-length']).toBe(String(Buffer.byteLength(served.body)));
        expect(served.body).toBe(await serializedBySchema(schema, JSON.parse(served.body)));
        // The hostile names of pat_a1 (every case but the empty page shows an encounter of theirs).
        const parsed = JSON.stringify(JSON.parse(served.body));
        for (const text of [HOSTILE_SHORT, HOSTILE_LONG]) expect(parsed.includes(JSON.stringify(text))).toBe(hostile);

        const stored = await db().selectFrom('encounter_items').selectAll().execute();
        await db().deleteFrom('encounter_items').execute();
        try {
          const fromRows = await h.get(url, auth(h));
          expect(fromRows.statusCode).toBe(200);
          expect(fromRows.body).toBe(served.body);
        } finally {
          await db().insertInto('encounter_items').values(stored).execute();
        }
      },
    );

    it('the audit record names the same ids either way', async () => {
      const disclosed = async (requestId: string) => {
        await h.runtime.audit.flush();
        const row = await db()
          .selectFrom('audit_events')
          .select('resource_ids')
          .where('request_id', '=', requestId)
          .executeTakeFirstOrThrow();
        return row.resource_ids;
      };
      await h.get(`${LIST}?limit=100`, { ...auth(h), 'x-request-id': 'req-items-served' });
      const stored = await db().selectFrom('encounter_items').selectAll().execute();
      await db().deleteFrom('encounter_items').execute();
      try {
        await h.get(`${LIST}?limit=100`, { ...auth(h), 'x-request-id': 'req-items-rows' });
      } finally {
        await db().insertInto('encounter_items').values(stored).execute();
      }
      const served = await disclosed('req-items-served');
      expect(served).toBe(await disclosed('req-items-rows'));
      expect(JSON.parse(served)).toEqual(expect.arrayContaining(['enc_a1', 'pat_a1', 'doc_amb', 'doc_note']));
    });
  });

  describe('which stored items are sent', () => {
    /** Stores `item` text for enc_a2 (the fixture's second encounter) with this form and these ids. */
    const tamper = (version: number, item: string) =>
      db().updateTable('encounter_items').set({ version, item }).where('encounter_id', '=', 'enc_a2').execute();
    const genuine = async () =>
      (
        await db()
          .selectFrom('encounter_items')
          .select('item')
          .where('encounter_id', '=', 'enc_a2')
          .executeTakeFirstOrThrow()
      ).item;
    const titleOf = async (url: string, pick: (body: Record<string, unknown>) => unknown) => {
      const response = await h.get(url, auth(h));
      expect(response.statusCode).toBe(200);
      return pick(JSON.parse(response.body) as Record<string, unknown>);
    };
    const listTitle = (body: Record<string, unknown>) =>
      (body.items as { encounter_id: string; encounter_type: string }[]).find((item) => item.encounter_id === 'enc_a2')
        ?.encounter_type;
    const detailTitle = (body: Record<string, unknown>) =>
      (body.encounter as { encounter_type: string }).encounter_type;

    it('an item of the current form naming its encounter and organization is sent as stored', async () => {
      const original = await genuine();
      try {
        await tamper(
          ENCOUNTER_ITEM_VERSION,
          original.replace('"encounter_type":"dictation"', '"encounter_type":"STORED"'),
        );
        expect(await titleOf(`${LIST}?limit=100`, listTitle)).toBe('STORED');
        expect(await titleOf(pathOf('get_encounter', 'enc_a2'), detailTitle)).toBe('STORED');
      } finally {
        await tamper(ENCOUNTER_ITEM_VERSION, original);
      }
    });

    it.each([
      ['of another form', (text: string) => [0, text] as const],
      ['of a newer form', (text: string) => [ENCOUNTER_ITEM_VERSION + 1, text] as const],
      [
        'naming another encounter',
        (text: string) =>
          [ENCOUNTER_ITEM_VERSION, text.replace('"encounter_id":"enc_a2"', '"encounter_id":"enc_a4_tie"')] as const,
      ],
      [
        'naming another encounter whose id is as long',
        (text: string) =>
          [ENCOUNTER_ITEM_VERSION, text.replace('"encounter_id":"enc_a2"', '"encounter_id":"enc_a3"')] as const,
      ],
      [
        'naming another organization',
        (text: string) =>
          [
            ENCOUNTER_ITEM_VERSION,
            text.replace('"organization_id":"org_alpha"', '"organization_id":"org_beta"'),
          ] as const,
      ],
      ['of another shape', (text: string) => [ENCOUNTER_ITEM_VERSION, ` ${text}`] as const],
    ])('an item %s is not sent: the rows are', async (_name, change) => {
      const original = await genuine();
      const [version, text] = change(original.replace('"encounter_type":"dictation"', '"encounter_type":"STORED"'));
      try {
        await tamper(version, text);
        expect(await titleOf(`${LIST}?limit=100`, listTitle)).toBe('dictation');
        expect(await titleOf(pathOf('get_encounter', 'enc_a2'), detailTitle)).toBe('dictation');
      } finally {
        await tamper(ENCOUNTER_ITEM_VERSION, original);
      }
    });

    it('an encounter with no stored item is built from its rows', async () => {
      const stored = await db()
        .selectFrom('encounter_items')
        .selectAll()
        .where('encounter_id', '=', 'enc_a2')
        .execute();
      await db().deleteFrom('encounter_items').where('encounter_id', '=', 'enc_a2').execute();
      try {
        expect(await titleOf(`${LIST}?limit=100`, listTitle)).toBe('dictation');
        expect(await titleOf(pathOf('get_encounter', 'enc_a2'), detailTitle)).toBe('dictation');
      } finally {
        await db().insertInto('encounter_items').values(stored).execute();
      }
    });
  });

  describe('the import keeps every item in step with its rows', () => {
    const ORG = 'org_items';
    let key: Headers;
    const encounter = (id: string, patientId: string, extra: object = {}) => ({
      type: 'encounter',
      id,
      organization_id: ORG,
      patient_id: patientId,
      encounter_type: 'ambient',
      status: 'completed',
      origin: 'clinical',
      available: true,
      created_at: id === 'enc_items_1' ? '2026-05-25T14:00:00Z' : '2026-05-26T14:00:00Z',
      updated_at: '2026-05-26T15:00:00Z',
      ...extra,
    });
    const note = (id: string, encounterId: string, extra: object = {}) => ({
      type: 'document',
      id,
      encounter_id: encounterId,
      schema_type: 'document',
      title: `Note ${id}`,
      status: 'signed',
      workflow_variant: 'soap',
      available: true,
      content: { format: 'markdown', text: 'Visit note.' },
      created_at: '2026-05-25T14:05:00Z',
      updated_at: '2026-05-25T14:05:00Z',
      ...extra,
    });
    const patient = (id: string, firstName: string) => ({
      type: 'patient',
      id,
      organization_id: ORG,
      first_name: firstName,
      last_name: 'Sample',
      date_of_birth: '1970-01-01',
    });
    async function run(records: readonly object[]): Promise<void> {
      async function* lines(): AsyncGenerator<SourceLine> {
        for (const [index, record] of records.entries()) yield { line: index + 1, text: JSON.stringify(record) };
      }
      await importLines(db(), h.runtime.storage, lines(), h.dir);
    }
    /** What the list and each detail show: encounter → [patient's first name, its document ids]. */
    async function shown(): Promise<Record<string, [string | null, string[]]>> {
      const list = await h.get(`${LIST}?limit=100&sort_order=asc`, key);
      expect(list.statusCode).toBe(200);
      type Item = {
        encounter_id: string;
        patient: { first_name: string | null };
        documents: { document_id: string }[];
      };
      const items = (JSON.parse(list.body) as { items: Item[] }).items;
      const view = (item: Item): [string | null, string[]] => [
        item.patient.first_name,
        item.documents.map((d) => d.document_id),
      ];
      for (const item of items) {
        const detail = await h.get(pathOf('get_encounter', item.encounter_id), key);
        expect(detail.statusCode).toBe(200);
        expect(view((JSON.parse(detail.body) as { encounter: Item }).encounter)).toEqual(view(item));
      }
      // Every shown item came from encounter_items: the check above would pass on the fallback too.
      const stored = await db().selectFrom('encounter_items').select(['encounter_id', 'item']).execute();
      for (const item of items) {
        expect(JSON.parse(stored.find((row) => row.encounter_id === item.encounter_id)!.item)).toEqual(item);
      }
      return Object.fromEntries(items.map((item) => [item.encounter_id, view(item)]));
    }

    beforeAll(async () => {
      await insertOpenOrganization(db(), ORG, 0);
      key = bearer((await addKey(h.runtime, h.config, { organizationId: ORG })).secret);
      await run([
        patient('pat_items_1', 'Ada'),
        patient('pat_items_2', 'Bea'),
        encounter('enc_items_1', 'pat_items_1'),
        encounter('enc_items_2', 'pat_items_1'),
        note('doc_items_1', 'enc_items_1'),
        note('doc_items_2', 'enc_items_1', { created_at: '2026-05-25T14:06:00Z' }),
      ]);
    });

    it('after the first import', async () => {
      expect(await shown()).toEqual({
        enc_items_1: ['Ada', ['doc_items_1', 'doc_items_2']],
        enc_items_2: ['Ada', []],
      });
    });

    it('a patient renamed: every encounter of theirs', async () => {
      await run([patient('pat_items_1', 'Adele')]);
      expect(await shown()).toEqual({
        enc_items_1: ['Adele', ['doc_items_1', 'doc_items_2']],
        enc_items_2: ['Adele', []],
      });
    });

    it('a document made unavailable, another added', async () => {
      await run([note('doc_items_1', 'enc_items_1', { available: false }), note('doc_items_3', 'enc_items_2')]);
      expect(await shown()).toEqual({
        enc_items_1: ['Adele', ['doc_items_2']],
        enc_items_2: ['Adele', ['doc_items_3']],
      });
    });

    it('a document moved to another encounter: both', async () => {
      await run([note('doc_items_2', 'enc_items_2', { created_at: '2026-05-25T14:06:00Z' })]);
      expect(await shown()).toEqual({
        enc_items_1: ['Adele', []],
        enc_items_2: ['Adele', ['doc_items_3', 'doc_items_2']],
      });
    });

    it('an encounter given to another patient, and one made unavailable', async () => {
      await run([
        encounter('enc_items_2', 'pat_items_2'),
        encounter('enc_items_1', 'pat_items_1', { available: false }),
      ]);
      expect(await shown()).toEqual({ enc_items_2: ['Bea', ['doc_items_3', 'doc_items_2']] });
      const detail = await h.get(pathOf('get_encounter', 'enc_items_1'), key);
      expect({ status: detail.statusCode, reason: JSON.parse(detail.body).reason_code }).toEqual({
        status: 404,
        reason: 'encounter_not_found',
      });
    });

    it('a failed import leaves every item as it was', async () => {
      const before = await db().selectFrom('encounter_items').selectAll().orderBy('encounter_id').execute();
      await expect(run([patient('pat_items_2', 'Changed'), note('doc_items_9', 'enc_missing')])).rejects.toThrow(
        /line 2: document.encounter_id: unknown encounter/,
      );
      expect(await db().selectFrom('encounter_items').selectAll().orderBy('encounter_id').execute()).toEqual(before);
      expect(await shown()).toEqual({ enc_items_2: ['Bea', ['doc_items_3', 'doc_items_2']] });
    });
  });
});
