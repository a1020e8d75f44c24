/** The fixture data set every route test reads: a few organizations, encounters of every kind, keys of every state. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { issueKey } from '../../src/access/issue-key.js';
import { loadKeyring } from '../../src/access/keyring-source.js';
import type { Config } from '../../src/config.js';
import { ROUTE_IDS, SCOPES, type Scope } from '../../src/contract/routes.js';
import { rebuildAllEncounterItems } from '../../src/resources/encounter-items.js';
import type { Runtime } from '../../src/runtime.js';
import { setKeyStatus } from '../../src/store/api-keys.js';
import { insertOrganization } from '../../src/store/organizations.js';

const T = (iso: string) => Date.parse(iso);

export interface Fixture {
  keys: Record<
    | 'full'
    | 'noRecordings'
    | 'noPatients'
    | 'disabled'
    | 'revoked'
    | 'expired'
    | 'noOrg'
    | 'notAllowlisted'
    | 'listOnly'
    | 'orgKeysOff'
    | 'beta'
    | 'noDocuments'
    | 'noRoutes'
    | 'otherEnvironment',
    { id: string; secret: string }
  >;
  /** A tiny valid WAV file's bytes, stored for doc_amb. */
  audio: Buffer;
}

function wav(): Buffer {
  const samples = 800;
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++)
    data.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)), i * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(8000, 24);
  header.writeUInt32LE(16000, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

export const ALPHA_ENCOUNTERS_IN_LIST = [
  // [id, created_at] of org_alpha's listable encounters, oldest first (ties broken by id).
  ['enc_a1', '2026-05-25T14:00:00Z'],
  ['enc_a2', '2026-06-01T09:30:00.250Z'],
  ['enc_a3', '2026-06-10T12:00:00Z'],
  ['enc_a4_tie', '2026-06-20T08:00:00Z'],
  ['enc_a5_tie', '2026-06-20T08:00:00Z'],
  ['enc_a6', '2026-07-01T00:00:00Z'],
] as const;

export async function loadFixture(runtime: Runtime, config: Config, dir: string): Promise<Fixture> {
  const db = runtime.store.db;
  const now = Date.now();
  const org = (id: string, patch: Partial<{ allowlisted: number; api_keys_enabled: number; enabled_routes: string }>) =>
    insertOrganization(db, {
      id,
      name: id,
      allowlisted: 1,
      api_keys_enabled: 1,
      rate_limit_per_second: 0,
      enabled_routes: ROUTE_IDS.join(','),
      state_version: 1,
      created_at_ms: now,
      ...patch,
    });
  await org('org_alpha', {});
  await org('org_beta', {});
  await org('org_gamma', { allowlisted: 0 });
  await org('org_delta', { enabled_routes: 'list_encounters' });
  await org('org_off', { api_keys_enabled: 0 });
  // Allowlisted, API keys on, but no route enabled.
  await org('org_none', { enabled_routes: '' });

  await db
    .insertInto('patients')
    .values([
      {
        id: 'pat_a1',
        organization_id: 'org_alpha',
        first_name: 'Avery',
        last_name: 'Quill',
        date_of_birth: '1970-01-01',
      },
      { id: 'pat_a2', organization_id: 'org_alpha', first_name: null, last_name: null, date_of_birth: null },
      {
        id: 'pat_b1',
        organization_id: 'org_beta',
        first_name: 'Blake',
        last_name: 'Rowan',
        date_of_birth: '1985-12-31',
      },
    ])
    .execute();

  const encounter = (id: string, organizationId: string, patientId: string, created: string, extra = {}) => ({
    id,
    organization_id: organizationId,
    patient_id: patientId,
    encounter_type: 'ambient',
    status: 'completed',
    origin: 'clinical',
    available: 1,
    created_at_ms: T(created),
    updated_at_ms: T(created) + 60_000,
    date_of_service_ms: T(created),
    ...extra,
  });
  await db
    .insertInto('encounters')
    .values([
      ...ALPHA_ENCOUNTERS_IN_LIST.map(([id, created], index) =>
        encounter(id, 'org_alpha', index % 2 === 0 ? 'pat_a1' : 'pat_a2', created, {
          encounter_type: ['ambient', 'dictation', 'upload'][index % 3],
          status: index === 5 ? 'in_progress' : 'completed',
          date_of_service_ms: index === 5 ? null : T(created),
        }),
      ),
      encounter('enc_demo', 'org_alpha', 'pat_a1', '2026-06-02T00:00:00Z', { origin: 'demo' }),
      encounter('enc_training', 'org_alpha', 'pat_a1', '2026-06-03T00:00:00Z', { origin: 'training' }),
      encounter('enc_unavailable', 'org_alpha', 'pat_a1', '2026-06-04T00:00:00Z', { available: 0 }),
      encounter('enc_b1', 'org_beta', 'pat_b1', '2026-06-05T00:00:00Z'),
    ])
    .execute();

  const document = (id: string, encounterId: string, schemaType: string, created: string, extra = {}) => ({
    id,
    encounter_id: encounterId,
    schema_type: schemaType,
    title: `Title of ${id}`,
    status: schemaType === 'ambient_transcript' ? 'finalized' : null,
    workflow_variant: schemaType === 'document' ? 'soap' : null,
    available: 1,
    audio_duration_seconds: schemaType === 'ambient_transcript' ? 842.4 : null,
    content_format: schemaType === 'document' ? 'markdown' : null,
    content_text: schemaType === 'document' ? '# Visit note\n\nPatient doing well.' : null,
    created_at_ms: T(created),
    updated_at_ms: T(created) + 1000,
    ...extra,
  });
  await db
    .insertInto('documents')
    .values([
      document('doc_amb', 'enc_a1', 'ambient_transcript', '2026-05-25T14:05:00Z'),
      document('doc_note', 'enc_a1', 'document', '2026-05-25T14:10:00Z'),
      document('doc_amb_draft', 'enc_a1', 'ambient_transcript', '2026-05-25T14:11:00Z', { status: 'draft' }),
      document('doc_amb_norec', 'enc_a1', 'ambient_transcript', '2026-05-25T14:12:00Z'),
      document('doc_amb_lost', 'enc_a1', 'ambient_transcript', '2026-05-25T14:13:00Z'),
      document('doc_intake', 'enc_a1', 'intake_form', '2026-05-25T14:14:00Z'),
      document('doc_hidden', 'enc_a1', 'document', '2026-05-25T14:15:00Z', { available: 0 }),
      document('doc_a2', 'enc_a2', 'document', '2026-06-01T10:00:00Z', { title: null, workflow_variant: null }),
      document('doc_b1', 'enc_b1', 'document', '2026-06-05T00:10:00Z'),
      // Documents of encounters the API never serves (demo, training, unavailable).
      document('doc_demo', 'enc_demo', 'ambient_transcript', '2026-06-02T00:05:00Z'),
      document('doc_training', 'enc_training', 'document', '2026-06-03T00:05:00Z'),
      document('doc_unavailable_enc', 'enc_unavailable', 'document', '2026-06-04T00:05:00Z'),
    ])
    .execute();
  // The stored list items (src/resources/encounter-items.ts), as the import writes them.
  await rebuildAllEncounterItems(db);

  // The stored form (src/store/transcript-turns.ts): the public fields in time order, as the import writes them.
  const turns =
    '[{"speaker":"clinician","start":0,"end":1.6,"text":"Good morning."},' +
    '{"speaker":"patient","start":1.6,"end":3.2,"text":"Morning, doctor."}]';
  await db
    .insertInto('transcripts')
    .values([
      {
        document_id: 'doc_amb',
        provider: 'deepgram',
        audio_duration_seconds: 842.4,
        finalized_at_ms: T('2026-05-25T15:00:00Z'),
        turns,
      },
      {
        document_id: 'doc_amb_draft',
        provider: 'deepgram',
        audio_duration_seconds: null,
        finalized_at_ms: null,
        turns,
      },
      {
        document_id: 'doc_amb_norec',
        provider: 'deepgram',
        audio_duration_seconds: 10,
        finalized_at_ms: T('2026-05-25T15:00:00Z'),
        turns,
      },
    ])
    .execute();

  const audio = wav();
  const source = join(dir, 'fixture.wav');
  writeFileSync(source, audio);
  await runtime.storage.putFile('org_alpha/doc_amb.wav', source, 'audio/wav');
  await db
    .insertInto('recordings')
    .values([
      {
        document_id: 'doc_amb',
        object_key: 'org_alpha/doc_amb.wav',
        content_type: 'audio/wav',
        byte_size: audio.length,
      },
      {
        document_id: 'doc_amb_lost',
        object_key: 'org_alpha/doc_amb_lost.wav',
        content_type: 'audio/wav',
        byte_size: 10,
      },
    ])
    .execute();

  const key = (organizationId: string | null, scopes: readonly Scope[] = SCOPES, expiresAtMs: number | null = null) =>
    addKey(runtime, config, { organizationId, scopes, expiresAtMs });
  const keys: Fixture['keys'] = {
    full: await key('org_alpha'),
    noRecordings: await key('org_alpha', ['encounters:read', 'patients:read', 'documents:read']),
    noPatients: await key('org_alpha', ['encounters:read', 'documents:read', 'recordings:read']),
    disabled: await key('org_alpha'),
    revoked: await key('org_alpha'),
    expired: await key('org_alpha', SCOPES, now - 1000),
    noOrg: await key(null),
    notAllowlisted: await key('org_gamma'),
    listOnly: await key('org_delta'),
    orgKeysOff: await key('org_off'),
    beta: await key('org_beta'),
    noDocuments: await key('org_alpha', ['encounters:read', 'patients:read', 'recordings:read']),
    noRoutes: await key('org_none'),
    // A key issued for the other environment (live in a sandbox, test in production): never usable here.
    otherEnvironment: await addKey(runtime, config, {
      environment: config.keyEnvironment === 'test' ? 'live' : 'test',
    }),
  };
  await setKeyStatus(db, keys.disabled.id, 'disabled');
  await setKeyStatus(db, keys.revoked.id, 'revoked');
  return { keys, audio };
}

export interface AddKeyOptions {
  organizationId?: string | null;
  scopes?: readonly Scope[];
  expiresAtMs?: number | null;
  /** Requests per second; null (default) = deployment default, 0 = unlimited. */
  rateLimitPerSecond?: number | null;
  status?: 'active' | 'disabled' | 'revoked';
  /** Defaults to the deployment's own key environment. */
  environment?: Config['keyEnvironment'];
}

/** Issues one more key, as the operator CLI would (for tests that need a key of their own). */
export async function addKey(
  runtime: Runtime,
  config: Config,
  options: AddKeyOptions = {},
): Promise<{ id: string; secret: string }> {
  const issued = await issueKey(runtime.store.db, loadKeyring(config), {
    environment: options.environment ?? config.keyEnvironment,
    organizationId: options.organizationId === undefined ? 'org_alpha' : options.organizationId,
    scopes: options.scopes ?? SCOPES,
    name: 'fixture',
    expiresAtMs: options.expiresAtMs ?? null,
    rateLimitPerSecond: options.rateLimitPerSecond ?? null,
  });
  if (options.status && options.status !== 'active') {
    await setKeyStatus(runtime.store.db, issued.row.id, options.status);
  }
  return { id: issued.row.id, secret: issued.secret };
}
