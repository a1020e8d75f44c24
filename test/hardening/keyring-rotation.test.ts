/**
 * Keyring rotation (CONTRACT.md sections 3.2 and 10): new keys use the newest version, keys and media URLs made
 * with an older version keep verifying, on a running server, without a restart.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { rotateKeyringFile } from '../../src/access/digest-keyring.js';
import { issueKey } from '../../src/access/issue-key.js';
import { loadKeyring } from '../../src/access/keyring-source.js';
import { SCOPES } from '../../src/contract/routes.js';
import { type Harness, startHarness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

const AUDIO = '/external/v1/encounters/enc_a1/documents/doc_amb/audio';
const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

it('keeps old keys and URLs valid after a rotation, and signs new ones with the new version', async () => {
  const oldKey = h.fixture.keys.full.secret;
  const oldUrl = (await h.get(AUDIO, bearer(oldKey))).json().audio_url as string;
  expect(new URL(oldUrl).searchParams.get('v')).toBe('1');

  rotateKeyringFile(h.config.digestKeysFile);
  const keyring = loadKeyring(h.config);
  expect(keyring.entries.map((entry) => entry.version)).toEqual([2, 1]);
  const issued = await issueKey(h.runtime.store.db, keyring, {
    environment: 'test',
    organizationId: 'org_alpha',
    scopes: SCOPES,
    name: 'after rotation',
    expiresAtMs: null,
    rateLimitPerSecond: null,
  });
  expect(issued.row.digest_key_version).toBe(2);

  // The running server re-reads the keyring file at most once a second.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const withOld = await h.get('/external/v1/encounters/enc_a1', bearer(oldKey));
  expect(withOld.statusCode).toBe(200);
  const withNew = await h.get(AUDIO, bearer(issued.secret));
  expect(withNew.statusCode).toBe(200);
  const newUrl = withNew.json().audio_url as string;
  expect(new URL(newUrl).searchParams.get('v')).toBe('2');

  for (const url of [oldUrl, newUrl]) {
    const media = await h.runtime.app.inject({ method: 'GET', url: new URL(url).pathname + new URL(url).search });
    expect(media.statusCode).toBe(200);
    expect(media.rawPayload.equals(h.fixture.audio)).toBe(true);
  }
});
