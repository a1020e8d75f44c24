/** GET /external/v1/encounters/{encounter_id} → 200 `{"encounter": Encounter}` (CONTRACT.md section 6.1). */
import { describe, it } from 'vitest';
import { expectOk } from '../../support/expect-error.js';
import { ENCOUNTERS } from '../../support/expected.js';
import { auth, type KeyName, pathOf, send } from '../../support/requests.js';
import { useHarness } from '../../support/use-harness.js';

describe('get_encounter → 200', () => {
  const h = useHarness();

  it.each([
    ['enc_a1: only its supported, available documents, oldest first', 'enc_a1', 'full'],
    [
      'enc_a2: millisecond timestamps, a patient without name or birth date, a document without title',
      'enc_a2',
      'full',
    ],
    ['enc_a3: no documents', 'enc_a3', 'full'],
    ['enc_a4_tie', 'enc_a4_tie', 'full'],
    ['enc_a5_tie', 'enc_a5_tie', 'full'],
    ['enc_a6: in progress, no date of service', 'enc_a6', 'full'],
    ["enc_b1 for org_beta's own key", 'enc_b1', 'beta'],
  ] as const)('%s', async (_name, id, key: KeyName) => {
    expectOk(await h.get(pathOf('get_encounter', id), auth(h, key)), { encounter: ENCOUNTERS[id] });
  });

  it('an empty query string is no query', async () => {
    expectOk(await h.get(`${pathOf('get_encounter', 'enc_a3')}?`, auth(h)), { encounter: ENCOUNTERS.enc_a3 });
  });

  it('HEAD: the same status and headers, no body', async () => {
    expectOk(
      await send(h, 'HEAD', pathOf('get_encounter', 'enc_a1'), auth(h)),
      { encounter: ENCOUNTERS.enc_a1 },
      {
        head: true,
      },
    );
  });
});
