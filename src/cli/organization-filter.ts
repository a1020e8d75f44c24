/** The `--org` filter of the listings, declared and checked alike by every command that has one. */
import { Option } from 'commander';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { requireOrganization } from './context.js';

/** The `--org` option of a command that lists `what`; its action checks the value with checkOrganizationFilter. */
export function organizationFilter(what: string): Option {
  return new Option('--org <org>', `only ${what} of this organization`);
}

/** An `--org` filter must name an organization: a mistyped id would otherwise list nothing, without a word. */
export async function checkOrganizationFilter(db: Kysely<Database>, id: string | undefined): Promise<void> {
  if (id !== undefined) await requireOrganization(db, id);
}
