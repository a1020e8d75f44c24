/**
 * One public request, start to finish: the order of checks of docs/order-of-checks.md, in one place.
 * Step 1 (route and method) is the HTTP layer's router; every later step is a plain function that throws a
 * PublicError on the first failure. Nothing here knows about Fastify.
 */
import type { Kysely } from 'kysely';
import type { AccessDirectory } from './access/access-directory.js';
import {
  checkDeploymentSwitch,
  checkKeyState,
  checkTokenFormat,
  keyOrganization,
  knownKey,
} from './access/authenticate.js';
import { authorizeRoute } from './access/authorize.js';
import { bearerToken } from './access/bearer.js';
import type { KeyringSource } from './access/keyring-source.js';
import type { Config } from './config.js';
import type { PublicRoute, RouteId } from './contract/routes.js';
import { bucketsFor, refuseWhenLimited } from './limits/enforce.js';
import type { RateDecision, RateLimiter } from './limits/rate-limiter.js';
import type { AudioStorage } from './media/storage.js';
import { parseRouteQuery } from './query/list-query.js';
import { getAudioUrl } from './resources/audio.js';
import type { ResourceRequest, ResourceResult } from './resources/context.js';
import { getDocument } from './resources/documents.js';
import { getEncounter, listEncounters } from './resources/encounters.js';
import { getTranscript } from './resources/transcripts.js';
import type { Database } from './store/schema.js';

export interface PipelineDeps {
  config: Config;
  keyring: KeyringSource;
  directory: AccessDirectory;
  rateLimiter: RateLimiter;
  db: Kysely<Database>;
  storage: AudioStorage;
  now: () => number;
}

export interface PublicRequest {
  /** Every `Authorization` header value, as sent. */
  authorization: readonly string[];
  /** The URL's query string without the leading `?`. */
  rawQuery: string;
  params: Record<string, string>;
}

/** What the request revealed on its way, for response headers and the audit ledger (filled even on failure). */
export interface RequestTrace {
  keyId: string | null;
  organizationId: string | null;
  rateLimit: RateDecision | null;
  resourceIds: string[];
  audioUrlIssuedFor: string | null;
}

export function emptyTrace(): RequestTrace {
  return { keyId: null, organizationId: null, rateLimit: null, resourceIds: [], audioUrlIssuedFor: null };
}

const RESOURCES: Record<RouteId, (request: ResourceRequest) => Promise<ResourceResult>> = {
  list_encounters: listEncounters,
  get_encounter: getEncounter,
  get_document: getDocument,
  get_transcript: getTranscript,
  get_audio_url: getAudioUrl,
};

export async function handlePublicRequest(
  deps: PipelineDeps,
  route: PublicRoute,
  request: PublicRequest,
  trace: RequestTrace,
): Promise<unknown> {
  const token = bearerToken(request.authorization); // 2. bearer
  checkDeploymentSwitch(deps.config); // 3. deployment kill switch
  checkTokenFormat(token, deps.config); // 4–5. test prefix, then format and checksum
  const keyring = deps.keyring.get(); // 6. digest keyring
  const now = deps.now();
  const key = await knownKey(deps.directory, token, keyring); // 7. lookup,
  // The audit names the key and its organization even when the key's state or the organization refuses it.
  trace.keyId = key.id;
  trace.organizationId = key.organizationId;
  checkKeyState(key, now); // then revoked, disabled, expired
  deps.directory.markUsed(key.id, now);
  const keyOrg = await keyOrganization(deps.directory, key); // 8. organization's API-key switch
  trace.rateLimit = await deps.rateLimiter.consume(bucketsFor(key, keyOrg, deps.config), now); // 9. rate limit
  refuseWhenLimited(trace.rateLimit);
  const organization = authorizeRoute(route, key, keyOrg); // 10. org scope, allowlist, route, scopes
  const query = parseRouteQuery(route, request.rawQuery); // 11. query
  const result = await RESOURCES[route.id]({
    // 12. resources
    db: deps.db,
    storage: deps.storage,
    config: deps.config,
    organizationId: organization.id,
    params: request.params,
    query,
  });
  trace.resourceIds = result.resourceIds;
  trace.audioUrlIssuedFor = result.audioUrlIssuedFor ?? null;
  return result.body;
}
