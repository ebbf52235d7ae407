/**
 * Local config file watch for `edgeway run`: the site file and the model directories it names are
 * watched; after a quiet period (editors save in bursts, often as write-temp-then-rename, which is
 * why the file's directory is watched rather than the file) the site is loaded again. A valid edit
 * is applied in-process (Reconfigurable.applySite: only affected devices restart; settings that
 * need a process restart are named); an invalid one leaves the running config alone and every
 * problem is logged at error level with file, line and path, and kept in `status`.
 */
import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../errors.js';
import type { Logger } from '../ops/logger.js';
import { fileHash } from './last-good.js';
import { loadSite } from './load-site.js';
import { formatProblem } from './problems.js';
import type { ApplyReport, Reconfigurable } from './reconfigure.js';
import { Mutex } from '../util/mutex.js';

export interface LocalConfigStatus {
  readonly file: string;
  /** applied: the edit runs; invalid: it has problems and the running config was kept; failed: applying it threw. */
  readonly state: 'applied' | 'invalid' | 'failed';
  /** `file:line: path: message (hint)` for each problem. */
  readonly problems?: readonly string[];
  readonly report?: ApplyReport;
  readonly ts: number;
}

export interface SiteWatchOptions {
  readonly target: Reconfigurable;
  readonly file: string;
  readonly logger: Logger;
  /** Quiet time after the last change before loading, ms. */
  readonly debounceMs?: number;
  readonly env?: NodeJS.ProcessEnv;
  /** Called after each handled edit (status view, cloud report). */
  readonly onStatus?: (status: LocalConfigStatus) => void;
  /** Shared with remote config: an edit waits until a desired config is applied or rolled back. */
  readonly lock?: Mutex;
}

export class SiteWatch {
  private readonly log: Logger;
  private siteWatcher: FSWatcher | undefined;
  private readonly modelWatchers = new Map<string, FSWatcher>();
  private timer: NodeJS.Timeout | undefined;
  private lastHash: string | undefined;
  private modelsTouched = false;
  private busy: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private current: LocalConfigStatus | undefined;
  private readonly lock: Mutex;

  constructor(private readonly opts: SiteWatchOptions) {
    this.lock = opts.lock ?? new Mutex();
    this.log = opts.logger.child({ component: 'config-watch' });
  }

  /** The outcome of the last edit, if any. */
  get status(): LocalConfigStatus | undefined {
    return this.current;
  }

  async start(modelDirs: readonly string[]): Promise<void> {
    this.lastHash = await fileHash(this.opts.file);
    const file = path.resolve(this.opts.file);
    const name = path.basename(file);
    try {
      this.siteWatcher = watch(path.dirname(file), (_event, changed) => {
        // `..data`: a Kubernetes ConfigMap volume swaps its content by renaming this symlink; the
        // site file is a link through it, so its own name never shows up in the event.
        const what = changed?.toString();
        if (what === undefined || what === name || what.startsWith('..data')) this.schedule(false);
      });
      this.siteWatcher.on('error', (err) => this.log.warn({ err: errorMessage(err) }, 'site file watch failed'));
    } catch (err) {
      // No watch (e.g. inotify limit reached): the gateway runs on; edits need a restart.
      this.log.warn({ err: errorMessage(err), file }, 'site file not watched: edits take effect at the next start');
    }
    this.watchModels(modelDirs);
    this.log.info({ file, models: modelDirs }, 'watching the site config');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.siteWatcher?.close();
    for (const w of this.modelWatchers.values()) w.close();
    this.modelWatchers.clear();
    await this.busy;
  }

  /** Loads the site file now and applies it if valid (also what a file change triggers). */
  async check(): Promise<void> {
    if (this.busy !== undefined) {
      this.again = true;
      return this.busy;
    }
    this.busy = this.reloadLoop().finally(() => {
      this.busy = undefined;
    });
    return this.busy;
  }

  private schedule(model: boolean): void {
    if (this.stopped) return;
    if (model) this.modelsTouched = true;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.check(), this.opts.debounceMs ?? 300);
  }

  private watchModels(dirs: readonly string[]): void {
    for (const [dir, w] of this.modelWatchers) {
      if (!dirs.includes(dir)) {
        w.close();
        this.modelWatchers.delete(dir);
      }
    }
    for (const dir of dirs) {
      if (this.modelWatchers.has(dir)) continue;
      try {
        const w = watch(dir, { recursive: true }, (_e, changed) => {
          if (changed === null || /\.ya?ml$/.test(changed.toString())) this.schedule(true);
        });
        w.on('error', (err) => this.log.warn({ err: errorMessage(err), dir }, 'model directory watch failed'));
        this.modelWatchers.set(dir, w);
      } catch (err) {
        this.log.warn({ err: errorMessage(err), dir }, 'model directory not watched');
      }
    }
  }

  private async reloadLoop(): Promise<void> {
    do {
      this.again = false;
      await this.lock.run(() => this.reload());
    } while (this.again && !this.stopped);
  }

  private async reload(): Promise<void> {
    const { file, target } = this.opts;
    const hash = await fileHash(file);
    const models = this.modelsTouched;
    this.modelsTouched = false;
    // An editor touching the file without changing it, or saving twice, is not a change.
    if (hash === this.lastHash && !models) return;
    this.lastHash = hash;
    const result = await loadSite(file, this.opts.env);
    if (this.stopped) return;
    if (!result.ok) {
      const problems = result.problems.map((p) => formatProblem(p));
      for (const p of problems) this.log.error({ file }, `config edit not applied: ${p}`);
      this.log.error({ file, problems: problems.length }, `the edit of ${file} has ${problems.length} problem(s); the running config is kept`);
      this.publish({ file, state: 'invalid', problems, ts: Date.now() });
      return;
    }
    this.watchModels(result.site.paths.models);
    try {
      const report = await target.applySite(result.site);
      this.log.info({ file, ...report }, 'config edit applied');
      if (report.restartRequired.length > 0) {
        this.log.warn({ file, restartRequired: report.restartRequired }, `changed settings that take effect only after a restart: ${report.restartRequired.join(', ')}`);
      }
      this.publish({ file, state: 'applied', report, ts: Date.now() });
    } catch (err) {
      this.log.error({ file, err: errorMessage(err) }, 'config edit could not be applied');
      this.publish({ file, state: 'failed', problems: [errorMessage(err)], ts: Date.now() });
    }
  }

  private publish(status: LocalConfigStatus): void {
    this.current = status;
    try {
      this.opts.onStatus?.(status);
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, 'config status listener failed');
    }
  }
}
