/**
 * appendChainRecords (src/store/audit-ledger.ts): the ledger writer no longer reads its chain head before a write,
 * so the unique (chain, seq) index alone keeps a chain from forking. A second writer that believes in a stale head
 * — here, rows at seq positions already taken — is refused whole, and the stored chain is unchanged.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type AuditFields, chainRecords, EMPTY_HEAD } from '../../../src/audit/chain.js';
import { appendChainRecords } from '../../../src/store/audit-ledger.js';
import { useMigratedStore } from '../../support/database.js';

function fields(n: number): AuditFields {
  return {
    at_ms: 1_700_000_000_000 + n,
    event: 'request',
    request_id: `req_${n}`,
    key_id: null,
    organization_id: null,
    route_id: 'get_encounter',
    method: 'GET',
    status: 200,
    reason_code: null,
    resource_ids: '[]',
    client_ip: '203.0.113.7',
    user_agent: null,
    latency_ms: 1,
    count: 1,
  };
}

describe('appendChainRecords', () => {
  const scratch = useMigratedStore('charthero-audit-append-');

  const storedChain = () =>
    scratch.store.db
      .selectFrom('audit_events')
      .select(['seq', 'hash'])
      .where('chain_id', '=', 'chn_fork')
      .orderBy('seq')
      .execute();

  it.each([
    ['one statement', 3],
    ['a transaction of several statements', 120],
  ])('refuses rows at taken positions, all of them (%s), and leaves the chain as it was', async (_how, size) => {
    const key = randomBytes(32);
    await scratch.store.db.deleteFrom('audit_events').where('chain_id', '=', 'chn_fork').execute();
    const first = chainRecords('chn_fork', EMPTY_HEAD, 1, key, [fields(1), fields(2)]);
    await appendChainRecords(scratch.store.db, first);
    const before = await storedChain();
    // A writer with a stale head (empty): its rows reuse seq 1 and 2, then go on past the real head.
    const forked = chainRecords(
      'chn_fork',
      EMPTY_HEAD,
      1,
      key,
      Array.from({ length: size }, (_, i) => fields(100 + i)),
    );
    await expect(appendChainRecords(scratch.store.db, forked)).rejects.toThrow();
    expect(await storedChain()).toEqual(before);
  });
});
