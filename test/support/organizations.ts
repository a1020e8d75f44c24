/** Organizations a test adds next to the fixture's. */
import { ROUTE_IDS } from '../../src/contract/routes.js';
import { insertOrganization } from '../../src/store/organizations.js';

type Db = Parameters<typeof insertOrganization>[0];

/**
 * An allowlisted organization with API keys switched on and every route enabled, its id also its name, shared by all
 * its keys up to `rateLimitPerSecond` (0: no organization limit).
 */
export function insertOpenOrganization(db: Db, id: string, rateLimitPerSecond: number): Promise<void> {
  return insertOrganization(db, {
    id,
    name: id,
    allowlisted: 1,
    api_keys_enabled: 1,
    rate_limit_per_second: rateLimitPerSecond,
    enabled_routes: ROUTE_IDS.join(','),
    state_version: 1,
    created_at_ms: Date.now(),
  });
}
