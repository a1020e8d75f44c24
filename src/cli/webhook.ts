/**
 * `charthero webhook …` (docs/webhooks.md): endpoints, secret rotation, the delivery log and replays.
 * A secret is printed once, at `add` and at `rotate-secret`, and is never stored or logged in plain text.
 */
import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import {
  DELIVERY_STATES,
  type DeliveryState,
  deleteWebhookEndpoint,
  type EndpointSummary,
  eventIdsDeliveredToEndpointSince,
  findDelivery,
  findWebhookEndpoint,
  insertDeliveries,
  insertWebhookEndpoint,
  listDeliveries,
  listWebhookEndpoints,
  replaceWebhookEndpointSecret,
  setWebhookEndpointStatus,
  type WebhookDeliveryRow,
  type WebhookEndpointRow,
} from '../store/webhooks.js';
import { formatOptionalTimestamp, formatTimestamp } from '../time.js';
import { checkEndpointUrl } from '../webhooks/endpoint-url.js';
import { newDeliveryId, newEndpointId } from '../webhooks/ids.js';
import { generateWebhookSecret, sealSecret } from '../webhooks/secrets.js';
import { parseInteger, parseTime } from './arguments.js';
import { CliError } from './cli-error.js';
import { cliConfig, cliKeyring, requireOrganization, withDatabase } from './context.js';
import { checkOrganizationFilter, organizationFilter } from './organization-filter.js';
import { columnsAsStored, type JsonOption, leaf, print, printList, shownOnce } from './output.js';

const DEFAULT_OVERLAP_HOURS = 24;
const MAX_OVERLAP_HOURS = 720;
const MAX_DESCRIPTION_LENGTH = 500;
const DEFAULT_DELIVERY_LIMIT = 50;

function endpointJson(row: EndpointSummary) {
  return {
    ...columnsAsStored(row, ['id', 'organization_id', 'url', 'description', 'status']),
    created_at: formatTimestamp(row.created_at_ms),
    previous_secret_valid_until: formatOptionalTimestamp(row.previous_secret_expires_at_ms),
    last_delivery: row.last_delivery && {
      state: row.last_delivery.state,
      status_code: row.last_delivery.status_code,
      error_class: row.last_delivery.error_class,
      at: formatTimestamp(row.last_delivery.at_ms),
    },
    consecutive_failures: row.consecutive_failures,
  };
}

function endpointLine(row: EndpointSummary): string {
  const last = row.last_delivery;
  return [
    row.id,
    row.status,
    `org=${row.organization_id}`,
    row.url,
    `last=${last ? `${last.state}(${last.status_code ?? last.error_class ?? '-'})@${formatTimestamp(last.at_ms)}` : 'never'}`,
    `consecutive_failures=${row.consecutive_failures}`,
    JSON.stringify(row.description),
  ].join('  ');
}

/** Only a pending delivery has a next attempt. */
function nextAttemptAt(row: WebhookDeliveryRow): string | null {
  return row.state === 'pending' ? formatTimestamp(row.next_attempt_at_ms) : null;
}

function deliveryJson(row: WebhookDeliveryRow) {
  return {
    ...columnsAsStored(row, ['id', 'event_id', 'endpoint_id']),
    status: row.state,
    ...columnsAsStored(row, ['attempts', 'last_status_code', 'last_error_class', 'last_latency_ms']),
    last_attempt_at: formatOptionalTimestamp(row.last_attempt_at_ms),
    next_attempt_at: nextAttemptAt(row),
    delivered_at: formatOptionalTimestamp(row.delivered_at_ms),
    created_at: formatTimestamp(row.created_at_ms),
  };
}

function deliveryLine(row: WebhookDeliveryRow): string {
  return [
    row.id,
    row.state,
    `event=${row.event_id}`,
    `endpoint=${row.endpoint_id}`,
    `attempts=${row.attempts}`,
    `last=${row.last_status_code ?? row.last_error_class ?? '-'}`,
    `next=${nextAttemptAt(row) ?? '-'}`,
  ].join('  ');
}

async function requireEndpoint(db: Kysely<Database>, id: string): Promise<WebhookEndpointRow> {
  const endpoint = await findWebhookEndpoint(db, id);
  if (!endpoint) throw new CliError(`unknown webhook endpoint ${JSON.stringify(id)}`);
  return endpoint;
}

async function summaryOf(db: Kysely<Database>, endpoint: WebhookEndpointRow): Promise<EndpointSummary> {
  const summaries = await listWebhookEndpoints(db, endpoint.organization_id);
  return summaries.find((summary) => summary.id === endpoint.id)!;
}

function registerStatusCommand(webhook: Command, command: 'enable' | 'disable'): void {
  const status = command === 'enable' ? 'enabled' : 'disabled';
  const description =
    command === 'enable'
      ? 'enable an endpoint: new events fan out to it and its pending deliveries resume'
      : 'disable an endpoint: new events skip it and its pending deliveries wait until it is enabled';
  leaf(webhook, `${command} <endpoint_id>`, description).action(async (id: string, options: JsonOption) => {
    await withDatabase(cliConfig(), async (db) => {
      const endpoint = await requireEndpoint(db, id);
      await setWebhookEndpointStatus(db, id, status, Date.now());
      const summary = await summaryOf(db, endpoint);
      print(options, endpointJson(summary), `${status} ${endpointLine(summary)}`);
    });
  });
}

function parseState(text: string | undefined): DeliveryState | undefined {
  if (text === undefined) return undefined;
  if (!(DELIVERY_STATES as readonly string[]).includes(text)) {
    throw new CliError(`--status must be one of ${DELIVERY_STATES.join(', ')} (got ${JSON.stringify(text)})`);
  }
  return text as DeliveryState;
}

export function registerWebhookCommands(program: Command): void {
  const webhook = program.command('webhook').description('manage webhook endpoints and deliveries');

  leaf(webhook, 'add <org>', 'add an endpoint for recording.transcript_ready; its secret is printed once')
    .requiredOption('--url <url>', 'https:// URL that receives the events (http:// only in a sandbox)')
    .option('--description <text>', 'a label for operators', '')
    .action(async (organizationId: string, options: JsonOption & { url: string; description: string }) => {
      const config = cliConfig();
      const checked = checkEndpointUrl(options.url, config.environment);
      if (!checked.ok) throw new CliError(`--url ${checked.problem}`);
      if (options.description.length > MAX_DESCRIPTION_LENGTH) {
        throw new CliError(`--description must be at most ${MAX_DESCRIPTION_LENGTH} characters`);
      }
      const keyring = cliKeyring(config);
      await withDatabase(config, async (db) => {
        await requireOrganization(db, organizationId);
        const id = newEndpointId();
        const secret = generateWebhookSecret();
        const nowMs = Date.now();
        await insertWebhookEndpoint(db, {
          id,
          organization_id: organizationId,
          url: checked.url,
          description: options.description,
          status: 'enabled',
          secret_sealed: sealSecret(keyring, id, secret),
          previous_secret_sealed: null,
          previous_secret_expires_at_ms: null,
          created_at_ms: nowMs,
          updated_at_ms: nowMs,
        });
        print(
          options,
          {
            id,
            secret,
            url: checked.url,
            status: 'enabled',
            organization_id: organizationId,
            description: options.description,
            created_at: formatTimestamp(nowMs),
          },
          [`added ${id}  enabled  org=${organizationId}  ${checked.url}`, shownOnce('secret', secret)],
        );
      });
    });

  leaf(webhook, 'list', 'list endpoints (never their secrets) with their last delivery and consecutive failures')
    .addOption(organizationFilter('endpoints'))
    .action(async (options: JsonOption & { org?: string }) => {
      await withDatabase(cliConfig(), async (db) => {
        await checkOrganizationFilter(db, options.org);
        const rows = await listWebhookEndpoints(db, options.org);
        printList(options, 'endpoints', rows, endpointJson, endpointLine, 'no endpoints');
      });
    });

  registerStatusCommand(webhook, 'disable');
  registerStatusCommand(webhook, 'enable');

  leaf(webhook, 'remove <endpoint_id>', 'remove an endpoint, its secrets and its deliveries').action(
    async (id: string, options: JsonOption) => {
      await withDatabase(cliConfig(), async (db) => {
        await requireEndpoint(db, id);
        await deleteWebhookEndpoint(db, id);
        print(options, { id, removed: true }, `removed ${id}`);
      });
    },
  );

  leaf(webhook, 'rotate-secret <endpoint_id>', 'issue a new secret (printed once); the old one signs too for a while')
    .option('--overlap-hours <n>', 'hours during which both signatures are sent', String(DEFAULT_OVERLAP_HOURS))
    .action(async (id: string, options: JsonOption & { overlapHours: string }) => {
      const hours = parseInteger(options.overlapHours, '--overlap-hours', 0, MAX_OVERLAP_HOURS);
      const config = cliConfig();
      const keyring = cliKeyring(config);
      await withDatabase(config, async (db) => {
        const endpoint = await requireEndpoint(db, id);
        const secret = generateWebhookSecret();
        const nowMs = Date.now();
        const until = hours === 0 ? null : nowMs + hours * 3_600_000;
        await replaceWebhookEndpointSecret(db, id, {
          secretSealed: sealSecret(keyring, id, secret),
          // Sealed under this endpoint's id already, so the current sealed form simply moves over.
          previousSealed: until === null ? null : endpoint.secret_sealed,
          previousExpiresAtMs: until,
          nowMs,
        });
        print(options, { id, secret, previous_secret_valid_until: formatOptionalTimestamp(until) }, [
          `rotated ${id}; the previous secret ${until === null ? 'no longer signs' : `also signs until ${formatTimestamp(until)}`}`,
          shownOnce('secret', secret),
        ]);
      });
    });

  leaf(webhook, 'deliveries', 'list deliveries, newest first')
    .option('--endpoint <endpoint_id>', 'only deliveries to this endpoint')
    .option('--status <status>', `only deliveries in this state (${DELIVERY_STATES.join(', ')})`)
    .option('--limit <n>', 'at most this many (1-1000)', String(DEFAULT_DELIVERY_LIMIT))
    .action(async (options: JsonOption & { endpoint?: string; status?: string; limit: string }) => {
      const state = parseState(options.status);
      const limit = parseInteger(options.limit, '--limit', 1, 1000);
      await withDatabase(cliConfig(), async (db) => {
        if (options.endpoint !== undefined) await requireEndpoint(db, options.endpoint);
        const rows = await listDeliveries(db, { endpointId: options.endpoint, state, limit });
        printList(options, 'deliveries', rows, deliveryJson, deliveryLine, 'no deliveries');
      });
    });

  leaf(webhook, 'replay [delivery_id]', 'queue deliveries again: a new delivery id, the same event id and body')
    .option('--endpoint <endpoint_id>', 'replay every event this endpoint had a delivery of (with --since)')
    .option('--since <time>', 'RFC 3339 date-time: only events created at or after it (with --endpoint)')
    .action(async (deliveryId: string | undefined, options: JsonOption & { endpoint?: string; since?: string }) => {
      const byEndpoint = options.endpoint !== undefined || options.since !== undefined;
      if (deliveryId !== undefined && byEndpoint) {
        throw new CliError('give either a delivery id, or --endpoint with --since, not both');
      }
      if (deliveryId === undefined && (options.endpoint === undefined || options.since === undefined)) {
        throw new CliError('give a delivery id, or --endpoint with --since');
      }
      const sinceMs = options.since === undefined ? 0 : parseTime(options.since, '--since');
      await withDatabase(cliConfig(), async (db) => {
        let pairs: { eventId: string; endpointId: string }[];
        if (deliveryId !== undefined) {
          const delivery = await findDelivery(db, deliveryId);
          if (!delivery) throw new CliError(`unknown delivery ${JSON.stringify(deliveryId)}`);
          pairs = [{ eventId: delivery.event_id, endpointId: delivery.endpoint_id }];
        } else {
          const endpointId = options.endpoint!;
          await requireEndpoint(db, endpointId);
          const eventIds = await eventIdsDeliveredToEndpointSince(db, endpointId, sinceMs);
          pairs = eventIds.map((eventId) => ({ eventId, endpointId }));
        }
        const nowMs = Date.now();
        const deliveries = pairs.map((pair) => ({ id: newDeliveryId(), ...pair, nowMs }));
        await insertDeliveries(db, deliveries);
        print(
          options,
          { deliveries: deliveries.map((d) => ({ id: d.id, event_id: d.eventId, endpoint_id: d.endpointId })) },
          deliveries.length === 0
            ? 'nothing to replay'
            : deliveries.map((d) => `queued ${d.id}  event=${d.eventId}  endpoint=${d.endpointId}`),
        );
      });
    });
}
