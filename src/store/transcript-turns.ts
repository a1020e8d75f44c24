/**
 * The `turns` column holds a transcript's turns exactly as get_transcript answers them: JSON text of the four
 * public fields, in time order (by start, then end). get_transcript then sends the text as stored instead of
 * re-serializing a 200 KB array on every request (bench/README.md). The import writes it through storedTurns, and
 * migration 004 rewrote rows written before this rule; a row in any other form is still served right, the slow way.
 */
export interface TranscriptTurn {
  speaker: string;
  start: number;
  end: number;
  text: string;
}

const FIELDS = ['speaker', 'start', 'end', 'text'] as const;

/** The public fields only, stably sorted by start, then end: the order the API promises. */
export function servedTurns(turns: readonly TranscriptTurn[]): TranscriptTurn[] {
  return turns
    .map(({ speaker, start, end, text }) => ({ speaker, start, end, text }))
    .sort((a, b) => a.start - b.start || a.end - b.end);
}

/** The column's text for these turns. */
export function storedTurns(turns: readonly TranscriptTurn[]): string {
  return JSON.stringify(servedTurns(turns));
}

/**
 * Whether parsed column text is already in the served form: an array of objects with exactly the four fields, in
 * their order and of their types, in time order. Only then may the text go out as it is.
 */
export function isServedForm(value: unknown): value is TranscriptTurn[] {
  if (!Array.isArray(value)) return false;
  let previous: TranscriptTurn | undefined;
  for (const turn of value as unknown[]) {
    if (typeof turn !== 'object' || turn === null) return false;
    const keys = Object.keys(turn);
    if (keys.length !== FIELDS.length || FIELDS.some((field, index) => keys[index] !== field)) return false;
    const { speaker, start, end, text } = turn as TranscriptTurn;
    if (typeof speaker !== 'string' || typeof text !== 'string') return false;
    if (typeof start !== 'number' || typeof end !== 'number') return false;
    if (previous && (start < previous.start || (start === previous.start && end < previous.end))) return false;
    previous = turn as TranscriptTurn;
  }
  return true;
}
