/**
 * Runs the site's scheduled jobs with node-cron: never overlapping themselves. <dataDir>/schedules.json
 * keeps, per job, its last run and until when the gateway was watching it (written at start, after
 * each run and at stop), so runs that fell while the gateway was down are counted and reported at
 * the next start — not replayed.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createTask, type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import { errorMessage } from '../errors.js';
import { missedRuns } from './missed-runs.js';
import type { ScheduleAction, ScheduleConfig } from './schedule-schema.js';

export type ActionRunner = (action: ScheduleAction, by: string) => Promise<unknown>;

export interface JobStatus {
  readonly name: string;
  readonly cron: string;
  readonly timezone: string;
  readonly nextRun?: string;
  readonly lastRun?: string;
  readonly lastResult?: 'ok' | 'failed';
  readonly lastError?: string;
  readonly runs: number;
  /** Runs that fell while the gateway was down (counted at start, not replayed). */
  readonly missedWhileDown: number;
}

interface SavedJob {
  readonly lastRun?: string;
  readonly seenUntil: string;
}

interface Job {
  readonly config: ScheduleConfig;
  task?: ScheduledTask;
  runs: number;
  missed: number;
  lastRun?: Date;
  lastResult?: 'ok' | 'failed';
  lastError?: string;
}

export class JobScheduler {
  private jobs: Job[] = [];
  private persisting: Promise<void> = Promise.resolve();
  /** Runs under way: stop() waits for them, so their outcome is recorded before it resolves. */
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly schedules: readonly ScheduleConfig[],
    private readonly run: ActionRunner,
    private readonly stateFile: string,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const previous = await this.readState();
    const now = new Date();
    this.jobs = this.schedules.filter((s) => s.enabled).map((config) => ({ config, runs: 0, missed: 0 }));
    for (const job of this.jobs) {
      const saved = previous[job.config.name];
      if (saved?.lastRun) job.lastRun = new Date(saved.lastRun);
      if (saved) this.reportMissed(job, new Date(saved.seenUntil), now);
      job.task = createTask(job.config.cron, () => this.track(this.execute(job)), { name: job.config.name, timezone: job.config.timezone, noOverlap: true });
      await job.task.start();
    }
    this.persist();
  }

  private reportMissed(job: Job, since: Date, now: Date): void {
    const missed = missedRuns(job.config.cron, job.config.timezone, since, now);
    job.missed = missed.count;
    if (missed.count > 0) {
      this.logger.warn(
        { schedule: job.config.name, missed: missed.count, atLeast: missed.atLeast, lastMissed: missed.last?.toISOString() },
        'scheduled runs were missed while the gateway was down; they are not replayed',
      );
    }
  }

  private track(run: Promise<void>): Promise<void> {
    this.running.add(run);
    return run.finally(() => this.running.delete(run));
  }

  private async execute(job: Job): Promise<void> {
    const by = `schedule:${job.config.name}`;
    job.lastRun = new Date();
    job.runs++;
    try {
      await this.run(job.config.action, by);
      job.lastResult = 'ok';
      job.lastError = undefined;
      this.logger.info({ schedule: job.config.name, action: job.config.action.type }, 'scheduled job done');
    } catch (err) {
      job.lastResult = 'failed';
      job.lastError = errorMessage(err);
      this.logger.warn({ schedule: job.config.name, err: job.lastError }, 'scheduled job failed');
    }
    this.persist();
  }

  status(): JobStatus[] {
    return this.jobs.map((j) => ({
      name: j.config.name, cron: j.config.cron, timezone: j.config.timezone, runs: j.runs, missedWhileDown: j.missed,
      ...(j.task?.getNextRun() ? { nextRun: j.task.getNextRun()?.toISOString() } : {}),
      ...(j.lastRun ? { lastRun: j.lastRun.toISOString() } : {}),
      ...(j.lastResult ? { lastResult: j.lastResult } : {}),
      ...(j.lastError ? { lastError: j.lastError } : {}),
    }));
  }

  async stop(): Promise<void> {
    for (const job of this.jobs) await job.task?.destroy();
    await Promise.allSettled([...this.running]);
    this.persist();
    await this.persisting;
  }

  private async readState(): Promise<Record<string, SavedJob | undefined>> {
    try {
      const data = JSON.parse(await readFile(this.stateFile, 'utf8')) as unknown;
      return data !== null && typeof data === 'object' ? (data as Record<string, SavedJob>) : {};
    } catch {
      return {};
    }
  }

  /** Last run and "watched until now" per job, written atomically (temp file + rename), one write at a time. */
  private persist(): void {
    if (this.jobs.length === 0) return;
    const seenUntil = new Date().toISOString();
    const state: Record<string, SavedJob> = Object.fromEntries(
      this.jobs.map((j) => [j.config.name, { seenUntil, ...(j.lastRun ? { lastRun: j.lastRun.toISOString() } : {}) }]),
    );
    this.persisting = this.persisting.then(async () => {
      try {
        await mkdir(path.dirname(this.stateFile), { recursive: true });
        const tmp = `${this.stateFile}.tmp`;
        await writeFile(tmp, JSON.stringify(state));
        await rename(tmp, this.stateFile);
      } catch (err) {
        this.logger.warn({ err: errorMessage(err) }, 'cannot record scheduled run times');
      }
    });
  }
}
