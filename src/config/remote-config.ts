/**
 * Remote config over the cloud link (desired / reported). The cloud publishes, retained, a whole
 * site config with a version on <root>/config/desired; the gateway
 *   1. checks it like a file (size cap, JSON, envelope, then the site and model loader: stage.ts) —
 *      a config with any problem is rejected with every problem and nothing changes; so is one that
 *      changes the gateway's id, data dir or queue path; settings only the site may set (commands,
 *      remote config, local file paths) are taken from the running config (remote-local.ts);
 *   2. applies it in-process (Reconfigurable.applySite: only affected devices restart);
 *   3. watches health for cloud.remoteConfig.healthGrace (health-check.ts);
 *   4. healthy: records it as the last good config (atomic write) and reports `applied`;
 *      unhealthy: applies the previous running config again and reports `rolled-back` with why.
 * Every outcome is reported, retained, on <root>/config/reported and kept on disk: a version once
 * handled (applied, rejected or rolled back) is not handled again when the retained desired
 * message arrives after a reconnect or a restart. Messages are handled one at a time; while one is
 * being applied, only the newest of those arriving meanwhile is kept.
 */
import path from 'node:path';
import { errorMessage } from '../errors.js';
import type { IncomingMessage } from '../northbound/connection.js';
import type { Logger } from '../ops/logger.js';
import { realClock, waitHealthy, type HealthClock } from './health-check.js';
import { fileHash, RemoteConfigStore, sha256, type RemoteState } from './last-good.js';
import type { Reconfigurable } from './reconfigure.js';
import type { LoadedSite } from './load-site.js';
import { parseDesired, type RemoteVersion, type ReportedConfig } from './remote-payload.js';
import type { RemoteConfigSettings } from './site-schema.js';
import { identityProblems, keepLocalSettings } from './remote-local.js';
import { stageDesired } from './stage.js';
import { Mutex } from '../util/mutex.js';

/** The part of the cloud link remote config uses (CloudLink implements it). */
export interface ControlLink {
  readonly topicRoot: string;
  subscribe(filter: string, handler: (message: IncomingMessage) => void): () => void;
  publish(topic: string, payload: string, options: { retain?: boolean }): Promise<void>;
  onOnline(listener: () => void): () => void;
}

export interface RemoteConfigOptions {
  readonly target: Reconfigurable;
  readonly link: ControlLink;
  /** The local site file: its hash is recorded with the last good config (boot precedence, boot.ts). */
  readonly siteFile: string;
  /** Directory relative paths of a desired config resolve against (the site file's). */
  readonly baseDir: string;
  /** <gateway.dataDir>/config */
  readonly stateDir: string;
  readonly settings: Pick<RemoteConfigSettings, 'healthGrace' | 'maxBytes'>;
  readonly logger: Logger;
  readonly clock?: HealthClock;
  readonly env?: NodeJS.ProcessEnv;
  /** Shared with the file watch: an edit on site waits until a desired config is applied or rolled back. */
  readonly lock?: Mutex;
}

export function remoteConfigTopics(root: string): { desired: string; reported: string } {
  return { desired: `${root}/config/desired`, reported: `${root}/config/reported` };
}

export class RemoteConfig {
  private readonly store: RemoteConfigStore;
  private readonly log: Logger;
  private state: RemoteState | undefined;
  private pending: Buffer | undefined;
  private busy: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly lock: Mutex;
  /** The desired topic subscribed now, and how to leave it (the topic root moves with cloud.topicPrefix). */
  private desiredTopic: string | undefined;
  private offDesired: (() => void) | undefined;

  constructor(private readonly opts: RemoteConfigOptions) {
    this.lock = opts.lock ?? new Mutex();
    this.store = new RemoteConfigStore(opts.stateDir);
    this.log = opts.logger.child({ component: 'remote-config' });
  }

  /** The last report (also retained on the cloud), if any version was ever handled. */
  get report(): ReportedConfig | undefined {
    return this.state?.report;
  }

  private get topics() {
    return remoteConfigTopics(this.opts.link.topicRoot);
  }

  async start(): Promise<void> {
    const { value, error } = await this.store.readState();
    if (error !== undefined) this.log.warn({ err: error }, 'remote config state unreadable; the next desired config is handled as new');
    this.state = value;
    if (value?.report.state === 'applying') {
      // The process stopped (or died) during an apply: the previous config runs now; do not try again.
      await this.finish({ version: value.report.version, state: 'rolled-back', reason: 'the gateway stopped while applying this version; the previous config runs', ts: Date.now() }, value.digest);
    }
    this.follow();
    this.unsubscribe.push(() => {
      this.offDesired?.();
      this.offDesired = undefined;
    });
    this.unsubscribe.push(this.opts.link.onOnline(() => {
      this.follow();
      this.publishReport();
    }));
    // The link may be online already (the gateway started it): the last report, which may have been
    // written while offline (a last good config rolled back at boot), goes out now too.
    this.publishReport();
  }

  /**
   * Subscribes to the desired topic of the current topic root. A change of cloud.topicPrefix (by a
   * desired config or an edit on site) reconnects the link under a new root: the next connection
   * moves the subscription there, as cloud commands do (CloudCommands.refresh).
   */
  private follow(): void {
    const topic = this.topics.desired;
    if (topic === this.desiredTopic) return;
    this.offDesired?.();
    this.desiredTopic = topic;
    this.offDesired = this.opts.link.subscribe(topic, (m) => this.receive(m.payload));
    this.log.info({ topic, last: this.state?.report }, 'remote config listening');
  }

  /** Stops listening; an apply under way stops waiting for health (it is reported as interrupted at the next start). */
  async stop(): Promise<void> {
    for (const u of this.unsubscribe.splice(0)) u();
    this.pending = undefined;
    this.abort.abort();
    await this.busy;
  }

  /** Resolves once no desired config is being handled (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.busy !== undefined) await this.busy;
  }

  private receive(payload: Buffer): void {
    if (this.abort.signal.aborted) return;
    if (payload.length === 0) {
      // Clearing the retained desired message is a normal MQTT operation, not a config: keep the
      // running config and the report (a pending message stays pending).
      this.log.info({ topic: this.desiredTopic }, 'the retained desired config was cleared (empty message); nothing to apply');
      return;
    }
    this.pending = payload;
    this.busy ??= this.drain().finally(() => {
      this.busy = undefined;
    });
  }

  private async drain(): Promise<void> {
    while (this.pending !== undefined && !this.abort.signal.aborted) {
      const payload = this.pending;
      this.pending = undefined;
      try {
        await this.lock.run(() => this.handle(payload));
      } catch (err) {
        this.log.error({ err: errorMessage(err) }, 'remote config handling failed');
      }
    }
  }

  private async handle(payload: Buffer): Promise<void> {
    const digest = sha256(payload);
    if (this.state?.digest === digest) {
      this.log.debug({ version: this.state.report.version }, 'desired config already handled');
      return;
    }
    const parsed = parseDesired(payload, this.opts.settings.maxBytes);
    if (!parsed.ok) {
      this.log.warn({ version: parsed.version, problems: parsed.problems }, 'desired config rejected: unreadable message');
      await this.finish({ version: parsed.version, state: 'rejected', problems: parsed.problems, reason: 'the message is not a valid desired config', ts: Date.now() }, digest);
      return;
    }
    const { desired } = parsed;
    const { version } = desired;
    if (this.state !== undefined && this.state.report.version === version) {
      this.log.info({ version, state: this.state.report.state }, 'desired config version already handled; not applied again');
      return;
    }
    const staged = await stageDesired(desired, path.join(this.opts.stateDir, 'staged'), this.opts.baseDir, this.opts.env);
    if (!staged.ok) {
      this.log.warn({ version, problems: staged.problems }, `desired config ${String(version)} rejected: ${staged.problems.length} problem(s); the running config is unchanged`);
      await this.finish({ version, state: 'rejected', problems: staged.problems, reason: `${staged.problems.length} problem(s); the running config is unchanged`, ts: Date.now() }, digest);
      return;
    }
    const { target } = this.opts;
    const previous = target.currentSite;
    const refused = identityProblems(staged.site, previous);
    if (refused.length > 0) {
      const reason = `${refused.length} setting(s) only the site may change; the running config is unchanged`;
      this.log.warn({ version, problems: refused }, `desired config ${String(version)} rejected: ${reason}`);
      await this.finish({ version, state: 'rejected', problems: refused, reason, ts: Date.now() }, digest);
      return;
    }
    const { site, ignored } = keepLocalSettings(staged.site, previous);
    const noted = ignored.length > 0 ? { ignored } : {};
    if (ignored.length > 0) this.log.warn({ version, ignored }, 'desired config: settings only the site file may set were ignored');
    await this.finish({ version, state: 'applying', ...noted, ts: Date.now() }, digest);
    const before = target.health();
    this.log.info({ version }, 'applying desired config');
    let report;
    try {
      report = await target.applySite(site);
    } catch (err) {
      await this.rollback(previous, version);
      const reason = `applying failed (${errorMessage(err)}); rolled back to the previous config`;
      this.log.error({ version, err: errorMessage(err) }, `desired config ${String(version)}: ${reason}`);
      await this.finish({ version, state: 'rolled-back', ...noted, reason, ts: Date.now() }, digest);
      return;
    }
    const grace = this.opts.settings.healthGrace;
    const problems = await waitHealthy(target, before, report, grace, this.opts.clock ?? realClock, 100, this.abort.signal);
    if (this.abort.signal.aborted) return;
    if (problems.length === 0) {
      let stored = {};
      try {
        await this.store.writeLastGood({ ...desired, localHash: (await fileHash(this.opts.siteFile)) ?? '', appliedAt: Date.now() });
      } catch (err) {
        // It runs and is healthy, but a restart will not boot it: say so rather than pretend.
        this.log.error({ version, err: errorMessage(err), file: this.store.lastGoodFile }, 'cannot store the last good config');
        stored = { reason: `applied, but not stored as the last good config (${errorMessage(err)}): a restart boots the previous one` };
      }
      const restart = report.restartRequired.length > 0 ? { restartRequired: [...report.restartRequired] } : {};
      this.log.info({ version, report }, `desired config ${String(version)} applied`);
      if (report.restartRequired.length > 0) this.log.warn({ version, restartRequired: report.restartRequired }, 'some settings of the desired config take effect only after a restart');
      await this.finish({ version, state: 'applied', ...restart, ...noted, ...stored, ts: Date.now() }, digest);
      return;
    }
    const reason = `health check failed within ${grace} ms (${problems.map((p) => p.message).join('; ')}); rolled back to the previous config`;
    this.log.error({ version, problems }, `desired config ${String(version)} rolled back: ${reason}`);
    await this.rollback(previous, version);
    await this.finish({ version, state: 'rolled-back', problems, ...noted, reason, ts: Date.now() }, digest);
  }

  private async rollback(previous: LoadedSite, version: RemoteVersion): Promise<void> {
    try {
      await this.opts.target.applySite(previous);
    } catch (err) {
      this.log.error({ version, err: errorMessage(err) }, 'rollback to the previous config failed');
    }
  }

  /** Records the report on disk, then publishes it (retained); an offline link gets it on the next connection. */
  private async finish(report: ReportedConfig, digest: string): Promise<void> {
    this.state = { report, digest };
    try {
      await this.store.writeState(report, digest);
    } catch (err) {
      this.log.error({ err: errorMessage(err), file: this.store.stateFile }, 'cannot record the remote config state');
    }
    this.publishReport();
  }

  private publishReport(): void {
    const report = this.state?.report;
    if (report === undefined) return;
    this.opts.link.publish(this.topics.reported, JSON.stringify(report), { retain: true }).catch((err: unknown) => {
      this.log.debug({ err: errorMessage(err) }, 'reported config not published now; sent again on the next connection');
    });
  }
}
