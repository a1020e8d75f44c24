/** `charthero key …`: issue, list and change the status of API keys. Secrets are printed once, at creation. */
import type { Command } from 'commander';
import { issueKey } from '../access/issue-key.js';
import { type ApiKeyRow, findKeyById, type KeyStatus, listKeys, setKeyStatus } from '../store/api-keys.js';
import { formatOptionalTimestamp, formatTimestamp } from '../time.js';
import { parseRateLimit, parseScopes, parseTime } from './arguments.js';
import { CliError } from './cli-error.js';
import { cliConfig, cliKeyring, requireOrganization, withDatabase } from './context.js';
import { checkOrganizationFilter, organizationFilter } from './organization-filter.js';
import { columnsAsStored, type JsonOption, leaf, print, printList, shownOnce } from './output.js';

/** Everything about a key except its secret and digest, which never leave the database (or this process). */
function keyJson(row: ApiKeyRow) {
  return {
    ...columnsAsStored(row, ['id', 'name', 'organization_id', 'environment', 'display_prefix']),
    scopes: row.scopes.split(' ').filter(Boolean),
    status: row.status,
    expires_at: formatOptionalTimestamp(row.expires_at_ms),
    created_at: formatTimestamp(row.created_at_ms),
    last_used_at: formatOptionalTimestamp(row.last_used_at_ms),
    rate_limit_per_second: row.rate_limit_per_second,
  };
}

function keyLine(row: ApiKeyRow): string {
  const rate = row.rate_limit_per_second;
  return [
    row.id,
    `ch_sk_${row.environment}_${row.display_prefix}…`,
    row.status,
    `org=${row.organization_id ?? '-'}`,
    `scopes=${row.scopes.split(' ').join(',')}`,
    `expires=${formatOptionalTimestamp(row.expires_at_ms) ?? 'never'}`,
    `last_used=${formatOptionalTimestamp(row.last_used_at_ms) ?? 'never'}`,
    `rate_limit=${rate === null ? 'default' : rate === 0 ? 'unlimited' : `${rate}/s`}`,
    JSON.stringify(row.name),
  ].join('  ');
}

const VERBS: Record<KeyStatus, string> = { active: 'enabled', disabled: 'disabled', revoked: 'revoked' };

function registerStatusCommand(key: Command, command: string, status: KeyStatus, description: string): void {
  leaf(key, `${command} <key_id>`, description).action(async (id: string, options: JsonOption) => {
    await withDatabase(cliConfig(), async (db) => {
      const current = await findKeyById(db, id);
      if (!current) throw new CliError(`unknown key ${JSON.stringify(id)}`);
      if (current.status === 'revoked' && status !== 'revoked') {
        throw new CliError(`key ${JSON.stringify(id)} is revoked; revocation is permanent`);
      }
      await setKeyStatus(db, id, status);
      const updated = (await findKeyById(db, id))!;
      print(options, keyJson(updated), `${VERBS[status]} ${keyLine(updated)}`);
    });
  });
}

export function registerKeyCommands(program: Command): void {
  const key = program.command('key').description('manage API keys');

  leaf(key, 'create', 'issue a key; the secret is printed once and never stored')
    .requiredOption('--scopes <scopes>', 'all, or comma-separated scopes')
    .option('--org <org>', 'organization the key is scoped to (public routes require one)')
    .option('--name <name>', 'a label for operators', '')
    .option('--expires-at <time>', 'RFC 3339 date-time with offset after which the key stops working')
    .option('--rate-limit <n>', 'requests per second for this key (0 = unlimited; default: deployment default)')
    .action(
      async (
        options: JsonOption & { scopes: string; org?: string; name: string; expiresAt?: string; rateLimit?: string },
      ) => {
        const scopes = parseScopes(options.scopes);
        const expiresAtMs = options.expiresAt === undefined ? null : parseTime(options.expiresAt, '--expires-at');
        const rateLimit = options.rateLimit === undefined ? null : parseRateLimit(options.rateLimit, '--rate-limit');
        const config = cliConfig();
        const keyring = cliKeyring(config);
        await withDatabase(config, async (db) => {
          if (options.org !== undefined) await requireOrganization(db, options.org);
          const { row, secret } = await issueKey(db, keyring, {
            environment: config.keyEnvironment,
            organizationId: options.org ?? null,
            scopes,
            name: options.name,
            expiresAtMs,
            rateLimitPerSecond: rateLimit,
          });
          print(
            options,
            {
              id: row.id,
              secret,
              environment: row.environment,
              organization_id: row.organization_id,
              scopes: [...scopes],
              name: row.name,
              expires_at: formatOptionalTimestamp(row.expires_at_ms),
              rate_limit_per_second: row.rate_limit_per_second,
            },
            [`created ${keyLine(row)}`, shownOnce('secret', secret)],
          );
        });
      },
    );

  leaf(key, 'list', 'list keys (never their secrets)')
    .addOption(organizationFilter('keys'))
    .action(async (options: JsonOption & { org?: string }) => {
      await withDatabase(cliConfig(), async (db) => {
        await checkOrganizationFilter(db, options.org);
        printList(options, 'keys', await listKeys(db, options.org), keyJson, keyLine, 'no keys');
      });
    });

  registerStatusCommand(key, 'disable', 'disabled', 'disable a key (reversible with enable)');
  registerStatusCommand(key, 'enable', 'active', 'enable a disabled key (a revoked key stays revoked)');
  registerStatusCommand(key, 'revoke', 'revoked', 'revoke a key permanently');
}
