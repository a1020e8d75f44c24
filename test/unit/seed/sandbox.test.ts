import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyringFile, type Keyring } from '../../../src/access/digest-keyring.js';
import { parseKey } from '../../../src/access/key-format.js';
import type { AudioStorage } from '../../../src/media/storage.js';
import { mulberry32 } from '../../../src/seed/prng.js';
import { SEED_ANCHOR_MS, seedSandbox } from '../../../src/seed/sandbox.js';
import { encodeWav, synthesizeClip, WAV_SAMPLE_RATE } from '../../../src/seed/wav.js';
import { openStore, type Store } from '../../../src/store/db.js';
import { migrate } from '../../../src/store/migrate.js';
import { type FreshDatabase, freshDatabase } from '../../support/database.js';

function memoryStorage() {
  const objects = new Map<string, Buffer>();
  const storage: AudioStorage & { objects: typeof objects } = {
    objects,
    async putFile(objectKey, sourcePath) {
      objects.set(objectKey, readFileSync(sourcePath));
    },
    async head(objectKey) {
      const bytes = objects.get(objectKey);
      return bytes ? { size: bytes.length, contentType: 'audio/wav' } : null;
    },
    async issueUrl() {
      throw new Error('not used');
    },
    async close() {},
  };
  return storage;
}

describe('mulberry32', () => {
  it('is deterministic and spreads values over [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const values = Array.from({ length: 1000 }, () => a.next());
    expect(Array.from({ length: 1000 }, () => b.next())).toEqual(values);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    expect(values.filter((value) => value < 0.5).length).toBeGreaterThan(400);
    expect(mulberry32(43).next()).not.toBe(mulberry32(42).next());
    expect(mulberry32(1).id('enc_')).toMatch(/^enc_[0-9A-Za-z]{16}$/);
  });
});

describe('WAV', () => {
  it('writes a canonical 16-bit mono PCM header', () => {
    const samples = synthesizeClip(mulberry32(1), 0.5);
    expect(samples.length).toBe(WAV_SAMPLE_RATE / 2);
    const wav = encodeWav(samples);
    expect(wav.length).toBe(44 + samples.length * 2);
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
    expect(wav.readUInt32LE(4)).toBe(wav.length - 8);
    expect(wav.toString('ascii', 8, 16)).toBe('WAVEfmt ');
    expect(wav.readUInt16LE(20)).toBe(1);
    expect(wav.readUInt16LE(22)).toBe(1);
    expect(wav.readUInt32LE(24)).toBe(8000);
    expect(wav.readUInt16LE(34)).toBe(16);
    expect(wav.toString('ascii', 36, 40)).toBe('data');
    expect(wav.readUInt32LE(40)).toBe(samples.length * 2);
    expect(wav.readInt16LE(44 + 2 * 200)).toBe(samples[200]);
    // Not silence.
    expect(Math.max(...samples)).toBeGreaterThan(5000);
  });
});

describe('seedSandbox', () => {
  let dir: string;
  let keyring: Keyring;
  const databases: FreshDatabase[] = [];
  const stores: Store[] = [];

  async function seeded(seed: number, encounters: number) {
    const database = await freshDatabase(mkdtempSync(join(dir, 'db-')));
    databases.push(database);
    const store = openStore(database.url);
    stores.push(store);
    await migrate(store);
    const storage = memoryStorage();
    const result = await seedSandbox({ db: store.db, storage, keyring, keyEnvironment: 'test' }, { seed, encounters });
    const db = store.db;
    const dump = {
      patients: await db.selectFrom('patients').selectAll().orderBy('id').execute(),
      encounters: await db.selectFrom('encounters').selectAll().orderBy('id').execute(),
      documents: await db.selectFrom('documents').selectAll().orderBy('id').execute(),
      transcripts: await db.selectFrom('transcripts').selectAll().orderBy('document_id').execute(),
      recordings: await db.selectFrom('recordings').selectAll().orderBy('document_id').execute(),
    };
    return { result, dump, storage, db };
  }

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'charthero-seed-test-'));
    keyring = createKeyringFile(join(dir, 'keys.json'));
  });
  afterAll(async () => {
    for (const store of stores) await store.close();
    for (const database of databases) await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives the same clinical data and audio for the same seed, and different data for another', async () => {
    const [a, b, c] = await Promise.all([seeded(3, 40), seeded(3, 40), seeded(4, 40)]);
    expect(b.dump).toEqual(a.dump);
    expect([...b.storage.objects.entries()]).toEqual([...a.storage.objects.entries()]);
    expect(a.result.key.secret).not.toBe(b.result.key.secret);
    expect(c.result.organizationId).toBe('org_sandbox_4');
    expect(c.dump.encounters.map((row) => row.id)).not.toEqual(a.dump.encounters.map((row) => row.id));
  });

  it('covers the cases partners need to see', async () => {
    const { result, dump, storage } = await seeded(1, 60);
    expect(result).toMatchObject({ organizationId: 'org_sandbox', encounters: 60 });
    expect(parseKey(result.key.secret)?.environment).toBe('test');
    const { encounters, documents, transcripts, recordings } = dump;
    expect(encounters).toHaveLength(60);
    expect(new Set(encounters.map((row) => row.encounter_type))).toEqual(new Set(['ambient', 'dictation', 'upload']));
    expect(new Set(encounters.map((row) => row.status))).toEqual(new Set(['completed', 'in_progress']));
    expect(new Set(encounters.map((row) => row.origin))).toEqual(new Set(['clinical', 'demo', 'training']));
    expect(encounters.some((row) => row.available === 0)).toBe(true);
    expect(encounters.some((row) => row.date_of_service_ms === null)).toBe(true);
    // Six months before the fixed anchor, in whole seconds.
    for (const row of encounters) {
      expect(row.created_at_ms).toBeLessThanOrEqual(SEED_ANCHOR_MS);
      expect(row.created_at_ms).toBeGreaterThan(SEED_ANCHOR_MS - 181 * 86_400_000);
      expect(row.created_at_ms % 1000).toBe(0);
    }
    expect(documents.filter((row) => row.schema_type === 'intake_form')).toHaveLength(1);
    expect(documents.some((row) => row.available === 0)).toBe(true);
    expect(
      documents.filter((row) => row.schema_type === 'document').every((row) => row.content_format === 'markdown'),
    ).toBe(true);
    expect(transcripts.some((row) => row.finalized_at_ms === null)).toBe(true);
    expect(transcripts.some((row) => row.finalized_at_ms !== null)).toBe(true);
    for (const row of transcripts) {
      const turns = JSON.parse(row.turns) as { speaker: string; start: number; end: number }[];
      expect(new Set(turns.map((turn) => turn.speaker))).toContain('clinician');
      expect(new Set(turns.map((turn) => turn.speaker))).toContain('patient');
      turns.forEach((turn, i) => {
        expect(turn.end).toBeGreaterThanOrEqual(turn.start);
        if (i > 0) expect(turn.start).toBeGreaterThanOrEqual(turns[i - 1]!.end);
      });
    }
    // Some ambient documents have no recording (audio_not_available_for_document).
    expect(recordings.length).toBeGreaterThan(0);
    expect(recordings.length).toBeLessThan(transcripts.length);
    for (const row of recordings) expect(storage.objects.get(row.object_key)?.length).toBe(row.byte_size);

    // Encounter 0 is a complete, listable ambient visit: the first thing a partner can fetch.
    const first = encounters.find((row) =>
      documents.some((doc) => doc.encounter_id === row.id && doc.schema_type === 'intake_form'),
    )!;
    expect(first).toMatchObject({ encounter_type: 'ambient', status: 'completed', origin: 'clinical', available: 1 });
    const ambient = documents.find((doc) => doc.encounter_id === first.id && doc.schema_type === 'ambient_transcript')!;
    expect(transcripts.find((row) => row.document_id === ambient.id)?.finalized_at_ms).not.toBeNull();
    expect(recordings.find((row) => row.document_id === ambient.id)).toBeDefined();
  });

  it('rejects out-of-range options', async () => {
    const storage = memoryStorage();
    const deps = { db: stores[0]!.db, storage, keyring, keyEnvironment: 'test' as const };
    await expect(seedSandbox(deps, { seed: 1, encounters: 0 })).rejects.toThrow(
      'encounters must be an integer from 1 to 100000',
    );
    await expect(seedSandbox(deps, { seed: -1, encounters: 1 })).rejects.toThrow(
      'seed must be an integer from 0 to 4294967295',
    );
  });
});
