/** `charthero audit …`: read the access log, export it, anchor its chain heads and verify its chains. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { KeyringError } from '../access/digest-keyring.js';
import { loadKeyring } from '../access/keyring-source.js';
import type { AuditRow } from '../audit/chain.js';
import { type Anchor, currentHeads, parseAnchor, verifyLedger } from '../audit/verify.js';
import { listAuditEvents, readExportPage } from '../store/audit-ledger.js';
import { formatTimestamp } from '../time.js';
import { parseInteger, parseTime } from './arguments.js';
import { CliError } from './cli-error.js';
import { cliConfig, withDatabase } from './context.js';
import { checkOrganizationFilter, organizationFilter } from './organization-filter.js';
import { type JsonOption, leaf, print } from './output.js';

/** Records per page of an export: memory stays flat however long the ledger is. */
const EXPORT_PAGE = 1000;

/** A stored record as the CLI shows it (list, export). */
function recordJson(row: AuditRow) {
  return {
    id: Number(row.id),
    chain: row.chain_id,
    seq: Number(row.seq),
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
    count: row.count,
  };
}

function writeChunk(text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(text, (error) => (error ? reject(error) : resolve()));
  });
}

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('the audit ledger');

  leaf(audit, 'list', 'list access events, newest first')
    .addOption(organizationFilter('events'))
    .option('--since <time>', 'only events at or after this RFC 3339 date-time')
    .option('--limit <n>', 'at most this many events (1-10000)', '100')
    .action(async (options: JsonOption & { org?: string; since?: string; limit: string }) => {
      const sinceMs = options.since === undefined ? null : parseTime(options.since, '--since');
      const limit = parseInteger(options.limit, '--limit', 1, 10_000);
      await withDatabase(cliConfig(), async (db) => {
        await checkOrganizationFilter(db, options.org);
        const rows = await listAuditEvents(db, { organizationId: options.org, sinceMs, limit });
        const events = rows.map(recordJson);
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
                  ...(event.count > 1 ? [`x${event.count}`] : []),
                ].join('  '),
              ),
        );
      });
    });

  leaf(audit, 'export', 'stream records as NDJSON, oldest first (one JSON object per line, with its chain hashes)')
    .option('--since <time>', 'only records at or after this RFC 3339 date-time')
    .option('--until <time>', 'only records before this RFC 3339 date-time')
    .addOption(organizationFilter('records'))
    .action(async (options: JsonOption & { since?: string; until?: string; org?: string }) => {
      const sinceMs = options.since === undefined ? null : parseTime(options.since, '--since');
      const untilMs = options.until === undefined ? null : parseTime(options.until, '--until');
      if (sinceMs !== null && untilMs !== null && sinceMs >= untilMs) {
        throw new CliError('--since must be before --until');
      }
      await withDatabase(cliConfig(), async (db) => {
        await checkOrganizationFilter(db, options.org);
        const filter = { sinceMs, untilMs, organizationId: options.org ?? null };
        let after: { atMs: number; id: number } | null = null;
        for (;;) {
          const rows = await readExportPage(db, filter, after, EXPORT_PAGE);
          if (rows.length === 0) break;
          const lines = rows.map((row) =>
            JSON.stringify({
              ...recordJson(row),
              at_ms: Number(row.at_ms),
              key_version: row.key_version,
              prev_hash: row.prev_hash,
              hash: row.hash,
            }),
          );
          // Waits for stdout to take each page (a slow pipe must not make pages pile up in memory).
          await writeChunk(`${lines.join('\n')}\n`);
          const last = rows[rows.length - 1]!;
          after = { atMs: Number(last.at_ms), id: Number(last.id) };
        }
      });
    });

  leaf(audit, 'anchor', 'print the head of every chain (JSON), to keep outside the database').action(async () => {
    await withDatabase(cliConfig(), async (db) => {
      const anchor: Anchor = {
        anchored_at: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        chains: await currentHeads(db),
      };
      // The anchor is JSON with or without --json: it is meant to be saved as it is printed.
      print({ json: true }, anchor, '');
    });
  });

  leaf(audit, 'verify', 'check every chain of the ledger, and with --anchor that it still extends the anchor')
    .option('--anchor <file>', 'an anchor printed earlier by charthero audit anchor')
    .action(async (options: JsonOption & { anchor?: string }) => {
      let anchor: Anchor | undefined;
      if (options.anchor !== undefined) {
        let text: string;
        try {
          text = readFileSync(options.anchor, 'utf8');
        } catch (error) {
          throw new CliError(`cannot read --anchor ${options.anchor} (${(error as NodeJS.ErrnoException).code})`);
        }
        try {
          anchor = parseAnchor(text);
        } catch (error) {
          throw new CliError(`--anchor ${options.anchor}: ${(error as Error).message}`);
        }
      }
      const config = cliConfig();
      const keyring = () => {
        try {
          return loadKeyring(config);
        } catch (error) {
          if (!(error instanceof KeyringError)) throw error;
          throw new CliError(
            `CHARTHERO_DIGEST_KEYS_FILE (${config.digestKeysFile}): ${error.message}; the ledger's chains cannot be checked without the keyring`,
          );
        }
      };
      await withDatabase(config, async (db) => {
        const reports = await verifyLedger(db, keyring, anchor);
        const broken = reports.filter((report) => report.broken);
        if (broken.length > 0) {
          throw new CliError(
            `audit ledger broken: ${broken
              .map(({ chain, broken: at }) => {
                const where = at!.id === null ? `at seq ${at!.seq}` : `at record ${at!.id} (seq ${at!.seq})`;
                return `chain ${chain} ${where}: ${at!.problem}`;
              })
              .join('; ')}`,
          );
        }
        const records = reports.reduce((total, report) => total + report.records, 0);
        print(options, { ok: true, records, anchored: anchor?.chains.length ?? 0, chains: reports }, [
          `audit ledger intact: ${records} records in ${reports.length} chains${anchor ? `, extending the anchor of ${anchor.anchored_at}` : ''}`,
          ...reports.map((r) => `  ${r.chain}: ${r.records} records, last seq ${r.last_seq}, hash ${r.last_hash}`),
        ]);
      });
    });
}
