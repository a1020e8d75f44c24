/** The real server on a real socket, over the root test harness (fixture data and keys in every state). */
import type { AddressInfo } from 'node:net';
import { issueKey } from '../../../../src/access/issue-key.js';
import { loadKeyring } from '../../../../src/access/keyring-source.js';
import { SCOPES } from '../../../../src/contract/routes.js';
import { type Harness, type HarnessOptions, startHarness } from '../../../../test/support/harness.js';

export interface LiveServer {
  h: Harness;
  baseUrl: string;
  /** A new org_alpha key with every scope; `rateLimitPerSecond` null = deployment default, 0 = unlimited. */
  issue(options?: { organizationId?: string; rateLimitPerSecond?: number | null }): Promise<string>;
  close(): Promise<void>;
}

export async function startLiveServer(options: HarnessOptions = {}): Promise<LiveServer> {
  const h = await startHarness(options);
  await h.runtime.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = h.runtime.app.server.address() as AddressInfo;
  return {
    h,
    baseUrl: `http://127.0.0.1:${port}`,
    async issue({ organizationId = 'org_alpha', rateLimitPerSecond = null } = {}) {
      const issued = await issueKey(h.runtime.store.db, loadKeyring(h.config), {
        environment: h.config.keyEnvironment,
        organizationId,
        scopes: SCOPES,
        name: 'client-e2e',
        expiresAtMs: null,
        rateLimitPerSecond,
      });
      return issued.secret;
    },
    close: () => h.close(),
  };
}
