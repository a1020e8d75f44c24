/** A bulk data set for load-style tests: one organization with many encounters, each with several documents. */
import type { Kysely } from 'kysely';
import { ROUTE_IDS } from '../../../src/contract/routes.js';
import { rebuildEncounterItems } from '../../../src/resources/encounter-items.js';
import { insertOrganization } from '../../../src/store/organizations.js';
import type { Database } from '../../../src/store/schema.js';

export interface BulkData {
  organizationId: string;
  encounters: number;
}

export async function insertBulkData(
  db: Kysely<Database>,
  options: { organizationId?: string; encounters: number; documentsPerEncounter: number },
): Promise<BulkData> {
  const organizationId = options.organizationId ?? 'org_bulk';
  const base = Date.parse('2026-01-01T00:00:00Z');
  await insertOrganization(db, {
    id: organizationId,
    name: organizationId,
    allowlisted: 1,
    api_keys_enabled: 1,
    rate_limit_per_second: 0,
    enabled_routes: ROUTE_IDS.join(','),
    state_version: 1,
    created_at_ms: base,
  });
  const patients = Array.from({ length: 50 }, (_, i) => ({
    id: `pat_bulk_${i}`,
    organization_id: organizationId,
    first_name: `Bulkfirst${i}`,
    last_name: `Bulklast${i}`,
    date_of_birth: '1960-02-03',
  }));
  await db.insertInto('patients').values(patients).execute();
  const encounters = Array.from({ length: options.encounters }, (_, i) => ({
    id: `enc_bulk_${i}`,
    organization_id: organizationId,
    patient_id: `pat_bulk_${i % patients.length}`,
    encounter_type: 'ambient',
    status: 'completed',
    origin: 'clinical',
    available: 1,
    created_at_ms: base + i * 60_000,
    updated_at_ms: base + i * 60_000,
    date_of_service_ms: base + i * 60_000,
  }));
  for (let i = 0; i < encounters.length; i += 200) {
    await db
      .insertInto('encounters')
      .values(encounters.slice(i, i + 200))
      .execute();
  }
  const documents = encounters.flatMap((encounter, i) =>
    Array.from({ length: options.documentsPerEncounter }, (_, j) => ({
      id: `doc_bulk_${i}_${j}`,
      encounter_id: encounter.id,
      schema_type: 'document',
      title: `Note ${j}`,
      status: null,
      workflow_variant: 'soap',
      available: 1,
      audio_duration_seconds: null,
      content_format: 'markdown',
      content_text: 'Visit note.',
      created_at_ms: encounter.created_at_ms + j,
      updated_at_ms: encounter.created_at_ms + j,
    })),
  );
  for (let i = 0; i < documents.length; i += 200) {
    await db
      .insertInto('documents')
      .values(documents.slice(i, i + 200))
      .execute();
  }
  await rebuildEncounterItems(
    db,
    encounters.map((encounter) => encounter.id),
  );
  return { organizationId, encounters: options.encounters };
}
