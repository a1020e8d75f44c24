/** RFC 3339 timestamps: the strict parser behind the list filters and the import, and the one output format. */

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function validDate(year: number, month: number, day: number): boolean {
  return year >= 1 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

function utcMs(year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number) {
  const date = new Date(Date.UTC(2000, month - 1, day, hour, minute, second, ms));
  date.setUTCFullYear(year); // Date.UTC maps years 0–99 to 1900–1999.
  return date.getTime();
}

/** The instants a timestamp may denote: years 0001–9999 in UTC, whatever offset it was written with. */
const EARLIEST_MS = utcMs(1, 1, 1, 0, 0, 0, 0);
const LATEST_MS = utcMs(9999, 12, 31, 23, 59, 59, 999);

/**
 * An RFC 3339 date-time with an explicit offset (`Z` or `±HH:MM`) → epoch milliseconds, or null.
 * Rejects dates without time, times without offset, impossible dates, hour 24, second 60 and years outside 0001–9999,
 * also once the offset is applied (`9999-12-31T23:59:59-23:59` is in year 10000). Fractions beyond milliseconds are
 * truncated.
 */
export function parseTimestamp(text: string): number | null {
  const match = DATE_TIME.exec(text);
  if (!match) return null;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (!validDate(year, month, day) || hour > 23 || minute > 59 || second > 59) return null;
  const fraction = match[7] ? Number(match[7].slice(1, 4).padEnd(3, '0')) : 0;
  let offsetMinutes = 0;
  const zone = match[8]!;
  if (zone !== 'Z' && zone !== 'z') {
    const offsetHours = Number(zone.slice(1, 3));
    const offsetMins = Number(zone.slice(4, 6));
    if (offsetHours > 23 || offsetMins > 59) return null;
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const ms = utcMs(year, month, day, hour, minute, second, fraction) - offsetMinutes * 60_000;
  return ms >= EARLIEST_MS && ms <= LATEST_MS ? ms : null;
}

/** A calendar date `YYYY-MM-DD`, or null. */
export function parseDate(text: string): string | null {
  const match = DATE.exec(text);
  if (!match) return null;
  const [year, month, day] = match.slice(1, 4).map(Number) as [number, number, number];
  return validDate(year, month, day) ? text : null;
}

/** Epoch milliseconds → RFC 3339 UTC with `Z`; whole seconds unless the value carries milliseconds. */
export function formatTimestamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  return ms % 1000 === 0 ? `${iso.slice(0, 19)}Z` : iso;
}

/** formatTimestamp for a column that may be empty (never used, never expires): null stays null. */
export function formatOptionalTimestamp(ms: number | null): string | null {
  return ms === null ? null : formatTimestamp(ms);
}
