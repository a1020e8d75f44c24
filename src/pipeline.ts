/**
 * One public request, start to finish: the order of checks of docs/order-of-checks.md, in one place.
 * Step 1 (route and method) is the HTTP layer's router; every later step is a plain function that throws a
 * PublicError on the first failure. Nothing here knows about Fastify.
 */
import type { Kysely } from 'kysely';
import type { AccessDirectory } from './access/access-directory.js';
import {
  requireDeploymentKeysEnabled,
  requireKeyOrganization,
  requireKnownKey,
  requireUsableKey,
  requireWellFormedToken,
} from './access/authenticate.js';
import { requireRouteAccess } from './access/authorize.js';
import { bearerToken } from './access/bearer.js';
import type { KeyState, OrganizationState } from './access/key-state.js';
import type { KeyringSource } from './access/keyring-source.js';
import type { Config } from './config.js';
import type { PublicRoute, RouteId } from './contract/routes.js';
import {
  type AuthFailureThrottle,
  countAuthFailure,
  requireAuthFailureBudget,
} from './limits/auth-failure-throttle.js';
import { bucketsFor, requireWithinRateLimit } from './limits/enforce.js';
import type { RateDecision, RateLimiter } from './limits/rate-limiter.js';
import type { AudioStorage } from './media/storage.js';
import { parseRouteQuery } from './query/list-query.js';
import { getAudioUrl } from './resources/audio.js';
import type { ResourceRequest, ResourceResult } from './resources/context.js';
import { getDocument } from './resources/documents.js';
import { getEncounter, listEncounters } from './resources/encounters.js';
import { getTranscript } from './resources/transcripts.js';
import type { Database } from './store/schema.js';

/** What steps 2–10 need: everything about the key and its organization, nothing about the resources. */
export interface AuthenticationDeps {
  config: Config;
  keyring: KeyringSource;
  directory: AccessDirectory;
  rateLimiter: RateLimiter;
  authFailures: AuthFailureThrottle;
  now: () => number;
}

export interface PipelineDeps extends AuthenticationDeps {
  db: Kysely<Database>;
  storage: AudioStorage;
}

/** Who is asking: what steps 2–10 read from the request. */
export interface Credentials {
  /** Every `Authorization` header value, as sent. */
  authorization: readonly string[];
  /** The client address (the socket's, or the one trusted proxies report): the failed-authentication budget's. */
  clientAddress: string;
}

export interface PublicRequest extends Credentials {
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

/**
 * Steps 2–10: from the `Authorization` header values to the organization the request acts for. Throws the first
 * failure's PublicError. The pipeline and bench/micro-auth.ts both run exactly this.
 */
export async function authenticate(
  deps: AuthenticationDeps,
  route: PublicRoute,
  credentials: Credentials,
  trace: Pick<RequestTrace, 'keyId' | 'organizationId' | 'rateLimit'>,
): Promise<OrganizationState> {
  const token = bearerToken(credentials.authorization); // 2. bearer
  requireDeploymentKeysEnabled(deps.config); // 3. deployment kill switch
  requireWellFormedToken(token, deps.config); // 4–5. test prefix, then format and checksum
  const now = deps.now();
  requireAuthFailureBudget(deps.authFailures, credentials.clientAddress, now); // 5a. failed-authentication throttle
  const keyring = deps.keyring.get(); // 6. digest keyring
  let key: KeyState;
  try {
    key = await requireKnownKey(deps.directory, token, keyring); // 7. lookup,
    // The audit names the key and its organization even when the key's state or the organization refuses it.
    trace.keyId = key.id;
    trace.organizationId = key.organizationId;
    requireUsableKey(key, now); // then revoked, disabled, expired
  } catch (error) {
    countAuthFailure(deps.authFailures, credentials.clientAddress, error, now);
    throw error;
  }
  deps.directory.markUsed(key.id, now);
  const keyOrg = await requireKeyOrganization(deps.directory, key); // 8. organization's API-key switch
  trace.rateLimit = await deps.rateLimiter.consume(bucketsFor(key, keyOrg, deps.config), now); // 9. rate limit
  requireWithinRateLimit(trace.rateLimit);
  return requireRouteAccess(route, key, keyOrg); // 10. org scope, allowlist, route, scopes
}

export async function handlePublicRequest(
  deps: PipelineDeps,
  route: PublicRoute,
  request: PublicRequest,
  trace: RequestTrace,
): Promise<unknown> {
  const organization = await authenticate(deps, route, request, trace); // 2–10. key and access
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
