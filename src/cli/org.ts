/** `charthero org …`: organizations and their public-API switches (allowlist, routes, API keys, rate limit). */
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import type { RouteId } from '../contract/routes.js';
import { ROUTE_IDS } from '../contract/routes.js';
import {
  enabledRoutes,
  findOrganization,
  insertOrganization,
  listOrganizations,
  type OrganizationPatch,
  type OrganizationRow,
  updateOrganization,
} from '../store/organizations.js';
import type { Database } from '../store/schema.js';
import { formatTimestamp } from '../time.js';
import { parseRateLimit, parseRouteIds, requireValidId } from './arguments.js';
import { CliError } from './cli-error.js';
import { cliConfig, requireOrganization, withDatabase } from './context.js';
import { type JsonOption, leaf, print, printList } from './output.js';

function organizationJson(row: OrganizationRow) {
  return {
    id: row.id,
    name: row.name,
    allowlisted: row.allowlisted === 1,
    api_keys_enabled: row.api_keys_enabled === 1,
    rate_limit_per_second: row.rate_limit_per_second,
    enabled_routes: enabledRoutes(row),
    created_at: formatTimestamp(row.created_at_ms),
  };
}

function organizationLine(row: OrganizationRow): string {
  const routes = enabledRoutes(row);
  return [
    row.id,
    JSON.stringify(row.name),
    `allowlisted=${row.allowlisted === 1 ? 'yes' : 'no'}`,
    `api_keys=${row.api_keys_enabled === 1 ? 'on' : 'off'}`,
    `rate_limit=${row.rate_limit_per_second === 0 ? 'unlimited' : `${row.rate_limit_per_second}/s`}`,
    `routes=${routes.length === 0 ? 'none' : routes.join(',')}`,
  ].join('  ');
}

/** Applies a change (bumping the state version and writing the change feed) and prints the new state. */
async function change(
  db: Kysely<Database>,
  id: string,
  options: JsonOption,
  patch: (current: OrganizationRow) => OrganizationPatch,
): Promise<void> {
  const current = await requireOrganization(db, id);
  await updateOrganization(db, id, patch(current));
  const updated = (await findOrganization(db, id))!;
  print(options, organizationJson(updated), `updated ${organizationLine(updated)}`);
}

export function registerOrgCommands(program: Command): void {
  const org = program.command('org').description('manage organizations and their public-API access');

  leaf(org, 'create', 'create an organization (not allowlisted, API keys on, unlimited rate, no routes)')
    .requiredOption('--name <name>', 'display name')
    .option('--id <id>', 'organization id (default: org_ and random characters)')
    .action(async (options: JsonOption & { name: string; id?: string }) => {
      const name = options.name.trim();
      if (name === '') throw new CliError('--name must not be empty');
      const id =
        options.id === undefined ? `org_${randomBytes(12).toString('base64url')}` : requireValidId(options.id, '--id');
      await withDatabase(cliConfig(), async (db) => {
        if (await findOrganization(db, id)) throw new CliError(`organization ${JSON.stringify(id)} already exists`);
        const row: OrganizationRow = {
          id,
          name,
          allowlisted: 0,
          api_keys_enabled: 1,
          rate_limit_per_second: 0,
          enabled_routes: '',
          state_version: 1,
          created_at_ms: Date.now(),
        };
        await insertOrganization(db, row);
        print(options, organizationJson(row), `created ${organizationLine(row)}`);
      });
    });

  leaf(org, 'list', 'list organizations').action(async (options: JsonOption) => {
    await withDatabase(cliConfig(), async (db) => {
      const rows = await listOrganizations(db);
      printList(options, 'organizations', rows, organizationJson, organizationLine, 'no organizations');
    });
  });

  leaf(org, 'allowlist <org>', 'allowlist an organization for the public API (--off removes it)')
    .option('--off', 'remove the organization from the allowlist')
    .action(async (id: string, options: JsonOption & { off?: boolean }) => {
      await withDatabase(cliConfig(), (db) => change(db, id, options, () => ({ allowlisted: options.off ? 0 : 1 })));
    });

  leaf(org, 'routes <org>', 'enable or disable public routes for an organization')
    .option('--enable <routes>', 'all, or comma-separated route ids to enable')
    .option('--disable <routes>', 'all, or comma-separated route ids to disable')
    .action(async (id: string, options: JsonOption & { enable?: string; disable?: string }) => {
      if ((options.enable === undefined) === (options.disable === undefined)) {
        throw new CliError('give exactly one of --enable or --disable');
      }
      const enable = options.enable !== undefined;
      const routes = parseRouteIds(options.enable ?? options.disable!, enable ? '--enable' : '--disable');
      await withDatabase(cliConfig(), (db) =>
        change(db, id, options, (current) => {
          const next = new Set<RouteId>(enabledRoutes(current) as RouteId[]);
          for (const route of routes) enable ? next.add(route) : next.delete(route);
          return { enabled_routes: ROUTE_IDS.filter((route) => next.has(route)).join(',') };
        }),
      );
    });

  leaf(org, 'api-keys <org>', "switch API-key access on or off for the organization's keys")
    .option('--on', 'accept the organization’s keys')
    .option('--off', 'refuse the organization’s keys (401 api_keys_disabled)')
    .action(async (id: string, options: JsonOption & { on?: boolean; off?: boolean }) => {
      if (Boolean(options.on) === Boolean(options.off)) throw new CliError('give exactly one of --on or --off');
      await withDatabase(cliConfig(), (db) =>
        change(db, id, options, () => ({ api_keys_enabled: options.on ? 1 : 0 })),
      );
    });

  leaf(org, 'rate-limit <org> <n>', 'requests per second for the whole organization (0 = unlimited)').action(
    async (id: string, limit: string, options: JsonOption) => {
      const perSecond = parseRateLimit(limit, 'rate limit');
      await withDatabase(cliConfig(), (db) => change(db, id, options, () => ({ rate_limit_per_second: perSecond })));
    },
  );
}
