/** The public route table: path, scopes, accepted query keys, response schema and every reason code per route. */
import type { TSchema } from '@sinclair/typebox';
import type { ReasonCode } from './reasons.js';
import { AudioUrlResponse, DocumentDetail, EncounterDetail, EncounterList, TranscriptResponse } from './schemas.js';

export const SCOPES = ['encounters:read', 'patients:read', 'documents:read', 'recordings:read'] as const;
export type Scope = (typeof SCOPES)[number];

const LIST_QUERY_KEYS = ['limit', 'offset', 'sort_order', 'start_at', 'end_at'] as const;
export type ListQueryKey = (typeof LIST_QUERY_KEYS)[number];

export type RouteId = 'list_encounters' | 'get_encounter' | 'get_document' | 'get_transcript' | 'get_audio_url';

export interface PublicRoute {
  id: RouteId;
  /** Fastify path syntax. */
  path: string;
  summary: string;
  scopes: readonly Scope[];
  queryKeys: readonly ListQueryKey[];
  response: TSchema;
  reasons: readonly ReasonCode[];
}

/** Codes any authenticated public route can produce (steps 2–11 of the order of checks, plus faults). */
const ACCESS_REASONS = [
  'missing_bearer',
  'api_keys_disabled',
  'test_prefix_not_allowed',
  'malformed_token',
  'invalid_key',
  'revoked_key',
  'disabled_key',
  'expired_key',
  'org_scope_only_required',
  'organization_not_allowlisted',
  'route_not_allowed',
  'missing_scope',
  'unsupported_filter',
  'rate_limited',
  'digest_key_unavailable',
  'datastore_unavailable',
  'internal_error',
] as const satisfies readonly ReasonCode[];

const ENCOUNTER_REASONS = [
  'encounter_not_found',
  'cross_organization_denied',
  'demo_training_denied',
] as const satisfies readonly ReasonCode[];

const DOCUMENT_REASONS = [
  ...ENCOUNTER_REASONS,
  'document_not_found',
  'unsupported_document_type',
] as const satisfies readonly ReasonCode[];

const BASE = '/external/v1';

export const PUBLIC_ROUTES: readonly PublicRoute[] = [
  {
    id: 'list_encounters',
    path: `${BASE}/encounters`,
    summary: "List the organization's encounters",
    scopes: ['encounters:read', 'patients:read', 'documents:read'],
    queryKeys: LIST_QUERY_KEYS,
    response: EncounterList,
    reasons: [...ACCESS_REASONS, 'invalid_limit', 'invalid_offset', 'invalid_sort', 'invalid_query'],
  },
  {
    id: 'get_encounter',
    path: `${BASE}/encounters/:encounter_id`,
    summary: 'Get one encounter',
    scopes: ['encounters:read', 'patients:read', 'documents:read'],
    queryKeys: [],
    response: EncounterDetail,
    reasons: [...ACCESS_REASONS, ...ENCOUNTER_REASONS],
  },
  {
    id: 'get_document',
    path: `${BASE}/encounters/:encounter_id/documents/:document_id`,
    summary: 'Get one clinical document',
    scopes: ['encounters:read', 'documents:read'],
    queryKeys: [],
    response: DocumentDetail,
    reasons: [...ACCESS_REASONS, ...DOCUMENT_REASONS],
  },
  {
    id: 'get_transcript',
    path: `${BASE}/encounters/:encounter_id/documents/:document_id/transcript`,
    summary: "Get an ambient transcript document's finalized transcript",
    scopes: ['encounters:read', 'documents:read'],
    queryKeys: [],
    response: TranscriptResponse,
    reasons: [...ACCESS_REASONS, ...DOCUMENT_REASONS, 'transcript_not_found'],
  },
  {
    id: 'get_audio_url',
    path: `${BASE}/encounters/:encounter_id/documents/:document_id/audio`,
    summary: "Get a short-lived URL for an ambient transcript document's audio",
    scopes: ['encounters:read', 'documents:read', 'recordings:read'],
    queryKeys: [],
    response: AudioUrlResponse,
    reasons: [
      ...ACCESS_REASONS,
      ...DOCUMENT_REASONS,
      'audio_not_available_for_document',
      'audio_not_found',
      'audio_storage_unavailable',
    ],
  },
];

export const ROUTE_IDS = PUBLIC_ROUTES.map((route) => route.id);

/** Where the OpenAPI document is served (docs/api.md). */
export const OPENAPI_PATH = '/openapi/v1/openapi.json';

/** The path prefix of signed media URLs served by the built-in file storage. */
export const MEDIA_PATH = '/media/v1';

export function routeById(id: RouteId): PublicRoute {
  const route = PUBLIC_ROUTES.find((candidate) => candidate.id === id);
  if (!route) throw new Error(`unknown route id ${id}`);
  return route;
}
