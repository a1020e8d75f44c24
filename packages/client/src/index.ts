/**
 * @charthero/client — a typed client for the ChartHero Public API v1.
 *
 *   const client = new ChartHeroClient({ apiKey: process.env.CHARTHERO_API_KEY!, baseUrl: 'https://…' });
 *   const { encounter } = await client.encounters.get('enc_…');
 */
export {
  ChartHeroClient,
  type ChartHeroClientOptions,
  DocumentsApi,
  EncountersApi,
  type RequestEvent,
  type RequestOptions,
  type ResponseEvent,
  type RetryEvent,
} from './client.js';
export {
  actionForStatus,
  ChartHeroError,
  type ChartHeroErrorInit,
  ChartHeroNetworkError,
  DEFAULT_RETRY_STATUSES,
  type ErrorAction,
  errorFromResponse,
  isAuthError,
  isChartHeroError,
  isForbiddenError,
  isNotFoundError,
  isRateLimitError,
  isReasonCode,
  isRetryable,
  isUnavailableError,
  isValidationError,
  OffsetCeilingError,
  REASON_CODES,
} from './errors.js';
export type { components, operations, paths } from './generated/openapi.js';
export {
  DEFAULT_SYNC_WINDOW_MS,
  type IterateQuery,
  MAX_LIMIT,
  MAX_OFFSET,
  type SyncParams,
  type SyncWindow,
} from './pagination.js';
export {
  type AttemptOutcome,
  backoffDelay,
  DEFAULT_RETRY_OPTIONS,
  decideRetry,
  NEVER_RETRIED_STATUSES,
  parseRetryAfter,
  type RetryDecision,
  type RetryOptions,
} from './retry.js';
export type {
  AmbientTranscriptDocument,
  ApiErrorBody,
  AudioUrlResponse,
  DateInput,
  DocumentDetail,
  DocumentSummary,
  Encounter,
  EncounterDetail,
  EncounterList,
  ErrorBodyOf,
  ErrorCategory,
  KnownReasonCode,
  ListEncountersQuery,
  NoteDocument,
  OperationId,
  OperationReasonCode,
  PathReasonCode,
  Patient,
  ReasonCode,
  ReasonCodeOf,
  SuccessBody,
  TranscriptResponse,
  TranscriptTurn,
} from './types.js';
export { VERSION } from './version.js';
export {
  DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
  TRANSCRIPT_READY_EVENT,
  type TranscriptReadyEvent,
  type VerifyWebhookOptions,
  verifyWebhook,
  WEBHOOK_API_VERSION,
  WEBHOOK_HEADERS,
  WEBHOOK_VERIFY_REASONS,
  type WebhookEvent,
  type WebhookHeaders,
  WebhookVerificationError,
  type WebhookVerifyReason,
} from './webhooks.js';
