/**
 * The `turns` column holds a transcript's turns exactly as get_transcript answers them: JSON text of the four
 * public fields, in time order (by start, then end). get_transcript then sends the text as stored instead of
 * parsing and re-serializing a 200 KB array on every request (bench/README.md). Every writer goes through here:
 * the import, and migration 004 for rows written before this rule.
 */
export interface TranscriptTurn {
  speaker: string;
  start: number;
  end: number;
  text: string;
}

/** The column's text for these turns: only the public fields, stably sorted by start, then end. */
export function storedTurns(turns: readonly TranscriptTurn[]): string {
  const inResponseOrder = turns
    .map(({ speaker, start, end, text }) => ({ speaker, start, end, text }))
    .sort((a, b) => a.start - b.start || a.end - b.end);
  return JSON.stringify(inResponseOrder);
}
