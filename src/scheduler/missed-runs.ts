/**
 * Runs of a cron job that fell while the gateway was down, counted between the last run on record
 * and now. They are reported, never replayed (a light switched at 22:00 must not switch at 07:00).
 */
import { createTask } from 'node-cron';

/** Most minutes (or seconds, for 6-field expressions) looked at: about a week of minutes. */
const MAX_STEPS = 10_080;

export interface MissedRuns {
  readonly count: number;
  /** The count hit the search limit: at least this many. */
  readonly atLeast: boolean;
  readonly last?: Date;
}

export function missedRuns(cron: string, timezone: string, since: Date, now: Date): MissedRuns {
  const task = createTask(cron, () => undefined, { timezone });
  try {
    const stepMs = cron.trim().split(/\s+/).length === 6 ? 1000 : 60_000;
    let t = Math.floor(since.getTime() / stepMs) * stepMs + stepMs;
    let count = 0;
    let last: Date | undefined;
    for (let steps = 0; t <= now.getTime(); t += stepMs, steps++) {
      if (steps >= MAX_STEPS) return { count, atLeast: true, ...(last ? { last } : {}) };
      const d = new Date(t);
      if (task.match(d)) {
        count++;
        last = d;
      }
    }
    return { count, atLeast: false, ...(last ? { last } : {}) };
  } finally {
    void task.destroy();
  }
}
