/** `charthero audit …`: read the access log and check the ledger's hash chain. */
import type { Command } from 'commander';
import { GENESIS_HASH, verifyChain } from '../audit/chain.js';
import { formatTimestamp } from '../time.js';
import {
  CliError,
  cliConfig,
  type JsonOption,
  leaf,
  parseInteger,
  parseTime,
  print,
  requireOrganization,
  withDatabase,
} from './context.js';

/** Rows per read while verifying, so a long ledger is checked in constant memory. */
const VERIFY_PAGE = 5000;

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('the audit ledger');

  leaf(audit, 'list', 'list access events, newest first')
    .option('--org <org>', 'only events of this organization')
    .option('--since <time>', 'only events at or after this RFC 3339 date-time')
    .option('--limit <n>', 'at most this many events (1-10000)', '100')
    .action(async (options: JsonOption & { org?: string; since?: string; limit: string }) => {
      const sinceMs = options.since === undefined ? null : parseTime(options.since, '--since');
      const limit = parseInteger(options.limit, '--limit', 1, 10_000);
      await withDatabase(cliConfig(), async (db) => {
        if (options.org !== undefined) await requireOrganization(db, options.org);
        let query = db.selectFrom('audit_events').selectAll().orderBy('id', 'desc').limit(limit);
        if (options.org !== undefined) query = query.where('organization_id', '=', options.org);
        if (sinceMs !== null) query = query.where('at_ms', '>=', sinceMs);
        const rows = await query.execute();
        const events = rows.map((row) => ({
          id: Number(row.id),
          at: formatTimestamp(row.at_ms),
          event: row.event,
          request_id: row.request_id,
          key_id: row.key_id,
          organization_id: row.organization_id,
          route_id: row.route_id,
          method: row.method,
          status: row.status,
          reason_code: row.reason_code,
          resource_ids: JSON.parse(row.resource_ids) as string[],
          client_ip: row.client_ip,
          user_agent: row.user_agent,
          latency_ms: row.latency_ms,
        }));
        print(
          options,
          { events },
          events.length === 0
            ? 'no events'
            : events.map((event) =>
                [
                  event.at,
                  event.event,
                  event.method,
                  event.route_id ?? '-',
                  event.status,
                  event.reason_code ?? '-',
                  `key=${event.key_id ?? '-'}`,
                  `org=${event.organization_id ?? '-'}`,
                  `request=${event.request_id}`,
                  // A list response can name hundreds of ids; the JSON output has them all.
                  event.resource_ids.length <= 4
                    ? event.resource_ids.join(',') || '-'
                    : `${event.resource_ids.length} resources`,
                ].join('  '),
              ),
        );
      });
    });

  leaf(audit, 'verify', "check the ledger's hash chain from the first event to the last").action(
    async (options: JsonOption) => {
      await withDatabase(cliConfig(), async (db) => {
        // The head is read first: rows appended while we verify come after it, so it must appear in the chain
        // whatever happens meanwhile. If it does not, rows were cut from the end (invisible to the links alone).
        const head = await db.selectFrom('audit_chain_head').select('last_hash').where('id', '=', 1).executeTakeFirst();
        let headSeen = head === undefined || head.last_hash === GENESIS_HASH;
        let lastId = 0;
        let lastHash = GENESIS_HASH;
        let checked = 0;
        for (;;) {
          const rows = await db
            .selectFrom('audit_events')
            .selectAll()
            .where('id', '>', lastId)
            .orderBy('id')
            .limit(VERIFY_PAGE)
            .execute();
          if (rows.length === 0) break;
          const verdict = verifyChain(
            rows.map((row) => ({ ...row, id: Number(row.id) })),
            lastHash,
          );
          if (!verdict.ok) {
            throw new CliError(
              `audit chain broken at event ${verdict.brokenId}: ${verdict.problem} (${checked + verdict.checked} events before it verified)`,
            );
          }
          checked += verdict.checked;
          lastHash = verdict.lastHash;
          headSeen ||= rows.some((row) => row.hash === head?.last_hash);
          lastId = Number(rows[rows.length - 1]!.id);
        }
        if (!headSeen) {
          throw new CliError(
            `audit chain broken after event ${lastId}: the recorded chain head is not in the ledger (events removed from the end)`,
          );
        }
        print(
          options,
          { ok: true, events: checked, last_hash: lastHash },
          `audit chain intact: ${checked} events, last hash ${lastHash}`,
        );
      });
    },
  );
}
