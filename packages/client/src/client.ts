/**
 * ChartHeroClient: one method per public route, typed from the OpenAPI artifact, with the contract's retry
 * guidance built in (429/503 and network errors retried with backoff; 400/401/403/404/422 never).
 */
import { ChartHeroError, ChartHeroNetworkError, errorFromResponse } from './errors.js';
import { type IterateQuery, iterateEncounters, type ListPage, type SyncParams, syncEncounters } from './pagination.js';
import { type AttemptOutcome, decideRetry, parseRetryAfter, type RetryOptions, resolveRetryOptions } from './retry.js';
import type {
  AudioUrlResponse,
  DocumentDetail,
  Encounter,
  EncounterDetail,
  EncounterList,
  ListEncountersQuery,
  OperationId,
  SuccessBody,
  TranscriptResponse,
} from './types.js';
import { VERSION } from './version.js';

export interface RequestEvent {
  operationId: OperationId;
  url: string;
  /** 1-based. */
  attempt: number;
}

export interface ResponseEvent extends RequestEvent {
  status: number;
  requestId: string | null;
  durationMs: number;
}

export interface RetryEvent extends RequestEvent {
  /** What the attempt ended with. */
  error: ChartHeroError | ChartHeroNetworkError;
  /** How long the client waits before the next attempt (at least `Retry-After`). */
  delayMs: number;
  /** The server's `Retry-After`, in milliseconds, if it sent one. */
  retryAfterMs: number | null;
}

export interface ChartHeroClientOptions {
  /** A `ch_sk_live_…` or `ch_sk_test_…` key. Sent as `Authorization: Bearer …`, never logged by the client. */
  apiKey: string;
  /** The API origin, e.g. `https://api.charthero.example` (a path prefix is kept; `/external/v1/…` is appended). */
  baseUrl: string;
  /** Retry policy for every call (see `RetryOptions`), or `false` for a single attempt. */
  retry?: Partial<RetryOptions> | false;
  /** Milliseconds one attempt may take, body included, before it counts as a (retryable) timeout. Default 30 000; 0 = none. */
  timeoutMs?: number;
  /** A `fetch` implementation. Default: the global `fetch` of Node 20+. */
  fetch?: typeof globalThis.fetch;
  /** Sent as `User-Agent`. */
  userAgent?: string;
  /** Called before each attempt. */
  onRequest?: (event: RequestEvent) => void;
  /** Called after each attempt that got an HTTP answer. */
  onResponse?: (event: ResponseEvent) => void;
  /** Called before each retry wait. */
  onRetry?: (event: RetryEvent) => void;
}

export interface RequestOptions {
  /** Cancels the call, including a retry wait. The call rejects with `signal.reason` (an `AbortError` by default). */
  signal?: AbortSignal;
  /** Sent as `X-Request-Id` (1–128 of `[A-Za-z0-9._-]`); the server echoes it and logs it. */
  requestId?: string;
  /** Overrides the client's retry policy for this call; `false` for a single attempt. */
  retry?: Partial<RetryOptions> | false;
  /** Overrides the client's per-attempt timeout for this call. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const API_PREFIX = '/external/v1';
const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

type QueryValue = string | number | boolean | Date | null | undefined;

function pathId(value: string, name: string): string {
  if (typeof value !== 'string' || value === '') throw new TypeError(`${name} must be a non-empty string`);
  return encodeURIComponent(value);
}

function queryString(query: Record<string, QueryValue> | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    params.append(key, value instanceof Date ? value.toISOString() : String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

export class ChartHeroClient {
  readonly baseUrl: string;
  /** `list`, `get`, `iterate` and `sync` over encounters. */
  readonly encounters: EncountersApi;
  /** `get`, `getTranscript` and `getAudioUrl` of an encounter's documents. */
  readonly documents: DocumentsApi;

  readonly #apiKey: string;
  readonly #fetch: typeof globalThis.fetch;
  readonly #retry: Partial<RetryOptions> | false | undefined;
  readonly #timeoutMs: number;
  readonly #userAgent: string;
  readonly #hooks: Pick<ChartHeroClientOptions, 'onRequest' | 'onResponse' | 'onRetry'>;

  constructor(options: ChartHeroClientOptions) {
    if (typeof options?.apiKey !== 'string' || options.apiKey.trim() === '') {
      throw new TypeError('ChartHeroClient: apiKey is required');
    }
    if (!/^[\x21-\x7e]+$/.test(options.apiKey)) {
      throw new TypeError('ChartHeroClient: apiKey contains whitespace or characters a header cannot carry');
    }
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch {
      throw new TypeError(`ChartHeroClient: baseUrl is not a URL: ${String(options.baseUrl)}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError('ChartHeroClient: baseUrl must be an http(s) URL');
    }
    if (url.search !== '' || url.hash !== '') throw new TypeError('ChartHeroClient: baseUrl must not have a query');
    this.baseUrl = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
    this.#apiKey = options.apiKey;
    const fetchImpl = options.fetch ?? globalThis.fetch;
    if (typeof fetchImpl !== 'function') throw new TypeError('ChartHeroClient: no fetch implementation (Node 20+)');
    this.#fetch = fetchImpl;
    resolveRetryOptions(options.retry); // validates early
    this.#retry = options.retry;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#userAgent = options.userAgent ?? `charthero-client-js/${VERSION}`;
    this.#hooks = { onRequest: options.onRequest, onResponse: options.onResponse, onRetry: options.onRetry };
    this.encounters = new EncountersApi(this);
    this.documents = new DocumentsApi(this);
  }

  /** Never print the key. */
  toJSON() {
    return { baseUrl: this.baseUrl };
  }

  /**
   * Sends one GET with retries. Used by the route methods; exposed for routes a newer server adds before the SDK
   * knows them. `path` is appended to `baseUrl` and must start with `/external/v1/`.
   */
  async request<Op extends OperationId>(
    operationId: Op,
    path: string,
    query?: Record<string, QueryValue>,
    options: RequestOptions = {},
  ): Promise<SuccessBody<Op>> {
    const url = `${this.baseUrl}${path}${queryString(query)}`;
    const retry = resolveRetryOptions(this.#retry, options.retry);
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    const { signal } = options;
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.#apiKey}`,
      accept: 'application/json',
      'user-agent': this.#userAgent,
    };
    if (options.requestId !== undefined) {
      if (!REQUEST_ID.test(options.requestId)) throw new TypeError('requestId must be 1–128 of [A-Za-z0-9._-]');
      headers['x-request-id'] = options.requestId;
    }
    const started = retry.now();

    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      const event = { operationId, url, attempt };
      this.#hooks.onRequest?.(event);
      const attemptStarted = retry.now();
      let failure: ChartHeroError | ChartHeroNetworkError;
      let outcome: AttemptOutcome;
      const answer = await this.#attempt(url, headers, timeoutMs, signal);
      if ('response' in answer) {
        const { response, text } = answer;
        const requestId = response.headers.get('x-request-id');
        const durationMs = retry.now() - attemptStarted;
        this.#hooks.onResponse?.({ ...event, status: response.status, requestId, durationMs });
        if (response.ok) return parseSuccess<Op>(text, response.status, requestId, operationId, attempt);
        const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), Date.now());
        failure = errorFromResponse({ status: response.status, text, requestId, retryAfterMs, operationId, attempt });
        outcome = { kind: 'status', status: response.status, retryAfterMs };
      } else {
        const message = answer.timedOut
          ? `${operationId}: no answer within ${timeoutMs} ms (attempt ${attempt})`
          : `${operationId}: request failed before an HTTP answer (attempt ${attempt}): ${describe(answer.cause)}`;
        const kind = answer.timedOut ? 'timeout' : 'network';
        failure = new ChartHeroNetworkError(message, { kind, cause: answer.cause, operationId, attempt });
        outcome = { kind };
      }

      const decision = decideRetry({ attempt, elapsedMs: retry.now() - started, outcome }, retry);
      if (!decision.retry) throw failure;
      this.#hooks.onRetry?.({
        ...event,
        error: failure,
        delayMs: decision.delayMs,
        retryAfterMs: outcome.kind === 'status' ? outcome.retryAfterMs : null,
      });
      await retry.sleep(decision.delayMs, signal);
    }
  }

  /** One fetch, body included, under the caller's signal and the per-attempt timeout. */
  async #attempt(
    url: string,
    headers: Record<string, string>,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<{ response: Response; text: string } | { cause: unknown; timedOut: boolean }> {
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    let timedOut = false;
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            controller.abort(new Error(`timed out after ${timeoutMs} ms`));
          }, timeoutMs)
        : undefined;
    try {
      const response = await this.#fetch(url, { method: 'GET', headers, signal: controller.signal });
      const text = await response.text();
      return { response, text };
    } catch (cause) {
      if (signal?.aborted) throw signal.reason;
      return { cause, timedOut };
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }
}

function describe(cause: unknown): string {
  if (cause instanceof Error) {
    const inner = cause.cause instanceof Error ? ` (${cause.cause.message})` : '';
    return `${cause.message}${inner}`;
  }
  return String(cause);
}

function parseSuccess<Op extends OperationId>(
  text: string,
  status: number,
  requestId: string | null,
  operationId: Op,
  attempt: number,
): SuccessBody<Op> {
  try {
    return JSON.parse(text) as SuccessBody<Op>;
  } catch {
    throw new ChartHeroError({
      status,
      error: 'public_api_error',
      reasonCode: 'internal_error',
      message: `Unexpected response from the ChartHero API: HTTP ${status} with a body that is not JSON.`,
      field: null,
      requestId,
      operationId,
      attempt,
      contractBody: false,
      serverReasonCode: null,
      responseText: text.slice(0, 1000),
    });
  }
}

export class EncountersApi {
  readonly #client: ChartHeroClient;
  readonly #list: ListPage<RequestOptions>;

  constructor(client: ChartHeroClient) {
    this.#client = client;
    this.#list = (query, options) => this.list(query, options);
  }

  /** `GET /external/v1/encounters` (list_encounters): one page. */
  list(query: ListEncountersQuery = {}, options?: RequestOptions): Promise<EncounterList> {
    return this.#client.request('list_encounters', `${API_PREFIX}/encounters`, { ...query }, options);
  }

  /** `GET /external/v1/encounters/{encounter_id}` (get_encounter). */
  get(encounterId: string, options?: RequestOptions): Promise<EncounterDetail> {
    return this.#client.request(
      'get_encounter',
      `${API_PREFIX}/encounters/${pathId(encounterId, 'encounterId')}`,
      undefined,
      options,
    );
  }

  /**
   * Every encounter matching the filters, page by page (100 per page unless `limit` says otherwise). Throws
   * `OffsetCeilingError` after the last reachable page when more match than the 10 000 offset ceiling allows:
   * narrow `start_at`/`end_at`, or use `sync()`.
   */
  iterate(query: IterateQuery = {}, options: RequestOptions = {}): AsyncGenerator<Encounter, void, undefined> {
    return iterateEncounters(this.#list, query, options);
  }

  /**
   * Every encounter created in [from, to), oldest first, each exactly once, window by window, without ever reaching
   * the offset ceiling. With no bounds it syncs everything that exists when it starts.
   */
  sync(params: SyncParams = {}, options: RequestOptions = {}): AsyncGenerator<Encounter, void, undefined> {
    return syncEncounters(this.#list, params, options);
  }
}

export class DocumentsApi {
  readonly #client: ChartHeroClient;

  constructor(client: ChartHeroClient) {
    this.#client = client;
  }

  #path(encounterId: string, documentId: string, suffix = '') {
    return `${API_PREFIX}/encounters/${pathId(encounterId, 'encounterId')}/documents/${pathId(documentId, 'documentId')}${suffix}`;
  }

  /** `GET …/documents/{document_id}` (get_document): a note with its content, or an ambient transcript's metadata. */
  get(encounterId: string, documentId: string, options?: RequestOptions): Promise<DocumentDetail> {
    return this.#client.request('get_document', this.#path(encounterId, documentId), undefined, options);
  }

  /** `GET …/documents/{document_id}/transcript` (get_transcript): the finalized transcript's turns. */
  getTranscript(encounterId: string, documentId: string, options?: RequestOptions): Promise<TranscriptResponse> {
    return this.#client.request(
      'get_transcript',
      this.#path(encounterId, documentId, '/transcript'),
      undefined,
      options,
    );
  }

  /** `GET …/documents/{document_id}/audio` (get_audio_url): a short-lived URL for the recording. */
  getAudioUrl(encounterId: string, documentId: string, options?: RequestOptions): Promise<AudioUrlResponse> {
    return this.#client.request('get_audio_url', this.#path(encounterId, documentId, '/audio'), undefined, options);
  }
}
