/**
 * The digest keyring on a running server (CONTRACT.md sections 3.2 and 10): removing a version from the file stops
 * the keys and media URLs made with it at the next keyring reload (at most a second), even for keys the server has
 * just served from its cache; and at production a keyring file readable by others, or by the group, is refused.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { rotateKeyringFile } from '../../src/access/digest-keyring.js';
import { expectError } from '../support/expect-error.js';
import { addKey } from '../support/fixture.js';
import { sleep } from '../support/requests.js';
import { useHarness } from '../support/use-harness.js';

const ENCOUNTER = '/external/v1/encounters/enc_a1';
const AUDIO = `${ENCOUNTER}/documents/doc_amb/audio`;
const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });
const RELOAD_MS = 1100;

describe('removing a keyring version', () => {
  const h = useHarness();

  it('stops the keys and media URLs made with it, cached or not; the others keep working', async () => {
    const oldKey = h.fixture.keys.full.secret;
    const oldUrl = new URL((await h.get(AUDIO, bearer(oldKey))).json().audio_url as string);
    expect(oldUrl.searchParams.get('v')).toBe('1');

    rotateKeyringFile(h.config.digestKeysFile);
    await sleep(RELOAD_MS);
    const newKey = await addKey(h.runtime, h.config);
    // Both are served, and the old key is now in the server's cache.
    for (const secret of [oldKey, newKey.secret, oldKey]) {
      expect((await h.get(ENCOUNTER, bearer(secret))).statusCode).toBe(200);
    }

    const file = JSON.parse(readFileSync(h.config.digestKeysFile, 'utf8')) as { keys: { version: number }[] };
    writeFileSync(h.config.digestKeysFile, JSON.stringify({ keys: file.keys.filter((entry) => entry.version !== 1) }), {
      mode: 0o600,
    });
    await sleep(RELOAD_MS);

    expectError(await h.get(ENCOUNTER, bearer(oldKey)), { reason_code: 'invalid_key' });
    expectError(await h.get(AUDIO, bearer(oldKey)), { reason_code: 'invalid_key' });
    const media = await h.runtime.app.inject({ method: 'GET', url: oldUrl.pathname + oldUrl.search });
    expectError(media, { reason_code: 'media_url_invalid' });
    expect((await h.get(ENCOUNTER, bearer(newKey.secret))).statusCode).toBe(200);
  });
});

describe('at production, the keyring file must be private', () => {
  const h = useHarness({ env: { CHARTHERO_ENVIRONMENT: 'production' } });

  // Each permission bit on its own, so a check weakened to "group" or to "others" fails one of these.
  for (const mode of [0o604, 0o602, 0o601, 0o640, 0o620, 0o610]) {
    it(`refuses it with mode ${mode.toString(8)} (503 digest_key_unavailable), serves again after chmod 600`, async () => {
      const key = bearer(h.fixture.keys.full.secret);
      expect((await h.get(ENCOUNTER, key)).statusCode).toBe(200);
      chmodSync(h.config.digestKeysFile, mode);
      await sleep(RELOAD_MS);
      expectError(await h.get(ENCOUNTER, key), { reason_code: 'digest_key_unavailable' });
      chmodSync(h.config.digestKeysFile, 0o600);
      await sleep(RELOAD_MS);
      expect((await h.get(ENCOUNTER, key)).statusCode).toBe(200);
    });
  }
});
