/**
 * Tenant isolation, as a property: fast-check builds random organizations, patients, encounters (clinical, demo,
 * training; available or not), documents, transcripts and keys. For every key and every resource:
 * - lists hold only the caller organization's listable encounters, with only its own patients and documents;
 * - a detail call on another organization's encounter (or anything under it) only ever yields 403
 *   cross_organization_denied with the registry's body — never 200, never a body naming anything;
 * - another organization's document under one of the caller's own encounters is indistinguishable from a document
 *   that does not exist;
 * - no response of any kind carries another organization's patient names, dates of birth or ids;
 * - the same requests sent all at once (their detail reads then share statements) get the same answers.
 */
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { issueKey } from '../../src/access/issue-key.js';
import { loadKeyring } from '../../src/access/keyring-source.js';
import { REASONS } from '../../src/contract/reasons.js';
import { ROUTE_IDS, SCOPES, type Scope } from '../../src/contract/routes.js';
import { rebuildEncounterItems } from '../../src/resources/encounter-items.js';
import { insertOrganization } from '../../src/store/organizations.js';
import { type Harness, startHarness } from '../support/harness.js';

const NUM_RUNS = 25;
const ORIGINS = ['clinical', 'clinical', 'clinical', 'demo', 'training'] as const;
const DOC_TYPES = ['document', 'ambient_transcript', 'ambient_transcript', 'intake_form'] as const;

const documentArb = fc.record({
  schemaType: fc.constantFrom(...DOC_TYPES),
  available: fc.constantFrom(true, true, false),
  finalized: fc.boolean(),
});
const encounterArb = fc.record({
  patient: fc.nat(),
  origin: fc.constantFrom(...ORIGINS),
  available: fc.constantFrom(true, true, false),
  minutes: fc.integer({ min: 0, max: 100_000 }),
  documents: fc.array(documentArb, { maxLength: 3 }),
});
const keyArb = fc.record({
  // Mostly every scope (so the data paths are reached), sometimes fewer.
  scopes: fc.oneof(
    { arbitrary: fc.constant([...SCOPES] as Scope[]), weight: 3 },
    { arbitrary: fc.subarray([...SCOPES] as Scope[], { minLength: 1 }), weight: 1 },
  ),
});
const organizationArb = fc.record({
  patients: fc.array(fc.stringMatching(/^[A-Z][a-z]{2,7}$/), { minLength: 1, maxLength: 3 }),
  encounters: fc.array(encounterArb, { maxLength: 6 }),
  keys: fc.array(keyArb, { minLength: 1, maxLength: 2 }),
});
const worldArb = fc.array(organizationArb, { minLength: 2, maxLength: 4 });

type WorldSpec = typeof worldArb extends fc.Arbitrary<infer T> ? T : never;

interface Org {
  id: string;
  patients: { id: string; first: string; last: string; dob: string }[];
  encounters: {
    id: string;
    patientId: string;
    origin: string;
    available: boolean;
    createdMs: number;
    documents: { id: string; schemaType: string; available: boolean; finalized: boolean }[];
  }[];
  keys: { secret: string; scopes: Scope[] }[];
}

let h: Harness;
let run = 0;
let requests = 0;
const BASE_MS = Date.parse('2025-01-01T00:00:00Z');

beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

async function build(spec: WorldSpec): Promise<Org[]> {
  run++;
  const db = h.runtime.store.db;
  const keyring = loadKeyring(h.config);
  const orgs: Org[] = [];
  let day = 0;
  for (const [o, orgSpec] of spec.entries()) {
    const id = `org_r${run}_${o}`;
    await insertOrganization(db, {
      id,
      name: id,
      allowlisted: 1,
      api_keys_enabled: 1,
      rate_limit_per_second: 0,
      enabled_routes: ROUTE_IDS.join(','),
      state_version: 1,
      created_at_ms: BASE_MS,
    });
    const patients = orgSpec.patients.map((name, p) => ({
      id: `pat_r${run}_${o}_${p}`,
      // Unique across the world, so finding one in a response names exactly whose it is.
      first: `${name}Fr${run}o${o}p${p}`,
      last: `Lr${run}o${o}p${p}${name}`,
      dob: new Date(Date.UTC(1930, 0, 1) + (run * 50 + day++) * 86_400_000).toISOString().slice(0, 10),
    }));
    await db
      .insertInto('patients')
      .values(
        patients.map((p) => ({
          id: p.id,
          organization_id: id,
          first_name: p.first,
          last_name: p.last,
          date_of_birth: p.dob,
        })),
      )
      .execute();
    const encounters = orgSpec.encounters.map((e, i) => ({
      id: `enc_r${run}_${o}_${i}`,
      patientId: patients[e.patient % patients.length]!.id,
      origin: e.origin,
      available: e.available,
      createdMs: BASE_MS + e.minutes * 60_000,
      documents: e.documents.map((d, j) => ({ id: `doc_r${run}_${o}_${i}_${j}`, ...d })),
    }));
    for (const e of encounters) {
      await db
        .insertInto('encounters')
        .values({
          id: e.id,
          organization_id: id,
          patient_id: e.patientId,
          encounter_type: 'ambient',
          status: 'completed',
          origin: e.origin,
          available: e.available ? 1 : 0,
          created_at_ms: e.createdMs,
          updated_at_ms: e.createdMs,
          date_of_service_ms: e.createdMs,
        })
        .execute();
      for (const d of e.documents) {
        await db
          .insertInto('documents')
          .values({
            id: d.id,
            encounter_id: e.id,
            schema_type: d.schemaType,
            title: `Title ${d.id}`,
            status: d.schemaType === 'ambient_transcript' ? 'finalized' : null,
            workflow_variant: null,
            available: d.available ? 1 : 0,
            audio_duration_seconds: d.schemaType === 'ambient_transcript' ? 12.5 : null,
            content_format: d.schemaType === 'document' ? 'markdown' : null,
            content_text: d.schemaType === 'document' ? `Note for ${patients[0]!.first}` : null,
            created_at_ms: e.createdMs + 1000,
            updated_at_ms: e.createdMs + 1000,
          })
          .execute();
        if (d.schemaType === 'ambient_transcript') {
          await db
            .insertInto('transcripts')
            .values({
              document_id: d.id,
              provider: 'deepgram',
              audio_duration_seconds: 12.5,
              finalized_at_ms: d.finalized ? e.createdMs + 5000 : null,
              turns: JSON.stringify([{ speaker: 'patient', start: 0, end: 1, text: `I am ${patients[0]!.last}` }]),
            })
            .execute();
          // A recording whose object is not in storage: the audio route answers 404 audio_not_found to its owner.
          await db
            .insertInto('recordings')
            .values({ document_id: d.id, object_key: `${id}/${d.id}.wav`, content_type: 'audio/wav', byte_size: 1 })
            .execute();
        }
      }
    }
    // The stored list items, as the import writes them.
    await rebuildEncounterItems(
      db,
      encounters.map((e) => e.id),
    );
    const keys = [];
    for (const k of orgSpec.keys) {
      const issued = await issueKey(db, keyring, {
        environment: h.config.keyEnvironment,
        organizationId: id,
        scopes: k.scopes,
        name: 'isolation',
        expiresAtMs: null,
        rateLimitPerSecond: 0,
      });
      keys.push({ secret: issued.secret, scopes: k.scopes });
    }
    orgs.push({ id, patients, encounters, keys });
  }
  return orgs;
}

/** Every string that identifies an organization's patient data (quoted ids, so `e1` never matches `e10`). */
function secretsOf(org: Org): string[] {
  return [
    `"${org.id}"`,
    ...org.patients.flatMap((p) => [`"${p.id}"`, p.first, p.last, p.dob]),
    ...org.encounters.flatMap((e) => [`"${e.id}"`, ...e.documents.map((d) => `"${d.id}"`)]),
  ];
}

/** The fixture's own patient data, which no generated organization may ever see. */
const FIXTURE_SECRETS = ['"org_alpha"', '"org_beta"', 'Avery', 'Quill', 'Blake', 'Rowan', '1970-01-01', '1985-12-31'];

function errorBody(code: keyof typeof REASONS) {
  return { error: REASONS[code].error, reason_code: code, message: REASONS[code].message, field: null };
}

const allOf = (need: readonly Scope[], have: readonly Scope[]) => need.every((scope) => have.includes(scope));
const LIST_SCOPES: Scope[] = ['encounters:read', 'patients:read', 'documents:read'];
const DOC_SCOPES: Scope[] = ['encounters:read', 'documents:read'];
const AUDIO_SCOPES: Scope[] = ['encounters:read', 'documents:read', 'recordings:read'];

it(`no key ever sees another organization's data (${NUM_RUNS} random worlds)`, async () => {
  await fc.assert(
    fc.asyncProperty(worldArb, async (spec) => {
      const orgs = await build(spec);
      const answered: { url: string; authorization: string; statusCode: number; body: string }[] = [];
      for (const own of orgs) {
        const foreign = [...orgs.filter((o) => o !== own).flatMap(secretsOf), ...FIXTURE_SECRETS];
        for (const key of own.keys) {
          const get = async (url: string): Promise<LightMyRequestResponse> => {
            requests++;
            const authorization = `Bearer ${key.secret}`;
            const response = await h.get(url, { authorization });
            expect(response.statusCode, url).not.toBeGreaterThanOrEqual(500);
            answered.push({ url, authorization, statusCode: response.statusCode, body: response.body });
            for (const secret of foreign) expect(response.body.includes(secret), `${url} leaks ${secret}`).toBe(false);
            return response;
          };

          // Lists: only the caller's listable encounters, all of them, with only its own patients and documents.
          if (allOf(LIST_SCOPES, key.scopes)) {
            const listed: { encounter_id: string; organization_id: string; patient: { patient_id: string } }[] = [];
            for (let offset = 0; ; offset += 100) {
              const page = await get(`/external/v1/encounters?limit=100&offset=${offset}`);
              expect(page.statusCode).toBe(200);
              listed.push(...page.json().items);
              if (!page.json().has_more) break;
            }
            const expected = own.encounters.filter((e) => e.origin === 'clinical' && e.available).map((e) => e.id);
            expect(listed.map((item) => item.encounter_id).sort()).toEqual([...expected].sort());
            for (const item of listed) {
              expect(item.organization_id).toBe(own.id);
              expect(own.patients.map((p) => p.id)).toContain(item.patient.patient_id);
            }
          } else {
            expect((await get('/external/v1/encounters')).json()).toEqual(errorBody('missing_scope'));
          }

          for (const owner of orgs) {
            for (const encounter of owner.encounters) {
              const base = `/external/v1/encounters/${encodeURIComponent(encounter.id)}`;
              const urls: [string, Scope[]][] = [[base, LIST_SCOPES]];
              for (const d of encounter.documents) {
                urls.push(
                  [`${base}/documents/${d.id}`, DOC_SCOPES],
                  [`${base}/documents/${d.id}/transcript`, DOC_SCOPES],
                  [`${base}/documents/${d.id}/audio`, AUDIO_SCOPES],
                );
              }
              for (const [url, scopes] of urls) {
                const response = await get(url);
                if (!allOf(scopes, key.scopes)) {
                  expect(response.json(), url).toEqual(errorBody('missing_scope'));
                } else if (owner !== own) {
                  expect(response.statusCode, url).toBe(403);
                  expect(response.json(), url).toEqual(errorBody('cross_organization_denied'));
                } else if (encounter.origin !== 'clinical') {
                  expect(response.json(), url).toEqual(errorBody('demo_training_denied'));
                } else if (!encounter.available) {
                  expect(response.json(), url).toEqual(errorBody('encounter_not_found'));
                } else if (url === base) {
                  expect(response.statusCode, url).toBe(200);
                  const body = response.json().encounter;
                  expect(body.organization_id).toBe(own.id);
                  const patient = own.patients.find((p) => p.id === encounter.patientId)!;
                  expect(body.patient).toEqual({
                    patient_id: patient.id,
                    first_name: patient.first,
                    last_name: patient.last,
                    date_of_birth: patient.dob,
                  });
                } else {
                  expect(response.statusCode, url).not.toBe(403);
                }
              }
            }
          }

          // Another organization's document under the caller's own encounter: the same answer as no document.
          const mine = own.encounters.find((e) => e.origin === 'clinical' && e.available);
          const theirs = orgs.filter((o) => o !== own).flatMap((o) => o.encounters.flatMap((e) => e.documents));
          if (mine && allOf(AUDIO_SCOPES, key.scopes)) {
            for (const d of theirs.slice(0, 4)) {
              for (const suffix of ['', '/transcript', '/audio']) {
                const foreignDoc = await get(`/external/v1/encounters/${mine.id}/documents/${d.id}${suffix}`);
                const missing = await get(`/external/v1/encounters/${mine.id}/documents/doc_does_not_exist${suffix}`);
                expect(foreignDoc.statusCode).toBe(404);
                expect(foreignDoc.json()).toEqual(errorBody('document_not_found'));
                expect(foreignDoc.json()).toEqual(missing.json());
              }
            }
          }

          // And the fixture's organizations, which every generated key is a stranger to.
          for (const url of [
            '/external/v1/encounters/enc_a1',
            '/external/v1/encounters/enc_b1/documents/doc_b1',
            '/external/v1/encounters/enc_a1/documents/doc_amb/audio',
          ]) {
            const response = await get(url);
            if (response.statusCode !== 403 || response.json().reason_code !== 'missing_scope') {
              expect(response.json(), url).toEqual(errorBody('cross_organization_denied'));
            }
          }
        }
      }

      // Every request again, all at once: the detail reads of one turn share a statement (src/store/coalesced.ts),
      // and each caller must still get exactly what it got alone.
      const together = await Promise.all(answered.map((a) => h.get(a.url, { authorization: a.authorization })));
      requests += together.length;
      together.forEach((response, i) => {
        const { url, statusCode, body } = answered[i]!;
        expect({ url, statusCode: response.statusCode, body: response.body }).toEqual({ url, statusCode, body });
      });
    }),
    { numRuns: NUM_RUNS },
  );
  console.log(`tenant isolation: ${run} worlds built (${NUM_RUNS} runs), ${requests} requests checked`);
}, 120_000);
