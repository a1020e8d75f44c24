import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseKey } from '../../src/access/key-format.js';
import { type CliSandbox, cliSandbox, ensureBuilt } from './cli.js';

let first: CliSandbox;
let second: CliSandbox;

interface SeedOutput {
  organization_id: string;
  key: { id: string; secret: string };
  encounters: number;
}

/** Every clinical row, in id order: what "the same clinical data" means. */
async function clinicalDump(cli: CliSandbox) {
  return cli.withDb(async (db) => ({
    organizations: await db.selectFrom('organizations').select(['id', 'name']).orderBy('id').execute(),
    patients: await db.selectFrom('patients').selectAll().orderBy('id').execute(),
    encounters: await db.selectFrom('encounters').selectAll().orderBy('id').execute(),
    documents: await db.selectFrom('documents').selectAll().orderBy('id').execute(),
    transcripts: await db.selectFrom('transcripts').selectAll().orderBy('document_id').execute(),
    recordings: await db.selectFrom('recordings').selectAll().orderBy('document_id').execute(),
  }));
}

beforeAll(async () => {
  ensureBuilt();
  [first, second] = await Promise.all([cliSandbox(), cliSandbox()]);
});
afterAll(async () => {
  await first?.close();
  await second?.close();
});

describe('charthero seed', () => {
  it('prints exactly the organization, the key and the encounter count with --json', async () => {
    const output = first.json<SeedOutput>(['seed']);
    expect(Object.keys(output)).toEqual(['organization_id', 'key', 'encounters']);
    expect(output).toEqual({
      organization_id: 'org_sandbox',
      key: { id: expect.stringMatching(/^key_/), secret: expect.stringMatching(/^ch_sk_test_[0-9A-Za-z]{38}$/) },
      encounters: 60,
    });
    expect(parseKey(output.key.secret)).not.toBeNull();
    const [org, key] = await first.withDb((db) =>
      Promise.all([
        db.selectFrom('organizations').selectAll().where('id', '=', 'org_sandbox').executeTakeFirstOrThrow(),
        db.selectFrom('api_keys').selectAll().where('id', '=', output.key.id).executeTakeFirstOrThrow(),
      ]),
    );
    expect(org).toMatchObject({
      allowlisted: 1,
      api_keys_enabled: 1,
      enabled_routes: 'list_encounters,get_encounter,get_document,get_transcript,get_audio_url',
    });
    expect(key).toMatchObject({
      organization_id: 'org_sandbox',
      environment: 'test',
      status: 'active',
      scopes: 'encounters:read patients:read documents:read recordings:read',
    });
  });

  it('stores every recording as a playable WAV in audio storage', async () => {
    const recordings = await first.withDb((db) => db.selectFrom('recordings').selectAll().execute());
    expect(recordings.length).toBeGreaterThan(5);
    for (const recording of recordings) {
      expect(recording.object_key).toMatch(/^org_sandbox\/doc_[0-9A-Za-z]{16}-[0-9a-f]{16}\.wav$/);
      expect(recording.content_type).toBe('audio/wav');
      const bytes = readFileSync(join(first.dir, 'audio', recording.object_key));
      expect(bytes.length).toBe(recording.byte_size);
      expect(bytes.subarray(0, 4).toString('ascii')).toBe('RIFF');
      expect(bytes.subarray(8, 12).toString('ascii')).toBe('WAVE');
    }
  });

  it('is deterministic: the same seed gives the same clinical data and audio, only the key differs', async () => {
    const again = second.json<SeedOutput>(['seed', '--seed', '1']);
    expect(again.organization_id).toBe('org_sandbox');
    const [a, b] = await Promise.all([clinicalDump(first), clinicalDump(second)]);
    expect(b).toEqual(a);
    for (const recording of a.recordings) {
      expect(readFileSync(join(second.dir, 'audio', recording.object_key))).toEqual(
        readFileSync(join(first.dir, 'audio', recording.object_key)),
      );
    }
    const keys = await second.withDb((db) => db.selectFrom('api_keys').select('id').execute());
    expect(keys.map((key) => key.id)).not.toContain(
      (await first.withDb((db) => db.selectFrom('api_keys').select('id').executeTakeFirstOrThrow())).id,
    );
  });

  it('seeding again upserts the same rows and issues another key', async () => {
    const before = await clinicalDump(first);
    const plain = first.run(['seed']);
    expect(plain.code).toBe(0);
    expect(plain.stderr).toBe('');
    const lines = plain.stdout.split('\n');
    expect(lines[0]).toBe('seeded org_sandbox with 60 encounters (seed 1)');
    expect(lines[1]).toMatch(/^key key_\S+, secret \(shown once, store it now\): ch_sk_test_[0-9A-Za-z]{38}$/);
    expect(await clinicalDump(first)).toEqual(before);
    const keys = await first.withDb((db) => db.selectFrom('api_keys').select('id').execute());
    expect(keys).toHaveLength(2);
  });

  it('scales with --encounters and separates seeds by organization', async () => {
    const output = first.json<SeedOutput>(['seed', '--seed', '7', '--encounters', '5']);
    expect(output).toMatchObject({ organization_id: 'org_sandbox_7', encounters: 5 });
    const count = await first.withDb((db) =>
      db
        .selectFrom('encounters')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('organization_id', '=', 'org_sandbox_7')
        .executeTakeFirstOrThrow(),
    );
    expect(Number(count.n)).toBe(5);
  });

  describe('errors', () => {
    const cases: [string[], Record<string, string>, string][] = [
      [['seed', '--encounters', '0'], {}, '--encounters must be an integer from 1 to 100000 (got "0")'],
      [['seed', '--encounters', '12x'], {}, '--encounters must be an integer from 1 to 100000 (got "12x")'],
      [['seed', '--seed', '-1'], {}, '--seed must be an integer from 0 to 4294967295 (got "-1")'],
      [['seed'], { CHARTHERO_ENVIRONMENT: 'production' }, 'seed is only available in the sandbox environment'],
    ];
    for (const [args, env, message] of cases) {
      it(message, () => {
        for (const variant of [args, [...args, '--json']]) {
          const result = first.run(variant, env);
          expect(result.code).toBe(1);
          expect(result.stdout).toBe('');
          expect(result.stderr).toBe(`charthero: ${message}\n`);
        }
      });
    }
  });
});
