/**
 * Rewrites each transcript's stored turns into the form get_transcript now sends as it is (src/store/transcript-
 * turns.ts): rows imported before kept turns that start together in import order, which the read path used to
 * sort on every request. Rows already in that form are left untouched; the webhook triggers watch
 * finalized_at_ms only, so nothing here announces a transcript again.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import { storedTurns, type TranscriptTurn } from '../transcript-turns.js';

const BATCH = 200;

export async function up(untyped: Kysely<unknown>): Promise<void> {
  const db = untyped as Kysely<Database>;
  let after = '';
  for (;;) {
    const rows = await db
      .selectFrom('transcripts')
      .select(['document_id', 'turns'])
      .where('document_id', '>', after)
      .orderBy('document_id')
      .limit(BATCH)
      .execute();
    for (const row of rows) {
      const stored = storedTurns(JSON.parse(row.turns) as TranscriptTurn[]);
      if (stored !== row.turns) {
        await db.updateTable('transcripts').set({ turns: stored }).where('document_id', '=', row.document_id).execute();
      }
    }
    if (rows.length < BATCH) return;
    after = rows[rows.length - 1]!.document_id;
  }
}
