/**
 * The deterministic synthetic sandbox behind `charthero seed` and `serve --seed-if-empty`. It generates import
 * records and feeds them through the importer (same validation, same upserts), so the seed can never write data
 * the import format would reject. The same seed always yields the same clinical data and audio bytes; only the
 * issued key differs between runs.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Keyring } from '../access/digest-keyring.js';
import { issueKey } from '../access/issue-key.js';
import type { KeyEnvironment } from '../config.js';
import { ROUTE_IDS, SCOPES } from '../contract/routes.js';
import { importLines, type SourceLine } from '../import/importer.js';
import type { AudioStorage } from '../media/storage.js';
import { updateOrganization } from '../store/organizations.js';
import type { Database } from '../store/schema.js';
import { FIRST_NAMES, intakeForm, LAST_NAMES, SCENARIOS, soapNote, timedTurns } from './content.js';
import { mulberry32 } from './prng.js';
import { encodeWav, synthesizeClip } from './wav.js';

export const SEED_DEFAULTS = { seed: 1, encounters: 60 } as const;
export const MAX_SEED_ENCOUNTERS = 100_000;

/**
 * Timestamps count back from a fixed instant rather than from now, so seeding on another day gives the same data.
 * Encounters fall in the six months before it.
 */
export const SEED_ANCHOR_MS = Date.UTC(2026, 10, 1);

const DAY_MS = 86_400_000;
const CLIP_SECONDS = 3;

export interface SeedOptions {
  /** A 32-bit unsigned integer. */
  seed: number;
  encounters: number;
  anchorMs?: number;
}

export interface SeedDependencies {
  db: Kysely<Database>;
  storage: AudioStorage;
  keyring: Keyring;
  keyEnvironment: KeyEnvironment;
}

export interface SeedResult {
  organizationId: string;
  key: { id: string; secret: string };
  encounters: number;
}

function sandboxOrganizationId(seed: number): string {
  return seed === SEED_DEFAULTS.seed ? 'org_sandbox' : `org_sandbox_${seed}`;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.000Z$/, 'Z');

/** Whole seconds, so the API shows timestamps without milliseconds. */
const wholeSeconds = (ms: number) => Math.floor(ms / 1000) * 1000;

/**
 * Which encounters carry the edge cases partners need to see (fixed by index so every sandbox of a given size has
 * them; encounter 0 is always a complete, listable ambient visit).
 */
const edgeCases = (index: number) => ({
  origin: index % 20 === 9 ? 'demo' : index % 20 === 17 ? 'training' : 'clinical',
  available: index % 15 !== 14,
  noteAvailable: index % 12 !== 6,
  transcriptFinalized: index % 9 !== 4,
  hasRecording: index % 8 !== 3,
  intakeForm: index === 0,
  dateOfServiceKnown: index % 11 !== 10,
});

async function* sandboxLines(options: Required<SeedOptions>, audioDir: string): AsyncGenerator<SourceLine> {
  const random = mulberry32(options.seed);
  const audio = random.fork();
  const organizationId = sandboxOrganizationId(options.seed);
  // Records are yielded encounter by encounter, so a large sandbox never sits in memory whole.
  const records: object[] = [];
  let line = 0;
  const flush = function* (): Generator<SourceLine> {
    for (const record of records) yield { line: ++line, text: JSON.stringify(record) };
    records.length = 0;
  };

  records.push({ type: 'organization', id: organizationId, name: `Sandbox Clinic (seed ${options.seed})` });
  const patientCount = Math.max(1, Math.ceil(options.encounters / 5));
  const patients = Array.from({ length: patientCount }, () => {
    const patient = {
      type: 'patient',
      id: random.id('pat_'),
      organization_id: organizationId,
      first_name: random.pick(FIRST_NAMES),
      last_name: random.pick(LAST_NAMES),
      date_of_birth: iso(Date.UTC(1940, 0, 1) + random.int(27_000) * DAY_MS).slice(0, 10),
    };
    records.push(patient);
    return patient;
  });
  yield* flush();

  for (let index = 0; index < options.encounters; index++) {
    const edge = edgeCases(index);
    const patient = index === 0 ? patients[0]! : random.pick(patients);
    const patientName = `${patient.first_name} ${patient.last_name}`;
    const scenario = random.pick(SCENARIOS);
    const ambient = index === 0 || random.chance(0.5);
    const encounterType = ambient ? 'ambient' : random.pick(['dictation', 'upload'] as const);
    const completed = index === 0 || random.chance(0.8);
    const createdAt = wholeSeconds(options.anchorMs - random.int(180 * DAY_MS));
    const updatedAt = createdAt + random.between(5, 240) * 60_000;
    const encounterId = random.id('enc_');
    records.push({
      type: 'encounter',
      id: encounterId,
      organization_id: organizationId,
      patient_id: patient.id,
      encounter_type: encounterType,
      status: completed ? 'completed' : 'in_progress',
      origin: edge.origin,
      available: edge.available,
      created_at: iso(createdAt),
      updated_at: iso(updatedAt),
      date_of_service: edge.dateOfServiceKnown ? iso(createdAt - random.between(0, 120) * 60_000) : null,
    });

    if (ambient) {
      const documentId = random.id('doc_');
      const turns = timedTurns(scenario, () => 0.2 + random.int(8) / 10);
      const duration = Math.round((turns[turns.length - 1]!.end + 1.5) * 10) / 10;
      const finalized = edge.transcriptFinalized && completed;
      records.push({
        type: 'document',
        id: documentId,
        encounter_id: encounterId,
        schema_type: 'ambient_transcript',
        title: `Ambient transcript: ${scenario.title}`,
        status: finalized ? 'finalized' : 'processing',
        audio_duration_seconds: duration,
        available: true,
        created_at: iso(createdAt + 60_000),
        updated_at: iso(updatedAt),
      });
      records.push({
        type: 'transcript',
        document_id: documentId,
        provider: 'deepgram',
        audio_duration_seconds: duration,
        finalized_at: finalized ? iso(updatedAt) : null,
        turns,
      });
      if (edge.hasRecording) {
        // The clip is a short tone sample standing in for the visit, not the full duration.
        const file = `${documentId}.wav`;
        await writeFile(join(audioDir, file), encodeWav(synthesizeClip(audio, CLIP_SECONDS)));
        records.push({ type: 'recording', document_id: documentId, file, content_type: 'audio/wav' });
      }
    }

    records.push({
      type: 'document',
      id: random.id('doc_'),
      encounter_id: encounterId,
      schema_type: 'document',
      title: `${scenario.title}: ${encounterType === 'dictation' ? 'dictated note' : 'SOAP note'}`,
      status: completed ? 'signed' : 'draft',
      workflow_variant: encounterType === 'ambient' ? 'soap' : encounterType,
      available: edge.noteAvailable,
      content: { format: 'markdown', text: soapNote(scenario, patientName) },
      created_at: iso(createdAt + 5 * 60_000),
      updated_at: iso(updatedAt),
    });

    if (edge.intakeForm) {
      // An unsupported schema type: stored, never listed, and a 400 unsupported_document_type when asked for.
      records.push({
        type: 'document',
        id: random.id('doc_'),
        encounter_id: encounterId,
        schema_type: 'intake_form',
        title: 'Patient intake form',
        status: 'completed',
        available: true,
        content: { format: 'markdown', text: intakeForm(patientName) },
        created_at: iso(createdAt - 10 * 60_000),
        updated_at: iso(createdAt - 10 * 60_000),
      });
    }
    yield* flush();
  }
}

function requireSeedOptions(options: SeedOptions): Required<SeedOptions> {
  if (!Number.isInteger(options.seed) || options.seed < 0 || options.seed > 0xffffffff) {
    throw new RangeError('seed must be an integer from 0 to 4294967295');
  }
  if (!Number.isInteger(options.encounters) || options.encounters < 1 || options.encounters > MAX_SEED_ENCOUNTERS) {
    throw new RangeError(`encounters must be an integer from 1 to ${MAX_SEED_ENCOUNTERS}`);
  }
  return { anchorMs: SEED_ANCHOR_MS, ...options };
}

/**
 * Writes (or rewrites, by id) the sandbox organization and its clinical data, opens every route for it, and issues
 * one org-scoped key with every scope. The secret is in the result and nowhere else.
 */
export async function seedSandbox(deps: SeedDependencies, options: SeedOptions): Promise<SeedResult> {
  const settled = requireSeedOptions(options);
  const audioDir = await mkdtemp(join(tmpdir(), 'charthero-seed-'));
  try {
    await importLines(deps.db, deps.storage, sandboxLines(settled, audioDir), audioDir);
  } finally {
    await rm(audioDir, { recursive: true, force: true });
  }
  const organizationId = sandboxOrganizationId(settled.seed);
  await updateOrganization(deps.db, organizationId, {
    allowlisted: 1,
    api_keys_enabled: 1,
    enabled_routes: ROUTE_IDS.join(','),
  });
  const issued = await issueKey(deps.db, deps.keyring, {
    environment: deps.keyEnvironment,
    organizationId,
    scopes: SCOPES,
    name: `sandbox seed ${settled.seed}`,
    expiresAtMs: null,
    rateLimitPerSecond: null,
  });
  return { organizationId, key: { id: issued.row.id, secret: issued.secret }, encounters: settled.encounters };
}
