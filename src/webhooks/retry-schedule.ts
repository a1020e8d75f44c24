/** When a failed delivery is tried again (docs/webhooks.md). */

const JITTER = 0.1;

/**
 * After failed attempt number `attempt` (1-based): the delay before the next one, each delay of the schedule
 * spread by up to ±10 % so a receiver's outage does not bring every retry back at the same instant; or null when
 * that was the last attempt (the schedule's length + 1 attempts in all).
 */
export function retryDelayMs(
  scheduleSeconds: readonly number[],
  attempt: number,
  random: () => number = Math.random,
): number | null {
  const seconds = scheduleSeconds[attempt - 1];
  if (seconds === undefined) return null;
  return Math.round(seconds * 1000 * (1 + (random() * 2 - 1) * JITTER));
}
